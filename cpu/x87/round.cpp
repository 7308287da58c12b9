// SPDX-License-Identifier: MIT
// Rounding a wide intermediate to an x87 destination format: precision and
// rounding control, tininess, denormalisation, overflow, and the masked and
// unmasked responses (SDM 1 §4.8.4, §4.9.1.4-6, §8.5.3-4).
#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {
namespace {

/// The bias adjustment of unmasked overflow and underflow results (SDM 1 §8.5.3).
constexpr int32_t kWrap = 24576;

struct Round {
  u128 sig;       ///< sig with the dropped bits cleared (and incremented)
  bool inexact;
  bool up;        ///< incremented: magnitude rounded away from zero
  bool carry;     ///< the increment overflowed 2^128
};

/// Keeps the top `p` bits of the 128-bit sig, rounding the rest away.
Round round_bits(u128 sig, int p, Rounding rc, bool sign) {
  const int drop = 128 - p;
  const u128 unit = u128(1) << drop;
  const u128 rem = sig & (unit - 1);
  const u128 half = unit >> 1;
  Round r{sig - rem, rem != 0, false, false};
  switch (rc) {
    case Rounding::kNearest: r.up = rem > half || (rem == half && (r.sig & unit)); break;
    case Rounding::kDown: r.up = sign && r.inexact; break;
    case Rounding::kUp: r.up = !sign && r.inexact; break;
    case Rounding::kZero: break;
  }
  if (r.up) {
    r.sig += unit;
    r.carry = r.sig == 0;
  }
  return r;
}

Rounded finish(bool sign, int32_t exp, u128 sig) {
  return {sign, false, false, exp, uint64_t(sig >> 64)};
}

/// The masked overflow response: infinity, or the largest finite value
/// when the rounding direction points toward zero (SDM 1 table 4-10).
Rounded overflow_masked(bool sign, Format f, Env& env) {
  env.flags |= kOe | kPe;
  const bool to_inf = env.rc == Rounding::kNearest || (env.rc == Rounding::kUp && !sign) ||
                      (env.rc == Rounding::kDown && sign);
  env.rounded_up = to_inf;
  if (to_inf) return {sign, true, false, 0, kIntBit};
  const int p = env.precision < f.precision ? env.precision : f.precision;
  return {sign, false, false, f.emax, ~uint64_t{0} << (64 - p)};
}

/// sig normalised (bit 127 set) with exponent exp >= emin - 1 or wrapped.
Rounded round_normal(bool sign, int32_t exp, u128 sig, int p, Format f, Env& env, bool to_register) {
  Round r = round_bits(sig, p, env.rc, sign);
  if (r.carry) {
    r.sig = u128(1) << 127;
    ++exp;
  }
  if (exp > f.emax) {
    if (!(env.masks & kOe)) {
      env.flags |= kOe;
      if (!to_register) return {sign, false, true, 0, 0};
      exp -= kWrap;
      // Still out of range after the adjustment (FSCALE): infinity, in
      // every rounding mode.
      if (exp > f.emax) {
        env.flags |= kPe;
        env.rounded_up = true;
        return {sign, true, false, 0, kIntBit};
      }
    } else {
      return overflow_masked(sign, f, env);
    }
  }
  if (r.inexact) {
    env.flags |= kPe;
    env.rounded_up = r.up;
  }
  return finish(sign, exp, r.sig);
}

/// A result below the normal range. Tininess is detected after rounding, as
/// if the exponent range were unbounded; the masked response denormalises
/// and flags underflow only when the result is also inexact.
Rounded round_tiny(bool sign, int32_t exp, u128 sig, int p, Format f, Env& env, bool to_register) {
  const Round unbounded = round_bits(sig, p, env.rc, sign);
  const bool tiny = !(exp == f.emin - 1 && unbounded.carry);
  if (tiny && !(env.masks & kUe)) {
    env.flags |= kUe;
    if (!to_register) return {sign, false, true, 0, 0};
    if (exp + kWrap >= f.emin) return round_normal(sign, exp + kWrap, sig, p, f, env, true);
    // Too small even for the adjustment (FSCALE): a signed zero.
    env.flags |= kPe;
    return {sign, false, false, f.emin, 0};
  }
  const Round r = round_bits(shift_right_sticky(sig, f.emin - exp), p, env.rc, sign);
  if (r.inexact) {
    env.flags |= kPe | (tiny ? kUe : 0);
    env.rounded_up = r.up;
  }
  return finish(sign, f.emin, r.sig);
}

}  // namespace

Env Env::from_fcw(uint16_t fcw) {
  Env e;
  e.masks = uint8_t(fcw & kExceptionMask);
  e.rc = Rounding((fcw >> 10) & 3);
  static constexpr uint8_t kPc[4] = {24, 64, 53, 64};
  e.precision = kPc[(fcw >> 8) & 3];
  return e;
}

Rounded round_to(bool sign, u128 sig, int32_t e, Format f, Env& env, bool to_register) {
  const int lz = clz128(sig);
  sig <<= lz;
  const int32_t exp = e + 127 - lz;
  const int p = env.precision < f.precision ? env.precision : f.precision;
  if (exp < f.emin) return round_tiny(sign, exp, sig, p, f, env, to_register);
  return round_normal(sign, exp, sig, p, f, env, to_register);
}

Float80 pack80(const Rounded& r) {
  if (r.inf) return inf80(r.sign);
  const uint16_t exp = r.sig >> 63 ? uint16_t(r.exp + kBias) : 0;
  return make80(r.sign, exp, r.sig);
}

Float80 round80(bool sign, u128 sig, int32_t e, Env& env, int precision) {
  Env local = env;
  if (precision) local.precision = uint8_t(precision);
  const Rounded r = round_to(sign, sig, e, kExtended, local, true);
  env.flags = local.flags;
  env.rounded_up = local.rounded_up;
  return pack80(r);
}

Unpacked unpack(Float80 v) {
  // Denormals and pseudo-denormals both read with exponent 1 - bias.
  int32_t e = (v.exp() ? v.exp() : 1) - kBias;
  uint64_t m = v.mant;
  const int lz = clz64(m);
  if (m) {
    m <<= lz;
    e -= lz;
  }
  return {v.sign(), e, m};
}

Class classify(Float80 v) {
  const uint16_t e = v.exp();
  const bool j = v.mant >> 63;
  if (e == 0) {
    if (v.mant == 0) return Class::kZero;
    return j ? Class::kPseudoDenormal : Class::kDenormal;
  }
  if (!j) return Class::kUnsupported;
  if (e != kExpMax) return Class::kNormal;
  if ((v.mant << 1) == 0) return Class::kInfinity;
  return v.mant & kQuietBit ? Class::kQNaN : Class::kSNaN;
}

Operand::Operand(Float80 x) : v(x), denormal(is_denormal(classify(x))) {}

}  // namespace kestrel::cpu::x87
