// SPDX-License-Identifier: MIT
// FPREM/FPREM1 partial remainders, FSCALE and FXTRACT (SDM 2 FPREM,
// FPREM1, FSCALE, FXTRACT). Rounding to an integer is in convert.cpp.
#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {
namespace {

/// The exponent difference beyond which FPREM/FPREM1 only reduce partially.
constexpr int32_t kPartialLimit = 64;

/// An incomplete reduction: the exponent drops by N = 32 + (D mod 32), so
/// the remaining difference is a multiple of 32 (what Intel and AMD parts
/// do; the SDM only says 32 <= N <= 63). The quotient bits are left clear.
Remainder partial_remainder(const Unpacked& x, const Unpacked& y, Env& env) {
  const int32_t d = x.exp - y.exp;
  const int n = 32 + (d & 31);
  const u128 num = u128(x.sig) << n;
  const uint64_t r = uint64_t(num % y.sig);
  Remainder out;
  out.partial = true;
  out.reduced = true;
  out.value = r ? round80(x.sign, r, x.exp - 63 - n, env, 64) : zero80(x.sign);
  return out;
}

}  // namespace

Remainder prem(Operand a, Operand b, Env& env, bool ieee) {
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return {out};
  const Class ca = classify(a.v), cb = classify(b.v);
  if (ca == Class::kInfinity || cb == Class::kZero) {
    env.flags |= kIe;
    return {kIndefinite};
  }
  if (a.denormal || b.denormal) env.flags |= kDe;
  if (env.aborts()) return {a.v};
  // From here on the quotient is known, if only to be 0.
  if (ca == Class::kZero) return {a.v, 0, false, true};
  const Unpacked x = unpack(a.v), y = unpack(b.v);
  const int32_t d = x.exp - y.exp;
  if (cb == Class::kInfinity || d < -1 || (d == -1 && !ieee)) {
    return {round80(x.sign, x.sig, x.exp - 63, env, 64), 0, false, true};
  }
  if (d >= kPartialLimit) return partial_remainder(x, y, env);
  // a = A × 2^base and b = B × 2^base with integers A, B.
  const u128 big_a = d >= 0 ? u128(x.sig) << d : u128(x.sig);
  const u128 big_b = d >= 0 ? u128(y.sig) : u128(y.sig) << 1;
  const int32_t base = (d >= 0 ? y.exp : x.exp) - 63;
  u128 q = big_a / big_b;
  u128 r = big_a % big_b;
  bool sign = x.sign;
  if (ieee && (2 * r > big_b || (2 * r == big_b && (q & 1)))) {
    ++q;
    r = big_b - r;
    sign = !sign;
  }
  Remainder res;
  res.reduced = true;
  res.quotient = uint8_t(q & 7);
  res.value = r ? round80(sign, r, base, env, 64) : zero80(x.sign);
  return res;
}

Float80 scale(Operand a, Operand b, Env& env) {
  Float80 out;
  if (special_operands(a.v, b.v, env, out)) return out;
  const Class ca = classify(a.v), cb = classify(b.v);
  if (cb == Class::kInfinity) {
    // 0 × 2^+inf and inf × 2^-inf are invalid (SDM 2 FSCALE, table 3-50).
    const bool up = !b.v.sign();
    if ((up && ca == Class::kZero) || (!up && ca == Class::kInfinity)) {
      env.flags |= kIe;
      return kIndefinite;
    }
    if (a.denormal) env.flags |= kDe;
    if (env.aborts()) return a.v;
    return up ? inf80(a.v.sign()) : zero80(a.v.sign());
  }
  if (a.denormal || b.denormal) env.flags |= kDe;
  if (env.aborts() || ca == Class::kZero || ca == Class::kInfinity) return a.v;
  // The scale is ST(1) truncated toward zero; beyond 2^20 every result
  // overflows or underflows anyway.
  int32_t n = 0;
  if (cb != Class::kZero) {
    const Unpacked y = unpack(b.v);
    if (y.exp >= 20) n = 1 << 20;
    else if (y.exp >= 0) n = int32_t(y.sig >> (63 - y.exp));
    if (y.sign) n = -n;
  }
  const Unpacked x = unpack(a.v);
  return round80(x.sign, x.sig, x.exp - 63 + n, env, 64);
}

Extracted xtract(Operand a, Env& env) {
  Float80 out;
  if (special_operand(a.v, env, out)) return {out, out};
  const Class c = classify(a.v);
  if (c == Class::kZero) {
    env.flags |= kZe;
    return {inf80(true), a.v};
  }
  if (c == Class::kInfinity) return {inf80(false), a.v};
  if (a.denormal) env.flags |= kDe;
  if (env.aborts()) return {a.v, a.v};
  const Unpacked x = unpack(a.v);
  return {from_int(x.exp), make80(x.sign, kBias, x.sig)};
}

}  // namespace kestrel::cpu::x87
