// SPDX-License-Identifier: MIT
// Native lowerings of the frequent forms outside the ALU and data-move
// groups: IMUL Gv,Ev(,imm), CMOVcc, SETcc, NOT, NEG, XCHG, CBW/CWD and
// MOVSXD, with the results, flags and order of effects of their handlers
// in cpu/interp/ (muldiv.cpp, data.cpp, alu.cpp).
#include "jit/frontend/lift_forms.h"

#include <bit>

namespace kestrel::jit::frontend::lift {
namespace {

using cpu::CcOp;
using ir::Op;
using ir::Value;

uint64_t mask_of(unsigned size) { return cpu::size_mask(unsigned(std::countr_zero(size))); }

/// Two- and three-operand IMUL (muldiv.cpp imul_to_g): G = the truncated
/// product; CF = OF = it overflowed; S, Z, P of the result, A clear.
bool imul(Lifter& l, const cpu::DecodedInsn& i, bool has_imm, uint64_t imm) {
  if (l.facts.mul_8086_flags) return false;
  ir::Block& b = l.b;
  const unsigned size = i.osize;
  const bool rex = i.rex != 0;
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  Value x, y;
  if (has_imm) {
    x = l.read_e(size, i, addr);
    y = b.konst(imm & mask_of(size));
  } else {
    x = l.read_reg(size, i.reg, rex);
    y = l.read_e(size, i, addr);
  }
  const Value lo = l.zext(b.emit(Op::kMul, x, y), size);
  const Value of = b.emit(Op::kMulOf, x, y, size);
  l.write_reg(size, i.reg, rex, lo);
  l.set_lazy(cpu::CcOp::kCfOf, size, lo, b.emit(Op::kOr, of, b.emit(Op::kShl, of, ir::kNone, 1)), b.konst(0));
  if (mem) l.end_mem();
  return true;
}

/// CMOVcc: the source is read (and may fault) whatever the condition, and
/// a 32-bit destination is written (zero-extended) even when nothing moves.
bool cmov(Lifter& l, const cpu::DecodedInsn& i, unsigned cc) {
  ir::Block& b = l.b;
  const unsigned size = i.osize;
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const Value v = l.read_e(size, i, addr);
  const Value c = l.cond(cc);
  const Value old = l.read_reg(size, i.reg, true);
  const Value r = b.select(c, v, old);
  l.write_reg(size, i.reg, true, r);
  if (mem) l.end_mem();
  return true;
}

bool setcc(Lifter& l, const cpu::DecodedInsn& i, unsigned cc) {
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  l.write_e(1, i, addr, l.cond(cc));
  if (mem) l.end_mem();
  return true;
}

/// NOT (no flags) and NEG (alu.cpp neg_e: the SUB record of 0 - operand).
bool not_neg(Lifter& l, const cpu::DecodedInsn& i, unsigned size, bool neg) {
  ir::Block& b = l.b;
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const Value a = l.read_e(size, i, addr);
  const Value r = neg ? l.zext(b.emit(Op::kSub, b.konst(0), a), size)
                      : b.emit(Op::kXor, a, b.konst(mask_of(size)));
  l.write_e(size, i, addr, r);
  if (neg) l.set_lazy(CcOp::kSub, size, r, a, b.konst(0));
  if (mem) l.end_mem();
  return true;
}

/// XCHG E, G (data.cpp xchg): G is read, E is read and written, then G.
bool xchg(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  const bool rex = i.rex != 0;
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const Value g = l.read_reg(size, i.reg, rex);
  const Value e = l.read_e(size, i, addr);
  l.write_e(size, i, addr, g);
  l.write_reg(size, i.reg, rex, e);
  if (mem) l.end_mem();
  return true;
}

}  // namespace

bool IMUL_Gv_Ev(Lifter& l, const cpu::DecodedInsn& i) { return imul(l, i, false, 0); }
bool IMUL_Gv_Ev_Iz(Lifter& l, const cpu::DecodedInsn& i) {
  return imul(l, i, true, uint64_t(int64_t(int32_t(uint32_t(i.imm)))));
}
bool IMUL_Gv_Ev_Ib(Lifter& l, const cpu::DecodedInsn& i) {
  return imul(l, i, true, uint64_t(int64_t(int8_t(i.imm))));
}

#define KESTREL_CC_FORMS(CC, N)                                                                \
  bool CMOV##CC##_Gv_Ev(Lifter& l, const cpu::DecodedInsn& i) { return cmov(l, i, N); }       \
  bool SET##CC##_Eb(Lifter& l, const cpu::DecodedInsn& i) { return setcc(l, i, N); }
KESTREL_CC_FORMS(O, 0x0) KESTREL_CC_FORMS(NO, 0x1) KESTREL_CC_FORMS(B, 0x2) KESTREL_CC_FORMS(AE, 0x3)
KESTREL_CC_FORMS(E, 0x4) KESTREL_CC_FORMS(NE, 0x5) KESTREL_CC_FORMS(BE, 0x6) KESTREL_CC_FORMS(A, 0x7)
KESTREL_CC_FORMS(S, 0x8) KESTREL_CC_FORMS(NS, 0x9) KESTREL_CC_FORMS(P, 0xa) KESTREL_CC_FORMS(NP, 0xb)
KESTREL_CC_FORMS(L, 0xc) KESTREL_CC_FORMS(GE, 0xd) KESTREL_CC_FORMS(LE, 0xe) KESTREL_CC_FORMS(G, 0xf)
#undef KESTREL_CC_FORMS

bool NOT_Eb(Lifter& l, const cpu::DecodedInsn& i) { return not_neg(l, i, 1, false); }
bool NOT_Ev(Lifter& l, const cpu::DecodedInsn& i) { return not_neg(l, i, i.osize, false); }
bool NEG_Eb(Lifter& l, const cpu::DecodedInsn& i) { return not_neg(l, i, 1, true); }
bool NEG_Ev(Lifter& l, const cpu::DecodedInsn& i) { return not_neg(l, i, i.osize, true); }

bool XCHG_Eb_Gb(Lifter& l, const cpu::DecodedInsn& i) { return xchg(l, i, 1); }
bool XCHG_Ev_Gv(Lifter& l, const cpu::DecodedInsn& i) { return xchg(l, i, i.osize); }
/// 90 with rAX itself is NOP: RAX keeps its upper half even at 32 bits.
bool XCHG_Zv_rAX(Lifter& l, const cpu::DecodedInsn& i) {
  if (i.reg == cpu::kRax) return true;
  const Value a = l.read_reg(i.osize, cpu::kRax, true);
  const Value r = l.read_reg(i.osize, i.reg, true);
  l.write_reg(i.osize, cpu::kRax, true, r);
  l.write_reg(i.osize, i.reg, true, a);
  return true;
}

/// CBW / CWDE / CDQE: rAX = the sign extension of its lower half.
bool CBW(Lifter& l, const cpu::DecodedInsn& i) {
  const unsigned half = i.osize / 2;
  l.write_reg(i.osize, cpu::kRax, true, l.sext(l.read_reg(half, cpu::kRax, true), half));
  return true;
}

/// CWD / CDQ / CQO: rDX = copies of rAX's sign bit.
bool CWD(Lifter& l, const cpu::DecodedInsn& i) {
  ir::Block& b = l.b;
  const unsigned size = i.osize;
  const Value a = l.read_reg(size, cpu::kRax, true);
  const Value sign = b.emit(Op::kAnd, b.emit(Op::kShr, a, ir::kNone, 8 * size - 1), b.konst(1));
  l.write_reg(size, cpu::kRdx, true, l.zext(b.emit(Op::kSub, b.konst(0), sign), size));
  return true;
}

/// MOVSXD: sign-extends a doubleword with REX.W, else a plain move.
bool MOVSXD_Gv_Ed(Lifter& l, const cpu::DecodedInsn& i) {
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const unsigned from = i.osize == 2 ? 2 : 4;
  Value v = l.read_e(from, i, addr);
  if (i.osize == 8) v = l.sext(v, 4);
  l.write_reg(i.osize, i.reg, true, v);
  if (mem) l.end_mem();
  return true;
}

}  // namespace kestrel::jit::frontend::lift
