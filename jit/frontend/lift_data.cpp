// SPDX-License-Identifier: MIT
// Native lowerings of MOV (Sreg reads too), MOVZX/MOVSX, LEA, NOPs and
// hints, PUSH/POP of a register, PUSH imm, LEAVE, and the direct near
// branches (JMP rel, Jcc rel, CALL rel) with their
// conditions computed inline when the block itself set the flags
// (cpu/interp/data.cpp, stack.cpp and control.cpp are the reference).
#include "jit/frontend/lift_forms.h"

#include <bit>

#include "cpu/state.h"

namespace kestrel::jit::frontend::lift {
namespace {

using cpu::CcOp;
using ir::Cond;
using ir::Op;
using ir::Value;

bool mov(Lifter& l, const cpu::DecodedInsn& i, bool to_g, unsigned size) {
  const bool rex = i.rex != 0;
  if (i.is_mem()) l.begin_mem();
  const Value addr = i.is_mem() ? l.ea(i) : ir::kNone;
  if (to_g) {
    l.write_reg(size, i.reg, rex, l.read_e(size, i, addr));
  } else {
    l.write_e(size, i, addr, l.read_reg(size, i.reg, rex));
  }
  if (i.is_mem()) l.end_mem();
  return true;
}

bool mov_imm(Lifter& l, const cpu::DecodedInsn& i, unsigned size, uint64_t v) {
  if (i.is_mem()) l.begin_mem();
  const Value addr = i.is_mem() ? l.ea(i) : ir::kNone;
  l.write_e(size, i, addr, l.b.konst(v));
  if (i.is_mem()) l.end_mem();
  return true;
}

bool extend(Lifter& l, const cpu::DecodedInsn& i, unsigned from, bool sign) {
  if (i.is_mem()) l.begin_mem();
  const Value addr = i.is_mem() ? l.ea(i) : ir::kNone;
  Value v = l.read_e(from, i, addr);
  if (sign) v = l.sext(v, from);
  l.write_reg(i.osize, i.reg, i.rex != 0, l.zext(v, i.osize));
  if (i.is_mem()) l.end_mem();
  return true;
}

/// Pushes `v` (size bytes): the write first, SP only once it landed.
void push(Lifter& l, unsigned size, Value v) {
  ir::Block& b = l.b;
  const Value sp = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRsp);
  const Value nsp = l.zext(b.emit(Op::kSub, sp, b.konst(size)), l.stack_size());
  l.store(size, cpu::kSs, nsp, v);
  l.write_sp(nsp);
}

/// The sign bit of a `size`-byte value, as 0/1.
Value sign_of(Lifter& l, Value v, unsigned size) {
  return l.b.emit(Op::kZext, l.b.emit(Op::kShr, v, ir::kNone, 8 * size - 1), ir::kNone, 1);
}

/// CF, ZF, SF, OF (0/1) of the ADD, INC, DEC and SHIFT records (cpu/flags.h)
/// and of eagerly written flags (dst holds the arithmetic bits).
struct FlagBits {
  Lifter& l;
  Value bit(Value v, unsigned n) {
    return l.b.emit(Op::kAnd, n ? l.b.emit(Op::kShr, v, ir::kNone, n) : v, l.b.konst(1));
  }
  Value eq(Value x, uint64_t c) { return l.b.emit(Op::kCmp, x, l.b.konst(c), unsigned(Cond::kEq)); }
  Value cf() {
    const auto& f = l.flags;
    switch (f.op) {
      case CcOp::kAdd: return l.b.emit(Op::kCmp, f.dst, f.src, unsigned(Cond::kUlt));
      case CcOp::kInc: case CcOp::kDec: return f.src;
      case CcOp::kCfOf: return bit(f.src, 0);
      default: return bit(f.dst, 0);
    }
  }
  Value zf() { return l.flags.op == CcOp::kEflags ? bit(l.flags.dst, 6) : eq(l.flags.dst, 0); }
  Value sf() {
    return l.flags.op == CcOp::kEflags ? bit(l.flags.dst, 7) : sign_of(l, l.flags.dst, l.flags.size);
  }
  Value of() {
    const auto& f = l.flags;
    const uint64_t sign = uint64_t{1} << (8 * f.size - 1);
    switch (f.op) {
      case CcOp::kAdd: {
        // Overflow when both operands have the sign the result lacks.
        const Value a = l.b.emit(Op::kSub, f.dst, f.src);
        const Value x = l.b.emit(Op::kAnd, l.b.emit(Op::kXor, a, f.dst), l.b.emit(Op::kXor, f.src, f.dst));
        return sign_of(l, x, f.size);
      }
      case CcOp::kInc: return eq(f.dst, sign);
      case CcOp::kDec: return eq(f.dst, sign - 1);
      case CcOp::kCfOf: return bit(f.src, 1);
      default: return bit(f.dst, 11);
    }
  }
};

/// Condition base `base` (even cc) for the records FlagBits decodes.
Value generic_cc(Lifter& l, unsigned base) {
  const CcOp op = l.flags.op;
  if (op != CcOp::kAdd && op != CcOp::kInc && op != CcOp::kDec && op != CcOp::kCfOf &&
      op != CcOp::kEflags) {
    return ir::kNone;
  }
  ir::Block& b = l.b;
  FlagBits f{l};
  switch (base) {
    case 0x0: return f.of();
    case 0x2: return f.cf();
    case 0x4: return f.zf();
    case 0x6: return b.emit(Op::kOr, f.cf(), f.zf());
    case 0x8: return f.sf();
    case 0xa: return op == CcOp::kEflags ? f.bit(l.flags.dst, 2) : ir::kNone;
    case 0xc: return b.emit(Op::kXor, f.sf(), f.of());
    case 0xe: return b.emit(Op::kOr, f.zf(), b.emit(Op::kXor, f.sf(), f.of()));
    default: return ir::kNone;
  }
}

/// Condition `cc` from the flags record the block wrote, or kNone when it
/// needs the general decoder (cpu::test_cc).
Value inline_cc(Lifter& l, unsigned cc) {
  if (!l.flags.known) return ir::kNone;
  ir::Block& b = l.b;
  const auto& f = l.flags;
  const unsigned base = cc & ~1u;
  Value r = ir::kNone;
  const Value zero = b.konst(0);
  if (f.op == CcOp::kSub) {
    // dst = a - src: a = dst + src (the CMP operands).
    const Value a = l.zext(b.emit(Op::kAdd, f.dst, f.src), f.size);
    switch (base) {
      case 0x2: r = b.emit(Op::kCmp, a, f.src, unsigned(Cond::kUlt)); break;
      case 0x4: r = b.emit(Op::kCmp, f.dst, zero, unsigned(Cond::kEq)); break;
      case 0x6: r = b.emit(Op::kCmp, a, f.src, unsigned(Cond::kUle)); break;
      case 0x8: r = sign_of(l, f.dst, f.size); break;
      case 0xc: r = b.emit(Op::kCmp, l.sext(a, f.size), l.sext(f.src, f.size), unsigned(Cond::kSlt)); break;
      case 0xe: r = b.emit(Op::kCmp, l.sext(a, f.size), l.sext(f.src, f.size), unsigned(Cond::kSle)); break;
      default: return ir::kNone;
    }
  } else if (f.op == CcOp::kLogic) {
    // CF = OF = 0.
    switch (base) {
      case 0x0: case 0x2: r = zero; break;
      case 0x4: case 0x6: r = b.emit(Op::kCmp, f.dst, zero, unsigned(Cond::kEq)); break;
      case 0x8: case 0xc: r = sign_of(l, f.dst, f.size); break;
      case 0xe: r = b.emit(Op::kOr, b.emit(Op::kCmp, f.dst, zero, unsigned(Cond::kEq)), sign_of(l, f.dst, f.size)); break;
      default: return ir::kNone;
    }
  } else {
    r = generic_cc(l, base);
    if (r == ir::kNone) return ir::kNone;
  }
  return cc & 1 ? b.emit(Op::kXor, r, b.konst(1)) : r;
}

bool jcc(Lifter& l, const cpu::DecodedInsn& i, unsigned cc) {
  const uint64_t target = (l.next + i.imm) & (i.osize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i.osize)) - 1);
  if (!l.target_ok(target)) return false;
  l.sync_icount(1);  // first: the compare then sits right before its branch
  const Value c = l.cond(cc);
  l.b.emit(Op::kExitIf, c, ir::kNone, target);
  l.b.emit(Op::kExit, ir::kNone, ir::kNone, l.next);
  l.uncounted = uint32_t(-1);  // the driver's increment brings it back to 0
  return true;
}

bool jmp(Lifter& l, const cpu::DecodedInsn& i) {
  const uint64_t target = (l.next + i.imm) & (i.osize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i.osize)) - 1);
  if (!l.target_ok(target)) return false;
  l.sync_icount(1);
  l.b.emit(Op::kExit, ir::kNone, ir::kNone, target);
  l.uncounted = uint32_t(-1);
  return true;
}

/// The stack slot at register `from` (rSP for POP, rBP for LEAVE, at the
/// stack's width) read, then SP past it, then register `to` (POP SP keeps
/// the value read); a faulting read changes neither register.
bool pop_from(Lifter& l, unsigned size, unsigned from, unsigned to) {
  ir::Block& b = l.b;
  l.begin_mem();
  const Value sp = l.zext(b.emit(Op::kLdGpr, ir::kNone, ir::kNone, from), l.stack_size());
  const Value v = l.load(size, cpu::kSs, sp);
  l.write_sp(l.zext(b.emit(Op::kAdd, sp, b.konst(size)), l.stack_size()));
  l.write_reg(size, to, true, v);
  l.end_mem();
  return true;
}

}  // namespace

bool MOV_Eb_Gb(Lifter& l, const cpu::DecodedInsn& i) { return mov(l, i, false, 1); }
bool MOV_Ev_Gv(Lifter& l, const cpu::DecodedInsn& i) { return mov(l, i, false, i.osize); }
bool MOV_Gb_Eb(Lifter& l, const cpu::DecodedInsn& i) { return mov(l, i, true, 1); }
bool MOV_Gv_Ev(Lifter& l, const cpu::DecodedInsn& i) { return mov(l, i, true, i.osize); }
bool MOV_Zb_Ib(Lifter& l, const cpu::DecodedInsn& i) {
  l.write_reg(1, i.reg, i.rex != 0, l.b.konst(uint8_t(i.imm)));
  return true;
}
bool MOV_Zv_Iv(Lifter& l, const cpu::DecodedInsn& i) {
  l.write_reg(i.osize, i.reg, i.rex != 0, l.b.konst(i.imm & cpu::size_mask(std::countr_zero(unsigned(i.osize)))));
  return true;
}
bool MOV_Eb_Ib(Lifter& l, const cpu::DecodedInsn& i) { return mov_imm(l, i, 1, uint8_t(i.imm)); }
bool MOV_Ev_Iz(Lifter& l, const cpu::DecodedInsn& i) {
  const uint64_t v = uint64_t(int64_t(int32_t(uint32_t(i.imm)))) & cpu::size_mask(std::countr_zero(unsigned(i.osize)));
  return mov_imm(l, i, i.osize, v);
}

bool PUSH_Zv(Lifter& l, const cpu::DecodedInsn& i) {
  if (i.reg == cpu::kRsp && l.facts.push_sp_new) return false;
  l.begin_mem();
  push(l, i.osize, l.read_reg(i.osize, i.reg, true));
  l.end_mem();
  return true;
}

bool PUSH_Iz(Lifter& l, const cpu::DecodedInsn& i) {
  const uint64_t v = uint64_t(int64_t(int32_t(uint32_t(i.imm))));
  l.begin_mem();
  push(l, i.osize, l.b.konst(v & cpu::size_mask(std::countr_zero(unsigned(i.osize)))));
  l.end_mem();
  return true;
}

/// MOV r/m, Sreg (interp data.cpp): the selector, zero-extended into a
/// 32/64-bit register, stored as a word to memory. Only the registers
/// every model has (ES CS SS DS), and FS GS in 64-bit mode; the handler
/// decides the rest (#UD, the 8086's aliases).
bool MOV_Ev_Sw(Lifter& l, const cpu::DecodedInsn& i) {
  const unsigned r = i.reg & 7;
  if (r >= (l.facts.long64 ? 6u : 4u)) return false;
  ir::Block& b = l.b;
  const uint64_t off = offsetof(cpu::CpuState, seg) + r * sizeof(cpu::SegmentCache) +
                       offsetof(cpu::SegmentCache, selector);
  const Value sel = l.zext(b.emit(Op::kLdField, ir::kNone, ir::kNone, off), 2);
  if (!i.is_mem()) {
    l.write_reg(i.osize, i.rm, true, sel);
    return true;
  }
  l.begin_mem();
  l.store(2, i.seg, l.ea(i), sel);
  l.end_mem();
  return true;
}

bool POP_Zv(Lifter& l, const cpu::DecodedInsn& i) { return pop_from(l, i.osize, cpu::kRsp, i.reg); }
/// LEAVE (interp control.cpp): SP from BP, then POP BP.
bool LEAVE(Lifter& l, const cpu::DecodedInsn& i) { return pop_from(l, i.osize, cpu::kRbp, cpu::kRbp); }

/// CALL rel: the target is checked first (known now), then the return
/// address is pushed; the block ends at the target.
bool CALL_Jz(Lifter& l, const cpu::DecodedInsn& i) {
  const uint64_t target = (l.next + i.imm) & (i.osize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i.osize)) - 1);
  if (!l.target_ok(target)) return false;
  l.begin_mem();
  push(l, i.osize, l.b.konst(l.next & (i.osize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i.osize)) - 1)));
  l.sync_icount(1);
  l.b.emit(Op::kExit, ir::kNone, ir::kNone, target);
  l.uncounted = uint32_t(-1);
  return true;
}
bool MOVZX_Gv_Eb(Lifter& l, const cpu::DecodedInsn& i) { return extend(l, i, 1, false); }
bool MOVZX_Gv_Ew(Lifter& l, const cpu::DecodedInsn& i) { return extend(l, i, 2, false); }
bool MOVSX_Gv_Eb(Lifter& l, const cpu::DecodedInsn& i) { return extend(l, i, 1, true); }
bool MOVSX_Gv_Ew(Lifter& l, const cpu::DecodedInsn& i) { return extend(l, i, 2, true); }

/// LEA: the address at the address size, then cut to the operand size.
bool LEA_Gv_M(Lifter& l, const cpu::DecodedInsn& i) {
  ir::Block& b = l.b;
  Value ea = b.konst(uint64_t(i.disp));
  if (i.base == cpu::kRipReg) ea = b.emit(Op::kAdd, ea, b.konst(l.next));
  else if (i.base != cpu::kNoReg) ea = b.emit(Op::kAdd, ea, b.emit(Op::kLdGpr, ir::kNone, ir::kNone, i.base));
  if (i.index != cpu::kNoReg) {
    const Value idx = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, i.index);
    ea = b.emit(Op::kAdd, ea, i.scale ? b.emit(Op::kShl, idx, ir::kNone, i.scale) : idx);
  }
  ea = l.zext(ea, i.asize);
  l.write_reg(i.osize, i.reg, true, l.zext(ea, i.osize));
  return true;
}
bool NOP(Lifter&, const cpu::DecodedInsn&) { return true; }
bool NOP_Ev(Lifter&, const cpu::DecodedInsn&) { return true; }
// A spin-wait hint and cache hints: no effect, no fault (SDM 2 PAUSE,
// PREFETCHh), as their handlers.
bool PAUSE(Lifter&, const cpu::DecodedInsn&) { return true; }
bool PREFETCHNTA_Mb(Lifter&, const cpu::DecodedInsn&) { return true; }
bool PREFETCHT0_Mb(Lifter&, const cpu::DecodedInsn&) { return true; }
bool PREFETCHT1_Mb(Lifter&, const cpu::DecodedInsn&) { return true; }
bool PREFETCHT2_Mb(Lifter&, const cpu::DecodedInsn&) { return true; }

bool JMP_Jb(Lifter& l, const cpu::DecodedInsn& i) { return jmp(l, i); }
bool JMP_Jz(Lifter& l, const cpu::DecodedInsn& i) { return jmp(l, i); }

// Jcc: the condition is the low nibble of the opcode (SDM 2 Jcc).
#define KESTREL_JCC(MN)                                                                    \
  bool MN##_Jb(Lifter& l, const cpu::DecodedInsn& i) { return jcc(l, i, i.opcode & 0xf); } \
  bool MN##_Jz(Lifter& l, const cpu::DecodedInsn& i) { return jcc(l, i, i.opcode & 0xf); }
KESTREL_JCC(JO) KESTREL_JCC(JNO) KESTREL_JCC(JB) KESTREL_JCC(JAE) KESTREL_JCC(JE) KESTREL_JCC(JNE)
KESTREL_JCC(JBE) KESTREL_JCC(JA) KESTREL_JCC(JS) KESTREL_JCC(JNS) KESTREL_JCC(JP) KESTREL_JCC(JNP)
KESTREL_JCC(JL) KESTREL_JCC(JGE) KESTREL_JCC(JLE) KESTREL_JCC(JG)
#undef KESTREL_JCC

}  // namespace kestrel::jit::frontend::lift

namespace kestrel::jit::frontend {

ir::Value Lifter::cond(unsigned cc) {
  const ir::Value c = lift::inline_cc(*this, cc);
  return c != ir::kNone ? c : b.emit(ir::Op::kTestCc, ir::kNone, ir::kNone, cc);
}

ir::Value Lifter::carry() {
  // The ADC and SBB records, as cpu::carry_flag reads them.
  if (flags.known && (flags.op == cpu::CcOp::kAdc || flags.op == cpu::CcOp::kSbb)) {
    ir::Value a = flags.dst;
    if (flags.op == cpu::CcOp::kSbb) {
      a = zext(b.emit(ir::Op::kAdd, b.emit(ir::Op::kAdd, a, flags.src), flags.src2), flags.size);
    }
    const ir::Value le = b.emit(ir::Op::kCmp, a, flags.src, unsigned(ir::Cond::kUle));
    const ir::Value lt = b.emit(ir::Op::kCmp, a, flags.src, unsigned(ir::Cond::kUlt));
    return b.select(flags.src2, le, lt);
  }
  const ir::Value c = lift::inline_cc(*this, 0x2);
  return c != ir::kNone ? c : b.emit(ir::Op::kCarryFlag);
}

}  // namespace kestrel::jit::frontend
