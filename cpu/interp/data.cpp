// SPDX-License-Identifier: MIT
// Data movement: MOV in all its forms (segment registers included), XCHG,
// LEA, the far-pointer loads, MOVZX/MOVSX, CBW/CWD, XLAT, CMOVcc, SETcc,
// MOVSXD, CMPXCHG, XADD, CMPXCHG8B/16B and BSWAP. The stack lives in stack.cpp and
// descriptor loads behind cpu/interp/segment_load.h.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/interp/segment_load.h"

namespace kestrel::cpu::exec {
namespace {

/// The segment register in ModRM.reg of 8C/8E. The 8086 decodes two bits
/// (4-7 alias ES, CS, SS, DS); the 286 has four registers and the 386 six;
/// the rest are #UD. REX.R is ignored.
uint8_t sreg_operand(const Cpu& cpu, const DecodedInsn& i) {
  const unsigned r = i.reg & 7;
  if (cpu.model->has(isa::fOnly8086)) return uint8_t(r & 3);
  const unsigned count = cpu.model->has(isa::f386) ? 6 : 4;
  if (r >= count) raise(kVecUd);
  return uint8_t(r);
}

/// The accumulator (AL, AX, EAX, RAX) of size T.
template <class T> T read_acc(const CpuState& s) { return T(s.gpr[kRax]); }
template <class T> void write_acc(CpuState& s, T v) {
  if constexpr (sizeof(T) == 1) write_reg8(s, kRax, false, v);
  else write_gpr<T>(s, kRax, v);
}

template <class T> void write_z(Cpu& cpu, const DecodedInsn& i, T v) {
  if constexpr (sizeof(T) == 1) write_reg8(cpu.s, i.reg, i.rex, v);
  else write_gpr<T>(cpu.s, i.reg, v);
}

/// LES, LDS, LSS, LFS, LGS: offset then selector from memory; the segment
/// load may fault, so the register is written last.
void load_far_pointer(Cpu& cpu, const DecodedInsn& i, uint8_t seg) {
  with_osize(i, [&](auto t) {
    using T = decltype(t);
    const uint64_t ea = effective_address(cpu, i);
    const T offset = cpu.read<T>(i.seg, ea);
    const auto sel = cpu.read<uint16_t>(i.seg, (ea + sizeof(T)) & addr_mask(i.asize));
    load_data_segment(cpu, seg, sel);
    write_gpr<T>(cpu.s, i.reg, offset);
  });
}

void cmov(Cpu& cpu, const DecodedInsn& i, unsigned cc) {
  with_osize(i, [&](auto t) {
    using T = decltype(t);
    // The source is read (and may fault) whatever the condition; a 32-bit
    // destination is zero-extended even when nothing moves (SDM 2 CMOVcc).
    const T v = read_e<T>(cpu, i);
    write_gpr<T>(cpu.s, i.reg, test_cc(cpu.s, cc) ? v : read_gpr<T>(cpu.s, i.reg));
  });
}

void setcc(Cpu& cpu, const DecodedInsn& i, unsigned cc) {
  write_e<uint8_t>(cpu, i, test_cc(cpu.s, cc) ? 1 : 0);
}

template <class T> void xchg(Cpu& cpu, const DecodedInsn& i) {
  const T g = read_g<T>(cpu, i);
  T old{};
  modify_e<T>(cpu, i, [&](T e) {
    old = e;
    return g;
  });
  write_g<T>(cpu, i, old);
}

/// SDM 2 CMPXCHG: TEMP <- DEST; compare with the accumulator; DEST gets SRC
/// or TEMP back, the accumulator gets TEMP on a mismatch. Flags as CMP
/// accumulator, TEMP. A memory destination is always written (locked
/// read-modify-write); a register destination only on a match, so on a
/// mismatch a 32-bit one keeps its upper half in 64-bit mode (as Intel and
/// AMD parts do) and only the accumulator is zero-extended.
template <class T> void cmpxchg(Cpu& cpu, const DecodedInsn& i) {
  const T acc = read_acc<T>(cpu.s);
  const T src = read_g<T>(cpu, i);
  T dest{};
  if (i.is_mem()) {
    modify_e<T>(cpu, i, [&](T e) {
      dest = e;
      return e == acc ? src : e;
    });
  } else {
    dest = read_e<T>(cpu, i);
    if (dest == acc) write_e<T>(cpu, i, src);
  }
  if (dest != acc) write_acc<T>(cpu.s, dest);
  set_lazy(cpu.s, CcOp::kSub, sizeof(T), T(acc - dest), dest);
}

/// SDM 2 XADD: TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP (so with one
/// register as both operands the sum wins).
template <class T> void xadd(Cpu& cpu, const DecodedInsn& i) {
  const T src = read_g<T>(cpu, i);
  T dest{};
  modify_e<T>(cpu, i, [&](T e) {
    dest = e;
    return T(e + src);
  });
  write_g<T>(cpu, i, dest);
  if (i.mod == 3) write_e<T>(cpu, i, T(dest + src));
  set_lazy(cpu.s, CcOp::kAdd, sizeof(T), T(dest + src), src);
}

}  // namespace

// ---- MOV ----
void MOV_Eb_Gb(Cpu& cpu, const DecodedInsn& insn) {
  write_e<uint8_t>(cpu, insn, read_g<uint8_t>(cpu, insn));
}
void MOV_Ev_Gv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_e<T>(cpu, insn, read_g<T>(cpu, insn));
  });
}
void MOV_Gb_Eb(Cpu& cpu, const DecodedInsn& insn) {
  write_g<uint8_t>(cpu, insn, read_e<uint8_t>(cpu, insn));
}
void MOV_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_g<T>(cpu, insn, read_e<T>(cpu, insn));
  });
}

void MOV_Ev_Sw(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t sel = cpu.s.seg[sreg_operand(cpu, insn)].selector;
  if (insn.is_mem()) {
    cpu.write<uint16_t>(insn.seg, effective_address(cpu, insn), sel);
    return;
  }
  // A 32/64-bit register destination receives the selector zero-extended
  // (SDM 2 MOV: what P6 and later do; the 386/486 left the top undefined).
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_gpr<T>(cpu.s, insn.rm, T(sel));
  });
}

void MOV_Sw_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t seg = sreg_operand(cpu, insn);
  // MOV CS is #UD from the 286 on; the 8086 loads CS like a jump.
  if (seg == kCs && !cpu.model->has(isa::fOnly8086)) raise(kVecUd);
  const uint16_t sel = read_e<uint16_t>(cpu, insn);
  if (seg == kCs) cpu.load_real_segment(kCs, sel);
  else load_data_segment(cpu, seg, sel);
  segment_load_shadow(cpu, seg);
}

void MOV_AL_Ob(Cpu& cpu, const DecodedInsn& insn) {
  write_acc<uint8_t>(cpu.s, cpu.read<uint8_t>(insn.seg, insn.imm & addr_mask(insn.asize)));
}
void MOV_rAX_Ov(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_acc<T>(cpu.s, cpu.read<T>(insn.seg, insn.imm & addr_mask(insn.asize)));
  });
}
void MOV_Ob_AL(Cpu& cpu, const DecodedInsn& insn) {
  cpu.write<uint8_t>(insn.seg, insn.imm & addr_mask(insn.asize), uint8_t(cpu.s.gpr[kRax]));
}
void MOV_Ov_rAX(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    cpu.write<T>(insn.seg, insn.imm & addr_mask(insn.asize), read_acc<T>(cpu.s));
  });
}

void MOV_Zb_Ib(Cpu& cpu, const DecodedInsn& insn) { write_z<uint8_t>(cpu, insn, uint8_t(insn.imm)); }
void MOV_Zv_Iv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_z<T>(cpu, insn, T(insn.imm));
  });
}
void MOV_Eb_Ib(Cpu& cpu, const DecodedInsn& insn) { write_e<uint8_t>(cpu, insn, uint8_t(insn.imm)); }
void MOV_Ev_Iz(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_e<T>(cpu, insn, T(int64_t(int32_t(uint32_t(insn.imm)))));
  });
}
// The 8086 ignores ModRM.reg of C6/C7: every reg value is MOV (vectors C6, C7).
void MOV_Eb_Ib_8086(Cpu& cpu, const DecodedInsn& insn) { MOV_Eb_Ib(cpu, insn); }
void MOV_Ev_Iz_8086(Cpu& cpu, const DecodedInsn& insn) { MOV_Ev_Iz(cpu, insn); }

// ---- XCHG, NOP ----
void XCHG_Eb_Gb(Cpu& cpu, const DecodedInsn& insn) { xchg<uint8_t>(cpu, insn); }
void XCHG_Ev_Gv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) { xchg<decltype(t)>(cpu, insn); });
}
void XCHG_Zv_rAX(Cpu& cpu, const DecodedInsn& insn) {
  // 90 is NOP even with a 32-bit operand in 64-bit mode: RAX keeps its top.
  if (insn.reg == kRax) return;
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const T a = read_gpr<T>(cpu.s, kRax);
    write_gpr<T>(cpu.s, kRax, read_gpr<T>(cpu.s, insn.reg));
    write_gpr<T>(cpu.s, insn.reg, a);
  });
}
void NOP(Cpu&, const DecodedInsn&) {}
void PAUSE(Cpu&, const DecodedInsn&) {}

// ---- LEA and far pointers ----
void LEA_Gv_M(Cpu& cpu, const DecodedInsn& insn) {
  // The address is computed at the address size, then truncated or
  // zero-extended to the operand size (SDM 2 LEA, table 3-54).
  const uint64_t ea = effective_address(cpu, insn);
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_gpr<T>(cpu.s, insn.reg, T(ea));
  });
}

// The 8086 accepts register operands for LEA, LES and LDS: they use an
// internal address latch left over from an earlier instruction, which no
// documented state holds and the conformance vectors do not cover.
// Kestrel's choice: the register forms change nothing.
void LEA_Gv_M_8086(Cpu&, const DecodedInsn&) {}
void LES_Gz_Mp_8086(Cpu&, const DecodedInsn&) {}
void LDS_Gz_Mp_8086(Cpu&, const DecodedInsn&) {}

void LES_Gz_Mp(Cpu& cpu, const DecodedInsn& insn) { load_far_pointer(cpu, insn, kEs); }
void LDS_Gz_Mp(Cpu& cpu, const DecodedInsn& insn) { load_far_pointer(cpu, insn, kDs); }
// LSS does not inhibit interrupts (SDM 3A §6.8.3 names MOV SS and POP SS only).
void LSS_Gz_Mp(Cpu& cpu, const DecodedInsn& insn) { load_far_pointer(cpu, insn, kSs); }
void LFS_Gz_Mp(Cpu& cpu, const DecodedInsn& insn) { load_far_pointer(cpu, insn, kFs); }
void LGS_Gz_Mp(Cpu& cpu, const DecodedInsn& insn) { load_far_pointer(cpu, insn, kGs); }

// ---- widening moves ----
void MOVZX_Gv_Eb(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t v = read_e<uint8_t>(cpu, insn);
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.reg, v); });
}
void MOVZX_Gv_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t v = read_e<uint16_t>(cpu, insn);
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.reg, decltype(t)(v)); });
}
void MOVSX_Gv_Eb(Cpu& cpu, const DecodedInsn& insn) {
  const int64_t v = int8_t(read_e<uint8_t>(cpu, insn));
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.reg, decltype(t)(v)); });
}
void MOVSX_Gv_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const int64_t v = int16_t(read_e<uint16_t>(cpu, insn));
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.reg, decltype(t)(v)); });
}
/// SDM 2 MOVSXD (64-bit mode only): sign-extends a doubleword with REX.W;
/// without it, a plain 32-bit (zero-extending) or 16-bit move.
void MOVSXD_Gv_Ed(Cpu& cpu, const DecodedInsn& insn) {
  switch (insn.osize) {
    case 2: write_g<uint16_t>(cpu, insn, read_e<uint16_t>(cpu, insn)); break;
    case 4: write_g<uint32_t>(cpu, insn, read_e<uint32_t>(cpu, insn)); break;
    default: write_g<uint64_t>(cpu, insn, uint64_t(int64_t(int32_t(read_e<uint32_t>(cpu, insn))))); break;
  }
}

/// CBW / CWDE / CDQE by operand size.
void CBW(Cpu& cpu, const DecodedInsn& insn) {
  CpuState& s = cpu.s;
  switch (insn.osize) {
    case 2: write_gpr<uint16_t>(s, kRax, uint16_t(int8_t(s.gpr[kRax]))); break;
    case 4: write_gpr<uint32_t>(s, kRax, uint32_t(int16_t(s.gpr[kRax]))); break;
    default: s.gpr[kRax] = uint64_t(int64_t(int32_t(s.gpr[kRax]))); break;
  }
}

/// CWD / CDQ / CQO: rDX gets copies of rAX's sign bit.
void CWD(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const T sign = T(1) << (8 * sizeof(T) - 1);
    write_gpr<T>(cpu.s, kRdx, read_gpr<T>(cpu.s, kRax) & sign ? T(~T(0)) : T(0));
  });
}

void XLAT(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t off = (cpu.s.gpr[kRbx] + uint8_t(cpu.s.gpr[kRax])) & addr_mask(insn.asize);
  write_acc<uint8_t>(cpu.s, cpu.read<uint8_t>(insn.seg, off));
}

// ---- CMOVcc (the condition is the opcode's low nibble) ----
void CMOVO_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x0); }
void CMOVNO_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x1); }
void CMOVB_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x2); }
void CMOVAE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x3); }
void CMOVE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x4); }
void CMOVNE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x5); }
void CMOVBE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x6); }
void CMOVA_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x7); }
void CMOVS_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x8); }
void CMOVNS_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0x9); }
void CMOVP_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xA); }
void CMOVNP_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xB); }
void CMOVL_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xC); }
void CMOVGE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xD); }
void CMOVLE_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xE); }
void CMOVG_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) { cmov(cpu, insn, 0xF); }

// ---- SETcc ----
void SETO_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x0); }
void SETNO_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x1); }
void SETB_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x2); }
void SETAE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x3); }
void SETE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x4); }
void SETNE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x5); }
void SETBE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x6); }
void SETA_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x7); }
void SETS_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x8); }
void SETNS_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0x9); }
void SETP_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xA); }
void SETNP_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xB); }
void SETL_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xC); }
void SETGE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xD); }
void SETLE_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xE); }
void SETG_Eb(Cpu& cpu, const DecodedInsn& insn) { setcc(cpu, insn, 0xF); }

// ---- 486 and Pentium atomics ----
void CMPXCHG_Eb_Gb(Cpu& cpu, const DecodedInsn& insn) { cmpxchg<uint8_t>(cpu, insn); }
void CMPXCHG_Ev_Gv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) { cmpxchg<decltype(t)>(cpu, insn); });
}
void XADD_Eb_Gb(Cpu& cpu, const DecodedInsn& insn) { xadd<uint8_t>(cpu, insn); }
void XADD_Ev_Gv(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) { xadd<decltype(t)>(cpu, insn); });
}

/// SDM 2 CMPXCHG8B: EDX:EAX against m64; ZF alone is written. The memory
/// operand is written either way (locked read-modify-write).
void CMPXCHG8B_Mq(Cpu& cpu, const DecodedInsn& insn) {
  // With REX.W this is CMPXCHG16B, a row of its own on models with fCx16.
  if (insn.osize == 8) raise(kVecUd);
  CpuState& s = cpu.s;
  const uint64_t ea = effective_address(cpu, insn);
  const uint64_t old = cpu.read<uint64_t>(insn.seg, ea);
  const uint64_t expect = uint64_t(uint32_t(s.gpr[kRdx])) << 32 | uint32_t(s.gpr[kRax]);
  const bool equal = old == expect;
  const uint64_t repl = uint64_t(uint32_t(s.gpr[kRcx])) << 32 | uint32_t(s.gpr[kRbx]);
  cpu.write<uint64_t>(insn.seg, ea, equal ? repl : old);
  if (!equal) {
    write_gpr<uint32_t>(s, kRax, uint32_t(old));
    write_gpr<uint32_t>(s, kRdx, uint32_t(old >> 32));
  }
  const uint32_t f = arith_flags(s);
  write_arith_flags(s, equal ? f | kZf : f & ~uint32_t{kZf});
}

/// SDM 2 CMPXCHG16B: RDX:RAX against m128, which must be 16-byte aligned
/// (#GP(0) otherwise); ZF alone is written. The memory operand is written
/// either way; being aligned, both halves are in one page, so the second
/// write cannot fault after the first.
void CMPXCHG16B_Mdq(Cpu& cpu, const DecodedInsn& insn) {
  CpuState& s = cpu.s;
  const uint64_t ea = effective_address(cpu, insn);
  if ((s.seg[insn.seg].base + ea) & 15) raise(kVecGp, 0);
  const uint64_t lo = cpu.read<uint64_t>(insn.seg, ea);
  const uint64_t hi = cpu.read<uint64_t>(insn.seg, ea + 8);
  const bool equal = lo == s.gpr[kRax] && hi == s.gpr[kRdx];
  cpu.write<uint64_t>(insn.seg, ea, equal ? s.gpr[kRbx] : lo);
  cpu.write<uint64_t>(insn.seg, ea + 8, equal ? s.gpr[kRcx] : hi);
  if (!equal) {
    s.gpr[kRax] = lo;
    s.gpr[kRdx] = hi;
  }
  const uint32_t f = arith_flags(s);
  write_arith_flags(s, equal ? f | kZf : f & ~uint32_t{kZf});
}

void BSWAP_Zv(Cpu& cpu, const DecodedInsn& insn) {
  CpuState& s = cpu.s;
  switch (insn.osize) {
    // SDM 2 BSWAP leaves the 16-bit form undefined; Intel and AMD parts
    // clear the low word, and so does Kestrel.
    case 2: write_gpr<uint16_t>(s, insn.reg, 0); break;
    case 4: write_gpr<uint32_t>(s, insn.reg, __builtin_bswap32(uint32_t(s.gpr[insn.reg]))); break;
    default: s.gpr[insn.reg] = __builtin_bswap64(s.gpr[insn.reg]); break;
  }
}

}  // namespace kestrel::cpu::exec
