// SPDX-License-Identifier: MIT
// What the handlers of MMX-register forms share, MMX's own and the SSE and
// SSSE3 additions alike: the availability check and the P/Q/N operands.
// The register file is the x87 one (cpu/x87/fpu.h: MMi = R(i)).
#pragma once

#include <cstdint>

#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {

/// CR0.EM makes MMX #UD and CR0.TS #NM; a pending x87 exception is
/// delivered first (SDM 1 §9.5.1, SDM 3A §12.5). The SSE additions that
/// name MMX registers (PSHUFW, PMINUB mm...) follow the same rules and do
/// not look at CR4.OSFXSR.
inline void mmx_check(Cpu& cpu) {
  constexpr uint64_t kEm = 1u << 2, kTs = 1u << 3;
  if (cpu.s.cr[0] & kEm) raise(kVecUd);
  if (cpu.s.cr[0] & kTs) raise(kVecNm);
  fpu_wait(cpu);
}

/// The P operand's register (ModRM.reg; REX.R does not reach MMX registers).
inline unsigned mm_reg(const DecodedInsn& insn) { return insn.reg & 7u; }
/// The N operand's register, or Q's register form (ModRM.rm).
inline unsigned mm_rm(const DecodedInsn& insn) { return insn.rm & 7u; }

/// The Q operand: an MMX register or 64 bits of memory (32 for the
/// low-half unpacks' Qd).
inline uint64_t read_q(Cpu& cpu, const DecodedInsn& insn, unsigned bytes = 8) {
  if (!insn.is_mem()) return x87::mmx_read(cpu.s, mm_rm(insn));
  if (bytes == 4) return cpu.read<uint32_t>(insn.seg, effective_address(cpu, insn));
  return cpu.read<uint64_t>(insn.seg, effective_address(cpu, insn));
}

/// Writes MMi after the instruction can no longer fault: the switch to MMX
/// state (TOP = 0, all tags valid) comes with it.
inline void write_mm(Cpu& cpu, unsigned n, uint64_t v) {
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, n, v);
}

}  // namespace kestrel::cpu::exec
