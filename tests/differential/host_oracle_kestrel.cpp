// SPDX-License-Identifier: MIT
// The Kestrel runner of the host-oracle test (host_oracle_kestrel.h). It
// drives the interpreter's handlers under the engine contract itself
// (insn_rip = the instruction, s.rip = the next one, rIP back on a fault)
// so that an exception ends the run with its vector instead of going
// through a guest IDT the test would have to provide.
#include "tests/differential/host_oracle_kestrel.h"

#include <cstring>
#include <span>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"

namespace kestrel::differential::oracle {
namespace {

namespace fl = cpu::isa::fl;
using cpu::isa::Am;
using cpu::isa::Ot;

constexpr uint64_t kPml4 = 0x1000;     ///< physical; tables follow it
constexpr uint64_t kDataPhys = 0x40000;
constexpr uint64_t kSeqPhys = 0x80000;
constexpr uint64_t kRam = 1u << 20;
constexpr uint64_t kPteUser = 0x7;     ///< present, writable, user

const cpu::CpuModel& max_model() { return *cpu::find_cpu_model("max"); }

bool is_mn(const cpu::isa::Row& r, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (r.mnemonic == n) return true;
  }
  return false;
}

/// The shift or rotate count an instruction uses, before masking; -1 when
/// the row is not a count-dependent shift.
int shift_count(const cpu::DecodedInsn& d, const cpu::CpuState& pre) {
  const cpu::isa::Row& r = d.row();
  if (!is_mn(r, {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd"})) return -1;
  int count = 1;
  for (const auto& o : r.ops) {
    if (o.am == Am::kReg && o.ot == Ot::kB && o.reg == 1) count = int(pre.gpr[cpu::kRcx] & 0xff);
    else if (o.am == Am::kI) count = int(d.imm & 0xff);
  }
  return count;
}

/// Flags the executed instruction writes and leaves undefined (the table's
/// columns, refined by the count of shifts: SDM vol. 2, SAL/SAR/SHL/SHR,
/// ROL/ROR/RCL/RCR, SHLD/SHRD "Flags Affected").
void executed_flags(const cpu::DecodedInsn& d, const cpu::CpuState& pre, uint16_t& written,
                    uint16_t& undef) {
  const cpu::isa::Row& r = d.row();
  written = r.flags_written;
  undef = r.flags_undefined;
  // BT, BTS, BTR, BTC leave ZF unmodified (SDM vol. 2, BT "Flags Affected").
  if (is_mn(r, {"bt", "bts", "btr", "btc"})) written &= uint16_t(~fl::Z);
  // A REP string instruction with a count of 0 does nothing.
  const uint64_t count_mask = d.asize == 8 ? ~uint64_t{0} : d.asize == 4 ? 0xffffffff : 0xffff;
  if (d.rep != cpu::kRepNone && (r.attrs & cpu::isa::a_rep) && !(pre.gpr[cpu::kRcx] & count_mask)) {
    written = undef = 0;
    return;
  }
  const int raw = shift_count(d, pre);
  if (raw < 0) return;
  const unsigned width = r.ops[0].ot == Ot::kB ? 8 : d.osize * 8u;
  const unsigned count = unsigned(raw) & (width == 64 ? 0x3f : 0x1f);
  if (count == 0) {
    written = undef = 0;
    return;
  }
  if (count != 1) undef |= fl::O;
  const bool shift = is_mn(r, {"shl", "shr", "sal", "sar"});
  if (shift && count >= width) undef |= fl::C;
  if (is_mn(r, {"shld", "shrd"}) && count > width) undef = fl::OSZAPC;
}

}  // namespace

KestrelRunner::KestrelRunner()
    : mem_(kRam, max_model().phys_addr_bits), cpu_(max_model(), mem_, bus_),
      next_table_(kPml4 + kPage) {
  for (uint64_t off = 0; off < kDataSize; off += kPage) map_page(kDataBase + off, kDataPhys + off);
  for (uint64_t off = 0; off < kSeqMax + kPage; off += kPage) map_page(kSeqBase + off, kSeqPhys + off);
}

/// 4-level paging (SDM 3A §4.5): a user, writable 4 KiB page.
void KestrelRunner::map_page(uint64_t linear, uint64_t phys) {
  uint64_t table = kPml4;
  for (int level = 3; level >= 1; --level) {
    const uint64_t slot = table + 8 * ((linear >> (12 + 9 * level)) & 0x1ff);
    uint64_t e = mem_.read_phys(slot, 8);
    if (!(e & 1)) {
      e = next_table_ | kPteUser;
      next_table_ += kPage;
      mem_.write_phys(slot, e, 8);
    }
    table = e & ~uint64_t{0xfff};
  }
  mem_.write_phys(table + 8 * ((linear >> 12) & 0x1ff), phys | kPteUser, 8);
}

void KestrelRunner::set_state(const RegState& in) {
  using namespace cpu;
  CpuState& s = cpu_.s;
  s = CpuState{};
  // CR0: PE, MP, ET, NE, WP, AM, PG; CR4: PAE, OSFXSR, OSXMMEXCPT; EFER:
  // SCE, LME, LMA, NXE. The Linux user mode the host code runs in.
  const uint64_t cr0 = 0x80050033, cr4 = 0x620, efer = 0xd01;
  cpu_.load_paging(cr0, kPml4, cr4, efer, true);
  s.cpl = 3;
  // Linux's user selectors: CS 33h (64-bit code), SS 2Bh, the others null.
  const uint16_t kData = kAttrPresent | kAttrS | kAttrAccessed | kAttrWritable | kAttrDb | kAttrG |
                         (3u << 5);
  for (unsigned i = 0; i < kSegCount; ++i) s.seg[i] = {0, 0xffffffffu, 0, kData};
  s.seg[kSs].selector = 0x2b;
  s.seg[kCs] = {0, 0xffffffffu, 0x33,
                uint16_t(kAttrPresent | kAttrS | kAttrAccessed | kAttrWritable | kAttrCode | kAttrL |
                         kAttrG | (3u << 5))};
  std::memcpy(s.gpr, in.gpr, sizeof s.gpr);
  s.rip = kSeqBase;
  write_flags(s, in.rflags | kFixed1 | kIf, ~uint64_t{0});
  s.mxcsr = in.mxcsr;
  for (unsigned x = 0; x < 16; ++x) std::memcpy(s.vec[x], in.xmm[x], 16);
}

Result KestrelRunner::run(const Case& c) {
  set_state(c.in);
  // Through the TLB, a qword at a time: far cheaper than byte-wise
  // physical loads, and the pages are plain user RAM.
  for (size_t off = 0; off < kDataSize; off += 8) {
    uint64_t v;
    std::memcpy(&v, c.data.data() + off, 8);
    mem_.write<uint64_t>(kDataBase + off, v, mmu::Priv::kUser);
  }
  mem_.load_phys(kSeqPhys, c.code);
  cpu::CpuState& s = cpu_.s;
  cpu::DecodeContext ctx;
  ctx.code = cpu::CodeSize::k64;
  ctx.protected_mode = true;
  ctx.model = cpu_.model;
  const uint64_t end = kSeqBase + c.code.size();
  Result r;
  uint16_t undef = 0;
  while (s.rip != end) {
    if (r.insns > 20000 || s.rip < kSeqBase || s.rip > end) {
      r.error = "left the sequence at " + std::to_string(s.rip - kSeqBase);
      break;
    }
    const std::span<const uint8_t> bytes = std::span(c.code).subspan(size_t(s.rip - kSeqBase));
    cpu::DecodedInsn d;
    const cpu::DecodeStatus st = cpu::decode(bytes, ctx, d);
    const cpu::CpuState pre = s;
    cpu_.insn_rip = s.rip;
    ++r.insns;
    try {
      if (st == cpu::DecodeStatus::kNeedMore || st == cpu::DecodeStatus::kTooLong) cpu::raise(cpu::kVecGp, 0);
      s.rip += d.len;
      cpu::exec::handler_for(d.form)(cpu_, d);
    } catch (const cpu::GuestFault& f) {
      s.rip = cpu_.insn_rip;
      r.vector = f.vector;
      break;
    }
    if (d.form != cpu::isa::Form::kInvalid) {
      uint16_t written = 0, und = 0;
      executed_flags(d, pre, written, und);
      undef = uint16_t((undef & ~written) | und);
    }
  }
  std::memcpy(r.out.gpr, s.gpr, sizeof s.gpr);
  r.out.rip = s.rip;
  r.out.rflags = cpu::read_flags(s);
  r.out.mxcsr = s.mxcsr;
  for (unsigned x = 0; x < 16; ++x) std::memcpy(r.out.xmm[x], s.vec[x], 16);
  for (size_t off = 0; off < kDataSize; off += 8) {
    const uint64_t v = mem_.read<uint64_t>(kDataBase + off, mmu::Priv::kUser);
    std::memcpy(r.data.data() + off, &v, 8);
  }
  r.undef_flags = undef;
  return r;
}

}  // namespace kestrel::differential::oracle
