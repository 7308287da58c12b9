// SPDX-License-Identifier: MIT
// What the x87 and MMX handlers share: the start of an instruction (#NM,
// pending exceptions through #MF or FERR#, the last-instruction pointers),
// stack faults, committing exceptions to FSW, and memory operands. The
// arithmetic is cpu/x87/; the register stack cpu/x87/fpu.h.
#pragma once

#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/x87/fpu.h"

namespace kestrel::cpu::exec {

/// How an x87 instruction begins (SDM 1 §8.1.8, §8.3.12).
enum class FpuStart : uint8_t {
  kArith,    ///< waits for pending exceptions; records FIP, FOP (and FDP)
  kControl,  ///< waits; leaves the pointers (FLDCW, FLDENV, FRSTOR)
  kNoWait,   ///< neither (FNSTSW, FNSTCW, FNCLEX, FNINIT, FNSTENV, FNSAVE)
};

/// #NM when CR0.EM or CR0.TS is set; then, for waiting instructions, an
/// unmasked exception left pending by an earlier instruction: #MF with
/// CR0.NE = 1, otherwise FERR# (kPendingFerr, IRQ 13 on the board) and the
/// instruction goes on as if IGNNE# were asserted.
/// kArith records FIP/FOP here for register forms; memory forms record
/// with fpu_pointers once their memory access has succeeded, so a faulting
/// access leaves the FPU as it was.
void fpu_start(Cpu& cpu, const DecodedInsn& insn, FpuStart kind = FpuStart::kArith);
/// Records FIP, FCS, FOP, and FDP/FDS for a memory operand.
void fpu_pointers(Cpu& cpu, const DecodedInsn& insn);
/// WAIT/FWAIT's check of pending exceptions (the #NM test is WAIT's own).
void fpu_wait(Cpu& cpu);

/// Commits an operation's exceptions to FSW and sets C1 to its rounding
/// direction (cleared when exact), the common C1 rule (SDM 1 §8.1.3.3).
void fpu_finish(Cpu& cpu, const x87::Env& env);
/// Stack overflow (push onto a full register) or underflow (an empty
/// source): IE and SF with C1 = overflow. True when IE is unmasked and the
/// instruction must stop; otherwise the caller stores the indefinite.
bool stack_fault(Cpu& cpu, bool overflow);
/// ST(0) becomes ST(7) and must be empty for a push.
inline bool push_overflows(const CpuState& s) { return !x87::empty(s, 7); }

// ---- memory operands ----
uint64_t fpu_ea(const Cpu& cpu, const DecodedInsn& insn);
/// ea + n within the address size.
inline uint64_t ea_plus(const DecodedInsn& insn, uint64_t ea, unsigned n) {
  return (ea + n) & addr_mask(insn.asize);
}
x87::Float80 read_m80(Cpu& cpu, const DecodedInsn& insn, uint64_t ea);
void write_m80(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, x87::Float80 v);
/// The memory operand of an arithmetic form, converted to extended.
x87::Operand read_m32fp(Cpu& cpu, const DecodedInsn& insn);
x87::Operand read_m64fp(Cpu& cpu, const DecodedInsn& insn);
x87::Float80 read_mint(Cpu& cpu, const DecodedInsn& insn, unsigned bits);

}  // namespace kestrel::cpu::exec
