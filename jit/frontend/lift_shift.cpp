// SPDX-License-Identifier: MIT
// Native lowerings of the group-2 shifts and rotates (ROL ROR SHL SAL SHR
// SAR) by 1 and by imm8, and of the shifts of a 32- or 64-bit register by
// CL, with the results and flags of cpu/interp/shift.cpp (a CcOp::kCfOf
// record for shifts, eager flags for rotates). RCL/RCR,
// rotates by CL, CL shifts of memory, bytes and words, and the 8086's
// unmasked counts stay with the interpreter handler.
#include <cstddef>

#include "cpu/flags.h"
#include "cpu/state.h"
#include "jit/frontend/lift_forms.h"

namespace kestrel::jit::frontend::lift {
namespace {

using ir::Op;
using ir::Value;

enum class Rot : uint8_t { kRol, kRor, kShl, kShr, kSar };

/// Bit `n` of `v`, as 0/1.
Value bit(ir::Block& b, Value v, unsigned n) {
  return b.emit(Op::kAnd, n ? b.emit(Op::kShr, v, ir::kNone, n) : v, b.konst(1));
}

struct Shifted {
  Value r, cf, of;
};

/// The result, CF and OF of `op` on the zero-extended `a` by a masked,
/// non-zero `count` (shift.cpp rotate() and shift()).
Shifted compute(Lifter& l, Rot op, Value a, unsigned size, unsigned count) {
  ir::Block& b = l.b;
  const unsigned n = 8 * size;
  const Value zero = b.konst(0);
  switch (op) {
    case Rot::kRol: {
      const unsigned k = count % n;
      const Value r = k ? l.zext(b.emit(Op::kOr, b.emit(Op::kShl, a, ir::kNone, k),
                                        b.emit(Op::kShr, a, ir::kNone, n - k)), size)
                        : a;
      const Value cf = bit(b, r, 0);
      return {r, cf, b.emit(Op::kXor, bit(b, r, n - 1), cf)};
    }
    case Rot::kRor: {
      const unsigned k = count % n;
      const Value r = k ? l.zext(b.emit(Op::kOr, b.emit(Op::kShr, a, ir::kNone, k),
                                        b.emit(Op::kShl, a, ir::kNone, n - k)), size)
                        : a;
      const Value cf = bit(b, r, n - 1);
      return {r, cf, b.emit(Op::kXor, cf, bit(b, r, n - 2))};
    }
    case Rot::kShl: {
      // Counts past the width (bytes and words) shift in zeros: CF = 0.
      const Value r = l.zext(b.emit(Op::kShl, a, ir::kNone, count), size);
      const Value cf = count <= n ? bit(b, a, n - count) : zero;
      return {r, cf, b.emit(Op::kXor, bit(b, r, n - 1), cf)};
    }
    case Rot::kShr: {
      const Value r = b.emit(Op::kShr, a, ir::kNone, count);
      const Value cf = count <= n ? bit(b, a, count - 1) : zero;
      return {r, cf, count == 1 ? bit(b, a, n - 1) : zero};
    }
    case Rot::kSar: {
      const unsigned k = count < n ? count : n - 1;
      const Value r = l.zext(b.emit(Op::kSar, l.sext(a, size), ir::kNone, k), size);
      return {r, bit(b, a, count < n ? count - 1 : n - 1), zero};
    }
  }
  return {a, zero, zero};
}

bool group2(Lifter& l, const cpu::DecodedInsn& i, Rot op, unsigned size, unsigned raw) {
  if (l.facts.unmasked_shift) return false;
  ir::Block& b = l.b;
  const unsigned count = raw & (size == 8 ? 0x3f : 0x1f);
  const bool mem = i.is_mem();
  if (mem) l.begin_mem();
  const Value addr = mem ? l.ea(i) : ir::kNone;
  const Value a = l.read_e(size, i, addr);
  if (count == 0) {
    // No value or flag changes; a 32-bit register is still written
    // (shift.cpp count_zero: the upper half clears).
    if (size == 4 && !mem) l.write_e(size, i, addr, a);
    if (mem) l.end_mem();
    return true;
  }
  const bool rotate = op == Rot::kRol || op == Rot::kRor;
  // Rotates keep S, Z, A and P: read them before anything changes.
  const Value old = rotate ? b.emit(Op::kArithFlags) : ir::kNone;
  const Shifted s = compute(l, op, a, size, count);
  l.write_e(size, i, addr, s.r);
  if (!rotate) {
    l.set_lazy(cpu::CcOp::kCfOf, size, s.r, b.emit(Op::kOr, s.cf, b.emit(Op::kShl, s.of, ir::kNone, 1)),
               b.konst(0));
  } else {
    Value f = b.emit(Op::kAnd, old, b.konst(~uint64_t{cpu::kCf | cpu::kOf}));
    f = b.emit(Op::kOr, f, s.cf);
    f = b.emit(Op::kOr, f, b.emit(Op::kShl, s.of, ir::kNone, 11));  // OF is bit 11
    l.set_eager(f);
  }
  if (mem) l.end_mem();
  return true;
}

/// SHL/SHR/SAR of a 32- or 64-bit register by CL, whose masked count
/// stays below the width (shift.cpp shift()). A count of 0 changes no
/// flag and writes the register back (count_zero), so the flags and the
/// result are selected on it at run time.
bool group2_cl(Lifter& l, const cpu::DecodedInsn& i, Rot op) {
  const unsigned size = i.osize;
  if (l.facts.unmasked_shift || i.is_mem() || size < 4) return false;
  ir::Block& b = l.b;
  const unsigned n = 8 * size;
  const Value one = b.konst(1);
  const Value c = b.emit(Op::kAnd, l.read_reg(1, cpu::kRcx, true), b.konst(n - 1));
  const Value a = l.read_e(size, i, ir::kNone);
  // CF: the last bit shifted out, for a count c > 0.
  const Value out_right = b.emit(Op::kAnd, b.emit(Op::kShrV, a, b.emit(Op::kSub, c, one)), one);
  Value r, cf, of;
  switch (op) {
    case Rot::kShl:
      r = l.zext(b.emit(Op::kShlV, a, c), size);
      cf = b.emit(Op::kAnd, b.emit(Op::kShrV, a, b.emit(Op::kSub, b.konst(n), c)), one);
      of = b.emit(Op::kXor, bit(b, r, n - 1), cf);
      break;
    case Rot::kShr:
      r = b.emit(Op::kShrV, a, c);
      cf = out_right;
      of = b.emit(Op::kAnd, b.emit(Op::kCmp, c, one, unsigned(ir::Cond::kEq)), bit(b, a, n - 1));
      break;
    default:  // kSar
      r = l.zext(b.emit(Op::kSarV, l.sext(a, size), c), size);
      cf = out_right;
      of = b.konst(0);
      break;
  }
  const Value nz = b.emit(Op::kCmp, c, b.konst(0), unsigned(ir::Cond::kNe));
  l.write_e(size, i, ir::kNone, b.select(nz, r, a));
  // The SHIFT record for a non-zero count; the old record stays for 0.
  using cpu::CpuState;
  const auto keep = [&](uint64_t off, Value v, Op st) {
    const Value old = b.emit(Op::kLdField, ir::kNone, ir::kNone, off);
    b.emit(st, b.select(nz, v, old), ir::kNone, off);
  };
  keep(offsetof(CpuState, cc_op), b.konst(cpu::cc_op(cpu::CcOp::kCfOf, size)), Op::kStField32);
  keep(offsetof(CpuState, cc_dst), r, Op::kStField);
  keep(offsetof(CpuState, cc_src), b.emit(Op::kOr, cf, b.emit(Op::kShl, of, ir::kNone, 1)), Op::kStField);
  l.flags.known = false;  // which record holds depends on the count
  return true;
}

}  // namespace

bool SHL_Ev_CL(Lifter& l, const cpu::DecodedInsn& i) { return group2_cl(l, i, Rot::kShl); }
bool SAL_Ev_CL(Lifter& l, const cpu::DecodedInsn& i) { return group2_cl(l, i, Rot::kShl); }
bool SHR_Ev_CL(Lifter& l, const cpu::DecodedInsn& i) { return group2_cl(l, i, Rot::kShr); }
bool SAR_Ev_CL(Lifter& l, const cpu::DecodedInsn& i) { return group2_cl(l, i, Rot::kSar); }

#define KESTREL_SHIFT_FORMS(MN, OPV)                                                         \
  bool MN##_Eb_1(Lifter& l, const cpu::DecodedInsn& i) { return group2(l, i, OPV, 1, 1); }   \
  bool MN##_Ev_1(Lifter& l, const cpu::DecodedInsn& i) { return group2(l, i, OPV, i.osize, 1); } \
  bool MN##_Eb_Ib(Lifter& l, const cpu::DecodedInsn& i) {                                    \
    return group2(l, i, OPV, 1, uint8_t(i.imm));                                             \
  }                                                                                          \
  bool MN##_Ev_Ib(Lifter& l, const cpu::DecodedInsn& i) {                                    \
    return group2(l, i, OPV, i.osize, uint8_t(i.imm));                                       \
  }
KESTREL_SHIFT_FORMS(ROL, Rot::kRol)
KESTREL_SHIFT_FORMS(ROR, Rot::kRor)
KESTREL_SHIFT_FORMS(SHL, Rot::kShl)
KESTREL_SHIFT_FORMS(SAL, Rot::kShl)
KESTREL_SHIFT_FORMS(SHR, Rot::kShr)
KESTREL_SHIFT_FORMS(SAR, Rot::kSar)
#undef KESTREL_SHIFT_FORMS

}  // namespace kestrel::jit::frontend::lift
