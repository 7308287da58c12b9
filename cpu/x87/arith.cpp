// SPDX-License-Identifier: MIT
// The basic operations: add, subtract, multiply, divide, square root and
// compare, with the x87's NaN propagation and operand checks (SDM 1 §4.8.3,
// §4.9.1, §8.5). The result is rounded by round.cpp.
#include "cpu/x87/float80.h"

#include <utility>

namespace kestrel::cpu::x87 {
namespace {

/// Of two NaNs, the x87 keeps the QNaN over an SNaN, then the larger
/// significand, then the positive one (SDM 1 table 4-7).
Float80 pick_nan(Float80 a, Float80 b) {
  const bool qa = a.mant & kQuietBit, qb = b.mant & kQuietBit;
  if (qa != qb) return qa ? a : b;
  if (a.mant != b.mant) return a.mant > b.mant ? a : b;
  return a.se < b.se ? a : b;
}

/// The denormal-operand exception, checked after the NaN screen and the
/// invalid operations; true when it is unmasked and ends the instruction.
bool denormal_aborts(Operand a, Operand b, Env& env) {
  if (a.denormal || b.denormal) env.flags |= kDe;
  return env.aborts();
}

Float80 exact_zero_sum(bool sa, bool sb, Env& env) {
  if (sa == sb) return zero80(sa);
  return zero80(env.rc == Rounding::kDown);
}

/// a + b for finite values, at least one nonzero.
Float80 add_finite(Float80 a, Float80 b, Env& env) {
  const Class ca = classify(a), cb = classify(b);
  if (ca == Class::kZero && cb == Class::kZero) return exact_zero_sum(a.sign(), b.sign(), env);
  if (cb == Class::kZero) return round80(a.sign(), unpack(a).sig, unpack(a).exp - 63, env);
  if (ca == Class::kZero) return round80(b.sign(), unpack(b).sig, unpack(b).exp - 63, env);
  Unpacked x = unpack(a), y = unpack(b);
  if (y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig)) std::swap(x, y);
  // Two spare bits on top for the carry; 62 guard bits below.
  const u128 mx = u128(x.sig) << 62;
  const u128 my = shift_right_sticky(u128(y.sig) << 62, x.exp - y.exp);
  const int32_t e = x.exp - 63 - 62;
  if (x.sign == y.sign) return round80(x.sign, mx + my, e, env);
  const u128 d = mx - my;
  if (d == 0) return exact_zero_sum(x.sign, y.sign, env);
  return round80(x.sign, d, e, env);
}

}  // namespace

bool special_operand(Float80 a, Env& env, Float80& out) {
  const Class c = classify(a);
  if (c == Class::kUnsupported) {
    env.flags |= kIe;
    out = kIndefinite;
    return true;
  }
  if (!is_nan(c)) return false;
  if (c == Class::kSNaN) env.flags |= kIe;
  out = quiet(a);
  return true;
}

bool special_operands(Float80 a, Float80 b, Env& env, Float80& out) {
  const Class ca = classify(a), cb = classify(b);
  if (ca == Class::kUnsupported || cb == Class::kUnsupported) {
    env.flags |= kIe;
    out = kIndefinite;
    return true;
  }
  const bool na = is_nan(ca), nb = is_nan(cb);
  if (!na && !nb) return false;
  if (ca == Class::kSNaN || cb == Class::kSNaN) env.flags |= kIe;
  out = quiet(na && nb ? pick_nan(a, b) : na ? a : b);
  return true;
}

Float80 add(Operand a, Operand b, Env& env) {
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return out;
  const bool ia = classify(a.v) == Class::kInfinity, ib = classify(b.v) == Class::kInfinity;
  if (ia && ib && a.v.sign() != b.v.sign()) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (denormal_aborts(a, b, env)) return a.v;
  if (ia) return a.v;
  if (ib) return b.v;
  return add_finite(a.v, b.v, env);
}

Float80 sub(Operand a, Operand b, Env& env) {
  // A NaN keeps its sign: screen before negating.
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return out;
  return add(a, Operand(negate(b.v), b.denormal), env);
}

Float80 mul(Operand a, Operand b, Env& env) {
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return out;
  const Class ca = classify(a.v), cb = classify(b.v);
  const bool sign = a.v.sign() != b.v.sign();
  const bool ia = ca == Class::kInfinity, ib = cb == Class::kInfinity;
  const bool za = ca == Class::kZero, zb = cb == Class::kZero;
  if ((ia && zb) || (ib && za)) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (denormal_aborts(a, b, env)) return a.v;
  if (ia || ib) return inf80(sign);
  if (za || zb) return zero80(sign);
  const Unpacked x = unpack(a.v), y = unpack(b.v);
  return round80(sign, u128(x.sig) * y.sig, x.exp + y.exp - 126, env);
}

Float80 div(Operand a, Operand b, Env& env) {
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return out;
  const Class ca = classify(a.v), cb = classify(b.v);
  const bool sign = a.v.sign() != b.v.sign();
  const bool ia = ca == Class::kInfinity, ib = cb == Class::kInfinity;
  const bool za = ca == Class::kZero, zb = cb == Class::kZero;
  if ((ia && ib) || (za && zb)) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (zb && !ia) {
    env.flags |= kZe;
    return inf80(sign);
  }
  if (denormal_aborts(a, b, env)) return a.v;
  if (ia || zb) return inf80(sign);
  if (ib || za) return zero80(sign);
  const Unpacked x = unpack(a.v), y = unpack(b.v);
  // A 128-bit quotient of the 64-bit significands plus a sticky bit.
  const bool ge = x.sig >= y.sig;
  const u128 n = u128(x.sig) << (ge ? 63 : 64);
  const uint64_t q1 = uint64_t(n / y.sig);
  const uint64_t r1 = uint64_t(n % y.sig);
  const u128 n2 = u128(r1) << 64;
  const uint64_t q2 = uint64_t(n2 / y.sig);
  const bool sticky = n2 % y.sig != 0;
  const u128 q = u128(q1) << 64 | q2 | sticky;
  // q1 carries the leading bit at 63, worth 2^(ex - ey) or 2^(ex - ey - 1).
  return round80(sign, q, x.exp - y.exp - (ge ? 0 : 1) - 127, env);
}

Float80 sqrt(Operand a, Env& env) {
  Float80 out;
  if (special_operand(a.v, env, out)) return out;
  const Class c = classify(a.v);
  if (c == Class::kZero) return a.v;
  if (a.v.sign()) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (denormal_aborts(a, a, env)) return a.v;
  if (c == Class::kInfinity) return a.v;
  const Unpacked x = unpack(a.v);
  // value = r × 2^(2k) with r = sig or 2·sig; digit-by-digit root of
  // r × 2^72 gives 69 bits and a sticky remainder.
  int32_t e = x.exp - 63;
  u128 r = x.sig;
  if (e & 1) {
    r <<= 1;
    e -= 1;
  }
  u128 rem = 0, root = 0;
  for (int j = 68; j >= 0; --j) {
    const unsigned pair = 2 * j >= 72 ? unsigned(r >> (2 * j - 72)) & 3 : 0;
    rem = (rem << 2) | pair;
    const u128 trial = (root << 2) | 1;
    root <<= 1;
    if (rem >= trial) {
      rem -= trial;
      root |= 1;
    }
  }
  return round80(false, (root << 1) | (rem != 0), e / 2 - 36 - 1, env);
}

Order compare(Operand a, Operand b, Env& env, bool quiet) {
  const Class ca = classify(a.v), cb = classify(b.v);
  if (ca == Class::kUnsupported || cb == Class::kUnsupported) {
    env.flags |= kIe;
    return Order::kUnordered;
  }
  if (is_nan(ca) || is_nan(cb)) {
    if (!quiet || ca == Class::kSNaN || cb == Class::kSNaN) env.flags |= kIe;
    return Order::kUnordered;
  }
  // An unmasked denormal exception still sets the condition codes.
  if (a.denormal || b.denormal) env.flags |= kDe;
  const bool za = ca == Class::kZero, zb = cb == Class::kZero;
  if (za && zb) return Order::kEqual;
  if (a.v.sign() != b.v.sign() || za || zb) {
    // Different signs, or one side zero: the sign of the nonzero side decides.
    const bool a_neg = za ? !b.v.sign() : a.v.sign();
    return a_neg ? Order::kLess : Order::kGreater;
  }
  const Unpacked x = unpack(a.v), y = unpack(b.v);
  const bool inf_a = ca == Class::kInfinity, inf_b = cb == Class::kInfinity;
  bool mag_gt, mag_eq;
  if (inf_a || inf_b) {
    mag_eq = inf_a && inf_b;
    mag_gt = inf_a && !inf_b;
  } else {
    mag_eq = x.exp == y.exp && x.sig == y.sig;
    mag_gt = x.exp > y.exp || (x.exp == y.exp && x.sig > y.sig);
  }
  if (mag_eq) return Order::kEqual;
  return mag_gt != a.v.sign() ? Order::kGreater : Order::kLess;
}

}  // namespace kestrel::cpu::x87
