// SPDX-License-Identifier: MIT
// A 128-bit-significand binary float for the transcendental functions: enough
// headroom that results rounded to 64 bits are correctly rounded except in
// the rarest cases. Truncating arithmetic, integers only; not an x87 format.
#pragma once

#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {

struct Wide {
  bool sign = false;
  int32_t exp = 0;  ///< value = sig × 2^(exp - 127)
  u128 sig = 0;     ///< normalised (bit 127 set), or 0 for zero

  bool zero() const { return sig == 0; }
};

constexpr u128 wide_sig(uint64_t hi, uint64_t lo) { return u128(hi) << 64 | lo; }
inline constexpr Wide kWidePi{false, 1, wide_sig(0xc90fdaa22168c234, 0xc4c6628b80dc1cd1)};
inline constexpr Wide kWidePi2{false, 0, wide_sig(0xc90fdaa22168c234, 0xc4c6628b80dc1cd1)};
inline constexpr Wide kWidePi4{false, -1, wide_sig(0xc90fdaa22168c234, 0xc4c6628b80dc1cd1)};
inline constexpr Wide kWide3Pi4{false, 1, wide_sig(0x96cbe3f9990e91a7, 0x9394c9e8a0a5159d)};
inline constexpr Wide kWideLn2{false, -1, wide_sig(0xb17217f7d1cf79ab, 0xc9e3b39803f2f6af)};
inline constexpr Wide kWideLog2e{false, 0, wide_sig(0xb8aa3b295c17f0bb, 0xbe87fed0691d3e89)};
inline constexpr Wide kWideSqrt2{false, 0, wide_sig(0xb504f333f9de6484, 0x597d89b3754abe9f)};
inline constexpr Wide kWideOne{false, 0, u128(1) << 127};

/// A finite extended value, exactly.
Wide to_wide(Float80 v);
Wide wide_from_int(int64_t v);
/// sign × mag × 2^e, normalised.
Wide make_wide(bool sign, u128 mag, int32_t e);
Wide operator+(Wide a, Wide b);
Wide operator-(Wide a, Wide b);
Wide operator*(Wide a, Wide b);
Wide operator/(Wide a, Wide b);
Wide operator-(Wide a);
Wide div_small(Wide a, uint64_t d);
/// |a| < |b|.
bool less_magnitude(const Wide& a, const Wide& b);
/// Where the true value lies relative to an approximation: its magnitude
/// is above (the default for truncated results), below, or equal.
enum class Tail : int8_t { kBelow = -1, kExact = 0, kAbove = 1 };
/// Rounds to the extended format at 64 bits. An inexact tail raises the
/// precision flag and decides the direction when w itself is representable.
Float80 round_wide(const Wide& w, Env& env, Tail tail = Tail::kAbove);

}  // namespace kestrel::cpu::x87
