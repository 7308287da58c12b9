// SPDX-License-Identifier: MIT
// Inside the SSE floating-point core: the two formats' parameters, operands
// unpacked to a common 63-bit significand, NaN propagation, and rounding an
// exact-or-sticky intermediate back to a format (cpu/simd/round.cpp).
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

#include "cpu/simd/float.h"

namespace kestrel::cpu::simd {

using u128 = unsigned __int128;

template <class T> struct Format;
template <> struct Format<F32> {
  static constexpr int kFrac = 23, kExpBits = 8;
  static constexpr F32 kDefaultNan = kDefaultNan32;
};
template <> struct Format<F64> {
  static constexpr int kFrac = 52, kExpBits = 11;
  static constexpr F64 kDefaultNan = kDefaultNan64;
};

template <class T> struct Fmt : Format<T> {
  using Format<T>::kFrac;
  using Format<T>::kExpBits;
  static constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  static constexpr int kEmin = 1 - kBias, kEmax = kBias;
  static constexpr int kExpField = (1 << kExpBits) - 1;
  static constexpr T kSign = T(1) << (kFrac + kExpBits);
  static constexpr T kFracMask = (T(1) << kFrac) - 1;
  static constexpr T kQuiet = T(1) << (kFrac - 1);
  static constexpr T kInf = T(kExpField) << kFrac;
};

enum class Kind : uint8_t { kZero, kFinite, kInf, kQNaN, kSNaN };

/// An operand: for kFinite, value = sig × 2^(exp - 62) with bit 62 of sig set.
struct Unpacked {
  bool sign = false;
  Kind kind = Kind::kZero;
  bool denormal = false;  ///< a denormal operand read as such (DAZ clear)
  int32_t exp = 0;
  uint64_t sig = 0;

  bool nan() const { return kind == Kind::kQNaN || kind == Kind::kSNaN; }
  bool inf() const { return kind == Kind::kInf; }
  bool zero() const { return kind == Kind::kZero; }
};

/// Splits v; with `daz` a denormal reads as a zero of its sign.
template <class T> Unpacked unpack(T v, bool daz) {
  using F = Fmt<T>;
  Unpacked u;
  u.sign = (v & F::kSign) != 0;
  const int e = int((v >> F::kFrac) & F::kExpField);
  const T frac = v & F::kFracMask;
  if (e == F::kExpField) {
    u.kind = frac == 0 ? Kind::kInf : (frac & F::kQuiet) ? Kind::kQNaN : Kind::kSNaN;
  } else if (e == 0) {
    if (frac == 0 || daz) return u;
    const int s = std::countl_zero(uint64_t(frac)) - 1;
    u.kind = Kind::kFinite;
    u.denormal = true;
    u.sig = uint64_t(frac) << s;
    u.exp = F::kEmin - F::kFrac - s + 62;
  } else {
    u.kind = Kind::kFinite;
    u.sig = (uint64_t(frac) | uint64_t(1) << F::kFrac) << (62 - F::kFrac);
    u.exp = e - F::kBias;
  }
  return u;
}

/// v with a denormal replaced by a zero of its sign when `daz` is set.
template <class T> T daz_value(T v, bool daz) {
  using F = Fmt<T>;
  if (daz && (v & F::kInf) == 0) return v & F::kSign;
  return v;
}

template <class T> constexpr T pack_zero(bool sign) { return sign ? Fmt<T>::kSign : T(0); }
template <class T> constexpr T pack_inf(bool sign) { return pack_zero<T>(sign) | Fmt<T>::kInf; }
template <class T> constexpr T quiet(T v) { return v | Fmt<T>::kQuiet; }

/// The NaN result of an operation with a NaN operand: invalid for an SNaN;
/// the first operand if it is a NaN, else the second, made quiet (SDM 1
/// table 4-7, the SSE column).
template <class T> T propagate_nan(T a, T b, const Unpacked& ua, const Unpacked& ub, Env& env) {
  if (ua.kind == Kind::kSNaN || ub.kind == Kind::kSNaN) env.flags |= kIe;
  return quiet(ua.nan() ? a : b);
}

/// sig >> n, with any bits shifted out ORed into bit 0.
inline uint64_t shift_right_jam(uint64_t sig, int n) {
  if (n <= 0) return sig;
  if (n >= 64) return sig != 0;
  return sig >> n | ((sig & ((uint64_t(1) << n) - 1)) != 0);
}

/// Rounds sig >> shift to an integer in mode rc (shift >= 0; a sign for
/// the directed modes); `inexact` tells whether bits were lost.
uint64_t round_shift(uint64_t sig, int shift, bool sign, Rounding rc, bool& inexact);

/// Rounds sign × sig × 2^(exp - 62) (bit 62 of sig set; bit 0 a sticky
/// bit for anything below) to T: tininess after rounding, denormal results
/// or FTZ zeros, overflow to infinity or the largest finite value by
/// rounding mode, and the flags of each (SDM 1 §4.9.1.4-6, §10.2.3.3).
template <class T> T round_pack(bool sign, int32_t exp, uint64_t sig, Env& env);

/// sign × m exactly or rounded (integer to float conversions).
template <class T> T pack_integer(bool sign, uint64_t m, Env& env);

/// -1, 0 or 1 as a < b, a == b, a > b for non-NaN values (±0 equal).
template <class T> int order(T a, T b) {
  using F = Fmt<T>;
  using S = std::make_signed_t<T>;
  const S ka = (a & F::kSign) ? -S(a & ~F::kSign) : S(a);
  const S kb = (b & F::kSign) ? -S(b & ~F::kSign) : S(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

}  // namespace kestrel::cpu::simd
