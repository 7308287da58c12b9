// SPDX-License-Identifier: MIT
// Register layouts and target descriptions (registers.h). The core, SSE
// and segments features follow the names, types and order gdb's own x86
// descriptions use (GDB manual §G.5.3 "i386 Features"); the control
// registers go into a feature of Kestrel's own, which gdb shows as extra
// registers ($cr0, $efer, $cs_base...).
#include "frontend/gdbstub/registers.h"

#include <cstring>

#include "cpu/flags.h"

namespace kestrel::frontend::gdbstub {
namespace {

using S = RegSource;

void add_core(std::vector<RegInfo>& r, bool lm) {
  // GPRs: x86-64 lists rax rbx rcx rdx rsi rdi rbp rsp, i386 the encoding order.
  static constexpr unsigned kLmOrder[8] = {0, 3, 1, 2, 6, 7, 5, 4};
  static constexpr std::string_view k64[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi",
                                               "rbp", "rsp", "r8",  "r9",  "r10", "r11",
                                               "r12", "r13", "r14", "r15"};
  static constexpr std::string_view k32[8] = {"eax", "ecx", "edx", "ebx",
                                              "esp", "ebp", "esi", "edi"};
  if (lm) {
    for (unsigned i = 0; i < 16; ++i) {
      const std::string_view type = i == 6 || i == 7 ? "data_ptr" : "int64";
      r.push_back({k64[i], 64, type, S::kGpr, i < 8 ? kLmOrder[i] : i});
    }
    r.push_back({"rip", 64, "code_ptr", S::kPc, 0});
  } else {
    for (unsigned i = 0; i < 8; ++i) {
      r.push_back({k32[i], 32, i == 4 || i == 5 ? "data_ptr" : "int32", S::kGpr, i});
    }
    r.push_back({"eip", 32, "code_ptr", S::kPc, 0});
  }
  r.push_back({"eflags", 32, "i386_eflags", S::kFlags, 0});
  static constexpr std::string_view kSegs[6] = {"cs", "ss", "ds", "es", "fs", "gs"};
  static constexpr unsigned kSegIdx[6] = {cpu::kCs, cpu::kSs, cpu::kDs, cpu::kEs, cpu::kFs, cpu::kGs};
  for (unsigned i = 0; i < 6; ++i) r.push_back({kSegs[i], 32, "int32", S::kSelector, kSegIdx[i]});
  static constexpr std::string_view kSt[8] = {"st0", "st1", "st2", "st3",
                                              "st4", "st5", "st6", "st7"};
  for (unsigned i = 0; i < 8; ++i) r.push_back({kSt[i], 80, "i387_ext", S::kSt, i});
  r.push_back({"fctrl", 32, "int", S::kFctrl, 0});
  r.push_back({"fstat", 32, "int", S::kFstat, 0});
  r.push_back({"ftag", 32, "int", S::kFtag, 0});
  r.push_back({"fiseg", 32, "int", S::kFiseg, 0});
  r.push_back({"fioff", 32, "int", S::kFioff, 0});
  r.push_back({"foseg", 32, "int", S::kFoseg, 0});
  r.push_back({"fooff", 32, "int", S::kFooff, 0});
  r.push_back({"fop", 32, "int", S::kFop, 0});
}

void add_sse(std::vector<RegInfo>& r, bool lm) {
  static constexpr std::string_view kXmm[16] = {
      "xmm0", "xmm1", "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
  for (unsigned i = 0; i < (lm ? 16u : 8u); ++i) r.push_back({kXmm[i], 128, "vec128", S::kXmm, i});
  r.push_back({"mxcsr", 32, "i386_mxcsr", S::kMxcsr, 0});
}

void add_system(std::vector<RegInfo>& r, bool lm) {
  const unsigned w = lm ? 64 : 32;
  const std::string_view t = lm ? "int64" : "int32";
  r.push_back({"fs_base", w, t, S::kSegBase, cpu::kFs});
  r.push_back({"gs_base", w, t, S::kSegBase, cpu::kGs});
  // Kestrel's own feature from here.
  r.push_back({"cs_base", w, t, S::kSegBase, cpu::kCs});
  r.push_back({"ss_base", w, t, S::kSegBase, cpu::kSs});
  r.push_back({"ds_base", w, t, S::kSegBase, cpu::kDs});
  r.push_back({"es_base", w, t, S::kSegBase, cpu::kEs});
  for (const unsigned n : {0u, 2u, 3u, 4u, 8u}) {
    static constexpr std::string_view kCr[9] = {"cr0", "", "cr2", "cr3", "cr4", "", "", "", "cr8"};
    r.push_back({kCr[n], w, t, S::kCr, n});
  }
  r.push_back({"efer", w, t, S::kEfer, 0});
}

constexpr std::string_view kEflagsType =
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>";

constexpr std::string_view kSseTypes =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>"
    "<flags id=\"i386_mxcsr\" size=\"4\">"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/></flags>";

std::string reg_xml(const RegInfo& r) {
  std::string s = "<reg name=\"" + std::string(r.name) + "\" bitsize=\"" + std::to_string(r.bits) +
                  "\" type=\"" + std::string(r.type) + "\"";
  if (r.source == S::kFctrl || r.source == S::kFstat || r.source == S::kFtag ||
      r.source == S::kFiseg || r.source == S::kFioff || r.source == S::kFoseg ||
      r.source == S::kFooff || r.source == S::kFop) {
    s += " group=\"float\"";
  }
  return s + "/>";
}

/// The XML, one feature after another, registers in 'g' order.
std::string make_xml(const std::vector<RegInfo>& regs, bool lm) {
  std::string x = "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target>";
  x += lm ? "<architecture>i386:x86-64</architecture>" : "<architecture>i386</architecture>";
  x += "<feature name=\"org.gnu.gdb.i386.core\">";
  x += kEflagsType;
  size_t i = 0;
  for (; regs[i].source != S::kXmm; ++i) x += reg_xml(regs[i]);
  x += "</feature><feature name=\"org.gnu.gdb.i386.sse\">";
  x += kSseTypes;
  for (; regs[i].source != S::kSegBase; ++i) x += reg_xml(regs[i]);
  x += "</feature><feature name=\"org.gnu.gdb.i386.segments\">";
  x += reg_xml(regs[i++]);
  x += reg_xml(regs[i++]);
  x += "</feature><feature name=\"org.kestrel.x86.system\">";
  for (; i < regs.size(); ++i) x += reg_xml(regs[i]);
  return x + "</feature></target>";
}

void put(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

uint64_t get(std::span<const uint8_t> b) {
  uint64_t v = 0;
  for (size_t i = 0; i < b.size() && i < 8; ++i) v |= uint64_t(b[i]) << (8 * i);
  return v;
}

}  // namespace

RegisterLayout::RegisterLayout(bool long_mode) : long_mode_(long_mode) {
  add_core(regs_, long_mode);
  add_sse(regs_, long_mode);
  add_system(regs_, long_mode);
  xml_ = make_xml(regs_, long_mode);
}

uint64_t linear_pc(const cpu::Cpu& cpu) {
  const uint64_t lin = cpu.s.seg[cpu::kCs].base + cpu.s.rip;
  return cpu.long_mode64() ? cpu.s.rip : uint32_t(lin);
}

std::vector<uint8_t> RegisterLayout::read(const cpu::Cpu& cpu, unsigned n) const {
  const RegInfo& r = regs_.at(n);
  const cpu::CpuState& s = cpu.s;
  const unsigned bytes = r.bits / 8;
  std::vector<uint8_t> out;
  out.reserve(bytes);
  switch (r.source) {
    case S::kGpr: put(out, s.gpr[r.index], bytes); break;
    case S::kPc: put(out, linear_pc(cpu), bytes); break;
    case S::kFlags: put(out, cpu::read_flags(s), bytes); break;
    case S::kSelector: put(out, s.seg[r.index].selector, bytes); break;
    case S::kSegBase: put(out, s.seg[r.index].base, bytes); break;
    case S::kSt: {
      // gdb's st(i) is relative to TOP; CpuState::st holds R0-R7.
      const cpu::X87Reg& x = s.st[(((s.fsw >> 11) & 7) + r.index) & 7];
      put(out, x.mantissa, 8);
      put(out, x.sign_exp, 2);
      break;
    }
    case S::kFctrl: put(out, s.fcw, bytes); break;
    case S::kFstat: put(out, s.fsw, bytes); break;
    case S::kFtag: put(out, s.ftw, bytes); break;
    case S::kFiseg: put(out, s.fcs, bytes); break;
    case S::kFioff: put(out, s.fip, bytes); break;
    case S::kFoseg: put(out, s.fds, bytes); break;
    case S::kFooff: put(out, s.fdp, bytes); break;
    case S::kFop: put(out, s.fop, bytes); break;
    case S::kXmm: out.assign(s.vec[r.index], s.vec[r.index] + 16); break;
    case S::kMxcsr: put(out, s.mxcsr, bytes); break;
    case S::kCr: put(out, s.cr[r.index], bytes); break;
    case S::kEfer: put(out, s.efer, bytes); break;
  }
  return out;
}

bool RegisterLayout::write(cpu::Cpu& cpu, unsigned n, std::span<const uint8_t> b) const {
  if (n >= regs_.size() || b.size() != regs_[n].bits / 8) return false;
  const RegInfo& r = regs_[n];
  cpu::CpuState& s = cpu.s;
  const uint64_t v = get(b);
  switch (r.source) {
    case S::kGpr:
      s.gpr[r.index] = long_mode_ ? v : (s.gpr[r.index] & ~uint64_t{0xffffffff}) | uint32_t(v);
      break;
    case S::kPc: {
      // The inverse of linear_pc: gdb writes a linear address.
      const uint64_t mask = cpu.long_mode64() ? ~uint64_t{0}
                            : s.seg[cpu::kCs].attr & cpu::kAttrDb && !cpu.real_mode() ? 0xffffffff
                                                                                       : 0xffff;
      s.rip = (cpu.long_mode64() ? v : v - s.seg[cpu::kCs].base) & mask;
      break;
    }
    case S::kFlags: cpu::write_flags(s, v, 0x3f7fd7); break;
    case S::kSelector:
      if (cpu.real_mode() && r.index != cpu::kCs) cpu.load_real_segment(uint8_t(r.index), uint16_t(v));
      break;
    case S::kSegBase:
      if (r.index == cpu::kFs || r.index == cpu::kGs) s.seg[r.index].base = v;
      break;
    case S::kSt: {
      cpu::X87Reg& x = s.st[(((s.fsw >> 11) & 7) + r.index) & 7];
      x.mantissa = get(b.first(8));
      x.sign_exp = uint16_t(get(b.subspan(8, 2)));
      break;
    }
    case S::kFctrl: s.fcw = uint16_t(v); break;
    case S::kFstat: s.fsw = uint16_t(v); break;
    case S::kFtag: s.ftw = uint16_t(v); break;
    case S::kFiseg: s.fcs = uint16_t(v); break;
    case S::kFioff: s.fip = v; break;
    case S::kFoseg: s.fds = uint16_t(v); break;
    case S::kFooff: s.fdp = v; break;
    case S::kFop: s.fop = uint16_t(v & 0x7ff); break;
    case S::kXmm: std::memcpy(s.vec[r.index], b.data(), 16); break;
    case S::kMxcsr: s.mxcsr = uint32_t(v) & 0xffff; break;
    case S::kCr: case S::kEfer: break;  // paging state the MMU caches: read-only here
  }
  return true;
}

std::vector<uint8_t> RegisterLayout::read_all(const cpu::Cpu& cpu) const {
  std::vector<uint8_t> out;
  for (unsigned n = 0; n < regs_.size(); ++n) {
    const std::vector<uint8_t> r = read(cpu, n);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

size_t RegisterLayout::total_bytes() const {
  size_t n = 0;
  for (const RegInfo& r : regs_) n += r.bits / 8;
  return n;
}

}  // namespace kestrel::frontend::gdbstub
