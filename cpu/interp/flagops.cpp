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

constexpr uint64_t kCr4Vme = 1u << 0, kCr4Pvi = 1u << 1;

enum class IfChange { kIf, kVif };

/// SDM 2 CLI/STI decision tables: real mode and CPL <= IOPL change IF
/// (virtual-8086 mode needs IOPL 3); with CR4.VME in virtual-8086 mode or
/// CR4.PVI at CPL 3 the change goes to VIF; anything else is #GP(0).
IfChange if_target(const Cpu& cpu) {
  if (cpu.real_mode()) return IfChange::kIf;
  const unsigned iopl = unsigned(cpu.s.rflags & kIopl) >> 12;
  if (cpu.v86()) {
    if (iopl == 3) return IfChange::kIf;
    if (cpu.s.cr[4] & kCr4Vme) return IfChange::kVif;
  } else {
    if (cpu.s.cpl <= iopl) return IfChange::kIf;
    if (cpu.s.cpl == 3 && (cpu.s.cr[4] & kCr4Pvi)) return IfChange::kVif;
  }
  raise(kVecGp, 0);
}

}  // namespace

void CLC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, false); }
void STC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, true); }
void CMC(Cpu& cpu, const DecodedInsn&) { set_carry(cpu.s, !carry_flag(cpu.s)); }
void CLD(Cpu& cpu, const DecodedInsn&) { cpu.s.rflags &= ~uint64_t{kDf}; }
void STD(Cpu& cpu, const DecodedInsn&) { cpu.s.rflags |= kDf; }

void CLI(Cpu& cpu, const DecodedInsn&) {
  cpu.s.rflags &= ~uint64_t{if_target(cpu) == IfChange::kIf ? kIf : kVif};
}

void STI(Cpu& cpu, const DecodedInsn&) {
  if (if_target(cpu) == IfChange::kVif) {
    // A pending virtual interrupt makes STI fault so the monitor can deliver it.
    if (cpu.s.rflags & kVip) raise(kVecGp, 0);
    cpu.s.rflags |= kVif;
    return;
  }
  // SDM 2 STI: when IF was clear, interrupts stay blocked until the end of
  // the next instruction (so STI; HLT or STI; RET are atomic).
  if (!(cpu.s.rflags & kIf)) cpu.s.inhibit_irq = kInhibitIrq;
  cpu.s.rflags |= kIf;
}

}  // namespace kestrel::cpu::exec
