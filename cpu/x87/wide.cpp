// SPDX-License-Identifier: MIT
// Arithmetic on the 128-bit-significand intermediate of the transcendental
// functions (cpu/x87/wide.h).
#include "cpu/x87/wide.h"

#include <utility>

namespace kestrel::cpu::x87 {
namespace {

/// Normalises the 192-bit magnitude hi:lo × 2^s to 128 bits (truncating).
Wide normalise192(bool sign, u128 hi, uint64_t lo, int32_t s) {
  if (hi == 0) return make_wide(sign, lo, s);
  const int lz = clz128(hi);
  u128 sig = hi << lz;
  if (lz > 64) sig |= u128(lo) << (lz - 64);
  else if (lz > 0) sig |= u128(lo) >> (64 - lz);
  return {sign, s + 191 - lz, sig};
}

}  // namespace

Wide make_wide(bool sign, u128 mag, int32_t e) {
  if (mag == 0) return {};
  const int lz = clz128(mag);
  return {sign, e + 127 - lz, mag << lz};
}

Wide to_wide(Float80 v) {
  if (classify(v) == Class::kZero) return {};
  const Unpacked x = unpack(v);
  return {x.sign, x.exp, u128(x.sig) << 64};
}

Wide wide_from_int(int64_t v) {
  const uint64_t mag = v < 0 ? 0 - uint64_t(v) : uint64_t(v);
  return make_wide(v < 0, mag, 0);
}

Wide operator-(Wide a) {
  if (!a.zero()) a.sign = !a.sign;
  return a;
}

bool less_magnitude(const Wide& a, const Wide& b) {
  if (a.zero()) return !b.zero();
  if (b.zero()) return false;
  return a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig);
}

Wide operator+(Wide a, Wide b) {
  if (a.zero()) return b;
  if (b.zero()) return a;
  if (less_magnitude(a, b)) std::swap(a, b);
  const int32_t d = a.exp - b.exp;
  // One spare bit on top for the carry.
  const u128 x = a.sig >> 1;
  const u128 y = d >= 127 ? 0 : (b.sig >> 1) >> d;
  const u128 s = a.sign == b.sign ? x + y : x - y;
  return make_wide(a.sign, s, a.exp - 126);
}

Wide operator-(Wide a, Wide b) { return a + (-b); }

Wide operator*(Wide a, Wide b) {
  if (a.zero() || b.zero()) return {};
  const uint64_t a1 = uint64_t(a.sig >> 64), a0 = uint64_t(a.sig);
  const uint64_t b1 = uint64_t(b.sig >> 64), b0 = uint64_t(b.sig);
  const u128 hh = u128(a1) * b1, hl = u128(a1) * b0, lh = u128(a0) * b1, ll = u128(a0) * b0;
  // The middle column, with its carry into the high half.
  const u128 mid = (ll >> 64) + uint64_t(hl) + uint64_t(lh);
  const u128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
  const uint64_t lo = uint64_t(mid);
  // hi:lo is the product's top 192 bits.
  return normalise192(a.sign != b.sign, hi, lo, a.exp + b.exp - 254 + 64);
}

Wide operator/(Wide a, Wide b) {
  if (a.zero()) return {};
  // Restoring division of a.sig × 2^127 by b.sig; the remainder has a 129th bit.
  u128 r = a.sig, q = 0;
  bool top = false;
  for (int i = 127; i >= 0; --i) {
    if (top || r >= b.sig) {
      r -= b.sig;
      q |= u128(1) << i;
    }
    top = r >> 127;
    r <<= 1;
  }
  return make_wide(a.sign != b.sign, q, a.exp - b.exp - 127);
}

Wide div_small(Wide a, uint64_t d) {
  if (a.zero()) return {};
  const u128 q1 = a.sig / d;
  const uint64_t r1 = uint64_t(a.sig % d);
  const uint64_t q0 = uint64_t((u128(r1) << 64) / d);
  // q1:q0 is a.sig × 2^64 / d.
  return normalise192(a.sign, q1, q0, a.exp - 127 - 64);
}

Float80 round_wide(const Wide& w, Env& env, Tail tail) {
  if (w.zero()) return zero80(w.sign);
  if (tail == Tail::kExact) return round80(w.sign, w.sig, w.exp - 127, env, 64);
  // One bit of the 128 makes room for a sticky bit on the right side.
  const u128 sig = tail == Tail::kBelow ? w.sig - 1 : w.sig;
  return round80(w.sign, (sig >> 1) | 1, w.exp - 126, env, 64);
}

}  // namespace kestrel::cpu::x87
