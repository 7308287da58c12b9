// SPDX-License-Identifier: MIT
// Conversions of the SSE floating-point core: between the two formats,
// to and from signed integers, and to integral values (ROUNDPS), plus the
// RCPPS/RSQRTPS approximations.
#include <limits>

#include "cpu/simd/format.h"

namespace kestrel::cpu::simd {
namespace soft {

F64 widen(F32 a, Env& env) {
  const Unpacked u = unpack(a, env.daz);
  if (u.nan()) {
    // The payload keeps its place at the top of the fraction.
    if (u.kind == Kind::kSNaN) env.flags |= kIe;
    const F64 sign = F64(a & Fmt<F32>::kSign) << 32;
    return quiet<F64>(sign | Fmt<F64>::kInf | F64(a & Fmt<F32>::kFracMask) << 29);
  }
  if (u.inf()) return pack_inf<F64>(u.sign);
  if (u.zero()) return pack_zero<F64>(u.sign);
  if (u.denormal) env.flags |= kDe;
  return round_pack<F64>(u.sign, u.exp, u.sig, env);
}

F32 narrow(F64 a, Env& env) {
  const Unpacked u = unpack(a, env.daz);
  if (u.nan()) {
    // The low 29 bits of the payload are dropped.
    if (u.kind == Kind::kSNaN) env.flags |= kIe;
    const F32 sign = F32(a >> 32) & Fmt<F32>::kSign;
    return quiet<F32>(sign | Fmt<F32>::kInf | F32((a & Fmt<F64>::kFracMask) >> 29));
  }
  if (u.inf()) return pack_inf<F32>(u.sign);
  if (u.zero()) return pack_zero<F32>(u.sign);
  if (u.denormal) env.flags |= kDe;
  return round_pack<F32>(u.sign, u.exp, u.sig, env);
}

template <class T> T from_int(int64_t v, Env& env) {
  const uint64_t magnitude = v < 0 ? 0 - uint64_t(v) : uint64_t(v);
  return pack_integer<T>(v < 0, magnitude, env);
}

template <class I, class T> I to_int(T a, bool truncate, Env& env) {
  constexpr I kIndefinite = std::numeric_limits<I>::min();
  // No DE here: a denormal operand is just a value that rounds to 0 or ±1
  // (SDM 2 CVTSS2SI lists invalid and precision only).
  const Unpacked u = unpack(a, env.daz);
  if (u.nan() || u.inf() || (u.kind == Kind::kFinite && u.exp > 63)) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (u.zero()) return 0;
  bool inexact = false;
  const uint64_t m = u.exp == 63 ? u.sig << 1
                                 : round_shift(u.sig, 62 - u.exp, u.sign,
                                               truncate ? Rounding::kZero : env.rc, inexact);
  const uint64_t limit = uint64_t(std::numeric_limits<I>::max()) + u.sign;
  if (m > limit) {
    env.flags |= kIe;  // out of range: invalid only, whether exact or not
    return kIndefinite;
  }
  if (inexact) env.flags |= kPe;
  return I(u.sign ? 0 - m : m);
}

template F32 from_int<F32>(int64_t, Env&);
template F64 from_int<F64>(int64_t, Env&);
template int32_t to_int<int32_t, F32>(F32, bool, Env&);
template int64_t to_int<int64_t, F32>(F32, bool, Env&);
template int32_t to_int<int32_t, F64>(F64, bool, Env&);
template int64_t to_int<int64_t, F64>(F64, bool, Env&);

}  // namespace soft

template <class T> T round_integral(T a, Rounding rc, bool suppress_inexact, Env& env) {
  // No DE either (SDM 2 ROUNDPS: invalid for SNaNs, precision).
  const Unpacked u = unpack(a, env.daz);
  if (u.nan()) return propagate_nan(a, a, u, u, env);
  if (u.kind != Kind::kFinite) return daz_value(a, env.daz);
  if (u.exp >= Fmt<T>::kFrac) return a;  // no fraction bits left
  bool inexact = false;
  const uint64_t m = round_shift(u.sig, 62 - u.exp, u.sign, rc, inexact);
  if (inexact && !suppress_inexact) env.flags |= kPe;
  return pack_integer<T>(u.sign, m, env);  // exact: m <= 2^kFrac; keeps -0
}

namespace {

constexpr F64 kOne64 = 0x3ff0000000000000;

/// x (binary64, positive finite) rounded to 13 significant bits, as
/// binary32; zero when that is below the smallest normal binary32.
F32 approximate(F64 x, bool sign) {
  constexpr int kDropped = 52 - 12;
  const F64 r = (x + (F64(1) << (kDropped - 1))) & ~((F64(1) << kDropped) - 1);
  const int exp = int(r >> 52) - Fmt<F64>::kBias;
  if (exp < Fmt<F32>::kEmin) return pack_zero<F32>(sign);
  Env exact;
  return soft::narrow(r, exact) | (sign ? Fmt<F32>::kSign : 0);
}

}  // namespace

F32 reciprocal(F32 a) {
  const Unpacked u = unpack(a, true);
  if (u.nan()) return quiet(a);
  if (u.zero()) return pack_inf<F32>(u.sign);
  if (u.inf()) return pack_zero<F32>(u.sign);
  Env env;
  const F64 q = soft::div<F64>(kOne64, soft::widen(a & ~Fmt<F32>::kSign, env), env);
  return approximate(q, u.sign);
}

F32 reciprocal_sqrt(F32 a) {
  const Unpacked u = unpack(a, true);
  if (u.nan()) return quiet(a);
  if (u.zero()) return pack_inf<F32>(u.sign);
  if (u.sign) return kDefaultNan32;
  if (u.inf()) return pack_zero<F32>(false);
  Env env;
  const F64 q = soft::div<F64>(kOne64, soft::sqrt<F64>(soft::widen(a, env), env), env);
  return approximate(q, false);
}

template F32 round_integral<F32>(F32, Rounding, bool, Env&);
template F64 round_integral<F64>(F64, Rounding, bool, Env&);

}  // namespace kestrel::cpu::simd
