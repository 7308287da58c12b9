// SPDX-License-Identifier: MIT
// The arithmetic and comparisons of the SSE floating-point core. Each
// operation checks its operands in the hardware's order of priority (SDM 1
// §11.5.2: SNaN, QNaN, other invalid operations and division by zero, then
// denormal operands); the first condition found decides the rest.
#include <utility>

#include "cpu/simd/format.h"

namespace kestrel::cpu::simd {
namespace {

template <class T> T invalid(Env& env) {
  env.flags |= kIe;
  return Fmt<T>::kDefaultNan;
}

void note_denormal(const Unpacked& a, const Unpacked& b, Env& env) {
  if (a.denormal || b.denormal) env.flags |= kDe;
}

/// The exact sign of a zero sum of operands of opposite sign: +0, or -0
/// when rounding down (IEEE 754 §6.3).
bool zero_sum_sign(const Env& env) { return env.rc == Rounding::kDown; }

template <class T> T add_signed(T a, T b, bool negate_b, Env& env) {
  Unpacked ua = unpack(a, env.daz), ub = unpack(b, env.daz);
  if (ua.nan() || ub.nan()) return propagate_nan(a, b, ua, ub, env);
  ub.sign ^= negate_b;
  if (ua.inf() && ub.inf() && ua.sign != ub.sign) return invalid<T>(env);
  note_denormal(ua, ub, env);
  if (ua.inf() || ub.inf()) return pack_inf<T>(ua.inf() ? ua.sign : ub.sign);
  if (ua.zero() && ub.zero()) {
    return pack_zero<T>(ua.sign == ub.sign ? ua.sign : zero_sum_sign(env));
  }
  // A lone nonzero operand still goes through rounding: a denormal one is
  // a tiny result (FTZ, unmasked UE).
  if (ua.zero()) return round_pack<T>(ub.sign, ub.exp, ub.sig, env);
  if (ub.zero()) return round_pack<T>(ua.sign, ua.exp, ua.sig, env);
  if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.sig < ub.sig)) std::swap(ua, ub);
  // At least 9 bits below the binary64 significand keep a sticky bit from
  // the alignment clear of the rounding position, even after the one-bit
  // normalisation a far subtraction may need.
  const int64_t distance = int64_t(ua.exp) - ub.exp;
  const uint64_t bsig = shift_right_jam(ub.sig, distance > 64 ? 64 : int(distance));
  if (ua.sign == ub.sign) {
    uint64_t s = ua.sig + bsig;
    int32_t e = ua.exp;
    if (s >> 63) {
      s = shift_right_jam(s, 1);
      ++e;
    }
    return round_pack<T>(ua.sign, e, s, env);
  }
  const uint64_t s = ua.sig - bsig;
  if (s == 0) return pack_zero<T>(zero_sum_sign(env));
  const int n = std::countl_zero(s) - 1;
  return round_pack<T>(ua.sign, ua.exp - n, s << n, env);
}

uint64_t isqrt(u128 n) {
  uint64_t r = 0;
  for (int i = 63; i >= 0; --i) {
    const uint64_t t = r | uint64_t(1) << i;
    if (u128(t) * t <= n) r = t;
  }
  return r;
}

template <class T> T min_max(T a, T b, bool is_max, Env& env) {
  const Unpacked ua = unpack(a, env.daz), ub = unpack(b, env.daz);
  // Any NaN, quiet or not, is invalid here and the second operand is the
  // result as it is (SDM 2 MINPS: "not the same as IEEE 754 minNum").
  if (ua.nan() || ub.nan()) {
    env.flags |= kIe;
    return daz_value(b, env.daz);
  }
  note_denormal(ua, ub, env);
  a = daz_value(a, env.daz);
  b = daz_value(b, env.daz);
  const int c = order(a, b);
  return (is_max ? c > 0 : c < 0) ? a : b;
}

/// Unordered when either is a NaN, else the sign of a - b. QNaNs are
/// invalid only when `signalling`.
template <class T> Order relate(T a, T b, bool signalling, Env& env) {
  const Unpacked ua = unpack(a, env.daz), ub = unpack(b, env.daz);
  if (ua.nan() || ub.nan()) {
    if (signalling || ua.kind == Kind::kSNaN || ub.kind == Kind::kSNaN) env.flags |= kIe;
    return Order::kUnordered;
  }
  note_denormal(ua, ub, env);
  const int c = order(daz_value(a, env.daz), daz_value(b, env.daz));
  return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
}

}  // namespace

namespace soft {

template <class T> T add(T a, T b, Env& env) { return add_signed(a, b, false, env); }
template <class T> T sub(T a, T b, Env& env) { return add_signed(a, b, true, env); }

template <class T> T mul(T a, T b, Env& env) {
  const Unpacked ua = unpack(a, env.daz), ub = unpack(b, env.daz);
  if (ua.nan() || ub.nan()) return propagate_nan(a, b, ua, ub, env);
  if ((ua.inf() && ub.zero()) || (ua.zero() && ub.inf())) return invalid<T>(env);
  note_denormal(ua, ub, env);
  const bool sign = ua.sign != ub.sign;
  if (ua.inf() || ub.inf()) return pack_inf<T>(sign);
  if (ua.zero() || ub.zero()) return pack_zero<T>(sign);
  const u128 p = u128(ua.sig) * ub.sig;  // in [2^124, 2^126)
  const int shift = (p >> 125) ? 63 : 62;
  const uint64_t sig = uint64_t(p >> shift) | ((p & ((u128(1) << shift) - 1)) != 0);
  return round_pack<T>(sign, ua.exp + ub.exp + (shift - 62), sig, env);
}

template <class T> T div(T a, T b, Env& env) {
  const Unpacked ua = unpack(a, env.daz), ub = unpack(b, env.daz);
  if (ua.nan() || ub.nan()) return propagate_nan(a, b, ua, ub, env);
  if ((ua.inf() && ub.inf()) || (ua.zero() && ub.zero())) return invalid<T>(env);
  const bool sign = ua.sign != ub.sign;
  if (ub.zero() && !ua.inf()) {
    // Ahead of the denormal check: a denormal dividend raises ZE alone.
    env.flags |= kZe;
    return pack_inf<T>(sign);
  }
  note_denormal(ua, ub, env);
  if (ua.inf() || ub.zero()) return pack_inf<T>(sign);
  if (ub.inf() || ua.zero()) return pack_zero<T>(sign);
  // Scaled so the quotient lands in [2^62, 2^63).
  const int shift = ua.sig < ub.sig ? 63 : 62;
  const u128 n = u128(ua.sig) << shift;
  const uint64_t q = uint64_t(n / ub.sig);
  const bool rest = n % ub.sig != 0;
  return round_pack<T>(sign, ua.exp - ub.exp - (shift - 62), q | rest, env);
}

template <class T> T sqrt(T a, Env& env) {
  const Unpacked ua = unpack(a, env.daz);
  if (ua.nan()) return propagate_nan(a, a, ua, ua, env);
  if (ua.zero()) return pack_zero<T>(ua.sign);  // sqrt(-0) = -0
  if (ua.sign) return invalid<T>(env);
  if (ua.denormal) env.flags |= kDe;
  if (ua.inf()) return pack_inf<T>(false);
  int32_t e = ua.exp;
  uint64_t m = ua.sig;
  if (e & 1) {  // an even exponent halves exactly
    m <<= 1;
    --e;
  }
  const u128 n = u128(m) << 64;
  const uint64_t r = isqrt(n);  // in [2^63, 2^64)
  const bool exact = u128(r) * r == n;
  return round_pack<T>(false, e / 2, shift_right_jam(r, 1) | !exact, env);
}

template F32 add<F32>(F32, F32, Env&);
template F32 sub<F32>(F32, F32, Env&);
template F32 mul<F32>(F32, F32, Env&);
template F32 div<F32>(F32, F32, Env&);
template F32 sqrt<F32>(F32, Env&);
template F64 add<F64>(F64, F64, Env&);
template F64 sub<F64>(F64, F64, Env&);
template F64 mul<F64>(F64, F64, Env&);
template F64 div<F64>(F64, F64, Env&);
template F64 sqrt<F64>(F64, Env&);

}  // namespace soft

template <class T> T min(T a, T b, Env& env) { return min_max(a, b, false, env); }
template <class T> T max(T a, T b, Env& env) { return min_max(a, b, true, env); }

template <class T> bool compare(T a, T b, Predicate p, Env& env) {
  // LT, LE, NLT and NLE signal on QNaNs; EQ, UNORD, NEQ and ORD do not
  // (SDM 2 CMPPS, table 3-1).
  const unsigned low = unsigned(p) & 3;
  const Order o = relate(a, b, low == 1 || low == 2, env);
  switch (p) {
    case Predicate::kEq: return o == Order::kEqual;
    case Predicate::kLt: return o == Order::kLess;
    case Predicate::kLe: return o == Order::kLess || o == Order::kEqual;
    case Predicate::kUnord: return o == Order::kUnordered;
    case Predicate::kNeq: return o != Order::kEqual;
    case Predicate::kNlt: return o != Order::kLess;
    case Predicate::kNle: return o != Order::kLess && o != Order::kEqual;
    case Predicate::kOrd: return o != Order::kUnordered;
  }
  return false;
}

template <class T> Order compare_ordered(T a, T b, bool signalling, Env& env) {
  return relate(a, b, signalling, env);
}

template F32 min<F32>(F32, F32, Env&);
template F32 max<F32>(F32, F32, Env&);
template bool compare<F32>(F32, F32, Predicate, Env&);
template Order compare_ordered<F32>(F32, F32, bool, Env&);
template F64 min<F64>(F64, F64, Env&);
template F64 max<F64>(F64, F64, Env&);
template bool compare<F64>(F64, F64, Predicate, Env&);
template Order compare_ordered<F64>(F64, F64, bool, Env&);

}  // namespace kestrel::cpu::simd
