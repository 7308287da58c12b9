// SPDX-License-Identifier: MIT
// SSE4.1 and SSE4.2 through the interpreter in real mode: extension,
// min/max, multiplies, compares, PTEST, blends, inserts and extracts, the
// string compares in each aggregation and polarity, CRC32, LZCNT, MOVBE
// and POPCNT's flags. Expected values are worked by hand from SDM 2.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "cpu/flags.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/cpu/real_mode_fixture.h"
#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

using F = SseIntFixture;

/// Loads up to 16 bytes of `text` (zero-padded) into XMM register n.
void set_text(F& f, unsigned n, const std::string& text) {
  uint8_t b[16] = {};
  std::memcpy(b, text.data(), std::min<size_t>(16, text.size()));
  std::memcpy(f.cpu.s.vec[n], b, 16);
}

uint32_t arith(const F& f) { return uint32_t(read_flags(f.cpu.s)) & kArithFlags; }

TEST_CASE("SSE4.1: PMOVSX and PMOVZX widen the low elements, from registers and memory") {
  F f;
  f.set_xmm(1, 0x80ff017f80ff017fULL, 0x1111111111111111ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x20, 0xc1}) == -1);  // pmovsxbw xmm0, xmm1
  CHECK(f.xlo(0) == 0xff80ffff0001007fULL);
  CHECK(f.xhi(0) == 0xff80ffff0001007fULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x30, 0xc1}) == -1);  // pmovzxbw xmm0, xmm1
  CHECK(f.xlo(0) == 0x008000ff0001007fULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x22, 0xc1}) == -1);  // pmovsxbq xmm0, xmm1
  CHECK(f.xlo(0) == 0x7f);
  CHECK(f.xhi(0) == 1);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x25, 0xc1}) == -1);  // pmovsxdq xmm0, xmm1
  CHECK(f.xlo(0) == 0xffffffff80ff017fULL);
  CHECK(f.xhi(0) == 0xffffffff80ff017fULL);
  // pmovzxwq xmm2, [0x503]: a 4-byte operand needs no alignment.
  f.poke(0x503, 0x8000fffe, 4);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x34, 0x16, 0x03, 0x05}) == -1);
  CHECK(f.xlo(2) == 0xfffe);
  CHECK(f.xhi(2) == 0x8000);
  // pmovsxbd xmm2, [0x505]: 4 bytes.
  f.poke(0x505, 0x80fe0102, 4);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x21, 0x16, 0x05, 0x05}) == -1);
  CHECK(f.xlo(2) == 0x0000000100000002ULL);
  CHECK(f.xhi(2) == 0xffffff80fffffffeULL);
}

TEST_CASE("SSE4.1: signed and unsigned minimum and maximum") {
  F f;
  f.set_xmm(0, 0x7f80000100020003ULL, 0x80000000ffffffffULL);
  f.set_xmm(1, 0x80017fff00030002ULL, 0x7fffffff00000001ULL);
  std::memcpy(f.cpu.s.vec[2], f.cpu.s.vec[0], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x38, 0xc1}) == -1);  // pminsb xmm0, xmm1
  CHECK(f.xlo(0) == 0x808000ff00020002ULL);
  std::memcpy(f.cpu.s.vec[0], f.cpu.s.vec[2], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x3e, 0xc1}) == -1);  // pmaxuw xmm0, xmm1
  CHECK(f.xlo(0) == 0x80017fff00030003ULL);
  std::memcpy(f.cpu.s.vec[0], f.cpu.s.vec[2], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x39, 0xc1}) == -1);  // pminsd xmm0, xmm1
  CHECK(f.xhi(0) == 0x80000000ffffffffULL);
  std::memcpy(f.cpu.s.vec[0], f.cpu.s.vec[2], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x3f, 0xc1}) == -1);  // pmaxud xmm0, xmm1
  CHECK(f.xhi(0) == 0x80000000ffffffffULL);
  CHECK(f.xlo(0) == 0x80017fff00030002ULL);
  std::memcpy(f.cpu.s.vec[0], f.cpu.s.vec[2], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x3d, 0xc1}) == -1);  // pmaxsd xmm0, xmm1
  CHECK(f.xhi(0) == 0x7fffffff00000001ULL);
}

TEST_CASE("SSE4.1: PMULLD, PMULDQ, PCMPEQQ, PCMPGTQ and PACKUSDW") {
  F f;
  f.set_xmm(0, 0xfffffffe00010001ULL, 0x0000000380000000ULL);
  f.set_xmm(1, 0x0000000300010001ULL, 0x00000005ffffffffULL);
  std::memcpy(f.cpu.s.vec[2], f.cpu.s.vec[0], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x40, 0xc1}) == -1);  // pmulld xmm0, xmm1
  CHECK(f.xlo(0) == 0xfffffffa00020001ULL);
  CHECK(f.xhi(0) == 0x0000000f80000000ULL);
  std::memcpy(f.cpu.s.vec[0], f.cpu.s.vec[2], 16);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x28, 0xc1}) == -1);  // pmuldq: 0x10001^2, INT_MIN * -1
  CHECK(f.xlo(0) == 0x0000000100020001ULL);
  CHECK(f.xhi(0) == 0x0000000080000000ULL);
  f.set_xmm(0, 5, uint64_t(-3));
  f.set_xmm(1, 5, 2);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x29, 0xc1}) == -1);  // pcmpeqq
  CHECK(f.xlo(0) == ~0ULL);
  CHECK(f.xhi(0) == 0);
  f.set_xmm(0, 6, uint64_t(-3));
  CHECK(f.run({0x66, 0x0f, 0x38, 0x37, 0xc1}) == -1);  // pcmpgtq: signed
  CHECK(f.xlo(0) == ~0ULL);
  CHECK(f.xhi(0) == 0);
  f.set_xmm(0, 0x0001000000000005ULL, 0xffffffff7fffffffULL);
  f.set_xmm(1, 0x00000000ffff0000ULL, 0x800000000000ffffULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x2b, 0xc1}) == -1);  // packusdw
  CHECK(f.xlo(0) == 0x0000ffffffff0005ULL);
  CHECK(f.xhi(0) == 0x0000ffff00000000ULL);
}

TEST_CASE("SSE4.1: PTEST sets ZF and CF and clears the other flags") {
  F f;
  f.cpu.s.rflags |= kOf | kSf | kAf | kPf;
  f.set_xmm(0, 0xff00, 0);
  f.set_xmm(1, 0x00ff, 0);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x17, 0xc1}) == -1);
  CHECK(arith(f) == kZf);
  f.set_xmm(1, 0x0f00, 0);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x17, 0xc1}) == -1);
  CHECK(arith(f) == kCf);
  f.set_xmm(1, 0x0ff0, 1);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x17, 0xc1}) == -1);
  CHECK(arith(f) == 0);
  // An m128 operand must be 16-byte aligned.
  CHECK(f.run({0x66, 0x0f, 0x38, 0x17, 0x06, 0x08, 0x05}) == kVecGp);
}

TEST_CASE("SSE4.1: PHMINPOSUW, MPSADBW and MOVNTDQA") {
  F f;
  f.set_xmm(1, 0x0003000500020009ULL, 0x0002ffff00070004ULL);
  f.set_xmm(0, ~0ULL, ~0ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x41, 0xc1}) == -1);
  CHECK(f.xlo(0) == 0x10002);  // minimum 2, first at index 1
  CHECK(f.xhi(0) == 0);
  // mpsadbw xmm0, xmm1, 5: bytes 4.. of xmm0 against bytes 4-7 of xmm1.
  f.set_xmm(0, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
  f.set_xmm(1, 0x0a0a0a0a00000000ULL, 0);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x42, 0xc1, 0x05}) == -1);
  // Window i covers bytes 4+i..7+i: sum |b - 10|.
  CHECK(f.xlo(0) == 0x0006000a000e0012ULL);
  CHECK(f.xhi(0) == 0x000a000600040004ULL);
  f.poke(0x600, 0x1122334455667788ULL);
  f.poke(0x608, 0x99aabbccddeeff00ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x2a, 0x1e, 0x00, 0x06}) == -1);  // movntdqa xmm3, [0x600]
  CHECK(f.xlo(3) == 0x1122334455667788ULL);
  CHECK(f.xhi(3) == 0x99aabbccddeeff00ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x2a, 0x1e, 0x04, 0x06}) == kVecGp);
}

TEST_CASE("SSE4.1: immediate and variable blends") {
  F f;
  const auto reset = [&] {
    f.set_xmm(1, 0x1111111111111111ULL, 0x2222222222222222ULL);
    f.set_xmm(2, 0xaaaaaaaaaaaaaaaaULL, 0xbbbbbbbbbbbbbbbbULL);
  };
  reset();
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0c, 0xca, 0x09}) == -1);  // blendps xmm1, xmm2, 1001b
  CHECK(f.xlo(1) == 0x11111111aaaaaaaaULL);
  CHECK(f.xhi(1) == 0xbbbbbbbb22222222ULL);
  reset();
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0d, 0xca, 0x02}) == -1);  // blendpd xmm1, xmm2, 10b
  CHECK(f.xlo(1) == 0x1111111111111111ULL);
  CHECK(f.xhi(1) == 0xbbbbbbbbbbbbbbbbULL);
  reset();
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0e, 0xca, 0x81}) == -1);  // pblendw xmm1, xmm2, 81h
  CHECK(f.xlo(1) == 0x111111111111aaaaULL);
  CHECK(f.xhi(1) == 0xbbbb222222222222ULL);
  reset();
  f.set_xmm(0, 0x0000000000008000ULL, 0x8000000000000000ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x10, 0xca}) == -1);  // pblendvb: bytes 1 and 15
  CHECK(f.xlo(1) == 0x111111111111aa11ULL);
  CHECK(f.xhi(1) == 0xbb22222222222222ULL);
  reset();
  f.set_xmm(0, 0x8000000000000000ULL, 0x0000000080000000ULL);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x14, 0xca}) == -1);  // blendvps: dwords 1 and 2
  CHECK(f.xlo(1) == 0xaaaaaaaa11111111ULL);
  CHECK(f.xhi(1) == 0x22222222bbbbbbbbULL);
  reset();
  CHECK(f.run({0x66, 0x0f, 0x38, 0x15, 0xca}) == -1);  // blendvpd: qword 0
  CHECK(f.xlo(1) == 0xaaaaaaaaaaaaaaaaULL);
  CHECK(f.xhi(1) == 0x2222222222222222ULL);
}

TEST_CASE("SSE4.1: extracts zero-extend into registers and store to memory") {
  F f;
  f.set_xmm(1, 0x8877665544332211ULL, 0xffeeddccbbaa9988ULL);
  f.r(kRax) = ~0ULL;
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x14, 0xc8, 0x1e}) == -1);  // pextrb eax, xmm1, 30 (14)
  CHECK(f.r(kRax) == 0xee);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x15, 0xc8, 0x05}) == -1);  // pextrw eax, xmm1, 5
  CHECK(f.r(kRax) == 0xbbaa);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x16, 0xc8, 0x03}) == -1);  // pextrd eax, xmm1, 3
  CHECK(f.r(kRax) == 0xffeeddcc);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x17, 0xc8, 0x01}) == -1);  // extractps eax, xmm1, 1
  CHECK(f.r(kRax) == 0x88776655);
  f.poke(0x500, 0);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x14, 0x0e, 0x00, 0x05, 0x07}) == -1);  // pextrb [0x500], xmm1, 7
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x15, 0x0e, 0x01, 0x05, 0x01}) == -1);  // pextrw [0x501], xmm1, 1
  CHECK(f.peek(0x500, 8) == 0x443388);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x16, 0x0e, 0x04, 0x05, 0x02}) == -1);  // pextrd [0x504], xmm1, 2
  CHECK(f.peek(0x504, 4) == 0xbbaa9988);
}

TEST_CASE("SSE4.1: PINSRB, PINSRD and INSERTPS") {
  F f;
  f.set_xmm(1, 0, 0);
  f.r(kRax) = 0x12345678;
  f.r(kRsp) = 0x8000;
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x20, 0xc8, 0x1f}) == -1);  // pinsrb xmm1, eax, 31 (15)
  CHECK(f.xhi(1) == 0x7800000000000000ULL);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x20, 0xcc, 0x00}) == -1);  // pinsrb xmm1, esp: SPL, not AH
  CHECK(f.xlo(1) == 0x00);
  f.poke(0x500, 0xcafef00d, 4);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x22, 0x0e, 0x00, 0x05, 0x01}) == -1);  // pinsrd xmm1, [0x500], 1
  CHECK(f.xlo(1) == 0xcafef00d00000000ULL);
  // insertps xmm1, xmm2, 10 01 0100b: xmm2[2] to xmm1[1], clear element 2.
  f.set_xmm(1, 0x1111111100000000ULL, 0x3333333322222222ULL);
  f.set_xmm(2, 0xaaaaaaaa99999999ULL, 0xccccccccbbbbbbbbULL);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x21, 0xca, 0x94}) == -1);
  CHECK(f.xlo(1) == 0xbbbbbbbb00000000ULL);
  CHECK(f.xhi(1) == 0x3333333300000000ULL);
  // From memory imm8[7:6] is ignored.
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x21, 0x0e, 0x00, 0x05, 0xf0}) == -1);
  CHECK(f.xhi(1) == 0xcafef00d00000000ULL);
}

// ---- SSE4.2 string compares ----

TEST_CASE("SSE4.2: PCMPISTRI equal any finds the first vowel") {
  F f;
  set_text(f, 1, "aeiou");
  set_text(f, 2, "hello world");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x00}) == -1);
  CHECK(f.r(kRcx) == 1);
  CHECK(arith(f) == (kCf | kZf | kSf));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x40}) == -1);  // most significant: 'o' of world
  CHECK(f.r(kRcx) == 7);
}

TEST_CASE("SSE4.2: PCMPISTRI ranges, and no match gives the element count") {
  F f;
  set_text(f, 1, "az");
  set_text(f, 2, "ABCdef");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x04}) == -1);
  CHECK(f.r(kRcx) == 3);
  set_text(f, 2, "ABC");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x04}) == -1);
  CHECK(f.r(kRcx) == 16);
  CHECK(arith(f) == (kZf | kSf));
}

TEST_CASE("SSE4.2: equal each with negative and masked-negative polarity") {
  F f;
  set_text(f, 1, "hello");
  set_text(f, 2, "help");
  // IntRes1 = 0xffe7: bytes 0-2 equal, 3 and 4 differ, both invalid from 5.
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x62, 0xca, 0x08}) == -1);  // pcmpistrm, positive
  CHECK(f.xlo(0) == 0xffe7);
  CHECK(f.xhi(0) == 0);
  CHECK(arith(f) == (kCf | kZf | kSf | kOf));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x18}) == -1);  // pcmpistri, negative
  CHECK(f.r(kRcx) == 3);
  CHECK(arith(f) == (kCf | kZf | kSf));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x62, 0xca, 0x38}) == -1);  // masked negative: 4 valid bytes
  CHECK(f.xlo(0) == 0xffe8);
  // Equal strings of 16 bytes: negated, no mismatch, and neither has a null.
  set_text(f, 1, "0123456789abcdef");
  set_text(f, 2, "0123456789abcdef");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x18}) == -1);
  CHECK(f.r(kRcx) == 16);
  CHECK(arith(f) == 0);
}

TEST_CASE("SSE4.2: equal ordered finds a substring; the mask expands to bytes") {
  F f;
  set_text(f, 1, "lo");
  set_text(f, 2, "hello world");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c}) == -1);
  CHECK(f.r(kRcx) == 3);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x62, 0xca, 0x4c}) == -1);
  CHECK(f.xlo(0) == 0x00000000ff000000ULL);
  CHECK(f.xhi(0) == 0);
  // An empty needle matches at every position, the invalid ones included.
  set_text(f, 1, "");
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x62, 0xca, 0x0c}) == -1);
  CHECK(f.xlo(0) == 0xffff);
}

TEST_CASE("SSE4.2: PCMPESTRI takes absolute, saturated lengths from EAX and EDX") {
  F f;
  set_text(f, 1, "abcd");
  set_text(f, 2, "xxcxbcab");
  f.r(kRax) = uint32_t(-2);  // {a, b}
  f.r(kRdx) = 5;
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x61, 0xca, 0x00}) == -1);
  CHECK(f.r(kRcx) == 4);
  CHECK(arith(f) == (kCf | kZf | kSf));
  f.r(kRdx) = 100;  // saturates to 16: the 'a' and 'b' at 6 and 7 count
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x61, 0xca, 0x40}) == -1);
  CHECK(f.r(kRcx) == 7);
  CHECK(arith(f) == (kCf | kSf));
  // Signed-byte ranges: [-5, 5] holds 0 and -5; unsigned, the range is empty.
  f.set_xmm(1, 0x05fb, 0);
  f.set_xmm(2, 0xfb0700f6, 0);
  f.r(kRax) = 2;
  f.r(kRdx) = 4;
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x60, 0xca, 0x06}) == -1);  // pcmpestrm
  CHECK(f.xlo(0) == 0xa);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x61, 0xca, 0x04}) == -1);
  CHECK(f.r(kRcx) == 16);
}

TEST_CASE("SSE4.2: word elements and the word mask") {
  F f;
  f.set_xmm(1, 0x0000000000410042ULL, 0);                 // {'B', 'A'}
  f.set_xmm(2, 0x0041004300420044ULL, 0x0000000000410045ULL);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x62, 0xca, 0x41}) == -1);  // equal any, unsigned words
  CHECK(f.xlo(0) == 0xffff0000ffff0000ULL);
  CHECK(f.xhi(0) == 0x00000000ffff0000ULL);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x41}) == -1);
  CHECK(f.r(kRcx) == 5);
  CHECK(arith(f) == (kCf | kZf | kSf));
}

// ---- general-register instructions ----

TEST_CASE("CRC32: CRC-32C of \"123456789\" is E3069283 (byte, word, dword sources)") {
  F f;
  f.poke(0x500, 0x3837363534333231ULL);
  f.poke(0x508, 0x39, 1);
  f.r(kRax) = 0xffffffff;
  // crc32 eax, dword [0x500]; crc32 eax, word [0x504]; crc32 eax, word [0x506];
  // crc32 eax, byte [0x508]
  CHECK(f.run({0x66, 0xf2, 0x0f, 0x38, 0xf1, 0x06, 0x00, 0x05,
               0xf2, 0x0f, 0x38, 0xf1, 0x06, 0x04, 0x05,
               0xf2, 0x0f, 0x38, 0xf1, 0x06, 0x06, 0x05,
               0xf2, 0x0f, 0x38, 0xf0, 0x06, 0x08, 0x05}) == -1);
  CHECK((~uint32_t(f.r(kRax))) == 0xe3069283);
  f.r(kRbx) = 0x61;
  f.r(kRax) = 0;
  CHECK(f.run({0xf2, 0x0f, 0x38, 0xf0, 0xc3}) == -1);  // crc32 eax, bl
  CHECK(f.r(kRax) == 0x93ad1061);
}

TEST_CASE("LZCNT counts leading zeros; CF for a zero source, ZF for a zero count") {
  F f;
  f.cpu.s.rflags |= kOf;
  f.r(kRbx) = 0x10;
  CHECK(f.run({0xf3, 0x0f, 0xbd, 0xc3}) == -1);  // lzcnt ax, bx
  CHECK(uint16_t(f.r(kRax)) == 11);
  CHECK((arith(f) & (kCf | kZf | kOf)) == kOf);
  f.r(kRbx) = 0;
  CHECK(f.run({0x66, 0xf3, 0x0f, 0xbd, 0xc3}) == -1);  // lzcnt eax, ebx
  CHECK(f.r(kRax) == 32);
  CHECK((arith(f) & (kCf | kZf)) == kCf);
  f.r(kRbx) = 0x80000000;
  CHECK(f.run({0x66, 0xf3, 0x0f, 0xbd, 0xc3}) == -1);
  CHECK(f.r(kRax) == 0);
  CHECK((arith(f) & (kCf | kZf)) == kZf);
}

TEST_CASE("LZCNT is BSR on a model without it") {
  RealModeFixture f("80386");
  f.r(kRbx) = 0x10;
  f.step({0xf3, 0x0f, 0xbd, 0xc3});
  CHECK(uint16_t(f.r(kRax)) == 4);
}

TEST_CASE("MOVBE swaps bytes on loads and stores of 16 and 32 bits") {
  F f;
  f.poke(0x500, 0x11223344, 4);
  f.r(kRax) = 0xffffffff;
  CHECK(f.run({0x0f, 0x38, 0xf0, 0x06, 0x00, 0x05}) == -1);  // movbe ax, [0x500]
  CHECK(f.r(kRax) == 0xffff4433);
  CHECK(f.run({0x66, 0x0f, 0x38, 0xf0, 0x06, 0x00, 0x05}) == -1);  // movbe eax, [0x500]
  CHECK(f.r(kRax) == 0x44332211);
  f.r(kRbx) = 0xaabbccdd;
  CHECK(f.run({0x66, 0x0f, 0x38, 0xf1, 0x1e, 0x08, 0x05}) == -1);  // movbe [0x508], ebx
  CHECK(f.peek(0x508, 4) == 0xddccbbaa);
  CHECK(f.run({0x0f, 0x38, 0xf1, 0x1e, 0x10, 0x05}) == -1);  // movbe [0x510], bx
  CHECK(f.peek(0x510, 2) == 0xddcc);
  CHECK(f.run({0x0f, 0x38, 0xf0, 0xc3}) == kVecUd);  // register form: no such encoding
}

TEST_CASE("POPCNT sets ZF for a zero source and clears O, S, A, P, C") {
  F f;
  f.cpu.s.rflags |= kArithFlags;
  f.r(kRbx) = 0;
  CHECK(f.run({0xf3, 0x0f, 0xb8, 0xc3}) == -1);
  CHECK(uint16_t(f.r(kRax)) == 0);
  CHECK(arith(f) == kZf);
  f.r(kRbx) = 0xf0f1;
  CHECK(f.run({0xf3, 0x0f, 0xb8, 0xc3}) == -1);
  CHECK(uint16_t(f.r(kRax)) == 9);
  CHECK(arith(f) == 0);
}

TEST_CASE("SSE4 instructions raise #UD without CR4.OSFXSR and #NM with CR0.TS") {
  F f;
  f.cpu.s.cr[4] = 0;
  CHECK(f.run({0x66, 0x0f, 0x38, 0x40, 0xc1}) == kVecUd);
  f.cpu.s.cr[4] = 1u << 9;
  f.cpu.s.cr[0] |= 8;
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x63, 0xca, 0x00}) == kVecNm);
  // CRC32 is a general-register instruction: TS does not matter.
  CHECK(f.run({0xf2, 0x0f, 0x38, 0xf0, 0xc3}) == -1);
}

TEST_CASE("64-bit mode: PEXTRQ, PINSRQ, CRC32 r64 and MOVBE r64") {
  lmtest::LmFixture f;
  f.enter_long(lmtest::kCr4Pae | (1u << 9));
  const uint64_t x = 0x0123456789abcdefULL;
  std::memcpy(f.cpu.s.vec[9] + 8, &x, 8);
  f.r(kRax) = ~0ULL;
  f.r(kR10) = 0xfedcba9876543210ULL;
  f.r(kRbx) = 0x40000;
  f.mem.write_phys(0x40000, 0x1122334455667788ULL, 8);
  f.load(lmtest::LmFixture::kCode, {
      0x66, 0x4c, 0x0f, 0x3a, 0x16, 0xc8, 0x01,  // pextrq rax, xmm9, 1
      0x66, 0x4d, 0x0f, 0x3a, 0x22, 0xc2, 0x00,  // pinsrq xmm8, r10, 0
      0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xca,        // crc32 rcx, rdx
      0x48, 0x0f, 0x38, 0xf0, 0x33,              // movbe rsi, [rbx]
      0xf4});
  f.r(kRcx) = 0xffffffff00000000ULL;
  f.r(kRdx) = 0;
  f.run();
  CHECK(f.vector() == -1);
  CHECK(f.r(kRax) == x);
  uint64_t lo;
  std::memcpy(&lo, f.cpu.s.vec[8], 8);
  CHECK(lo == 0xfedcba9876543210ULL);
  // Eight zero bytes into CRC 0 stay 0; the upper half of RCX is dropped.
  CHECK(f.r(kRcx) == 0);
  CHECK(f.r(kRsi) == 0x8877665544332211ULL);
}

}  // namespace
}  // namespace kestrel::cpu
