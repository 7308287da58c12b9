// SPDX-License-Identifier: MIT
// The stack instructions: PUSH/POP of registers, memory, immediates and
// segment registers, PUSHA/POPA, PUSHF/POPF with their per-generation and
// per-mode FLAGS rules, and LAHF/SAHF. Calls, returns and ENTER/LEAVE are
// control flow and live elsewhere.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/interp/segment_load.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr4Vme = 1u << 0;

/// Sets SP to `sp` within `mask`, the stack width the value was computed
/// with (POP SS may change the width under our feet).
void commit_sp(Cpu& cpu, uint64_t sp, uint64_t mask) {
  cpu.s.gpr[kRsp] = (cpu.s.gpr[kRsp] & ~mask) | (sp & mask);
}

/// Faults now if the stack slot at SS:offset is outside the segment, for
/// instructions that must check a whole frame before writing any of it.
void check_stack_slot(Cpu& cpu, uint64_t offset, unsigned size) {
  if (!cpu.model->quirk(kQuirkSegWrap)) (void)cpu.linear(kSs, offset, size);
}

void push_sreg(Cpu& cpu, const DecodedInsn& i, uint8_t seg) {
  const uint16_t sel = cpu.s.seg[seg].selector;
  with_osize(i, [&](auto t) {
    using T = decltype(t);
    if constexpr (sizeof(T) == 2) {
      push<uint16_t>(cpu, sel);
    } else {
      // SDM 2 PUSH: with a 32/64-bit operand size recent processors write
      // the selector with a 16-bit move and leave the slot's top bytes alone.
      const uint64_t mask = addr_mask(stack_size(cpu));
      const uint64_t sp = (read_sp(cpu) - sizeof(T)) & mask;
      check_stack_slot(cpu, sp, sizeof(T));
      cpu.write<uint16_t>(kSs, sp, sel);
      commit_sp(cpu, sp, mask);
    }
  });
}

/// POP into a segment register: SP moves only once the load succeeded.
void pop_sreg(Cpu& cpu, const DecodedInsn& i, uint8_t seg) {
  with_osize(i, [&](auto t) {
    using T = decltype(t);
    const uint64_t mask = addr_mask(stack_size(cpu));
    const uint64_t sp = read_sp(cpu);
    const auto sel = uint16_t(cpu.read<T>(kSs, sp));
    load_data_segment(cpu, seg, sel);
    commit_sp(cpu, sp + sizeof(T), mask);
  });
  segment_load_shadow(cpu, seg);
}

/// FLAGS as PUSHF stores them (16-bit): the 8086 has no bits 12-15 and
/// stores ones; the 286 in real mode stores zeros (IOPL and NT are
/// protected-mode state it cannot hold there).
uint16_t flags16_image(const Cpu& cpu, uint64_t flags) {
  auto f = uint16_t(flags);
  if (cpu.model->quirk(kQuirkFlagsHighSet)) f |= 0xf000;
  else if (cpu.model->quirk(kQuirkFlagsHighClearReal) && cpu.real_mode()) f &= 0x0fff;
  return f;
}

/// The EFLAGS bits a POPF of `osize` bytes may write before the privilege
/// rules: only bits the model has. AC exists from the 486 on and ID with
/// CPUID (which the table ties to the 486 too).
uint64_t popf_bits(const Cpu& cpu, unsigned osize) {
  uint64_t m = kCf | kPf | kAf | kZf | kSf | kTf | kIf | kDf | kOf;
  const bool has_iopl = cpu.model->has(isa::f286) &&
                        !(cpu.model->quirk(kQuirkFlagsHighClearReal) && cpu.real_mode());
  if (has_iopl) m |= kIopl | kNt;
  if (osize >= 4 && cpu.model->has(isa::f486)) m |= kAc | kId;
  return m;
}

/// SDM 2 POPF: which of `bits` survive the current mode and privilege.
/// VM, RF, VIF and VIP are never in `bits`; RF is cleared separately.
/// Raises #GP(0) where the instruction traps; `popped` is the value read.
uint64_t popf_allowed(Cpu& cpu, uint64_t bits, unsigned osize, uint64_t popped) {
  if (cpu.real_mode()) return bits;
  if (!cpu.v86()) {
    if (cpu.s.cpl > 0) bits &= ~uint64_t{kIopl};
    if (cpu.s.cpl > iopl(cpu)) bits &= ~uint64_t{kIf};
    return bits;
  }
  if (iopl(cpu) == 3) return bits & ~uint64_t{kIopl};
  // IOPL < 3 in virtual-8086 mode: a 16-bit POPF with CR4.VME writes VIF
  // instead of IF (SDM 3A §20.3); everything else traps to the monitor.
  if (osize != 2 || !(cpu.s.cr[4] & kCr4Vme)) raise(kVecGp, 0);
  if ((popped & kTf) || ((cpu.s.rflags & kVip) && (popped & kIf))) raise(kVecGp, 0);
  return bits & ~uint64_t{kIopl | kIf};
}

}  // namespace

// ---- segment registers ----
void PUSH_ES(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kEs); }
void PUSH_CS(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kCs); }
void PUSH_SS(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kSs); }
void PUSH_DS(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kDs); }
void PUSH_FS(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kFs); }
void PUSH_GS(Cpu& cpu, const DecodedInsn& insn) { push_sreg(cpu, insn, kGs); }
void POP_ES(Cpu& cpu, const DecodedInsn& insn) { pop_sreg(cpu, insn, kEs); }
void POP_DS(Cpu& cpu, const DecodedInsn& insn) { pop_sreg(cpu, insn, kDs); }
void POP_FS(Cpu& cpu, const DecodedInsn& insn) { pop_sreg(cpu, insn, kFs); }
void POP_GS(Cpu& cpu, const DecodedInsn& insn) { pop_sreg(cpu, insn, kGs); }
void POP_SS(Cpu& cpu, const DecodedInsn& insn) { pop_sreg(cpu, insn, kSs); }

/// 0F on the 8086 is POP CS: a jump to CS:next-IP.
void POP_CS(Cpu& cpu, const DecodedInsn&) {
  cpu.load_real_segment(kCs, pop<uint16_t>(cpu));
  segment_load_shadow(cpu, kCs);
}

// ---- general registers, memory, immediates ----
void PUSH_Zv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    T v = read_gpr<T>(cpu.s, insn.reg);
    // The 8086 decrements SP before reading it; the 286 and later push the
    // value SP had before the instruction (SDM 2 PUSH, IA-32 compatibility).
    if (insn.reg == kRsp && cpu.model->quirk(kQuirkPushSpNew)) v = T(v - sizeof(T));
    push<T>(cpu, v);
  });
}

void POP_Zv(Cpu& cpu, const DecodedInsn& insn) {
  // POP SP: the popped value replaces the incremented SP.
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_gpr<T>(cpu.s, insn.reg, pop<T>(cpu));
  });
}

void PUSH_Ev(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    T v = read_e<T>(cpu, insn);
    if (insn.mod == 3 && insn.rm == kRsp && cpu.model->quirk(kQuirkPushSpNew)) v = T(v - sizeof(T));
    push<T>(cpu, v);
  });
}
void PUSH_Ev_8086(Cpu& cpu, const DecodedInsn& insn) { PUSH_Ev(cpu, insn); }

/// SDM 2 POP: an SP-based destination address is computed with SP already
/// incremented. The 386 and later leave SP unchanged when the store faults;
/// the 286 has already moved it (vectors 80286/8F: #GP at offset FFFF).
void POP_Ev(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const uint64_t mask = addr_mask(stack_size(cpu));
    const uint64_t old_rsp = cpu.s.gpr[kRsp];
    const T v = cpu.read<T>(kSs, read_sp(cpu));
    commit_sp(cpu, read_sp(cpu) + sizeof(T), mask);
    if (insn.mod == 3) {
      write_gpr<T>(cpu.s, insn.rm, v);
      return;
    }
    const uint64_t ea = effective_address(cpu, insn);
    if (cpu.model->has(isa::f386)) {
      const uint64_t new_rsp = cpu.s.gpr[kRsp];
      cpu.s.gpr[kRsp] = old_rsp;
      cpu.write<T>(insn.seg, ea, v);
      cpu.s.gpr[kRsp] = new_rsp;
    } else {
      cpu.write<T>(insn.seg, ea, v);
    }
  });
}
// The 8086 ignores ModRM.reg of 8F: every reg value is POP (vectors 8F).
void POP_Ev_8086(Cpu& cpu, const DecodedInsn& insn) { POP_Ev(cpu, insn); }

void PUSH_Iz(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    push<T>(cpu, T(int64_t(int32_t(uint32_t(insn.imm)))));
  });
}
void PUSH_Ib(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    push<T>(cpu, T(int64_t(int8_t(uint8_t(insn.imm)))));
  });
}

// ---- PUSHA / POPA ----
/// SDM 2 PUSHA: AX CX DX BX (original) SP BP SI DI. The whole frame is
/// checked before anything is stored (vectors 80286/60: a frame crossing
/// offset FFFF faults with nothing written and SP unchanged).
void PUSHA(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const uint64_t mask = addr_mask(stack_size(cpu));
    const uint64_t sp = read_sp(cpu);
    const auto slot = [&](unsigned n) { return (sp - n * sizeof(T)) & mask; };
    for (unsigned n = 1; n <= 8; ++n) check_stack_slot(cpu, slot(n), sizeof(T));
    for (unsigned r = 0; r < 8; ++r) cpu.write<T>(kSs, slot(r + 1), read_gpr<T>(cpu.s, r));
    commit_sp(cpu, slot(8), mask);
  });
}

/// SDM 2 POPA: DI SI BP (skip) BX DX CX AX; registers change only after
/// every read succeeded.
void POPA(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const uint64_t mask = addr_mask(stack_size(cpu));
    const uint64_t sp = read_sp(cpu);
    T v[8];
    for (unsigned n = 0; n < 8; ++n) v[n] = cpu.read<T>(kSs, (sp + n * sizeof(T)) & mask);
    for (unsigned n = 0; n < 8; ++n) {
      if (7 - n != kRsp) write_gpr<T>(cpu.s, 7 - n, v[n]);
    }
    commit_sp(cpu, sp + 8 * sizeof(T), mask);
  });
}

// ---- FLAGS ----
void PUSHF(Cpu& cpu, const DecodedInsn& insn) {
  uint64_t f = read_flags(cpu.s);
  if (cpu.v86() && iopl(cpu) < 3) {
    // SDM 3A §20.3: with CR4.VME a 16-bit PUSHF stores VIF as IF and IOPL 3.
    if (insn.osize != 2 || !(cpu.s.cr[4] & kCr4Vme)) raise(kVecGp, 0);
    f = (f & ~uint64_t{kIf}) | ((f & kVif) ? uint64_t{kIf} : 0) | kIopl;
  }
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    if constexpr (sizeof(T) == 2) {
      push<uint16_t>(cpu, flags16_image(cpu, f));
    } else {
      // VM and RF are stored as zero (SDM 2 PUSHF).
      push<T>(cpu, T(f & ~uint64_t{kVm | kRf}));
    }
  });
}

void POPF(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const uint64_t mask = addr_mask(stack_size(cpu));
    const uint64_t sp = read_sp(cpu);
    const uint64_t v = cpu.read<T>(kSs, sp);
    const uint64_t bits = popf_allowed(cpu, popf_bits(cpu, sizeof(T)), sizeof(T), v);
    commit_sp(cpu, sp + sizeof(T), mask);
    // A VME POPF in virtual-8086 mode moves the popped IF into VIF.
    if (cpu.v86() && iopl(cpu) < 3) {
      cpu.s.rflags = (cpu.s.rflags & ~uint64_t{kVif}) | ((v & kIf) ? uint64_t{kVif} : 0);
    }
    write_flags(cpu.s, v, bits);
    if (sizeof(T) >= 4) cpu.s.rflags &= ~uint64_t{kRf};
    if (cpu.model->quirk(kQuirkFlagsHighSet)) cpu.s.rflags |= 0xf000;
  });
}

/// AH = SF:ZF:0:AF:0:PF:1:CF.
void LAHF(Cpu& cpu, const DecodedInsn&) {
  const uint32_t f = arith_flags(cpu.s) & (kSf | kZf | kAf | kPf | kCf);
  write_reg8(cpu.s, 4, false, uint8_t(f | kFixed1));
}

void SAHF(Cpu& cpu, const DecodedInsn&) {
  const uint32_t ah = uint8_t(cpu.s.gpr[kRax] >> 8);
  const uint32_t keep = arith_flags(cpu.s) & kOf;
  write_arith_flags(cpu.s, keep | (ah & (kSf | kZf | kAf | kPf | kCf)));
}

}  // namespace kestrel::cpu::exec
