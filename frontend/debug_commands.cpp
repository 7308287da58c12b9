// SPDX-License-Identifier: MIT
// The shared inspection commands (frontend/debug_commands.h): the command
// line's words, info registers, and x/xp with their /FMT (count, format,
// unit size) and Capstone disassembly in the CPU's current mode.
#include "frontend/debug_commands.h"

#include <capstone/capstone.h>

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <vector>

#include "cpu/flags.h"
#include "frontend/debug_info.h"

namespace kestrel::frontend {
namespace {

std::string format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string error(std::string_view what) { return "error: " + std::string(what) + "\n"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

/// The first word of `s` (removed from it).
std::string_view next_word(std::string_view& s) {
  s = trim(s);
  const size_t end = std::min(s.find_first_of(" \t"), s.size());
  const std::string_view w = s.substr(0, end);
  s = trim(s.substr(end));
  return w;
}

// ---- info registers ----

std::string segment_line(const char* name, const cpu::SegmentCache& c, bool wide) {
  // QEMU's layout: selector, base, limit, then the descriptor's flags
  // word (bits 8-23 of its high dword).
  if (wide) {
    return format("%-3s=%04x %016" PRIx64 " %08x %08x\n", name, c.selector, c.base, c.limit,
                  unsigned(c.attr) << 8);
  }
  return format("%-3s=%04x %08x %08x %08x\n", name, c.selector, uint32_t(c.base), c.limit,
                unsigned(c.attr) << 8);
}

std::string flag_letters(uint64_t f) {
  std::string t = "[";
  t += (f & cpu::kDf) ? 'D' : '-';
  t += (f & cpu::kOf) ? 'O' : '-';
  t += (f & cpu::kSf) ? 'S' : '-';
  t += (f & cpu::kZf) ? 'Z' : '-';
  t += (f & cpu::kAf) ? 'A' : '-';
  t += (f & cpu::kPf) ? 'P' : '-';
  t += (f & cpu::kCf) ? 'C' : '-';
  return t + "]";
}

std::string gpr_lines(const cpu::CpuState& s, bool wide) {
  static constexpr const char* kNames64[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
                                               "RSI", "RDI", "R8", "R9", "R10", "R11",
                                               "R12", "R13", "R14", "R15"};
  std::string out;
  if (wide) {
    // QEMU's order: RAX RBX RCX RDX / RSI RDI RBP RSP / R8-R15.
    static constexpr unsigned kOrder[16] = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};
    for (unsigned i = 0; i < 16; ++i) {
      const unsigned r = kOrder[i];
      out += format("%s=%016" PRIx64 "%s", kNames64[r], s.gpr[r], i % 4 == 3 ? "\n" : " ");
    }
    return out;
  }
  out += format("EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", uint32_t(s.gpr[0]), uint32_t(s.gpr[3]),
                uint32_t(s.gpr[1]), uint32_t(s.gpr[2]));
  out += format("ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", uint32_t(s.gpr[6]), uint32_t(s.gpr[7]),
                uint32_t(s.gpr[5]), uint32_t(s.gpr[4]));
  return out;
}

std::string info_registers(machine::Machine& m) {
  const cpu::CpuState& s = m.cpu().s;
  const bool wide = (s.efer & (1u << 10)) != 0;  // EFER.LMA: show 64-bit registers
  const uint64_t f = cpu::read_flags(s);
  std::string out = gpr_lines(s, wide);
  out += wide ? format("RIP=%016" PRIx64, s.rip) : format("EIP=%08x", uint32_t(s.rip));
  out += format(" EFL=%08x %s CPL=%u II=%u A20=%u SMM=0 HLT=%u\n", uint32_t(f),
                flag_letters(f).c_str(), s.cpl, s.inhibit_irq ? 1u : 0u, m.memory().a20() ? 1u : 0u,
                s.halted ? 1u : 0u);
  static constexpr const char* kSegNames[cpu::kSegCount] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  for (unsigned i = 0; i < cpu::kSegCount; ++i) out += segment_line(kSegNames[i], s.seg[i], wide);
  out += segment_line("LDT", s.ldtr, wide);
  out += segment_line("TR", s.tr, wide);
  if (wide) {
    out += format("GDT=     %016" PRIx64 " %08x\n", s.gdtr.base, s.gdtr.limit);
    out += format("IDT=     %016" PRIx64 " %08x\n", s.idtr.base, s.idtr.limit);
    out += format("CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n", uint32_t(s.cr[0]),
                  s.cr[2], s.cr[3], uint32_t(s.cr[4]));
  } else {
    out += format("GDT=     %08x %08x\n", uint32_t(s.gdtr.base), s.gdtr.limit);
    out += format("IDT=     %08x %08x\n", uint32_t(s.idtr.base), s.idtr.limit);
    out += format("CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", uint32_t(s.cr[0]), uint32_t(s.cr[2]),
                  uint32_t(s.cr[3]), uint32_t(s.cr[4]));
  }
  out += format("DR0=%016" PRIx64 " DR1=%016" PRIx64 " DR2=%016" PRIx64 " DR3=%016" PRIx64 "\n",
                s.dr[0], s.dr[1], s.dr[2], s.dr[3]);
  out += format("DR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", s.dr[6], s.dr[7]);
  out += format("EFER=%016" PRIx64 "\n", s.efer);
  return out;
}

// ---- x and xp ----

struct Fmt {
  unsigned count = 1;
  char format = 'x';
  unsigned size = 4;
};

/// Parses "/FMT" as QEMU does: a count, then format and size letters in any order.
std::optional<std::string> parse_fmt(std::string_view text, Fmt& f) {
  if (text.empty()) return std::nullopt;
  if (text.front() != '/') return "expected /FMT after the command";
  text.remove_prefix(1);
  size_t i = 0;
  uint64_t count = 0;
  bool digits = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    count = count * 10 + unsigned(text[i] - '0');
    if (count > 100000) return "count too large";
    digits = true;
  }
  if (digits) f.count = unsigned(count);
  bool sized = false;
  for (; i < text.size(); ++i) {
    switch (const char c = text[i]) {
      case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
        f.format = c;
        break;
      case 'b': f.size = 1; sized = true; break;
      case 'h': f.size = 2; sized = true; break;
      case 'w': f.size = 4; sized = true; break;
      case 'g': f.size = 8; sized = true; break;
      default:
        return "invalid char in format: '" + std::string(1, c) + "'";
    }
  }
  if (f.format == 'c' && !sized) f.size = 1;
  if (f.count == 0) return "count must be at least 1";
  return std::nullopt;
}

std::optional<uint64_t> register_value(machine::Machine& m, std::string_view name) {
  const cpu::CpuState& s = m.cpu().s;
  if (name == "pc") return s.seg[cpu::kCs].base + s.rip;  // QEMU: $pc is CS.base + EIP
  if (name == "rip" || name == "eip" || name == "ip") return s.rip;
  static constexpr std::string_view k64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                               "rsi", "rdi", "r8", "r9", "r10", "r11",
                                               "r12", "r13", "r14", "r15"};
  for (unsigned i = 0; i < 16; ++i) {
    if (name == k64[i]) return s.gpr[i];
    if (i < 8 && name.size() == 3 && name[0] == 'e' && name.substr(1) == k64[i].substr(1)) {
      return uint32_t(s.gpr[i]);
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_number(std::string_view t) {
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  if (t.empty() || t.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (const char c : t) {
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
    else return std::nullopt;
    if (v > (~uint64_t{0} - d) / unsigned(base)) return std::nullopt;
    v = v * unsigned(base) + d;
  }
  return v;
}

/// An address: a number (0x for hex), a $register, or either plus or
/// minus a number.
std::optional<uint64_t> parse_address(machine::Machine& m, std::string_view t) {
  const size_t op = t.find_first_of("+-", 1);
  if (op != std::string_view::npos) {
    const auto a = parse_address(m, trim(t.substr(0, op)));
    const auto b = parse_number(trim(t.substr(op + 1)));
    if (!a || !b) return std::nullopt;
    return t[op] == '+' ? *a + *b : *a - *b;
  }
  if (!t.empty() && t[0] == '$') return register_value(m, t.substr(1));
  return parse_number(t);
}

/// Reads `out.size()` bytes from `addr`; virtual addresses go through the
/// page tables. Returns how many could be read (stops at an unmapped page).
size_t read_memory(machine::Machine& m, uint64_t addr, bool physical, std::vector<uint8_t>& out) {
  mmu::Mmu& mmu = m.memory();
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t pa = addr + i;
    if (!physical) {
      const std::optional<uint64_t> t = mmu.debug_translate(addr + i);
      if (!t) return i;
      pa = *t;
    }
    // Reading device registers may change the device: a debugger does not.
    if (mmu.is_mmio(pa)) return i;
    out[i] = uint8_t(mmu.read_phys(pa, 1));
  }
  return out.size();
}

cs_mode disasm_mode(const cpu::CpuState& s) {
  const cpu::SegmentCache& cs = s.seg[cpu::kCs];
  if ((s.efer & (1u << 10)) && (cs.attr & cpu::kAttrL)) return CS_MODE_64;
  if ((s.cr[0] & 1) && !(s.rflags & cpu::kVm) && (cs.attr & cpu::kAttrDb)) return CS_MODE_32;
  return CS_MODE_16;
}

std::string disassemble(machine::Machine& m, uint64_t addr, bool physical, unsigned count) {
  std::vector<uint8_t> bytes(size_t(count) * 15);
  bytes.resize(read_memory(m, addr, physical, bytes));
  if (bytes.empty()) return error(format("cannot access memory at 0x%" PRIx64, addr));
  csh handle;
  if (cs_open(CS_ARCH_X86, disasm_mode(m.cpu().s), &handle) != CS_ERR_OK) {
    return error("the disassembler is not available");
  }
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(handle, bytes.data(), bytes.size(), addr, count, &insn);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    std::string hex;
    for (unsigned b = 0; b < insn[i].size; ++b) hex += format("%02x", insn[i].bytes[b]);
    out += format("0x%016" PRIx64 ":  %-20s %s %s\n", insn[i].address, hex.c_str(),
                  insn[i].mnemonic, insn[i].op_str);
  }
  if (n < count) {
    const uint64_t at = n ? insn[n - 1].address + insn[n - 1].size : addr;
    out += format("0x%016" PRIx64 ":  (bad)\n", at);
  }
  cs_free(insn, n);
  cs_close(&handle);
  return out;
}

std::string unit_text(uint64_t v, const Fmt& f) {
  const unsigned bits = f.size * 8;
  switch (f.format) {
    case 'd': {
      const int64_t sv = bits == 64 ? int64_t(v) : int64_t(v << (64 - bits)) >> (64 - bits);
      return format("%" PRId64, sv);
    }
    case 'u': return format("%" PRIu64, v);
    case 'o': return format("%#" PRIo64, v);
    case 'c':
      if (f.size == 1 && v >= 0x20 && v < 0x7f) return format("'%c'", char(v));
      return format("'\\x%02" PRIx64 "'", v);
    default: return format("0x%0*" PRIx64, int(f.size * 2), v);
  }
}

std::string examine(machine::Machine& m, std::string_view args, bool physical) {
  Fmt f;
  std::string_view rest = trim(args);
  if (!rest.empty() && rest.front() == '/') {
    const std::string_view fmt = next_word(rest);
    if (auto why = parse_fmt(fmt, f)) return error(*why);
  }
  if (rest.empty()) return error("missing address");
  const std::optional<uint64_t> addr = parse_address(m, rest);
  if (!addr) return error("invalid address: " + std::string(rest));
  if (f.format == 'i') return disassemble(m, *addr, physical, std::min(f.count, 1000u));
  const uint64_t total = uint64_t(f.count) * f.size;
  if (total > 65536) return error("more than 64 KiB asked for");
  std::vector<uint8_t> bytes(total);
  const size_t got = read_memory(m, *addr, physical, bytes);
  const unsigned per_line = f.format == 'c' ? 16 : 16 / f.size;
  std::string out;
  for (unsigned i = 0; i < f.count; ++i) {
    if ((i + 1) * f.size > got) {
      if (i % per_line != 0) out += "\n";
      out += format("error: cannot access memory at 0x%" PRIx64 "\n", *addr + i * f.size);
      return out;
    }
    if (i % per_line == 0) out += format("%016" PRIx64 ":", *addr + uint64_t(i) * f.size);
    uint64_t v = 0;
    for (unsigned b = 0; b < f.size; ++b) v |= uint64_t(bytes[i * f.size + b]) << (8 * b);
    out += ' ';
    out += unit_text(v, f);
    if (i % per_line == per_line - 1 || i + 1 == f.count) out += "\n";
  }
  return out;
}

}  // namespace

std::string run_debug_command(machine::Machine& m, std::string_view line) {
  std::string_view rest = trim(line);
  if (rest.empty()) return "";
  // "x/4i" sticks the format to the command: split at the slash.
  std::string_view cmd = rest.substr(0, std::min(rest.find_first_of(" \t/"), rest.size()));
  rest.remove_prefix(cmd.size());
  if (cmd == "x") return examine(m, rest, false);
  if (cmd == "xp") return examine(m, rest, true);
  if (cmd == "info") {
    const std::string_view what = next_word(rest);
    if (!rest.empty()) return error("too many arguments");
    if (what == "registers") return info_registers(m);
    if (what == "mtree") return info_mtree(m);
    if (what == "pci") return info_pci(m);
    if (what == "tlb") return info_tlb(m);
    if (what.empty()) return error("info needs one of: registers mtree pci tlb");
    return error("unknown info: " + std::string(what));
  }
  return error("unknown command: " + std::string(cmd));
}

}  // namespace kestrel::frontend
