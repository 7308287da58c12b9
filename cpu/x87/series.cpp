// SPDX-License-Identifier: MIT
// Power series for sin, cos, atan, atanh and exp-1 on the 128-bit
// intermediate, with the argument reductions that keep them short.
#include "cpu/x87/series.h"

namespace kestrel::cpu::x87 {
namespace {

/// Terms below the sum by this many bits no longer change the result.
constexpr int kNegligibleBits = 132;

bool negligible(const Wide& term, const Wide& sum) {
  return term.zero() || term.exp < sum.exp - kNegligibleBits;
}

/// t + t^3/3 + t^5/5 + ... (atanh), or with alternating signs (atan).
Wide odd_power_series(const Wide& t, bool alternate) {
  const Wide t2 = t * t;
  Wide power = t, sum = t;
  for (uint64_t k = 3;; k += 2) {
    power = power * t2;
    if (alternate) power = -power;
    const Wide term = div_small(power, k);
    if (negligible(term, sum)) return sum;
    sum = sum + term;
  }
}

/// e^t - 1 for |t| <= 1: t + t^2/2! + t^3/3! + ...
Wide expm1_series(const Wide& t) {
  Wide term = t, sum = t;
  for (uint64_t n = 2;; ++n) {
    term = div_small(term * t, n);
    if (negligible(term, sum)) return sum;
    sum = sum + term;
  }
}

/// ln m for m in [sqrt(1/2), sqrt(2)]: 2 atanh((m - 1) / (m + 1)).
Wide ln_near_one(const Wide& m) {
  const Wide t = (m - kWideOne) / (m + kWideOne);
  Wide r = odd_power_series(t, false);
  if (!r.zero()) ++r.exp;
  return r;
}

/// log2 y for y > 0: the exponent plus log2 of a significand in
/// [sqrt(1/2), sqrt(2)].
Wide log2_positive(const Wide& y) {
  int32_t e = y.exp;
  Wide m = y;
  m.exp = 0;
  if (less_magnitude(kWideSqrt2, m)) {
    m.exp = -1;
    ++e;
  }
  return wide_from_int(e) + ln_near_one(m) * kWideLog2e;
}

}  // namespace

Wide sin_series(const Wide& r) {
  const Wide r2 = r * r;
  Wide term = r, sum = r;
  for (uint64_t n = 3;; n += 2) {
    term = -div_small(term * r2, (n - 1) * n);
    if (negligible(term, sum)) return sum;
    sum = sum + term;
  }
}

Wide cos_series(const Wide& r) {
  const Wide r2 = r * r;
  Wide term = kWideOne, sum = kWideOne;
  for (uint64_t n = 2;; n += 2) {
    term = -div_small(term * r2, (n - 1) * n);
    if (negligible(term, sum)) return sum;
    sum = sum + term;
  }
}

Wide atan_wide(const Wide& t) {
  if (t.zero()) return t;
  Wide a = t;
  a.sign = false;
  // atan t = pi/2 - atan(1/t) brings t into [0, 1]; around 1,
  // atan t = pi/4 + atan((t - 1) / (t + 1)) brings it under sqrt(2) - 1.
  const bool invert = less_magnitude(kWideOne, a);
  if (invert) a = kWideOne / a;
  Wide r;
  if (less_magnitude(kWideSqrt2 - kWideOne, a)) {
    r = kWidePi4 + odd_power_series((a - kWideOne) / (a + kWideOne), true);
  } else {
    r = odd_power_series(a, true);
  }
  if (invert) r = kWidePi2 - r;
  return t.sign ? -r : r;
}

Wide exp2m1_wide(const Wide& x) {
  if (x.zero()) return x;
  // x = n + f with |f| < 1: 2^x - 1 = 2^n (2^f - 1) + (2^n - 1).
  if (x.exp < 0) return expm1_series(x * kWideLn2);
  // Beyond 2^20 the result overflows, or is -1 to every bit kept.
  if (x.exp >= 20) return x.sign ? -kWideOne : Wide{false, 1 << 20, u128(1) << 127};
  const int32_t bits = x.exp + 1;
  const u128 n_mag = x.sig >> (128 - bits);
  const Wide n = make_wide(x.sign, n_mag, 0);
  const Wide f = x - n;
  const int32_t n_int = x.sign ? -int32_t(n_mag) : int32_t(n_mag);
  Wide p = expm1_series(f * kWideLn2) + kWideOne;  // 2^f
  if (!p.zero()) p.exp += n_int;
  return p - kWideOne;
}

Wide log2_wide(Float80 x, bool& exact) {
  exact = unpack(x).sig == kIntBit;
  return log2_positive(to_wide(x));
}

Wide log2p1_wide(const Wide& x) {
  // Near zero, ln(1 + x) = 2 atanh(x / (2 + x)) keeps every bit of x;
  // farther out the plain logarithm of 1 + x is as accurate.
  if (less_magnitude(x, Wide{false, -1, u128(1) << 127})) {
    Wide r = odd_power_series(x / (kWideOne + kWideOne + x), false);
    if (!r.zero()) ++r.exp;
    return r * kWideLog2e;
  }
  return log2_positive(kWideOne + x);
}

}  // namespace kestrel::cpu::x87
