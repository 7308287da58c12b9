// SPDX-License-Identifier: MIT
// Native lowerings of ADD OR ADC SBB AND SUB XOR CMP TEST, INC and DEC,
// register and memory forms: the same results, lazy-flags records and
// order of effects (carry read first, flags after the write) as
// cpu/interp/alu.cpp.
#include "jit/frontend/lift_forms.h"

#include <bit>

namespace kestrel::jit::frontend::lift {
namespace {

using cpu::CcOp;
using ir::Op;
using ir::Value;

enum class Alu : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };
/// Where the operands come from (alu.cpp's encoding shapes).
enum class Shape : uint8_t { kEG, kGE, kAccImm, kEImm8s, kEImm };

bool alu(Lifter& l, const cpu::DecodedInsn& i, Alu op, Shape shape, bool byte) {
  const unsigned size = byte ? 1 : i.osize;
  const bool rex = i.rex != 0;
  const bool mem = i.is_mem() && shape != Shape::kAccImm;
  ir::Block& b = l.b;
  if (mem) l.begin_mem();
  // ADC/SBB read CF before anything (alu.cpp to_e: carry_flag first).
  const Value carry = op == Alu::kAdc || op == Alu::kSbb ? l.carry() : ir::kNone;
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const uint64_t m = cpu::size_mask(std::countr_zero(size));
  Value a, v;
  switch (shape) {
    case Shape::kEG:
      a = l.read_e(size, i, addr);
      v = l.read_reg(size, i.reg, rex);
      break;
    case Shape::kGE:
      a = l.read_reg(size, i.reg, rex);
      v = l.read_e(size, i, addr);
      break;
    case Shape::kAccImm:
      a = l.read_reg(size, cpu::kRax, true);
      v = b.konst(byte ? uint8_t(i.imm) : uint64_t(int64_t(int32_t(i.imm))) & m);
      break;
    case Shape::kEImm8s:
      a = l.read_e(size, i, addr);
      v = b.konst(uint64_t(int64_t(int8_t(i.imm))) & m);
      break;
    case Shape::kEImm:
      a = l.read_e(size, i, addr);
      v = b.konst(byte ? uint8_t(i.imm) : uint64_t(int64_t(int32_t(i.imm))) & m);
      break;
  }
  Value r;
  CcOp cc = CcOp::kLogic;
  switch (op) {
    case Alu::kAdd: r = b.emit(Op::kAdd, a, v); cc = CcOp::kAdd; break;
    case Alu::kAdc: r = b.emit(Op::kAdd, b.emit(Op::kAdd, a, v), carry); cc = CcOp::kAdc; break;
    case Alu::kSbb: r = b.emit(Op::kSub, b.emit(Op::kSub, a, v), carry); cc = CcOp::kSbb; break;
    case Alu::kSub: case Alu::kCmp: r = b.emit(Op::kSub, a, v); cc = CcOp::kSub; break;
    case Alu::kOr: r = b.emit(Op::kOr, a, v); break;
    case Alu::kXor: r = b.emit(Op::kXor, a, v); break;
    case Alu::kAnd: case Alu::kTest: r = b.emit(Op::kAnd, a, v); break;
  }
  r = l.zext(r, size);
  // Flags are recorded after the write, so a faulting store leaves them.
  if (op != Alu::kCmp && op != Alu::kTest) {
    if (shape == Shape::kGE) l.write_reg(size, i.reg, rex, r);
    else if (shape == Shape::kAccImm) l.write_reg(size, cpu::kRax, true, r);
    else l.write_e(size, i, addr, r);
  }
  const Value zero = b.konst(0);
  l.set_lazy(cc, size, r, cc == CcOp::kLogic ? zero : v, carry != ir::kNone ? carry : zero);
  if (mem) l.end_mem();
  return true;
}

/// INC/DEC of a register (Zv forms: `reg`) or of the E operand.
bool inc_dec(Lifter& l, const cpu::DecodedInsn& i, bool zv, unsigned size, bool inc) {
  ir::Block& b = l.b;
  const bool mem = !zv && i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const Value cf = l.carry();
  const Value a = zv ? l.read_reg(size, i.reg, i.rex != 0) : l.read_e(size, i, addr);
  const Value r = l.zext(b.emit(inc ? Op::kAdd : Op::kSub, a, b.konst(1)), size);
  if (zv) l.write_reg(size, i.reg, i.rex != 0, r);
  else l.write_e(size, i, addr, r);
  l.set_lazy(inc ? CcOp::kInc : CcOp::kDec, size, r, cf, b.konst(0));
  if (mem) l.end_mem();
  return true;
}

}  // namespace

#define KESTREL_ALU_FORMS(MN, OPV)                                                                  \
  bool MN##_Eb_Gb(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kEG, true); }  \
  bool MN##_Ev_Gv(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kEG, false); } \
  bool MN##_Gb_Eb(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kGE, true); }  \
  bool MN##_Gv_Ev(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kGE, false); } \
  bool MN##_AL_Ib(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kAccImm, true); } \
  bool MN##_rAX_Iz(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kAccImm, false); } \
  bool MN##_Eb_Ib(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kEImm, true); } \
  bool MN##_Ev_Iz(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kEImm, false); } \
  bool MN##_Ev_Ib(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, OPV, Shape::kEImm8s, false); }
KESTREL_ALU_FORMS(ADD, Alu::kAdd)
KESTREL_ALU_FORMS(OR, Alu::kOr)
KESTREL_ALU_FORMS(ADC, Alu::kAdc)
KESTREL_ALU_FORMS(SBB, Alu::kSbb)
KESTREL_ALU_FORMS(AND, Alu::kAnd)
KESTREL_ALU_FORMS(SUB, Alu::kSub)
KESTREL_ALU_FORMS(XOR, Alu::kXor)
KESTREL_ALU_FORMS(CMP, Alu::kCmp)
#undef KESTREL_ALU_FORMS

bool TEST_Eb_Gb(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kEG, true); }
bool TEST_Ev_Gv(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kEG, false); }
bool TEST_AL_Ib(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kAccImm, true); }
bool TEST_rAX_Iz(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kAccImm, false); }
bool TEST_Eb_Ib_grp3(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kEImm, true); }
bool TEST_Ev_Iz_grp3(Lifter& l, const cpu::DecodedInsn& i) { return alu(l, i, Alu::kTest, Shape::kEImm, false); }

bool INC_Zv(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, true, i.osize, true); }
bool DEC_Zv(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, true, i.osize, false); }
bool INC_Eb(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, false, 1, true); }
bool DEC_Eb(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, false, 1, false); }
bool INC_Ev(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, false, i.osize, true); }
bool DEC_Ev(Lifter& l, const cpu::DecodedInsn& i) { return inc_dec(l, i, false, i.osize, false); }

}  // namespace kestrel::jit::frontend::lift
