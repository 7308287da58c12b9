// SPDX-License-Identifier: MIT
// The x87 arithmetic core (cpu/x87/): rounding and precision control,
// tininess, the masked and unmasked responses, NaN propagation,
// conversions, remainders and the transcendental functions. Expected
// values were measured on hardware unless a comment says otherwise.
#include <doctest/doctest.h>

#include "cpu/x87/float80.h"
#include "cpu/x87/transcendental.h"

namespace kestrel::cpu::x87 {
namespace {

constexpr Float80 f80(uint16_t se, uint64_t mant) { return {mant, se}; }
constexpr Float80 kOne = f80(0x3fff, 0x8000000000000000);
constexpr Float80 kTwo = f80(0x4000, 0x8000000000000000);
constexpr Float80 kThree = f80(0x4000, 0xc000000000000000);

Env env_for(uint16_t fcw) { return Env::from_fcw(fcw); }

TEST_CASE("x87 core: division rounds to the precision control") {
  Env e24 = env_for(0x007f), e53 = env_for(0x027f), e64 = env_for(0x037f);
  CHECK(div(kOne, kThree, e24) == f80(0x3ffd, 0xaaaaab0000000000));
  CHECK(e24.flags == kPe);
  CHECK(e24.rounded_up);
  CHECK(div(kOne, kThree, e53) == f80(0x3ffd, 0xaaaaaaaaaaaaa800));
  CHECK_FALSE(e53.rounded_up);
  CHECK(div(kOne, kThree, e64) == f80(0x3ffd, 0xaaaaaaaaaaaaaaab));
  CHECK(e64.rounded_up);
  Env exact = env_for(0x037f);
  CHECK(add(kOne, kOne, exact) == kTwo);
  CHECK(exact.flags == 0);
}

TEST_CASE("x87 core: the reserved precision setting rounds to 64 bits") {
  Env e = env_for(0x017f);
  CHECK(e.precision == 64);
}

TEST_CASE("x87 core: rounding modes on an exact tie and on overflow") {
  const Float80 big = f80(0x7ffe, 0x8000000000000000);
  Env rn = env_for(0x037f), rz = env_for(0x0f7f), rz24 = env_for(0x0c7f);
  CHECK(mul(big, kTwo, rn) == inf80(false));
  CHECK(rn.flags == (kOe | kPe));
  CHECK(rn.rounded_up);
  CHECK(mul(big, kTwo, rz) == f80(0x7ffe, 0xffffffffffffffff));
  CHECK(mul(big, kTwo, rz24) == f80(0x7ffe, 0xffffff0000000000));
  Env down = env_for(0x077f);
  CHECK(sub(kOne, kOne, down) == zero80(true));  // x - x is -0 rounding down
}

TEST_CASE("x87 core: unmasked overflow and underflow wrap the exponent by 24576") {
  Env o = env_for(0x0377);
  CHECK(mul(f80(0x7ffe, 0x8000000000000000), kTwo, o) == f80(0x1fff, 0x8000000000000000));
  CHECK(o.flags == kOe);
  Env u = env_for(0x036f);
  CHECK(mul(f80(0x0001, 0x8000000000000000), f80(0x3ffe, 0xffffffffffffffff), u) ==
        f80(0x6000, 0xffffffffffffffff));
  CHECK(u.flags == kUe);
}

TEST_CASE("x87 core: tininess is detected after rounding") {
  // (2 - 2^-63) × 2^-127 rounds to 2^-126 in single precision: not tiny.
  Env e = env_for(0x037f);
  bool suppressed;
  CHECK(to_f32(f80(0x3f80, 0xffffffffffffffff), e, suppressed) == 0x00800000);
  CHECK(e.flags == kPe);
  // A denormal result that is inexact underflows; the masked result keeps
  // the precision control's rounding position.
  Env d = env_for(0x007f);
  CHECK(mul(f80(0x0001, 0x8000000000000000), f80(0x3ffd, 0xffffffffffffffff), d) ==
        f80(0x0000, 0x4000000000000000));
  CHECK(d.flags == (kUe | kPe));
}

TEST_CASE("x87 core: NaN propagation and invalid operations") {
  const Float80 q1 = f80(0x7fff, 0xc000000000000001), q2 = f80(0xffff, 0xc000000000000002);
  const Float80 s5 = f80(0x7fff, 0x8000000000000005);
  Env e = env_for(0x037f);
  CHECK(add(q1, q2, e) == q2);  // the larger significand
  CHECK(add(q1, negate(q1), e) == q1);  // equal significands: the positive one
  CHECK(e.flags == 0);
  CHECK(add(s5, q1, e) == q1);  // a QNaN beats an SNaN
  CHECK(e.flags == kIe);
  Env inv = env_for(0x037f);
  CHECK(sub(inf80(false), inf80(false), inv) == kIndefinite);
  CHECK(inv.flags == kIe);
  Env unsup = env_for(0x037f);
  CHECK(add(f80(0x3fff, 0x4000000000000000), kOne, unsup) == kIndefinite);  // unnormal
  Env z = env_for(0x037f);
  CHECK(div(f80(0x0000, 1), kZero80, z) == inf80(false));
  CHECK(z.flags == kZe);  // no denormal exception besides
}

TEST_CASE("x87 core: an unmasked denormal exception stops before the result") {
  Env e = env_for(0x037d);
  (void)add(f80(0x0000, 1), kOne, e);
  CHECK(e.flags == kDe);
  CHECK(e.aborts());
}

TEST_CASE("x87 core: conversions to and from memory formats") {
  CHECK(from_f32(0x3f800000).v == kOne);
  const Operand den = from_f32(0x00000001);  // 2^-149
  CHECK(den.denormal);
  CHECK(den.v == f80(0x3fff - 149, 0x8000000000000000));
  CHECK(classify(from_f64(0x7ff0000000000001).v) == Class::kSNaN);
  Env e = env_for(0x037f);
  bool suppressed;
  CHECK(to_f64(kThree, e, suppressed) == 0x4008000000000000);
  CHECK(to_f32(f80(0x7fff, 0x8000000000000001), e, suppressed) == 0x7fc00000);
  CHECK(e.flags == kIe);
  Env i = env_for(0x037f);
  CHECK(to_int(f80(0x4040, 0x8000000000000000), 16, i, false) == -32768);
  CHECK(i.flags == kIe);
  Env r = env_for(0x037f);
  CHECK(to_int(f80(0x3fff, 0xc000000000000000), 32, r, false) == 2);  // 1.5 to even
  CHECK(to_int(f80(0x3fff, 0xc000000000000000), 32, r, true) == 1);   // FISTTP
  CHECK(from_int(-5) == f80(0xc001, 0xa000000000000000));
}

TEST_CASE("x87 core: packed BCD") {
  const uint8_t in[10] = {0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x80};
  CHECK(from_bcd(in) == from_int(-987654321));
  Env e = env_for(0x037f);
  uint8_t out[10];
  to_bcd(from_int(-987654321), e, out);
  for (int k = 0; k < 10; ++k) CHECK(out[k] == in[k]);
  to_bcd(f80(0x7fff, 0xc000000000000000), e, out);  // the BCD indefinite
  CHECK(out[7] == 0xc0);
  CHECK(out[8] == 0xff);
  CHECK(out[9] == 0xff);
}

TEST_CASE("x87 core: FPREM reduces partially beyond an exponent difference of 63") {
  Env e = env_for(0x037f);
  const Remainder p = prem(f80(0x4100, 0x8000000000000001), f80(0x3fff, 0xc000000000000000), e, false);
  CHECK(p.partial);
  CHECK(p.value == f80(0x40de, 0x8000000400000000));
  const Remainder full = prem(f80(0x4003, 0xf000000000000001), f80(0x3fff, 0xc000000000000000), e, false);
  CHECK_FALSE(full.partial);
  CHECK(full.quotient == 4);  // 30.0000... / 1.5 = 20: Q2 Q1 Q0 = 100
  CHECK(full.value == f80(0x3fc4, 0x8000000000000000));
}

TEST_CASE("x87 core: FSCALE and FXTRACT") {
  Env e = env_for(0x037f);
  CHECK(scale(kThree, from_int(-3), e) == f80(0x3ffd, 0xc000000000000000));
  const Extracted x = xtract(f80(0x4005, 0xa000000000000000), e);
  CHECK(x.exponent == from_int(6));
  CHECK(x.significand == f80(0x3fff, 0xa000000000000000));
  Env z = env_for(0x037f);
  CHECK(xtract(kZero80, z).exponent == inf80(true));
  CHECK(z.flags == kZe);
}

TEST_CASE("x87 core: the trigonometric reduction uses the 66-bit pi") {
  Env e = env_for(0x037f);
  const Float80 pi = f80(0x4000, 0xc90fdaa22168c235);  // FLDPI
  CHECK(fsin(pi, e).first == f80(0xbfbf, 0x8000000000000000));  // -2^-64
  CHECK(fcos(f80(0x3fff, 0xc90fdaa22168c235), e).first == f80(0xbfbe, 0x8000000000000000));
  CHECK(fsin(f80(0x403e, 0x8000000000000000), e).out_of_range);  // 2^63
}

TEST_CASE("x87 core: transcendental values") {
  Env e = env_for(0x037f);
  CHECK(fsin(kOne, e).first == f80(0x3ffe, 0xd76aa47848677021));
  // Correctly rounded; the hardware measured returns ...2dc6, one ulp above.
  CHECK(fptan(kOne, e).first == f80(0x3fff, 0xc75922e5f71d2dc5));
  CHECK(f2xm1(f80(0x3ffe, 0x8000000000000000), e) == f80(0x3ffd, 0xd413cccfe7799211));
  CHECK(fyl2x(kThree, f80(0x4001, 0x8000000000000000), e) == f80(0x4001, 0xc000000000000000));
  CHECK(fpatan(kOne, kOne, e) == f80(0x3ffe, 0xc90fdaa22168c235));  // pi/4
  CHECK(e.flags == kPe);
  Env s = env_for(0x037f);
  CHECK(fcos(kZero80, s).first == kOne);
  CHECK(s.flags == 0);
}

}  // namespace
}  // namespace kestrel::cpu::x87
