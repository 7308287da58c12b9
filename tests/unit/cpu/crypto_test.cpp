// SPDX-License-Identifier: MIT
// AES-NI and PCLMULQDQ through the interpreter: the FIPS-197 appendix C.1
// AES-128 vector end to end (key expansion with AESKEYGENASSIST, the
// equivalent inverse cipher with AESIMC), the single-instruction examples of
// Intel's AES-NI and carry-less multiplication white papers.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

using F = SseIntFixture;

struct V128 {
  uint64_t lo = 0, hi = 0;
  bool operator==(const V128&) const = default;
};

/// FIPS-197 notation: 32 hex digits, first byte first.
V128 bytes(const std::string& hex) {
  uint8_t b[16];
  for (unsigned i = 0; i < 16; ++i) b[i] = uint8_t(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  V128 v;
  std::memcpy(&v.lo, b, 8);
  std::memcpy(&v.hi, b + 8, 8);
  return v;
}
V128 get(const F& f, unsigned n) { return {f.xlo(n), f.xhi(n)}; }
void put(F& f, unsigned n, V128 v) { f.set_xmm(n, v.lo, v.hi); }
V128 operator^(V128 a, V128 b) { return {a.lo ^ b.lo, a.hi ^ b.hi}; }

/// Runs one instruction `op xmm0, [addr]` (66 0F 38 op /0, disp16).
int run_mem(F& f, uint8_t op, uint16_t addr) {
  return f.run({0x66, 0x0f, 0x38, op, 0x06, uint8_t(addr), uint8_t(addr >> 8)});
}

/// The AES-128 key schedule; AESKEYGENASSIST supplies RotWord(SubWord(w3)) ^ Rcon.
std::array<V128, 11> expand_key(F& f, V128 key) {
  static constexpr uint8_t kRcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
  std::array<V128, 11> k{key};
  for (unsigned r = 1; r <= 10; ++r) {
    put(f, 1, k[r - 1]);
    CHECK(f.run({0x66, 0x0f, 0x3a, 0xdf, 0xd1, kRcon[r - 1]}) == -1);  // aeskeygenassist xmm2, xmm1
    uint32_t w[4];
    std::memcpy(w, &k[r - 1], 16);
    w[0] ^= uint32_t(f.xhi(2) >> 32);
    for (unsigned i = 1; i < 4; ++i) w[i] ^= w[i - 1];
    std::memcpy(&k[r], w, 16);
  }
  return k;
}

TEST_CASE("AES: FIPS-197 C.1 AES-128 encrypts and decrypts through the instructions") {
  F f;
  const V128 key = bytes("000102030405060708090a0b0c0d0e0f");
  const V128 plain = bytes("00112233445566778899aabbccddeeff");
  const V128 cipher = bytes("69c4e0d86a7b0430d8cdb78070b4c55a");
  const std::array<V128, 11> k = expand_key(f, key);
  CHECK(k[10] == bytes("13111d7fe3944a17f307a78b4d2b30c5"));  // FIPS-197 C.1 round[10].k_sch
  for (unsigned r = 0; r <= 10; ++r) {
    f.poke(0x600 + 16 * r, k[r].lo);
    f.poke(0x608 + 16 * r, k[r].hi);
  }
  put(f, 0, plain ^ k[0]);
  CHECK(get(f, 0) == bytes("00102030405060708090a0b0c0d0e0f0"));  // round[1].start
  CHECK(run_mem(f, 0xdc, 0x610) == -1);  // aesenc xmm0, [0x610]
  CHECK(get(f, 0) == bytes("89d810e8855ace682d1843d8cb128fe4"));  // round[2].start
  for (unsigned r = 2; r <= 9; ++r) CHECK(run_mem(f, 0xdc, uint16_t(0x600 + 16 * r)) == -1);
  CHECK(run_mem(f, 0xdd, 0x6a0) == -1);  // aesenclast
  CHECK(get(f, 0) == cipher);

  // Equivalent inverse cipher (FIPS-197 §5.3.5): InvMixColumns of round keys 1-9.
  for (unsigned r = 1; r <= 9; ++r) {
    put(f, 1, k[r]);
    CHECK(f.run({0x66, 0x0f, 0x38, 0xdb, 0xd1}) == -1);  // aesimc xmm2, xmm1
    f.poke(0x700 + 16 * r, f.xlo(2));
    f.poke(0x708 + 16 * r, f.xhi(2));
  }
  f.poke(0x700, k[0].lo);
  f.poke(0x708, k[0].hi);
  put(f, 0, cipher ^ k[10]);
  for (unsigned r = 9; r >= 1; --r) CHECK(run_mem(f, 0xde, uint16_t(0x700 + 16 * r)) == -1);
  CHECK(run_mem(f, 0xdf, 0x700) == -1);  // aesdeclast
  CHECK(get(f, 0) == plain);
}

TEST_CASE("AES: single-instruction examples of the AES-NI white paper") {
  F f;
  const V128 state{0x63746f725d53475dULL, 0x7b5b546573745665ULL};
  const V128 key{0x5b477565726f6e5dULL, 0x4869285368617929ULL};
  const struct {
    uint8_t op;
    V128 want;
  } cases[] = {
      {0xdc, {0x8b104b58ded7e595ULL, 0xa8311c2f9fdba3c5ULL}},  // aesenc
      {0xdd, {0x177ec42553fdc611ULL, 0xc7fb881e938c5964ULL}},  // aesenclast
      {0xde, {0xb58eb95eb730392aULL, 0x138ac342faea2787ULL}},  // aesdec
      {0xdf, {0xd410637b72a593d0ULL, 0xc5a391ef6b317f95ULL}},  // aesdeclast
  };
  for (const auto& c : cases) {
    put(f, 1, state);
    put(f, 2, key);
    CHECK(f.run({0x66, 0x0f, 0x38, c.op, 0xca}) == -1);
    CHECK(get(f, 1) == c.want);
  }
  put(f, 2, key);
  CHECK(f.run({0x66, 0x0f, 0x38, 0xdb, 0xca}) == -1);  // aesimc xmm1, xmm2
  CHECK(get(f, 1) == V128{0xf39bc5a119d859b6ULL, 0x597f8df109efaa15ULL});
  // aeskeygenassist on the FIPS-197 A.1 key: w3 09cf4f3c -> 8b84eb01 with Rcon 01.
  put(f, 2, bytes("2b7e151628aed2a6abf7158809cf4f3c"));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0xdf, 0xca, 0x01}) == -1);
  CHECK(get(f, 1) == V128{0x3424b5e524b5e434ULL, 0x01eb848beb848a01ULL});
}

TEST_CASE("PCLMULQDQ: the four quadword selections of the white paper example") {
  F f;
  const V128 a{0x63746f725d53475dULL, 0x7b5b546573745665ULL};
  const V128 b{0x5b477565726f6e5dULL, 0x4869285368617929ULL};
  const struct {
    uint8_t imm;
    V128 want;
  } cases[] = {
      {0x00, {0x929633d5d36f0451ULL, 0x1d4d84c85c3440c0ULL}},
      {0x01, {0xbabf262df4b7d5c9ULL, 0x1a2bf6db3a30862fULL}},
      {0x10, {0x7fa540ac2a281315ULL, 0x1bd17c8d556ab5a1ULL}},
      {0x11, {0xd66ee03e410fd4edULL, 0x1d1e1f2c592e7c45ULL}},
  };
  for (const auto& c : cases) {
    put(f, 1, a);
    put(f, 2, b);
    CHECK(f.run({0x66, 0x0f, 0x3a, 0x44, 0xca, c.imm}) == -1);
    CHECK(get(f, 1) == c.want);
  }
  // x^63 * x^63 = x^126.
  f.set_xmm(1, 1ULL << 63, 0);
  f.set_xmm(2, 1ULL << 63, 0);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x44, 0xca, 0x00}) == -1);
  CHECK(get(f, 1) == V128{0, 1ULL << 62});
}

TEST_CASE("AES and PCLMULQDQ need 16-byte aligned memory operands") {
  F f;
  CHECK(run_mem(f, 0xdc, 0x608) == kVecGp);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x44, 0x06, 0x04, 0x06, 0x00}) == kVecGp);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x44, 0x06, 0x00, 0x06, 0x00}) == -1);
}

}  // namespace
}  // namespace kestrel::cpu
