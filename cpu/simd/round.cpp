// SPDX-License-Identifier: MIT
// Rounding to binary32/binary64: the one place results are formed, with
// tininess detected after rounding, FTZ, the masked and unmasked responses
// to overflow and underflow, and the precision flag.
#include "cpu/simd/format.h"

namespace kestrel::cpu::simd {

uint64_t round_shift(uint64_t sig, int shift, bool sign, Rounding rc, bool& inexact) {
  if (shift == 0) {
    inexact = false;
    return sig;
  }
  // sig < 2^63, so past 63 bits every bit goes and the rest is below half.
  const uint64_t q = shift >= 64 ? 0 : sig >> shift;
  const uint64_t rem = shift >= 64 ? sig : sig & ((uint64_t(1) << shift) - 1);
  const uint64_t half = shift >= 64 ? uint64_t(1) << 63 : uint64_t(1) << (shift - 1);
  inexact = rem != 0;
  bool up = false;
  switch (rc) {
    case Rounding::kNearest: up = rem > half || (rem == half && (q & 1)); break;
    case Rounding::kDown: up = sign && inexact; break;
    case Rounding::kUp: up = !sign && inexact; break;
    case Rounding::kZero: break;
  }
  return q + up;
}

namespace {

/// Overflow. Unmasked, the destination is not written and OE comes with
/// PE only when the result rounded with an unbounded exponent is inexact,
/// as measured on hardware. Masked, OE and PE with infinity or the largest
/// finite value as the rounding direction says (SDM 1 §4.9.1.4).
template <class T> T overflow(bool sign, bool inexact, Env& env) {
  if (!env.masked(kOe)) {
    env.flags |= inexact ? kOe | kPe : kOe;
    return pack_inf<T>(sign);
  }
  env.flags |= kOe | kPe;
  const bool to_inf = env.rc == Rounding::kNearest || (env.rc == Rounding::kUp && !sign) ||
                      (env.rc == Rounding::kDown && sign);
  return to_inf ? pack_inf<T>(sign) : T(pack_inf<T>(sign) - 1);
}

}  // namespace

template <class T> T round_pack(bool sign, int32_t exp, uint64_t sig, Env& env) {
  using F = Fmt<T>;
  constexpr int kPrecision = F::kFrac + 1;
  constexpr int kDrop = 63 - kPrecision;
  bool inexact = false;
  uint64_t m = round_shift(sig, kDrop, sign, env.rc, inexact);
  // Rounded as if the exponent range were unbounded: a carry out of the
  // significand lifts the exponent, and only then is tininess decided.
  const int32_t exp_rounded = exp + int32_t(m >> kPrecision);
  if (exp >= F::kEmin) {
    if (m >> kPrecision) {
      m >>= 1;
      ++exp;
    }
    if (exp > F::kEmax) return overflow<T>(sign, inexact, env);
    if (inexact) env.flags |= kPe;
    return pack_zero<T>(sign) | T(exp + F::kBias) << F::kFrac | (T(m) & F::kFracMask);
  }
  const bool tiny = exp_rounded < F::kEmin;
  if (tiny && !env.masked(kUe)) {
    // Unmasked: UE even when exact (SDM 1 §11.5.2.5), and PE as for an
    // unmasked overflow: when the unbounded-exponent rounding was inexact.
    env.flags |= inexact ? kUe | kPe : kUe;
    return pack_zero<T>(sign);
  }
  if (tiny && env.ftz) {
    env.flags |= kUe | kPe;
    return pack_zero<T>(sign);
  }
  // A denormal result, or the smallest normal when rounding carries into
  // the exponent field (the packing below adds that carry for free).
  m = round_shift(sig, kDrop + (F::kEmin - exp), sign, env.rc, inexact);
  if (inexact) env.flags |= tiny ? kUe | kPe : kPe;
  return pack_zero<T>(sign) | T(m);
}

template <class T> T pack_integer(bool sign, uint64_t m, Env& env) {
  if (m == 0) return pack_zero<T>(sign);
  if (m >> 63) return round_pack<T>(sign, 63, shift_right_jam(m, 1), env);
  const int s = std::countl_zero(m) - 1;
  return round_pack<T>(sign, 62 - s, m << s, env);
}

template F32 round_pack<F32>(bool, int32_t, uint64_t, Env&);
template F64 round_pack<F64>(bool, int32_t, uint64_t, Env&);
template F32 pack_integer<F32>(bool, uint64_t, Env&);
template F64 pack_integer<F64>(bool, uint64_t, Env&);

}  // namespace kestrel::cpu::simd
