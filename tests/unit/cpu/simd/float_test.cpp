// SPDX-License-Identifier: MIT
// The SSE floating-point core (cpu/simd/) on hand-checked hard cases:
// rounding in every mode, tininess after rounding, denormals with and
// without DAZ/FTZ, overflow by mode, NaN operand orders, invalid
// operations, conversions at their boundaries, RCP/RSQRT bounds.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>

#include "cpu/simd/float.h"

namespace kestrel::cpu::simd {
namespace {

Env env_with(Rounding rc = Rounding::kNearest, uint32_t extra = 0) {
  return Env::from_mxcsr(0x1f80 | extra | uint32_t(rc) << kMxcsrRcShift);
}

constexpr F32 kOne = 0x3f800000, kTwo = 0x40000000, kHalf = 0x3f000000;
constexpr F32 kMax32 = 0x7f7fffff, kInf32 = 0x7f800000, kMinNormal32 = 0x00800000;

TEST_CASE("simd: 1 + 2^-24 is a tie, rounded in each mode") {
  const F32 half_ulp = 0x33800000;  // 2^-24
  struct Case { Rounding rc; F32 pos, neg; };
  for (const Case c : {Case{Rounding::kNearest, 0x3f800000, 0xbf800000},
                       Case{Rounding::kDown, 0x3f800000, 0xbf800001},
                       Case{Rounding::kUp, 0x3f800001, 0xbf800000},
                       Case{Rounding::kZero, 0x3f800000, 0xbf800000}}) {
    Env e = env_with(c.rc);
    CHECK(add<F32>(kOne, half_ulp, e) == c.pos);
    CHECK(sub<F32>(0xbf800000, half_ulp, e) == c.neg);
    CHECK(e.flags == kPe);
  }
  // A tie above an odd significand goes up to even.
  Env e = env_with();
  CHECK(add<F32>(0x3f800001, half_ulp, e) == 0x3f800002);
}

TEST_CASE("simd: 1/3 by mode, in both formats") {
  Env rn = env_with(), rd = env_with(Rounding::kDown), ru = env_with(Rounding::kUp);
  CHECK(div<F32>(kOne, 0x40400000, rn) == 0x3eaaaaab);
  CHECK(div<F32>(kOne, 0x40400000, rd) == 0x3eaaaaaa);
  CHECK(div<F32>(kOne, 0x40400000, ru) == 0x3eaaaaab);
  CHECK(div<F64>(0x3ff0000000000000, 0x4008000000000000, rn) == 0x3fd5555555555555);
  CHECK(div<F64>(0x3ff0000000000000, 0x4008000000000000, ru) == 0x3fd5555555555556);
  CHECK(rn.flags == kPe);
}

TEST_CASE("simd: an exact zero sum is +0, or -0 rounding down") {
  Env rn = env_with(), rd = env_with(Rounding::kDown);
  CHECK(sub<F32>(kOne, kOne, rn) == 0);
  CHECK(sub<F32>(kOne, kOne, rd) == 0x80000000);
  CHECK(add<F32>(0x80000000, 0x80000000, rn) == 0x80000000);
  CHECK(add<F32>(0x80000000, 0, rn) == 0);
  CHECK(add<F32>(0x80000000, 0, rd) == 0x80000000);
  CHECK(rn.flags == 0);
}

TEST_CASE("simd: square roots") {
  Env e = env_with();
  CHECK(sqrt<F32>(0x40800000, e) == kTwo);  // sqrt 4
  CHECK(e.flags == 0);
  CHECK(sqrt<F64>(0x4000000000000000, e) == 0x3ff6a09e667f3bcd);  // sqrt 2
  CHECK(e.flags == kPe);
  Env neg = env_with();
  CHECK(sqrt<F32>(0x80000000, neg) == 0x80000000);  // sqrt(-0) = -0, no flags
  CHECK(neg.flags == 0);
  CHECK(sqrt<F32>(0xbf800000, neg) == kDefaultNan32);
  CHECK(neg.flags == kIe);
  // A negative denormal is invalid before it is denormal.
  Env den = env_with();
  CHECK(sqrt<F32>(0x80000003, den) == kDefaultNan32);
  CHECK(den.flags == kIe);
  Env daz = env_with(Rounding::kNearest, kMxcsrDaz);
  CHECK(sqrt<F32>(0x80000003, daz) == 0x80000000);
  CHECK(daz.flags == 0);
}

TEST_CASE("simd: denormal operands with and without DAZ") {
  Env plain = env_with();
  CHECK(add<F32>(1, 1, plain) == 2);  // exact: no UE, no PE
  CHECK(plain.flags == kDe);
  Env daz = env_with(Rounding::kNearest, kMxcsrDaz);
  CHECK(add<F32>(1, 1, daz) == 0);
  CHECK(daz.flags == 0);
  // FTZ flushes even an exact tiny result, with UE and PE.
  Env ftz = env_with(Rounding::kNearest, kMxcsrFtz);
  CHECK(add<F32>(1, 1, ftz) == 0);
  CHECK(ftz.flags == (kDe | kUe | kPe));
  Env ftz_mul = env_with(Rounding::kNearest, kMxcsrFtz);
  CHECK(mul<F32>(kMinNormal32, kHalf, ftz_mul) == 0);
  CHECK(ftz_mul.flags == (kUe | kPe));
  Env exact = env_with();
  CHECK(mul<F32>(kMinNormal32, kHalf, exact) == 0x00400000);
  CHECK(exact.flags == 0);
  // QNaN operands and zero divides outrank the denormal check.
  Env nan = env_with();
  CHECK(add<F32>(0x7fc00001, 3, nan) == 0x7fc00001);
  CHECK(nan.flags == 0);
  Env zd = env_with();
  CHECK(div<F32>(3, 0, zd) == kInf32);
  CHECK(zd.flags == kZe);
}

TEST_CASE("simd: tininess is decided after rounding") {
  // 2^-126 (1 - 2^-46) rounds to 2^-126 with an unbounded exponent: not
  // tiny, so PE alone; toward zero it stays below 2^-126 and underflows.
  Env rn = env_with();
  CHECK(mul<F32>(0x00800001, 0x3f7ffffe, rn) == kMinNormal32);
  CHECK(rn.flags == kPe);
  Env rz = env_with(Rounding::kZero);
  CHECK(mul<F32>(0x00800001, 0x3f7ffffe, rz) == 0x007fffff);
  CHECK(rz.flags == (kUe | kPe));
  // 2^-126 (1 - 2^-24) is tiny and rounds up to the smallest normal.
  Env up = env_with();
  CHECK(mul<F32>(kMinNormal32, 0x3f7fffff, up) == kMinNormal32);
  CHECK(up.flags == (kUe | kPe));
}

TEST_CASE("simd: unmasked underflow and overflow report PE only when inexact") {
  Env ue = Env::from_mxcsr(0x1780);
  mul<F32>(kMinNormal32, kHalf, ue);  // exact tiny
  CHECK(ue.flags == kUe);
  Env ue_inexact = Env::from_mxcsr(0x1780);
  mul<F32>(0x00800001, 0x3f400001, ue_inexact);  // 2^-127 (1.5 + 2.5 x 2^-23 + 2^-46)
  CHECK(ue_inexact.flags == (kUe | kPe));
  Env oe = Env::from_mxcsr(0x1b80);
  mul<F32>(0x7f000000, 0x7f000000, oe);  // 2^254, exact
  CHECK(oe.flags == kOe);
}

TEST_CASE("simd: overflow gives infinity or the largest finite value by mode") {
  struct Case { Rounding rc; F32 pos, neg; };
  for (const Case c : {Case{Rounding::kNearest, kInf32, 0xff800000},
                       Case{Rounding::kDown, kMax32, 0xff800000},
                       Case{Rounding::kUp, kInf32, 0xff7fffff},
                       Case{Rounding::kZero, kMax32, 0xff7fffff}}) {
    Env e = env_with(c.rc);
    CHECK(mul<F32>(kMax32, kTwo, e) == c.pos);
    CHECK(mul<F32>(0xff7fffff, kTwo, e) == c.neg);
    CHECK(e.flags == (kOe | kPe));
  }
  Env d = env_with(Rounding::kZero);
  CHECK(add<F64>(0x7fefffffffffffff, 0x7fefffffffffffff, d) == 0x7fefffffffffffff);
}

TEST_CASE("simd: NaN operands: the first NaN wins, made quiet") {
  Env e = env_with();
  CHECK(add<F32>(0x7fc00001, 0x7fc00002, e) == 0x7fc00001);
  CHECK(e.flags == 0);
  CHECK(add<F32>(kOne, 0x7f800002, e) == 0x7fc00002);
  CHECK(e.flags == kIe);
  Env f = env_with();
  CHECK(mul<F32>(0xff800001, 0x7fc00002, f) == 0xffc00001);
  CHECK(mul<F32>(0x7fc00003, 0x7f800001, f) == 0x7fc00003);
  CHECK(f.flags == kIe);
  Env g = env_with();
  CHECK(sub<F64>(0x7ff0000000000000, 0x7ff0000000000000, g) == kDefaultNan64);
  CHECK(mul<F64>(0, 0xfff0000000000000, g) == kDefaultNan64);
  CHECK(div<F32>(0, 0x80000000, g) == kDefaultNan32);
  CHECK(g.flags == kIe);
  // SUBPS does not flip the sign of a NaN subtrahend.
  Env h = env_with();
  CHECK(sub<F32>(kOne, 0x7fc00005, h) == 0x7fc00005);
}

TEST_CASE("simd: MIN and MAX return the second operand on NaNs and zeros") {
  Env e = env_with();
  CHECK(min<F32>(0, 0x80000000, e) == 0x80000000);
  CHECK(min<F32>(0x80000000, 0, e) == 0);
  CHECK(max<F32>(0x80000000, 0, e) == 0);
  CHECK(min<F32>(kOne, kTwo, e) == kOne);
  CHECK(max<F32>(kOne, kTwo, e) == kTwo);
  CHECK(e.flags == 0);
  CHECK(min<F32>(0x7fc00001, kOne, e) == kOne);
  CHECK(e.flags == kIe);
  Env s = env_with();
  CHECK(max<F64>(0x3ff0000000000000, 0x7ff0000000000001, s) == 0x7ff0000000000001);
  CHECK(s.flags == kIe);
  Env daz = env_with(Rounding::kNearest, kMxcsrDaz);
  CHECK(min<F32>(kOne, 3, daz) == 0);
  Env den = env_with();
  CHECK(min<F32>(kOne, 3, den) == 3);
  CHECK(den.flags == kDe);
}

TEST_CASE("simd: comparisons and their signalling predicates") {
  const F32 qnan = 0x7fc00000, snan = 0x7f800001;
  Env e = env_with();
  CHECK_FALSE(compare<F32>(qnan, kOne, Predicate::kEq, e));
  CHECK(compare<F32>(qnan, qnan, Predicate::kNeq, e));
  CHECK(compare<F32>(qnan, kOne, Predicate::kUnord, e));
  CHECK_FALSE(compare<F32>(qnan, kOne, Predicate::kOrd, e));
  CHECK(e.flags == 0);
  CHECK_FALSE(compare<F32>(qnan, kOne, Predicate::kLt, e));
  CHECK(e.flags == kIe);
  Env nle = env_with();
  CHECK(compare<F32>(qnan, kOne, Predicate::kNle, nle));
  CHECK(compare<F32>(kTwo, kOne, Predicate::kNle, nle));
  CHECK(nle.flags == kIe);
  Env s = env_with();
  CHECK(compare<F64>(0x7ff0000000000001, 0, Predicate::kUnord, s));
  CHECK(s.flags == kIe);
  Env z = env_with();
  CHECK(compare<F32>(0, 0x80000000, Predicate::kEq, z));
  CHECK(compare<F32>(0xbf800000, kOne, Predicate::kLe, z));
  CHECK_FALSE(compare<F32>(kOne, kOne, Predicate::kLt, z));
  CHECK(compare<F32>(3, kOne, Predicate::kLt, z));
  CHECK(z.flags == kDe);
  Env u = env_with();
  CHECK(compare_ordered<F32>(qnan, kOne, false, u) == Order::kUnordered);
  CHECK(u.flags == 0);
  CHECK(compare_ordered<F32>(snan, kOne, false, u) == Order::kUnordered);
  CHECK(u.flags == kIe);
  Env c = env_with();
  CHECK(compare_ordered<F32>(qnan, kOne, true, c) == Order::kUnordered);
  CHECK(c.flags == kIe);
  CHECK(compare_ordered<F64>(0, 0x8000000000000000, true, c) == Order::kEqual);
  CHECK(compare_ordered<F32>(kOne, kTwo, true, c) == Order::kLess);
}

TEST_CASE("simd: float to integer at the boundaries") {
  Env e = env_with();
  CHECK(to_int<int32_t, F32>(0x4effffff, false, e) == 2147483520);
  CHECK(to_int<int32_t, F32>(0xcf000000, false, e) == INT32_MIN);
  CHECK(e.flags == 0);
  CHECK(to_int<int32_t, F32>(0x4f000000, false, e) == INT32_MIN);  // 2^31: indefinite
  CHECK(e.flags == kIe);
  Env n = env_with();
  CHECK(to_int<int64_t, F64>(kDefaultNan64, true, n) == INT64_MIN);
  CHECK(to_int<int32_t, F32>(kInf32, true, n) == INT32_MIN);
  CHECK(n.flags == kIe);
  const F64 max_half = 0x41dfffffffe00000;  // 2147483647.5
  Env rn = env_with(), rd = env_with(Rounding::kDown);
  CHECK(to_int<int32_t, F64>(max_half, false, rn) == INT32_MIN);  // ties to 2^31
  CHECK(rn.flags == kIe);  // out of range: no PE
  CHECK(to_int<int32_t, F64>(max_half, false, rd) == INT32_MAX);
  CHECK(to_int<int32_t, F64>(max_half, true, rd) == INT32_MAX);
  CHECK(rd.flags == kPe);
  const F64 min_half = 0xc1e0000000100000;  // -2147483648.5
  Env t = env_with();
  CHECK(to_int<int32_t, F64>(min_half, true, t) == INT32_MIN);
  CHECK(to_int<int32_t, F64>(min_half, false, t) == INT32_MIN);  // tie to even
  CHECK(t.flags == kPe);
  Env down = env_with(Rounding::kDown);
  CHECK(to_int<int32_t, F64>(min_half, false, down) == INT32_MIN);
  CHECK(down.flags == kIe);
  Env r = env_with();
  CHECK(to_int<int32_t, F32>(0x40200000, false, r) == 2);    // 2.5
  CHECK(to_int<int32_t, F32>(0x40600000, false, r) == 4);    // 3.5
  CHECK(to_int<int32_t, F32>(0xc0200000, false, r) == -2);   // -2.5
  CHECK(to_int<int32_t, F32>(0xc0600000, true, r) == -3);    // -3.5 truncated
  CHECK(to_int<int64_t, F64>(0xc3e0000000000000, false, r) == INT64_MIN);
  // A denormal raises PE, not DE; DAZ makes it an exact zero.
  Env den = env_with(Rounding::kUp);
  CHECK(to_int<int32_t, F32>(3, false, den) == 1);
  CHECK(den.flags == kPe);
  Env daz = env_with(Rounding::kUp, kMxcsrDaz);
  CHECK(to_int<int32_t, F32>(3, false, daz) == 0);
  CHECK(daz.flags == 0);
}

TEST_CASE("simd: integer to float") {
  Env e = env_with();
  CHECK(from_int<F32>(16777217, e) == 0x4b800000);
  CHECK(e.flags == kPe);
  Env u = env_with(Rounding::kUp);
  CHECK(from_int<F32>(16777217, u) == 0x4b800001);
  Env x = env_with();
  CHECK(from_int<F32>(INT64_MIN, x) == 0xdf000000);
  CHECK(from_int<F64>(INT32_MIN, x) == 0xc1e0000000000000);
  CHECK(from_int<F64>(0, x) == 0);
  CHECK(x.flags == 0);
  CHECK(from_int<F64>(INT64_MAX, x) == 0x43e0000000000000);
  CHECK(x.flags == kPe);
}

TEST_CASE("simd: single and double conversions keep NaN payloads") {
  Env e = env_with();
  CHECK(widen(0x7f800001, e) == 0x7ff8000020000000);
  CHECK(e.flags == kIe);
  Env q = env_with();
  CHECK(widen(0xffc12345, q) == 0xfff82468a0000000);
  CHECK(narrow(0xfff82468a0000000, q) == 0xffc12345);
  CHECK(q.flags == 0);
  CHECK(narrow(0x7ff1234512345678, q) == 0x7fc91a28);
  CHECK(q.flags == kIe);
  Env d = env_with();
  CHECK(widen(1, d) == 0x36a0000000000000);  // 2^-149, exact
  CHECK(d.flags == kDe);
  Env t = env_with();
  CHECK(narrow(1, t) == 0);  // the smallest binary64 denormal
  CHECK(t.flags == (kDe | kUe | kPe));
  Env exact = env_with();
  CHECK(narrow(0x3730000000000000, exact) == 0x00000200);  // 2^-140
  CHECK(exact.flags == 0);
  Env ftz = env_with(Rounding::kNearest, kMxcsrFtz);
  CHECK(narrow(0x3730000000000000, ftz) == 0);
  CHECK(ftz.flags == (kUe | kPe));
  Env tie = env_with();
  CHECK(narrow(0x3ff0000010000000, tie) == kOne);  // 1 + 2^-24
  CHECK(tie.flags == kPe);
  Env big = env_with(Rounding::kZero);
  CHECK(narrow(0x47f0000000000000, big) == kMax32);  // 2^128
  CHECK(big.flags == (kOe | kPe));
}

TEST_CASE("simd: ROUND to integral values") {
  Env e = env_with();
  CHECK(round_integral<F32>(0x40200000, Rounding::kNearest, false, e) == kTwo);  // 2.5
  CHECK(round_integral<F32>(0xbf000000, Rounding::kNearest, false, e) == 0x80000000);
  CHECK(round_integral<F32>(0xbf000000, Rounding::kUp, false, e) == 0x80000000);
  CHECK(round_integral<F32>(kHalf, Rounding::kUp, false, e) == kOne);
  CHECK(round_integral<F64>(0xc004000000000000, Rounding::kDown, false, e) == 0xc008000000000000);
  CHECK(e.flags == kPe);
  Env s = env_with();
  CHECK(round_integral<F32>(0x3fc00000, Rounding::kZero, true, s) == kOne);  // suppressed
  CHECK(round_integral<F32>(0x7149f2ca, Rounding::kZero, false, s) == 0x7149f2ca);
  CHECK(s.flags == 0);
  CHECK(round_integral<F32>(0x7f800001, Rounding::kZero, false, s) == 0x7fc00001);
  CHECK(s.flags == kIe);
  Env den = env_with();
  CHECK(round_integral<F32>(3, Rounding::kNearest, false, den) == 0);
  CHECK(den.flags == kPe);  // no DE
}

TEST_CASE("simd: RCP and RSQRT stay within 1.5 x 2^-12 and handle specials") {
  double worst = 0;
  for (uint32_t m = 0; m < (1u << 23); m += 997) {
    for (F32 e : {F32(0x3f800000), F32(0x40800000), F32(0x1f000000)}) {
      const F32 x = e | m;
      float xf, rf, sf;
      std::memcpy(&xf, &x, 4);
      const F32 r = reciprocal(x), s = reciprocal_sqrt(x);
      std::memcpy(&rf, &r, 4);
      std::memcpy(&sf, &s, 4);
      worst = std::fmax(worst, std::fabs(double(rf) * xf - 1));
      worst = std::fmax(worst, std::fabs(double(sf) * std::sqrt(double(xf)) - 1));
    }
  }
  CHECK(worst <= 1.5 / 4096);
  CHECK(reciprocal(0) == kInf32);
  CHECK(reciprocal(0x80000003) == 0xff800000);  // denormals read as zero
  CHECK(reciprocal(kInf32) == 0);
  CHECK(reciprocal(0x7f000000) == 0);  // 2^-127 is tiny: flushed
  CHECK(reciprocal(0x7f800001) == 0x7fc00001);
  CHECK(reciprocal_sqrt(0xbf800000) == kDefaultNan32);
  CHECK(reciprocal_sqrt(0x80000000) == 0xff800000);
  CHECK(reciprocal_sqrt(3) == kInf32);
}

}  // namespace
}  // namespace kestrel::cpu::simd
