// SPDX-License-Identifier: MIT
// The flag instructions CLC, STC, CMC, CLI, STI, CLD and STD. PUSHF, POPF,
// LAHF and SAHF move whole flag images and live in stack.cpp.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"

namespace kestrel::cpu::exec {
namespace {

void set_carry(CpuState& s, bool cf) {
  const uint32_t f = arith_flags(s);
  write_arith_flags(s, cf ? f | kCf : f & ~uint32_t{kCf});
}

/// SDM 2 CLI/STI: real mode and CPL <= IOPL may change IF; virtual-8086
/// mode needs IOPL 3. Otherwise #GP(0).
void check_if_change(const Cpu& cpu) {
  if (cpu.real_mode()) return;
  const unsigned iopl = unsigned(cpu.s.rflags & kIopl) >> 12;
  const bool allowed = cpu.v86() ? iopl == 3 : cpu.s.cpl <= iopl;
  // TODO(kestrel): VIF instead of #GP under CR4.VME (virtual-8086) and
  // CR4.PVI (CPL 3), SDM 2 CLI/STI decision tables #3
  if (!allowed) raise(kVecGp, 0);
}

}  // namespace

void CLC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, false); }
void STC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, true); }
void CMC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, !carry_flag(cpu.s)); }
void CLD(Cpu& cpu, const DecodedInsn&) { cpu.s.rflags &= ~uint64_t{kDf}; }
void STD(Cpu& cpu, const DecodedInsn&) { cpu.s.rflags |= kDf; }

void CLI(Cpu& cpu, const DecodedInsn&) {
  check_if_change(cpu);
  cpu.s.rflags &= ~uint64_t{kIf};
}

void STI(Cpu& cpu, const DecodedInsn&) {
  check_if_change(cpu);
  // SDM 2 STI: when IF was clear, interrupts stay blocked until the end of
  // the next instruction (so STI; HLT or STI; RET are atomic).
  if (!(cpu.s.rflags & kIf)) cpu.s.inhibit_irq = kInhibitIrq;
  cpu.s.rflags |= kIf;
}

}  // namespace kestrel::cpu::exec
