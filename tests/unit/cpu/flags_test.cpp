// SPDX-License-Identifier: MIT
// The lazy-flags canonical form (cpu/flags.h): every CcOp decoded by
// arith_flags and carry_flag against a bit-by-bit reference, exhaustively
// for bytes and on edge values for wider sizes; test_cc; read/write_flags.
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <initializer_list>

#include "cpu/flags.h"

namespace kestrel::cpu {
namespace {

/// Reference flags of a + b + carry (or a - b - borrow) at `bits`, from
/// the definitions: CF/AF the carry out of bit n-1 / bit 3, OF signed overflow.
uint32_t reference(bool subtract, uint64_t a, uint64_t b, unsigned carry, unsigned bits) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  a &= mask;
  b &= mask;
  uint64_t r;
  bool cf;
  if (subtract) {
    r = (a - b - carry) & mask;
    cf = b > a || (b == a && carry);
  } else {
    r = (a + b + carry) & mask;
    cf = r < a || (r == a && (b != 0 || carry));
  }
  const bool af = subtract ? (a & 0xf) < (b & 0xf) + carry : (a & 0xf) + (b & 0xf) + carry > 0xf;
  const bool sa = a & sign, sb = b & sign, sr = r & sign;
  const bool of = subtract ? (sa != sb && sr != sa) : (sa == sb && sr != sa);
  uint32_t f = 0;
  if (cf) f |= kCf;
  if (af) f |= kAf;
  if (of) f |= kOf;
  if (r == 0) f |= kZf;
  if (sr) f |= kSf;
  if (parity_even(r)) f |= kPf;
  return f;
}

CpuState lazy(CcOp op, unsigned bytes, uint64_t dst, uint64_t src = 0, uint64_t src2 = 0) {
  CpuState s;
  set_lazy(s, op, bytes, dst, src, src2);
  return s;
}

TEST_CASE("byte ADD/ADC/SUB/SBB flags match the reference for every operand pair") {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (unsigned c = 0; c < 2; ++c) {
        const CpuState add = c ? lazy(CcOp::kAdc, 1, uint8_t(a + b + c), b, c)
                               : lazy(CcOp::kAdd, 1, uint8_t(a + b), b);
        const CpuState sub = c ? lazy(CcOp::kSbb, 1, uint8_t(a - b - c), b, c)
                               : lazy(CcOp::kSub, 1, uint8_t(a - b), b);
        const uint32_t want_add = reference(false, a, b, c, 8);
        const uint32_t want_sub = reference(true, a, b, c, 8);
        if (arith_flags(add) != want_add || arith_flags(sub) != want_sub ||
            carry_flag(add) != bool(want_add & kCf) || carry_flag(sub) != bool(want_sub & kCf)) {
          FAIL("a=" << a << " b=" << b << " c=" << c);
        }
      }
    }
  }
}

TEST_CASE("wide ADD/SUB flags on edge values at 16, 32 and 64 bits") {
  const uint64_t edges[] = {0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                            0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffff,
                            0x8000000000000000, 0xffffffffffffffff, 0x123456789abcdef0};
  for (unsigned bytes : {2u, 4u, 8u}) {
    const unsigned bits = 8 * bytes;
    const uint64_t mask = size_mask(unsigned(std::countr_zero(bytes)));
    for (uint64_t a : edges) {
      for (uint64_t b : edges) {
        for (unsigned c = 0; c < 2; ++c) {
          const CpuState add = lazy(c ? CcOp::kAdc : CcOp::kAdd, bytes, (a + b + c) & mask, b & mask, c);
          const CpuState sub = lazy(c ? CcOp::kSbb : CcOp::kSub, bytes, (a - b - c) & mask, b & mask, c);
          CHECK(arith_flags(add) == reference(false, a, b, c, bits));
          CHECK(arith_flags(sub) == reference(true, a, b, c, bits));
          CHECK(carry_flag(sub) == bool(reference(true, a, b, c, bits) & kCf));
        }
      }
    }
  }
}

TEST_CASE("logic results clear CF, OF and AF") {
  CHECK(arith_flags(lazy(CcOp::kLogic, 1, 0)) == (kZf | kPf));
  CHECK(arith_flags(lazy(CcOp::kLogic, 1, 0x80)) == kSf);
  CHECK(arith_flags(lazy(CcOp::kLogic, 2, 0x8003)) == (kSf | kPf));
  CHECK(arith_flags(lazy(CcOp::kLogic, 4, 0x100)) == (kPf));  // PF looks at the low byte only
  CHECK(arith_flags(lazy(CcOp::kLogic, 8, uint64_t{1} << 63)) == (kSf | kPf));
  CHECK_FALSE(carry_flag(lazy(CcOp::kLogic, 4, 0xffffffff)));
}

TEST_CASE("INC and DEC keep the recorded CF and set OF/AF at the wrap points") {
  for (unsigned cf = 0; cf < 2; ++cf) {
    const uint32_t c = cf ? uint32_t{kCf} : 0u;
    CHECK(arith_flags(lazy(CcOp::kInc, 1, 0x80, cf)) == (c | kOf | kSf | kAf));
    CHECK(arith_flags(lazy(CcOp::kInc, 1, 0x00, cf)) == (c | kZf | kAf | kPf));
    CHECK(arith_flags(lazy(CcOp::kInc, 2, 0x0001, cf)) == c);
    CHECK(arith_flags(lazy(CcOp::kDec, 2, 0x7fff, cf)) == (c | kOf | kAf | kPf));
    CHECK(arith_flags(lazy(CcOp::kDec, 4, 0xffffffff, cf)) == (c | kSf | kAf | kPf));
    CHECK(arith_flags(lazy(CcOp::kDec, 1, 0x00, cf)) == (c | kZf | kPf));
    CHECK(carry_flag(lazy(CcOp::kInc, 8, 0, cf)) == bool(cf));
  }
}

TEST_CASE("NEG as SUB from zero: CF is set unless the operand was zero") {
  for (unsigned v = 0; v < 256; ++v) {
    const CpuState s = lazy(CcOp::kSub, 1, uint8_t(0 - v), v);
    CHECK(arith_flags(s) == reference(true, 0, v, 0, 8));
    CHECK(carry_flag(s) == (v != 0));
  }
}

TEST_CASE("kEflags reads the stored bits; write_arith_flags materialises them") {
  CpuState s;
  set_lazy(s, CcOp::kSub, 1, 0xff, 1);  // 0 - 1
  s.rflags |= kDf;
  write_arith_flags(s, kZf | kCf | kTf);  // TF is not an arithmetic flag: ignored
  CHECK(s.cc_op == 0);
  CHECK(arith_flags(s) == (kZf | kCf));
  CHECK(read_flags(s) == (kFixed1 | kDf | kZf | kCf));
}

TEST_CASE("read_flags merges the lazy bits; write_flags replaces the masked bits") {
  CpuState s;
  s.rflags = kFixed1 | kIf | kOf;  // stale OF
  set_lazy(s, CcOp::kAdd, 1, 0, 0x80);  // 0x80 + 0x80
  CHECK(read_flags(s) == (kFixed1 | kIf | kCf | kOf | kZf | kPf));
  write_flags(s, kSf | kDf, kSf | kZf | kDf);
  CHECK(s.cc_op == 0);
  CHECK(read_flags(s) == (kFixed1 | kIf | kCf | kOf | kPf | kSf | kDf));
}

TEST_CASE("test_cc evaluates all sixteen conditions") {
  // cmp a, b at byte size; expected: O NO B AE E NE BE A S NS P NP L GE LE G
  struct Case {
    uint8_t a, b;
    uint16_t taken;  ///< bit cc set when condition cc holds
  };
  const auto bit = [](unsigned cc) { return uint16_t(1u << cc); };
  const Case cases[] = {
      // 5 - 5: ZF, PF (0 has even parity); not below, not less
      {5, 5, uint16_t(bit(1) | bit(3) | bit(4) | bit(6) | bit(9) | bit(10) | bit(13) | bit(14))},
      // 1 - 2 = FF: CF, SF, PF; signed less
      {1, 2, uint16_t(bit(1) | bit(2) | bit(5) | bit(6) | bit(8) | bit(10) | bit(12) | bit(14))},
      // 80 - 1 = 7F: OF; unsigned above, signed less (SF != OF)
      {0x80, 1, uint16_t(bit(0) | bit(3) | bit(5) | bit(7) | bit(9) | bit(11) | bit(12) | bit(14))},
      // 7 - 3 = 4: above, greater, odd parity
      {7, 3, uint16_t(bit(1) | bit(3) | bit(5) | bit(7) | bit(9) | bit(11) | bit(13) | bit(15))},
  };
  for (const Case& c : cases) {
    const CpuState s = lazy(CcOp::kSub, 1, uint8_t(c.a - c.b), c.b);
    for (unsigned cc = 0; cc < 16; ++cc) {
      CAPTURE(c.a);
      CAPTURE(c.b);
      CAPTURE(cc);
      CHECK(test_cc(s, cc) == bool(c.taken & bit(cc)));
    }
  }
}

/// test_cc as the SDM defines each condition on the six flags.
bool cc_from_flags(uint32_t f, unsigned cc) {
  const bool sf_ne_of = bool(f & kSf) != bool(f & kOf);
  const bool r[8] = {bool(f & kOf), bool(f & kCf), bool(f & kZf), bool(f & (kCf | kZf)),
                     bool(f & kSf), bool(f & kPf), sf_ne_of, bool(f & kZf) || sf_ne_of};
  return r[cc >> 1] != bool(cc & 1);
}

TEST_CASE("test_cc agrees with arith_flags for every lazy form, size and condition") {
  const uint64_t edges[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
                            0x80000000, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000,
                            ~uint64_t{0}, 0x123456789abcdef0};
  const CcOp ops[] = {CcOp::kAdd, CcOp::kAdc, CcOp::kSub, CcOp::kSbb,
                      CcOp::kLogic, CcOp::kInc, CcOp::kDec};
  for (const unsigned size : {1u, 2u, 4u, 8u}) {
    const uint64_t mask = size_mask(unsigned(std::countr_zero(size)));
    for (const CcOp op : ops) {
      for (const uint64_t dst : edges) {
        for (const uint64_t src : edges) {
          for (const uint64_t src2 : {uint64_t{0}, uint64_t{1}}) {
            const CpuState s = lazy(op, size, dst & mask, src & mask, src2);
            const uint32_t f = arith_flags(s);
            for (unsigned cc = 0; cc < 16; ++cc) {
              CAPTURE(int(op));
              CAPTURE(size);
              CAPTURE(dst);
              CAPTURE(src);
              CAPTURE(cc);
              REQUIRE(test_cc(s, cc) == cc_from_flags(f, cc));
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace kestrel::cpu
