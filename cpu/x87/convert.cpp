// SPDX-License-Identifier: MIT
// Conversions between the extended format and the memory formats: single
// and double real, 16/32/64-bit integers and 18-digit packed BCD, with the
// exceptions and indefinite values of FLD/FST/FILD/FIST/FBLD/FBSTP
// (SDM 1 §4.2.2, §4.7, §8.5; SDM 2 FIST, FBSTP).
#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {
namespace {

struct IeeeFormat {
  int frac_bits;
  int exp_bits;
};
constexpr IeeeFormat kF32{23, 8};
constexpr IeeeFormat kF64{52, 11};

/// Widens a single or double real exactly. SNaNs stay signalling so the
/// instruction using them raises invalid; denormals come back normalised,
/// flagged for the denormal-operand exception.
Operand widen(uint64_t bits, IeeeFormat f) {
  const int width = f.frac_bits + f.exp_bits + 1;
  const bool sign = bits >> (width - 1) & 1;
  const uint32_t emax = (1u << f.exp_bits) - 1;
  const uint32_t exp = uint32_t(bits >> f.frac_bits) & emax;
  const uint64_t frac = bits & ((uint64_t{1} << f.frac_bits) - 1);
  const int bias = int(emax >> 1);
  if (exp == emax) {
    return {make80(sign, kExpMax, kIntBit | frac << (63 - f.frac_bits)), false};
  }
  if (exp == 0) {
    if (frac == 0) return {zero80(sign), false};
    const int lz = clz64(frac);
    // frac × 2^(1 - bias - frac_bits): the leading bit sits at 63 - lz.
    const int32_t e = 1 - bias - f.frac_bits + (63 - lz);
    return {make80(sign, uint16_t(e + kBias), frac << lz), true};
  }
  return {make80(sign, uint16_t(int(exp) - bias + kBias), kIntBit | frac << (63 - f.frac_bits)),
          false};
}

/// Rounds to a single or double real; `suppressed` when an unmasked
/// overflow or underflow leaves memory unwritten.
uint64_t narrow(Operand a, IeeeFormat f, Format fmt, Env& env, bool& suppressed) {
  suppressed = false;
  const int width = f.frac_bits + f.exp_bits + 1;
  const uint64_t sign_bit = uint64_t{1} << (width - 1);
  const uint64_t emax = (uint64_t{1} << f.exp_bits) - 1;
  const uint64_t inf = emax << f.frac_bits;
  const Class c = classify(a.v);
  const uint64_t sign = a.v.sign() ? sign_bit : 0;
  if (c == Class::kUnsupported) {
    env.flags |= kIe;
    return sign_bit | inf | uint64_t{1} << (f.frac_bits - 1);
  }
  if (is_nan(c)) {
    if (c == Class::kSNaN) env.flags |= kIe;
    return sign | inf | (quiet(a.v).mant << 1 >> (64 - f.frac_bits));
  }
  if (c == Class::kInfinity) return sign | inf;
  if (c == Class::kZero) return sign;
  // A denormal source raises no denormal exception on a store: the
  // hardware measured reports none, and the SDM lists none for FST.
  // Precision control rounds arithmetic results, not stores: the
  // destination format alone sets the precision.
  const uint8_t pc = env.precision;
  env.precision = 64;
  const Unpacked x = unpack(a.v);
  const Rounded r = round_to(x.sign, x.sig, x.exp - 63, fmt, env, false);
  env.precision = pc;
  if (r.suppressed) {
    suppressed = true;
    return 0;
  }
  if (r.inf) return sign | inf;
  const uint64_t exp = r.sig >> 63 ? uint64_t(r.exp + int(emax >> 1)) : 0;
  const uint64_t frac = (r.sig << 1) >> (64 - f.frac_bits);
  return sign | exp << f.frac_bits | frac;
}

/// |a| rounded (or truncated) to an integer: magnitude, or false when it
/// does not fit in 64 bits.
bool integer_magnitude(const Unpacked& x, Env& env, bool truncate, uint64_t& mag) {
  if (x.exp >= 64) return false;
  if (x.exp >= 63) {
    mag = x.sig;
    return true;
  }
  // Fixed point: 64 integer bits and 64 fraction bits (sticky at the bottom).
  const int shift = x.exp + 1;
  const u128 v = shift >= 0 ? u128(x.sig) << shift : shift_right_sticky(u128(x.sig), -shift);
  const uint64_t frac = uint64_t(v);
  uint64_t ip = uint64_t(v >> 64);
  const bool inexact = frac != 0;
  bool up = false;
  if (inexact && !truncate) {
    const uint64_t half = kIntBit;
    switch (env.rc) {
      case Rounding::kNearest: up = frac > half || (frac == half && (ip & 1)); break;
      case Rounding::kDown: up = x.sign; break;
      case Rounding::kUp: up = !x.sign; break;
      case Rounding::kZero: break;
    }
  }
  if (up && ++ip == 0) return false;
  mag = ip;
  if (inexact) {
    env.flags |= kPe;
    env.rounded_up = up;
  }
  return true;
}

}  // namespace

Operand from_f32(uint32_t bits) { return widen(bits, kF32); }
Operand from_f64(uint64_t bits) { return widen(bits, kF64); }

Float80 from_int(int64_t v) {
  if (v == 0) return kZero80;
  const bool sign = v < 0;
  const uint64_t mag = sign ? 0 - uint64_t(v) : uint64_t(v);
  const int lz = clz64(mag);
  return make80(sign, uint16_t(kBias + 63 - lz), mag << lz);
}

uint32_t to_f32(Operand a, Env& env, bool& suppressed) {
  return uint32_t(narrow(a, kF32, kSingle, env, suppressed));
}
uint64_t to_f64(Operand a, Env& env, bool& suppressed) {
  return narrow(a, kF64, kDouble, env, suppressed);
}

int64_t to_int(Operand a, unsigned bits, Env& env, bool truncate) {
  const int64_t indefinite = int64_t(~uint64_t{0} << (bits - 1));  // 80...0h
  const Class c = classify(a.v);
  if (c == Class::kZero) return 0;
  if (c == Class::kUnsupported || is_nan(c) || c == Class::kInfinity) {
    env.flags |= kIe;
    return indefinite;
  }
  const Unpacked x = unpack(a.v);
  Env trial = env;
  uint64_t mag;
  const uint64_t limit = (uint64_t{1} << (bits - 1)) - (x.sign ? 0 : 1);
  if (!integer_magnitude(x, trial, truncate, mag) || mag > limit) {
    env.flags |= kIe;  // out of range: no precision exception (SDM 2 FIST)
    return indefinite;
  }
  env = trial;
  return x.sign ? int64_t(0 - mag) : int64_t(mag);
}

Float80 from_bcd(const uint8_t (&bcd)[10]) {
  // Digits outside 0-9 give an undefined result (SDM 2 FBLD); they are
  // weighted as their binary value here.
  uint64_t v = 0;
  for (int i = 8; i >= 0; --i) v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 0xf);
  const bool sign = bcd[9] & 0x80;
  if (v == 0) return zero80(sign);
  const Float80 r = from_int(int64_t(v));
  return make80(sign, r.exp(), r.mant);
}

void to_bcd(Operand a, Env& env, uint8_t (&bcd)[10]) {
  static constexpr uint64_t kMax = 999'999'999'999'999'999;
  const Class c = classify(a.v);
  uint64_t mag = 0;
  bool ok = c == Class::kZero;
  if (!ok && (c == Class::kNormal || is_denormal(c))) {
    Env trial = env;
    ok = integer_magnitude(unpack(a.v), trial, false, mag) && mag <= kMax;
    if (ok) env = trial;
  }
  if (!ok) {
    // The packed BCD indefinite (SDM 1 table 4-4).
    env.flags |= kIe;
    static constexpr uint8_t kBcdIndefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
    for (int i = 0; i < 10; ++i) bcd[i] = kBcdIndefinite[i];
    return;
  }
  for (int i = 0; i < 9; ++i) {
    bcd[i] = uint8_t((mag % 10) | (mag / 10 % 10) << 4);
    mag /= 100;
  }
  bcd[9] = a.v.sign() ? 0x80 : 0;
}

Float80 round_to_integer(Operand a, Env& env) {
  Float80 out;
  if (special_operand(a.v, env, out)) return out;
  const Class c = classify(a.v);
  if (c == Class::kZero || c == Class::kInfinity) return a.v;
  if (a.denormal) env.flags |= kDe;
  if (env.aborts()) return a.v;
  const Unpacked x = unpack(a.v);
  if (x.exp >= 63) return make80(x.sign, uint16_t(x.exp + kBias), x.sig);
  uint64_t mag = 0;
  integer_magnitude(x, env, false, mag);
  if (mag == 0) return zero80(x.sign);
  const int lz = clz64(mag);
  return make80(x.sign, uint16_t(kBias + 63 - lz), mag << lz);
}

}  // namespace kestrel::cpu::x87
