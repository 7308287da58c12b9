// SPDX-License-Identifier: MIT
// Native lowerings of the group-2 shifts and rotates (ROL ROR SHL SAL SHR
// SAR) by 1 and by imm8, with the results and eager flags of
// cpu/interp/shift.cpp. RCL/RCR, counts in CL and the 8086's unmasked
// counts stay with the interpreter handler.
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
  Value f = rotate ? b.emit(Op::kAnd, old, b.konst(~uint64_t{cpu::kCf | cpu::kOf}))
                   : b.emit(Op::kSzp, s.r, ir::kNone, size);  // AF clear
  f = b.emit(Op::kOr, f, s.cf);
  f = b.emit(Op::kOr, f, b.emit(Op::kShl, s.of, ir::kNone, 11));  // OF is bit 11
  l.set_eager(f);
  if (mem) l.end_mem();
  return true;
}

}  // namespace

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
