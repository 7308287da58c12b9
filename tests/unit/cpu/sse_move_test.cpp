// SPDX-License-Identifier: MIT
// SSE data movement through the interpreter in real mode: aligned and
// unaligned moves, scalar merging, half moves, MOVD/MOVQ, the MMX<->XMM
// moves, masked stores, sign masks, duplicating loads, the checks, and the
// cache and ordering hints.
#include <doctest/doctest.h>

#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

constexpr uint64_t kOnes = ~uint64_t{0};

TEST_CASE("SSE moves: the aligned forms need 16-byte alignment, the unaligned ones do not") {
  SseIntFixture f;
  f.poke(0x500, 0x0706050403020100);
  f.poke(0x508, 0x0f0e0d0c0b0a0908);
  f.poke(0x510, 0x1716151413121110);
  CHECK(f.run({0x0f, 0x28, 0x0e, 0x01, 0x05}) == kVecGp);  // movaps xmm1, [0501h]
  CHECK(f.xlo(1) == 0);
  CHECK(f.run({0x0f, 0x10, 0x0e, 0x01, 0x05}) == -1);  // movups xmm1, [0501h]
  CHECK(f.xlo(1) == 0x0807060504030201);
  CHECK(f.xhi(1) == 0x100f0e0d0c0b0a09);
  CHECK(f.run({0x0f, 0x28, 0x16, 0x00, 0x05}) == -1);  // movaps xmm2, [0500h]
  CHECK(f.run({0x66, 0x0f, 0x7f, 0x16, 0x20, 0x05}) == -1);  // movdqa [0520h], xmm2
  CHECK(f.peek(0x520) == 0x0706050403020100);
  CHECK(f.peek(0x528) == 0x0f0e0d0c0b0a0908);
  CHECK(f.run({0xf3, 0x0f, 0x7f, 0x16, 0x31, 0x05}) == -1);  // movdqu [0531h], xmm2
  CHECK(f.peek(0x531) == 0x0706050403020100);
  CHECK(f.run({0x66, 0x0f, 0xe7, 0x16, 0x31, 0x05}) == kVecGp);  // movntdq [0531h], xmm2
  f.set_xmm(2, kOnes, kOnes);
  CHECK(f.run({0x66, 0x0f, 0x29, 0x16, 0x28, 0x05}) == kVecGp);  // movapd [0528h], xmm2
  CHECK(f.peek(0x528) == 0x0f0e0d0c0b0a0908);
  CHECK(f.run({0xf2, 0x0f, 0xf0, 0x26, 0x01, 0x05}) == -1);  // lddqu xmm4, [0501h]
  CHECK(f.xlo(4) == 0x0807060504030201);
}

TEST_CASE("SSE moves: MOVSS and MOVSD merge from a register and zero the rest from memory") {
  SseIntFixture f;
  f.set_xmm(2, 0x1111111122222222, 0x3333333344444444);
  f.set_xmm(3, 0xaaaaaaaabbbbbbbb, 0xccccccccdddddddd);
  f.set_xmm(4, 1, 2);
  CHECK(f.run({0xf3, 0x0f, 0x10, 0xd3}) == -1);  // movss xmm2, xmm3
  CHECK(f.xlo(2) == 0x11111111bbbbbbbb);
  CHECK(f.xhi(2) == 0x3333333344444444);
  CHECK(f.run({0xf2, 0x0f, 0x10, 0xe3}) == -1);  // movsd xmm4, xmm3
  CHECK(f.xlo(4) == 0xaaaaaaaabbbbbbbb);
  CHECK(f.xhi(4) == 2);
  f.poke(0x500, 0x5555555566666666);
  CHECK(f.run({0xf3, 0x0f, 0x10, 0x1e, 0x00, 0x05}) == -1);  // movss xmm3, [0500h]
  CHECK(f.xlo(3) == 0x66666666);
  CHECK(f.xhi(3) == 0);
  CHECK(f.run({0xf2, 0x0f, 0x10, 0x16, 0x00, 0x05}) == -1);  // movsd xmm2, [0500h]
  CHECK(f.xlo(2) == 0x5555555566666666);
  CHECK(f.xhi(2) == 0);
  CHECK(f.run({0xf3, 0x0f, 0x11, 0x16, 0x08, 0x05}) == -1);  // movss [0508h], xmm2
  CHECK(f.peek(0x508) == 0x66666666);
}

TEST_CASE("SSE moves: MOVHLPS, MOVLHPS, MOVHPS, MOVLPS, MOVLPD and MOVHPD move one half") {
  SseIntFixture f;
  f.set_xmm(1, 0xa, 0xb);
  f.set_xmm(2, 0xc, 0xd);
  f.poke(0x500, 0xe);
  f.poke(0x508, 0xf);
  CHECK(f.run({0x0f, 0x12, 0xca}) == -1);  // movhlps xmm1, xmm2
  CHECK((f.xlo(1) == 0xd && f.xhi(1) == 0xb));
  CHECK(f.run({0x0f, 0x16, 0xca}) == -1);  // movlhps xmm1, xmm2
  CHECK((f.xlo(1) == 0xd && f.xhi(1) == 0xc));
  CHECK(f.run({0x0f, 0x16, 0x0e, 0x00, 0x05}) == -1);  // movhps xmm1, [0500h]
  CHECK((f.xlo(1) == 0xd && f.xhi(1) == 0xe));
  CHECK(f.run({0x0f, 0x12, 0x0e, 0x08, 0x05}) == -1);  // movlps xmm1, [0508h]
  CHECK((f.xlo(1) == 0xf && f.xhi(1) == 0xe));
  CHECK(f.run({0x66, 0x0f, 0x13, 0x16, 0x10, 0x05}) == -1);  // movlpd [0510h], xmm2
  CHECK(f.run({0x66, 0x0f, 0x17, 0x16, 0x18, 0x05}) == -1);  // movhpd [0518h], xmm2
  CHECK(f.peek(0x510) == 0xc);
  CHECK(f.peek(0x518) == 0xd);
}

TEST_CASE("SSE moves: MOVD and MOVQ zero the upper part; MOVQ2DQ and MOVDQ2Q enter MMX state") {
  SseIntFixture f;
  f.set_xmm(1, kOnes, kOnes);
  f.r(kRax) = 0xffffffff12345678;
  CHECK(f.run({0x66, 0x0f, 0x6e, 0xc8}) == -1);  // movd xmm1, eax
  CHECK((f.xlo(1) == 0x12345678 && f.xhi(1) == 0));
  f.r(kRax) = kOnes;
  CHECK(f.run({0x66, 0x0f, 0x7e, 0xc8}) == -1);  // movd eax, xmm1
  CHECK(uint32_t(f.r(kRax)) == 0x12345678);
  f.set_xmm(2, 0x8877665544332211, 1);
  CHECK(f.run({0x66, 0x0f, 0x7e, 0x16, 0x00, 0x05}) == -1);  // movd [0500h], xmm2
  CHECK(f.peek(0x500) == 0x44332211);
  f.poke(0x500, 0x0123456789abcdef);
  f.set_xmm(3, kOnes, kOnes);
  CHECK(f.run({0xf3, 0x0f, 0x7e, 0x1e, 0x00, 0x05}) == -1);  // movq xmm3, [0500h]
  CHECK((f.xlo(3) == 0x0123456789abcdef && f.xhi(3) == 0));
  f.set_xmm(4, kOnes, kOnes);
  CHECK(f.run({0xf3, 0x0f, 0x7e, 0xe2}) == -1);  // movq xmm4, xmm2
  CHECK((f.xlo(4) == 0x8877665544332211 && f.xhi(4) == 0));
  CHECK(f.run({0x66, 0x0f, 0xd6, 0x16, 0x10, 0x05}) == -1);  // movq [0510h], xmm2
  CHECK(f.peek(0x510) == 0x8877665544332211);
  f.set_mm(1, 0x42);
  f.set_xmm(5, kOnes, kOnes);
  f.cpu.s.ftw = 0xffff;
  CHECK(f.run({0xf3, 0x0f, 0xd6, 0xe9}) == -1);  // movq2dq xmm5, mm1
  CHECK((f.xlo(5) == 0x42 && f.xhi(5) == 0));
  CHECK(f.cpu.s.ftw == 0);
  CHECK(f.run({0xf2, 0x0f, 0xd6, 0xd2}) == -1);  // movdq2q mm2, xmm2
  CHECK(f.mm(2) == 0x8877665544332211);
}

TEST_CASE("SSE moves: MASKMOVDQU and MASKMOVQ store the selected bytes at DS:DI, or none") {
  SseIntFixture f;
  f.r(kRdi) = 0x600;
  f.poke(0x600, 0xeeeeeeeeeeeeeeee);
  f.poke(0x608, 0xeeeeeeeeeeeeeeee);
  f.set_xmm(1, 0x0807060504030201, 0x100f0e0d0c0b0a09);
  f.set_xmm(2, 0x80000000000000ff, 0x0000000000000080);
  CHECK(f.run({0x66, 0x0f, 0xf7, 0xca}) == -1);  // maskmovdqu xmm1, xmm2
  CHECK(f.peek(0x600) == 0x08eeeeeeeeeeee01);
  CHECK(f.peek(0x608) == 0xeeeeeeeeeeeeee09);
  f.set_mm(1, 0x1122334455667788);
  f.set_mm(2, 0x0000000000008000);
  CHECK(f.run({0x0f, 0xf7, 0xca}) == -1);  // maskmovq mm1, mm2
  CHECK(f.peek(0x600) == 0x08eeeeeeeeee7701);
  // The last bytes are past the 64 KiB limit: #GP, and the first ones stay.
  f.r(kRdi) = 0xfffc;
  f.set_xmm(2, kOnes, kOnes);
  CHECK(f.run({0x66, 0x0f, 0xf7, 0xca}) == kVecGp);
  CHECK(f.peek(0xfffc, 4) == 0);
}

TEST_CASE("SSE moves: MOVMSKPS, MOVMSKPD and PMOVMSKB gather the sign bits") {
  SseIntFixture f;
  f.set_xmm(1, 0x800000007fffffff, 0xffffffff00000000);
  f.r(kRax) = f.r(kRcx) = f.r(kRdx) = kOnes;
  CHECK(f.run({0x0f, 0x50, 0xc1}) == -1);  // movmskps eax, xmm1
  CHECK(f.r(kRax) == 0xa);
  CHECK(f.run({0x66, 0x0f, 0x50, 0xc9}) == -1);  // movmskpd ecx, xmm1
  CHECK(f.r(kRcx) == 3);
  CHECK(f.run({0x66, 0x0f, 0xd7, 0xd1}) == -1);  // pmovmskb edx, xmm1
  CHECK(f.r(kRdx) == 0xf087);
  f.set_mm(1, 0x8000000000000080);
  CHECK(f.run({0x0f, 0xd7, 0xc1}) == -1);  // pmovmskb eax, mm1
  CHECK(f.r(kRax) == 0x81);
}

TEST_CASE("SSE3 moves: MOVSLDUP, MOVSHDUP and MOVDDUP duplicate lanes") {
  SseIntFixture f;
  f.poke(0x500, 0x2222222211111111);
  f.poke(0x508, 0x4444444433333333);
  CHECK(f.run({0xf3, 0x0f, 0x12, 0x0e, 0x00, 0x05}) == -1);  // movsldup xmm1, [0500h]
  CHECK((f.xlo(1) == 0x1111111111111111 && f.xhi(1) == 0x3333333333333333));
  CHECK(f.run({0xf3, 0x0f, 0x16, 0x16, 0x00, 0x05}) == -1);  // movshdup xmm2, [0500h]
  CHECK((f.xlo(2) == 0x2222222222222222 && f.xhi(2) == 0x4444444444444444));
  CHECK(f.run({0xf2, 0x0f, 0x12, 0x1e, 0x04, 0x05}) == -1);  // movddup xmm3, [0504h]
  CHECK((f.xlo(3) == 0x3333333322222222 && f.xhi(3) == 0x3333333322222222));
  CHECK(f.run({0xf3, 0x0f, 0x16, 0x16, 0x04, 0x05}) == kVecGp);  // movshdup xmm2, [0504h]
}

TEST_CASE("SSE checks: #UD without OSFXSR or with EM, #NM with TS; hints and MOVNTI are exempt") {
  const std::vector<uint8_t> xorps = {0x0f, 0x57, 0xc0};
  const std::vector<uint8_t> pshufw = {0x0f, 0x70, 0xc1, 0x00};
  const std::vector<uint8_t> sfence = {0x0f, 0xae, 0xf8};
  const std::vector<uint8_t> movnti = {0x0f, 0xc3, 0x06, 0x08, 0x05};  // movnti [0508h], eax
  SseIntFixture f;
  f.cpu.s.cr[4] = 0;
  CHECK(f.run(xorps) == kVecUd);
  CHECK(f.run(pshufw) == -1);
  CHECK(f.run(sfence) == -1);
  f.r(kRax) = 0x87654321;
  CHECK(f.run(movnti) == -1);
  CHECK(f.peek(0x508) == 0x87654321);
  f.cpu.s.cr[4] = 1u << 9;
  f.cpu.s.cr[0] = 0x12 | (1u << 3);  // TS
  CHECK(f.run(xorps) == kVecNm);
  CHECK(f.run({0x0f, 0xe7, 0x0e, 0x00, 0x05}) == kVecNm);  // movntq [0500h], mm1
  // lfence, mfence, clflush [0500h], prefetchnta [0500h]
  const std::vector<std::vector<uint8_t>> exempt = {sfence, movnti, {0x0f, 0xae, 0xe8}, {0x0f, 0xae, 0xf0},
                                                    {0x0f, 0xae, 0x3e, 0x00, 0x05}, {0x0f, 0x18, 0x06, 0x00, 0x05}};
  for (const std::vector<uint8_t>& hint : exempt) {
    CHECK(f.run(hint) == -1);
  }
  f.cpu.s.cr[0] = 0x12 | (1u << 2);  // EM
  CHECK(f.run({0xf3, 0x0f, 0xd6, 0xe9}) == kVecUd);  // movq2dq xmm5, mm1
}

TEST_CASE("SSE hints: CLFLUSH faults as a byte load would, a prefetch never faults") {
  SseIntFixture f;
  f.r(kRax) = 0x10000;  // past the 64 KiB limit of DS
  CHECK(f.run({0x67, 0x0f, 0x18, 0x08}) == -1);          // prefetcht0 [eax]
  CHECK(f.run({0x67, 0x0f, 0xae, 0x38}) == kVecGp);      // clflush [eax]
  f.r(kRax) = 0xffff;
  CHECK(f.run({0x67, 0x0f, 0xae, 0x38}) == -1);
}

}  // namespace
}  // namespace kestrel::cpu
