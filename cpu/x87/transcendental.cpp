// SPDX-License-Identifier: MIT
// Transcendental functions: argument reduction as the hardware does it,
// power series on the 128-bit intermediate, one final rounding, and the
// special-operand tables of SDM 2 (FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
// F2XM1, FYL2X, FYL2XP1). Series live in series.cpp.
#include "cpu/x87/transcendental.h"

#include "cpu/x87/series.h"
#include "cpu/x87/wide.h"

namespace kestrel::cpu::x87 {
namespace {

/// The x87 reduces trigonometric arguments modulo pi/2 with a 66-bit pi
/// (0xC90FDAA22168C234C × 2^-66): results near multiples of pi follow that
/// constant, not the true pi (SDM 1 §8.3.10). Matching it keeps Kestrel
/// within an ulp of hardware for every argument.
constexpr u128 kPi66 = u128(0xC90FDAA22168C234) << 4 | 0xC;

struct Reduced {
  Wide r;      ///< in [-pi66/4, pi66/4]
  unsigned q;  ///< the quadrant: x = q × pi66/2 + r (mod 2 pi66)
};

/// Exact reduction of a finite x with |x| < 2^63.
Reduced reduce(const Unpacked& x) {
  if (x.exp < -1) return {make_wide(x.sign, x.sig, x.exp - 63), 0};
  // rem = |x| × 2^67 mod pi66 × 2^67 by shift-and-subtract; pi66 × 2^67 = kPi66 × 2.
  u128 rem = x.sig;
  unsigned q = 0;
  for (int i = 0; i < x.exp + 4; ++i) {
    rem <<= 1;
    q <<= 1;
    if (rem >= kPi66) {
      rem -= kPi66;
      q |= 1;
    }
  }
  bool neg = false;
  if (2 * rem > kPi66) {
    rem = kPi66 - rem;
    neg = true;
    ++q;
  }
  Reduced red{make_wide(neg, rem, -67), q & 3};
  if (x.sign) {
    red.r = -red.r;
    red.q = (4 - red.q) & 3;
  }
  return red;
}

enum class TrigStep : uint8_t { kCompute, kDone, kOutOfRange };

/// The screen every trigonometric instruction starts with: NaNs,
/// unsupported values, infinities (invalid), |x| >= 2^63, denormals.
TrigStep screen_trig(Operand x, Env& env, Float80& out) {
  if (special_operand(x.v, env, out)) return TrigStep::kDone;
  const Class c = classify(x.v);
  if (c == Class::kInfinity) {
    env.flags |= kIe;
    out = kIndefinite;
    return TrigStep::kDone;
  }
  if (c != Class::kZero && unpack(x.v).exp >= 63) return TrigStep::kOutOfRange;
  if (x.denormal) env.flags |= kDe;
  if (env.aborts()) {
    out = x.v;
    return TrigStep::kDone;
  }
  return TrigStep::kCompute;
}

/// For small r the series results sit a hair from r (or 1): when the
/// correction is too small to show in 128 bits, its sign decides the
/// rounding direction (and C1).
bool tiny(const Wide& r) { return r.exp < -32; }

/// sin or cos of x through the quadrant: sin(q pi/2 + r) cycles through
/// sin r, cos r, -sin r, -cos r; both series fall short of their first term.
Float80 sin_quadrant(const Reduced& red, unsigned shift, Env& env) {
  const unsigned q = (red.q + shift) & 3;
  const Wide v = q & 1 ? cos_series(red.r) : sin_series(red.r);
  return round_wide(q & 2 ? -v : v, env, tiny(red.r) ? Tail::kBelow : Tail::kAbove);
}

/// tan(q pi/2 + r): tan r (above r) for even q, -cot r (below 1/r, which
/// is exact for a power of two) for odd q.
Float80 tan_quadrant(const Reduced& red, Env& env) {
  const Wide s = sin_series(red.r), c = cos_series(red.r);
  if (!(red.q & 1)) return round_wide(s / c, env);
  const bool exact = tiny(red.r) && (red.r.sig << 1) == 0;
  return round_wide(-(c / s), env, exact ? Tail::kBelow : Tail::kAbove);
}

}  // namespace

Trig fsin(Operand x, Env& env) {
  Trig t;
  switch (screen_trig(x, env, t.first)) {
    case TrigStep::kDone: return t;
    case TrigStep::kOutOfRange: t.out_of_range = true; return t;
    case TrigStep::kCompute: break;
  }
  if (classify(x.v) == Class::kZero) {
    t.first = x.v;
    return t;
  }
  t.first = sin_quadrant(reduce(unpack(x.v)), 0, env);
  return t;
}

Trig fcos(Operand x, Env& env) {
  Trig t;
  switch (screen_trig(x, env, t.first)) {
    case TrigStep::kDone: return t;
    case TrigStep::kOutOfRange: t.out_of_range = true; return t;
    case TrigStep::kCompute: break;
  }
  if (classify(x.v) == Class::kZero) {
    t.first = kOne80;
    return t;
  }
  t.first = sin_quadrant(reduce(unpack(x.v)), 1, env);
  return t;
}

Trig fsincos(Operand x, Env& env) {
  Trig t;
  switch (screen_trig(x, env, t.first)) {
    case TrigStep::kDone: t.second = t.first; return t;
    case TrigStep::kOutOfRange: t.out_of_range = true; return t;
    case TrigStep::kCompute: break;
  }
  if (classify(x.v) == Class::kZero) {
    t.first = x.v;
    t.second = kOne80;
    return t;
  }
  const Reduced red = reduce(unpack(x.v));
  // C1 reports the rounding of the sine, as on the hardware measured.
  t.second = sin_quadrant(red, 1, env);
  t.first = sin_quadrant(red, 0, env);
  return t;
}

Trig fptan(Operand x, Env& env) {
  Trig t;
  t.second = kOne80;
  switch (screen_trig(x, env, t.first)) {
    case TrigStep::kDone: t.second = t.first; return t;
    case TrigStep::kOutOfRange: t.out_of_range = true; return t;
    case TrigStep::kCompute: break;
  }
  if (classify(x.v) == Class::kZero) {
    t.first = x.v;
    return t;
  }
  t.first = tan_quadrant(reduce(unpack(x.v)), env);
  return t;
}

}  // namespace kestrel::cpu::x87
