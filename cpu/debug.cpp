// SPDX-License-Identifier: MIT
// Debug-register semantics: DR7 decoding, breakpoint matching, the MMU
// watches that data breakpoints program, and the DR6 bits reported with #DB.
#include "cpu/debug.h"

#include <algorithm>

namespace kestrel::cpu {
namespace {

constexpr uint64_t kCr4De = 1u << 3;

enum class BpKind : uint8_t { kExec = 0, kWrite = 1, kIo = 2, kReadWrite = 3 };

bool enabled(uint64_t dr7, unsigned i) { return (dr7 >> (2 * i)) & 3; }
BpKind kind(uint64_t dr7, unsigned i) { return BpKind((dr7 >> (16 + 4 * i)) & 3); }

/// Bytes a breakpoint covers: LEN 00 = 1, 01 = 2, 11 = 4, 10 = 8 (SDM 3A
/// §17.2.5; 10b is undefined before 64-bit processors and taken as 8 here).
unsigned length(uint64_t dr7, unsigned i) {
  static constexpr unsigned kLen[4] = {1, 2, 8, 4};
  return kLen[(dr7 >> (18 + 4 * i)) & 3];
}

/// Whether [addr, addr + size) overlaps breakpoint i, whose address the
/// processor aligns down to its length.
bool overlaps(const Cpu& cpu, unsigned i, uint64_t addr, unsigned size) {
  const unsigned len = length(cpu.s.dr[7], i);
  const uint64_t bp = cpu.s.dr[i] & ~uint64_t(len - 1);
  return addr < bp + len && bp < addr + size;
}

/// Gives each enabled data breakpoint an MMU watch over its aligned range,
/// tagged with its number, replacing the watches programmed before: the
/// MMU's slow path then reports the accesses (note_data_access), and pages
/// without a breakpoint keep their fast path.
void program_data_watches(Cpu& cpu) {
  cpu.mem.remove_watches(cpu);
  const uint64_t dr7 = cpu.s.dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    const BpKind k = kind(dr7, i);
    if (!enabled(dr7, i) || (k != BpKind::kWrite && k != BpKind::kReadWrite)) continue;
    const unsigned len = length(dr7, i);
    const auto watch = k == BpKind::kWrite ? mmu::WatchKind::kWrite : mmu::WatchKind::kAccess;
    cpu.mem.add_watch(cpu.s.dr[i] & ~uint64_t(len - 1), len, watch, cpu, i);
  }
}

}  // namespace

void update_debug_state(Cpu& cpu) {
  const uint64_t dr7 = cpu.s.dr[7];
  uint8_t exec = 0;
  for (unsigned i = 0; i < 4; ++i) {
    if (enabled(dr7, i) && kind(dr7, i) == BpKind::kExec) exec |= uint8_t(1u << i);
  }
  const HostBreakpoints* hb = cpu.host_breakpoints;
  if (hb && !hb->linear.empty()) exec |= kDbgExecHost;
  cpu.s.dbg_exec = exec;
  program_data_watches(cpu);
}

void write_debug_register(Cpu& cpu, unsigned n, uint64_t v) {
  switch (n) {
    case 6: cpu.s.dr[6] = (v & 0xe00f) | kDr6Fixed1; return;
    // DR7: bit 10 reads as one; bits 11, 12, 14 and 15 as zero (§17.2.4).
    case 7: cpu.s.dr[7] = (v & 0xffff23ff) | 0x400; break;
    default:
      cpu.s.dr[n] = cpu.long_mode64() ? v : uint32_t(v);
      break;
  }
  update_debug_state(cpu);
}

unsigned code_breakpoint_hits(const Cpu& cpu, uint64_t lin) {
  if (!cpu.long_mode64()) lin = uint32_t(lin);
  unsigned hits = 0;
  for (unsigned i = 0; i < 4; ++i) {
    if ((cpu.s.dbg_exec >> i & 1) && cpu.s.dr[i] == lin) hits |= 1u << i;
  }
  return hits;
}

bool check_code_breakpoint(Cpu& cpu) {
  CpuState& s = cpu.s;
  if (s.rflags & kRf) {
    // RF is cleared once the breakpoint check has passed (SDM 3A §17.3.1.1).
    s.rflags &= ~uint64_t{kRf};
    return false;
  }
  const unsigned hits = code_breakpoint_hits(cpu, s.seg[kCs].base + s.rip);
  if (!hits) return false;
  s.dr[6] = (s.dr[6] & ~uint64_t{0xf}) | hits;
  return true;
}

bool data_breakpoints_armed(const Cpu& cpu) {
  const uint64_t dr7 = cpu.s.dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    const BpKind k = kind(dr7, i);
    if (enabled(dr7, i) && (k == BpKind::kWrite || k == BpKind::kReadWrite)) return true;
  }
  return false;
}

void note_data_access(Cpu& cpu, uint64_t lin, unsigned size, bool write) {
  const uint64_t dr7 = cpu.s.dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    const BpKind k = kind(dr7, i);
    if (!enabled(dr7, i) || k == BpKind::kExec || k == BpKind::kIo) continue;
    if (k == BpKind::kWrite && !write) continue;
    if (overlaps(cpu, i, lin, size)) cpu.s.dbg_hits |= uint8_t(1u << i);
  }
}

// Matched again against DR0-DR3 and DR7 rather than trusting the watch's
// tag: a watch outliving its breakpoint (a reset replaces CpuState without
// reprogramming) then only costs a slow path, never a spurious #DB.
void Cpu::watch_hit(const mmu::WatchHit& hit) {
  note_data_access(*this, hit.linear, hit.size, hit.access == mmu::WatchKind::kWrite);
}

void note_io_access(Cpu& cpu, uint16_t port, unsigned size) {
  // R/W = 10b means an I/O breakpoint only with CR4.DE (§17.2.4).
  if (!(cpu.s.cr[4] & kCr4De)) return;
  const uint64_t dr7 = cpu.s.dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    if (!enabled(dr7, i) || kind(dr7, i) != BpKind::kIo) continue;
    if (overlaps(cpu, i, port, size)) cpu.s.dbg_hits |= uint8_t(1u << i);
  }
}

void set_trap_dr6(Cpu& cpu, bool single_step) {
  CpuState& s = cpu.s;
  // B0-B3 report this exception's breakpoints only; BS, BD and BT are
  // sticky until software clears them (§17.2.3).
  s.dr[6] = (s.dr[6] & ~uint64_t{0xf}) | (s.dbg_hits & 0xf) | kDr6Fixed1;
  if (single_step) s.dr[6] |= kDr6Bs;
  s.dbg_hits = 0;
}

void refresh_host_breakpoints(Cpu& cpu) {
  const HostBreakpoints* hb = cpu.host_breakpoints;
  if (hb && !hb->linear.empty()) cpu.s.dbg_exec |= kDbgExecHost;
  else cpu.s.dbg_exec &= uint8_t(~kDbgExecHost);
}

void add_host_breakpoint(Cpu& cpu, uint64_t lin) {
  if (!cpu.host_breakpoints) return;
  std::vector<uint64_t>& v = cpu.host_breakpoints->linear;
  if (std::find(v.begin(), v.end(), lin) == v.end()) v.push_back(lin);
  refresh_host_breakpoints(cpu);
}

bool remove_host_breakpoint(Cpu& cpu, uint64_t lin) {
  if (!cpu.host_breakpoints) return false;
  std::vector<uint64_t>& v = cpu.host_breakpoints->linear;
  const auto it = std::find(v.begin(), v.end(), lin);
  if (it == v.end()) return false;
  v.erase(it);
  refresh_host_breakpoints(cpu);
  return true;
}

bool check_host_breakpoint(Cpu& cpu) {
  HostBreakpoints* hb = cpu.host_breakpoints;
  if (!hb || !(cpu.s.dbg_exec & kDbgExecHost)) return false;
  uint64_t lin = cpu.s.seg[kCs].base + cpu.s.rip;
  if (!cpu.long_mode64()) lin = uint32_t(lin);
  const bool skip = hb->skip_armed && hb->skip_linear == lin;
  hb->skip_armed = false;
  if (skip || std::find(hb->linear.begin(), hb->linear.end(), lin) == hb->linear.end()) {
    return false;
  }
  hb->stopped = true;
  cpu.s.pending |= kPendingStop;
  return true;
}

}  // namespace kestrel::cpu
