// SPDX-License-Identifier: MIT
// The x87 arithmetic core: 80-bit extended values, their classes, the
// rounding environment (precision and rounding control, exception masks) and
// the operations the instructions use. Everything is integer arithmetic, so
// results are bit-identical on every host. The register stack and the state
// images live in cpu/x87/fpu.h; instruction semantics in cpu/interp/x87_*.cpp.
#pragma once

#include <bit>
#include <cstdint>

namespace kestrel::cpu::x87 {

using u128 = unsigned __int128;

/// An 80-bit extended-precision value as stored in a register or in memory.
struct Float80 {
  uint64_t mant = 0;  ///< significand with the explicit integer bit (bit 63)
  uint16_t se = 0;    ///< sign (bit 15) and biased exponent (bits 14:0)

  constexpr bool sign() const { return se >> 15; }
  constexpr uint16_t exp() const { return se & 0x7fff; }
  constexpr bool operator==(const Float80&) const = default;
};

inline constexpr int kBias = 16383;
inline constexpr uint16_t kExpMax = 0x7fff;
inline constexpr uint64_t kIntBit = uint64_t{1} << 63;
inline constexpr uint64_t kQuietBit = uint64_t{1} << 62;

constexpr Float80 make80(bool sign, uint16_t exp, uint64_t mant) {
  return {mant, uint16_t(uint16_t(sign) << 15 | exp)};
}
/// The QNaN floating-point indefinite, the masked response to invalid operations.
inline constexpr Float80 kIndefinite = make80(true, kExpMax, 0xC000000000000000);
inline constexpr Float80 kZero80 = make80(false, 0, 0);
inline constexpr Float80 kOne80 = make80(false, kBias, kIntBit);

/// Operand classes (SDM 1 §8.2.2, table 8-3); pseudo-denormals are tagged
/// apart because they read as exponent 1, and "unsupported" covers unnormals,
/// pseudo-infinities and pseudo-NaNs (§8.2.2, table 8-2).
enum class Class : uint8_t {
  kZero, kDenormal, kPseudoDenormal, kNormal, kInfinity, kQNaN, kSNaN, kUnsupported,
};
Class classify(Float80 v);
inline bool is_nan(Class c) { return c == Class::kQNaN || c == Class::kSNaN; }
inline bool is_denormal(Class c) { return c == Class::kDenormal || c == Class::kPseudoDenormal; }
inline Float80 quiet(Float80 v) { return {v.mant | kQuietBit, v.se}; }
inline Float80 negate(Float80 v) { return {v.mant, uint16_t(v.se ^ 0x8000)}; }

/// Exception flags, laid out as FSW/FCW bits 0-5, plus the stack fault bit.
enum Exception : uint16_t {
  kIe = 1u << 0, kDe = 1u << 1, kZe = 1u << 2, kOe = 1u << 3, kUe = 1u << 4, kPe = 1u << 5,
  kSf = 1u << 6,
};
inline constexpr uint16_t kExceptionMask = 0x3f;

/// FCW.RC.
enum class Rounding : uint8_t { kNearest, kDown, kUp, kZero };

/// The environment of one operation: controls in, raised exceptions out.
struct Env {
  Rounding rc = Rounding::kNearest;
  uint8_t precision = 64;  ///< significand bits of results: 24, 53 or 64 (FCW.PC)
  uint8_t masks = 0x3f;    ///< FCW bits 0-5
  uint16_t flags = 0;      ///< Exception bits raised so far
  bool rounded_up = false; ///< the inexact result was rounded away from zero (C1)

  /// Rounding and masks from a control word; precision from FCW.PC (the
  /// reserved setting 01 rounds to 64 bits, as the hardware measured does).
  static Env from_fcw(uint16_t fcw);
  /// Exceptions among `e` that are raised and unmasked.
  uint16_t unmasked(uint16_t e) const { return flags & e & ~masks & kExceptionMask; }
  /// An unmasked invalid, denormal or zero-divide exception: the
  /// instruction leaves its destination and the stack unchanged (SDM 1 §8.5).
  bool aborts() const { return unmasked(kIe | kDe | kZe) != 0; }
};

/// An operand with what its source format said about it: a single or double
/// value that was denormal loads as a normal extended value but still raises
/// the denormal-operand exception (SDM 1 §8.5.2).
struct Operand {
  Float80 v;
  bool denormal;
  Operand(Float80 x);  // NOLINT: every register value is an operand
  Operand(Float80 x, bool den) : v(x), denormal(den) {}
};

// ---- rounding (round.cpp) ----
/// A destination format: significand bits and the exponent range of normals.
struct Format {
  int precision;
  int emin, emax;
};
inline constexpr Format kExtended{64, -16382, 16383};
inline constexpr Format kDouble{53, -1022, 1023};
inline constexpr Format kSingle{24, -126, 127};

/// A value rounded to a Format; sig's bit 63 is the integer bit (clear for
/// denormals and zero, whose exp is then emin).
struct Rounded {
  bool sign = false;
  bool inf = false;
  bool suppressed = false;  ///< unmasked overflow/underflow on a store: nothing to write
  int32_t exp = 0;
  uint64_t sig = 0;
};

/// Rounds sign × sig × 2^e (sig > 0) to `f` under env. `to_register` selects
/// the unmasked overflow/underflow response: the result with its exponent
/// adjusted by 24576 for a register, nothing (suppressed) for memory
/// (SDM 1 §8.5.3, §8.5.4).
Rounded round_to(bool sign, u128 sig, int32_t e, Format f, Env& env, bool to_register);
/// Rounds to the extended format at FCW precision (or `precision` when given).
Float80 round80(bool sign, u128 sig, int32_t e, Env& env, int precision = 0);
Float80 pack80(const Rounded& r);
/// The value of a finite nonzero operand: sig (normalised) × 2^(exp - 63).
struct Unpacked {
  bool sign;
  int32_t exp;
  uint64_t sig;
};
Unpacked unpack(Float80 v);
/// A signed zero or infinity.
inline Float80 zero80(bool sign) { return make80(sign, 0, 0); }
inline Float80 inf80(bool sign) { return make80(sign, kExpMax, kIntBit); }

// ---- arithmetic (arith.cpp) ----
Float80 add(Operand a, Operand b, Env& env);
Float80 sub(Operand a, Operand b, Env& env);
Float80 mul(Operand a, Operand b, Env& env);
Float80 div(Operand a, Operand b, Env& env);
Float80 sqrt(Operand a, Env& env);
/// The NaN result of an operation with a NaN or unsupported operand, with the
/// exceptions it raises; false when neither operand is one (SDM 1 table 4-7).
bool special_operands(Float80 a, Float80 b, Env& env, Float80& out);
bool special_operand(Float80 a, Env& env, Float80& out);

enum class Order : uint8_t { kGreater, kLess, kEqual, kUnordered };
/// FCOM/FUCOM ordering; `quiet` (FUCOM) raises invalid only for SNaNs.
Order compare(Operand a, Operand b, Env& env, bool quiet);

// ---- remainders, scaling, rounding to integer (misc.cpp) ----
struct Remainder {
  Float80 value;
  uint8_t quotient = 0;  ///< the low three bits of the quotient
  bool partial = false;  ///< C2: the reduction is incomplete
  bool reduced = false;  ///< a reduction took place (else C0 and C3 stay)
};
/// FPREM (truncating quotient) and FPREM1 (`ieee`, nearest quotient).
Remainder prem(Operand a, Operand b, Env& env, bool ieee);
Float80 scale(Operand a, Operand b, Env& env);
/// FXTRACT: {exponent, significand}.
struct Extracted {
  Float80 exponent, significand;
};
Extracted xtract(Operand a, Env& env);
Float80 round_to_integer(Operand a, Env& env);

// ---- conversions (convert.cpp) ----
Operand from_f32(uint32_t bits);
Operand from_f64(uint64_t bits);
Float80 from_int(int64_t v);
uint32_t to_f32(Operand a, Env& env, bool& suppressed);
uint64_t to_f64(Operand a, Env& env, bool& suppressed);
/// FIST/FISTTP to a `bits`-wide integer; the integer indefinite on invalid.
int64_t to_int(Operand a, unsigned bits, Env& env, bool truncate);
/// FBLD / FBSTP: packed BCD, 18 digits and a sign byte, little-endian.
Float80 from_bcd(const uint8_t (&bcd)[10]);
void to_bcd(Operand a, Env& env, uint8_t (&bcd)[10]);

// ---- helpers shared by the core's files ----
inline int clz64(uint64_t v) { return std::countl_zero(v); }
inline int clz128(u128 v) {
  const uint64_t hi = uint64_t(v >> 64);
  return hi ? clz64(hi) : 64 + clz64(uint64_t(v));
}
/// v >> n, with the bits shifted out ORed into bit 0 (n may exceed 127).
inline u128 shift_right_sticky(u128 v, int n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0;
  return (v >> n) | ((v & ((u128(1) << n) - 1)) != 0);
}

}  // namespace kestrel::cpu::x87
