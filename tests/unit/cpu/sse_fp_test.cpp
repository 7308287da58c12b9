// SPDX-License-Identifier: MIT
// The SSE floating-point handlers through the interpreter in real mode:
// lanes and untouched upper parts, MXCSR flags that accumulate, #XM versus
// #UD for unmasked exceptions with nothing written, alignment, COMISS's
// EFLAGS, the integer and MMX conversions, ROUND, DP, the horizontal forms,
// LDMXCSR/STMXCSR. The arithmetic itself is tested in tests/unit/cpu/simd/.
#include <doctest/doctest.h>

#include <initializer_list>
#include <tuple>
#include <utility>

#include "cpu/flags.h"
#include "cpu/interp/sse.h"
#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

using F = SseIntFixture;

constexpr int kXm = 19, kUd = 6, kGp = 13, kNm = 7;
constexpr uint64_t pair(uint32_t lo, uint32_t hi) { return uint64_t(hi) << 32 | lo; }
constexpr uint32_t k1 = 0x3f800000, k2 = 0x40000000, k3 = 0x40400000, k4 = 0x40800000;
constexpr uint32_t kHalf = 0x3f000000;

/// XMM1 = {1, 2, 3, 4}, XMM2 = {10, 20, 30, 40} (binary32).
void set_1234(F& f) {
  f.set_xmm(1, pair(k1, k2), pair(k3, k4));
  f.set_xmm(2, pair(0x41200000, 0x41a00000), pair(0x41f00000, 0x42200000));
}

TEST_CASE("SSE FP: packed and scalar adds; scalar forms keep the upper lanes") {
  F f;
  f.set_xmm(1, pair(k1, k2), pair(k3, k4));
  f.set_xmm(2, pair(kHalf, kHalf), pair(kHalf, kHalf));
  CHECK(f.run({0x0f, 0x58, 0xca}) == -1);  // addps xmm1, xmm2
  CHECK(f.xlo(1) == pair(0x3fc00000, 0x40200000));
  CHECK(f.xhi(1) == pair(0x40600000, 0x40900000));
  f.set_xmm(1, pair(k1, k2), pair(k3, k4));
  CHECK(f.run({0xf3, 0x0f, 0x58, 0xca}) == -1);  // addss xmm1, xmm2
  CHECK(f.xlo(1) == pair(0x3fc00000, k2));
  CHECK(f.xhi(1) == pair(k3, k4));
  f.set_xmm(1, 0x3ff8000000000000, 0x4000000000000000);  // {1.5, 2}
  f.set_xmm(2, 0x4000000000000000, 0x4010000000000000);  // {2, 4}
  CHECK(f.run({0xf2, 0x0f, 0x59, 0xca}) == -1);  // mulsd xmm1, xmm2
  CHECK(f.xlo(1) == 0x4008000000000000);
  CHECK(f.xhi(1) == 0x4000000000000000);
  CHECK(f.run({0x66, 0x0f, 0x5e, 0xca}) == -1);  // divpd xmm1, xmm2
  CHECK(f.xlo(1) == 0x3ff8000000000000);
  CHECK(f.xhi(1) == 0x3fe0000000000000);
  CHECK(f.cpu.s.mxcsr == 0x1f80);
}

TEST_CASE("SSE FP: masked exceptions only set flags, and the flags accumulate") {
  F f;
  f.set_xmm(1, pair(k1, k1), pair(k1, k1));
  f.set_xmm(2, pair(k3, k1), pair(k1, k1));
  CHECK(f.run({0x0f, 0x5e, 0xca}) == -1);  // divps: 1/3 is inexact
  CHECK(f.xlo(1) == pair(0x3eaaaaab, k1));
  CHECK(f.cpu.s.mxcsr == 0x1fa0);
  f.set_xmm(1, pair(k1, k1), pair(k1, k1));
  f.set_xmm(2, pair(1, k1), pair(k1, k1));  // a denormal in lane 0
  CHECK(f.run({0x0f, 0x59, 0xca}) == -1);  // mulps: exact
  CHECK(f.xlo(1) == pair(1, k1));
  CHECK(f.cpu.s.mxcsr == 0x1fa2);
  f.set_xmm(2, pair(0, k1), pair(k1, k1));
  CHECK(f.run({0x0f, 0x5e, 0xca}) == -1);  // divps: denormal / 0 is ZE alone
  CHECK(f.xlo(1) == pair(0x7f800000, k1));
  CHECK(f.cpu.s.mxcsr == 0x1fa6);
}

TEST_CASE("SSE FP: an unmasked exception raises #XM, or #UD without CR4.OSXMMEXCPT") {
  for (const bool osxmmexcpt : {true, false}) {
    CAPTURE(osxmmexcpt);
    F f;
    if (osxmmexcpt) f.cpu.s.cr[4] |= exec::kCr4Osxmmexcpt;
    f.cpu.s.mxcsr = 0x0f80;  // PM clear
    f.set_xmm(1, pair(k1, k1), pair(k1, k1));
    f.set_xmm(2, pair(0x30800000, 0), pair(0, 0));  // 1 + 2^-30 is inexact
    CHECK(f.run({0x0f, 0x58, 0xca}) == (osxmmexcpt ? kXm : kUd));  // addps
    CHECK(f.xlo(1) == pair(k1, k1));  // nothing written
    CHECK(f.cpu.s.mxcsr == 0x0fa0);
  }
}

TEST_CASE("SSE FP: an unmasked pre-computation exception hides the other lanes' rounding flags") {
  F f;
  f.cpu.s.cr[4] |= exec::kCr4Osxmmexcpt;
  f.cpu.s.mxcsr = 0x1e80;  // DM clear
  f.set_xmm(1, pair(1, 0x7f7fffff), pair(k1, k1));
  f.set_xmm(2, pair(k1, k2), pair(k1, k1));  // lane 1 overflows (masked)
  CHECK(f.run({0x0f, 0x59, 0xca}) == kXm);  // mulps
  CHECK(f.cpu.s.mxcsr == 0x1e82);  // DE only
  CHECK(f.xlo(1) == pair(1, 0x7f7fffff));
  // Unmasked overflow: OE without PE for an exact result, no write.
  f.cpu.s.mxcsr = 0x1b80;
  f.set_xmm(1, pair(0x7f000000, k1), pair(k1, k1));
  f.set_xmm(2, pair(0x7f000000, k1), pair(k1, k1));
  CHECK(f.run({0xf3, 0x0f, 0x59, 0xca}) == kXm);  // mulss
  CHECK(f.cpu.s.mxcsr == 0x1b88);
  CHECK(f.xlo(1) == pair(0x7f000000, k1));
}

TEST_CASE("SSE FP: packed memory operands must be aligned, scalar ones need not") {
  F f;
  f.set_xmm(1, pair(k1, k1), pair(k1, k1));
  f.poke(0x501, pair(k1, k1));
  f.poke(0x509, pair(k1, k1));
  CHECK(f.run({0x0f, 0x58, 0x0e, 0x01, 0x05}) == kGp);  // addps xmm1, [0x501]
  CHECK(f.xlo(1) == pair(k1, k1));
  CHECK(f.run({0xf3, 0x0f, 0x58, 0x0e, 0x01, 0x05}) == -1);  // addss xmm1, [0x501]
  CHECK(f.xlo(1) == pair(k2, k1));
  f.poke(0x510, pair(k1, k2));
  f.poke(0x518, pair(k3, k4));
  CHECK(f.run({0x0f, 0x58, 0x0e, 0x10, 0x05}) == -1);  // addps xmm1, [0x510]
  CHECK(f.xlo(1) == pair(k3, k3));
  CHECK(f.xhi(1) == pair(k4, 0x40a00000));
}

TEST_CASE("SSE FP: CR4.OSFXSR clear is #UD and CR0.TS is #NM") {
  F f;
  f.cpu.s.cr[4] = 0;
  CHECK(f.run({0x0f, 0x58, 0xca}) == kUd);
  F g;
  g.cpu.s.cr[0] |= 8;  // TS
  CHECK(g.run({0x0f, 0x58, 0xca}) == kNm);
  CHECK(g.run({0x0f, 0xae, 0x1e, 0x04, 0x06}) == kNm);  // stmxcsr
}

TEST_CASE("SSE FP: COMISS and UCOMISS set ZF PF CF and clear OF SF AF") {
  struct Case { uint32_t a, b; uint32_t flags; };
  for (const bool signalling : {false, true}) {
    for (const Case c : {Case{k1, k2, kCf}, Case{k2, k1, 0u}, Case{k1, k1, kZf},
                         Case{0x7fc00000, k1, kZf | kPf | kCf}}) {
      F f;
      write_flags(f.cpu.s, kOf | kSf | kAf, kArithFlags);
      f.set_xmm(1, c.a, 0);
      f.set_xmm(2, c.b, 0);
      CHECK(f.run({0x0f, uint8_t(signalling ? 0x2f : 0x2e), 0xca}) == -1);
      CHECK((read_flags(f.cpu.s) & kArithFlags) == c.flags);
      const bool nan = c.a == 0x7fc00000;
      CHECK(f.cpu.s.mxcsr == (nan && signalling ? 0x1f81u : 0x1f80u));
    }
  }
  // With IE unmasked COMISS faults and leaves EFLAGS alone.
  F f;
  f.cpu.s.cr[4] |= exec::kCr4Osxmmexcpt;
  f.cpu.s.mxcsr = 0x1f00;
  write_flags(f.cpu.s, kOf, kArithFlags);
  f.set_xmm(1, 0x7fc00000, 0);
  f.set_xmm(2, k1, 0);
  CHECK(f.run({0x0f, 0x2f, 0xca}) == kXm);  // comiss
  CHECK((read_flags(f.cpu.s) & kArithFlags) == kOf);
}

TEST_CASE("SSE FP: conversions with general registers, 32-bit in real mode") {
  F f;
  f.set_xmm(1, pair(k4, k4), pair(k4, k4));
  f.r(kRax) = 0xffffffff;
  CHECK(f.run({0xf3, 0x0f, 0x2a, 0xc8}) == -1);  // cvtsi2ss xmm1, eax
  CHECK(f.xlo(1) == pair(0xbf800000, k4));
  CHECK(f.run({0xf2, 0x0f, 0x2a, 0xc8}) == -1);  // cvtsi2sd xmm1, eax
  CHECK(f.xlo(1) == 0xbff0000000000000);
  CHECK(f.xhi(1) == pair(k4, k4));
  f.set_xmm(2, 0x40200000, 0);  // 2.5
  CHECK(f.run({0xf3, 0x0f, 0x2d, 0xc2}) == -1);  // cvtss2si eax, xmm2
  CHECK(f.r(kRax) == 2);
  f.set_xmm(2, 0x4f32d05e, 0);  // 3e9
  CHECK(f.run({0xf3, 0x0f, 0x2c, 0xc2}) == -1);  // cvttss2si eax, xmm2
  CHECK(f.r(kRax) == 0x80000000);
  CHECK(f.cpu.s.mxcsr == 0x1fa1);
  f.set_xmm(2, 0xc00c000000000000, 0);  // -3.5
  CHECK(f.run({0xf2, 0x0f, 0x2c, 0xc2}) == -1);  // cvttsd2si eax, xmm2
  CHECK(f.r(kRax) == 0xfffffffd);
}

TEST_CASE("SSE FP: packed conversions between formats and doublewords") {
  F f;
  f.set_xmm(2, 0x3ff8000000000000, 0xc004000000000000);  // {1.5, -2.5}
  f.set_xmm(1, ~0ull, ~0ull);
  CHECK(f.run({0x66, 0x0f, 0x5a, 0xca}) == -1);  // cvtpd2ps xmm1, xmm2
  CHECK(f.xlo(1) == pair(0x3fc00000, 0xc0200000));
  CHECK(f.xhi(1) == 0);
  CHECK(f.run({0xf2, 0x0f, 0xe6, 0xca}) == -1);  // cvtpd2dq: {2, -2} by ties to even
  CHECK(f.xlo(1) == pair(2, 0xfffffffe));
  CHECK(f.xhi(1) == 0);
  f.set_xmm(2, pair(7, 0xfffffff9), ~0ull);
  CHECK(f.run({0xf3, 0x0f, 0xe6, 0xca}) == -1);  // cvtdq2pd xmm1, xmm2
  CHECK(f.xlo(1) == 0x401c000000000000);
  CHECK(f.xhi(1) == 0xc01c000000000000);
  f.set_xmm(2, pair(0x3fc00000, 0x7fc00000), pair(0xcf000000, 0x4f000000));
  CHECK(f.run({0x66, 0x0f, 0x5b, 0xca}) == -1);  // cvtps2dq xmm1, xmm2
  CHECK(f.xlo(1) == pair(2, 0x80000000));
  CHECK(f.xhi(1) == pair(0x80000000, 0x80000000));
}

TEST_CASE("SSE FP: the MMX-register conversions put the x87 in MMX state") {
  F f;
  f.cpu.s.ftw = 0xffff;
  f.cpu.s.fsw = 0x3800;  // TOP = 7
  f.set_mm(2, pair(5, 0xfffffffd));
  f.set_xmm(1, 0, 0x1234);
  CHECK(f.run({0x0f, 0x2a, 0xca}) == -1);  // cvtpi2ps xmm1, mm2
  CHECK(f.xlo(1) == pair(0x40a00000, 0xc0400000));
  CHECK(f.xhi(1) == 0x1234);
  CHECK(f.cpu.s.ftw == 0);
  CHECK(((f.cpu.s.fsw >> 11) & 7) == 0);
  // The m64 form is not an MMX instruction.
  F g;
  g.cpu.s.ftw = 0xffff;
  g.poke(0x600, pair(1, 2));
  CHECK(g.run({0x66, 0x0f, 0x2a, 0x0e, 0x00, 0x06}) == -1);  // cvtpi2pd xmm1, [0x600]
  CHECK(g.xlo(1) == 0x3ff0000000000000);
  CHECK(g.xhi(1) == 0x4000000000000000);
  CHECK(g.cpu.s.ftw == 0xffff);
  g.set_xmm(2, pair(0x40200000, 0xc0600000), 0);  // {2.5, -3.5}
  CHECK(g.run({0x0f, 0x2d, 0xca}) == -1);  // cvtps2pi mm1, xmm2
  CHECK(g.mm(1) == pair(2, 0xfffffffc));
  CHECK(g.cpu.s.ftw == 0);
  CHECK(g.run({0x0f, 0x2c, 0xca}) == -1);  // cvttps2pi mm1, xmm2
  CHECK(g.mm(1) == pair(2, 0xfffffffd));
}

TEST_CASE("SSE FP: ROUNDSS takes its mode from imm8 or MXCSR and can suppress PE") {
  F f;
  f.set_xmm(2, 0x40200000, 0);  // 2.5
  f.set_xmm(1, pair(k1, k1), 0);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0a, 0xca, 0x00}) == -1);  // nearest
  CHECK(f.xlo(1) == pair(k2, k1));
  CHECK(f.cpu.s.mxcsr == 0x1fa0);
  f.cpu.s.mxcsr = 0x5f80;  // RC = up
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0a, 0xca, 0x09}) == -1);  // down, PE suppressed
  CHECK(f.xlo(1) == pair(k2, k1));
  CHECK(f.cpu.s.mxcsr == 0x5f80);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x0a, 0xca, 0x04}) == -1);  // MXCSR.RC
  CHECK(f.xlo(1) == pair(k3, k1));
}

TEST_CASE("SSE FP: DPPS and DPPD select products and destination lanes") {
  F f;
  f.set_xmm(1, pair(k1, k2), pair(k3, k4));
  f.set_xmm(2, pair(k1, k1), pair(k1, k1));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x40, 0xca, 0xf1}) == -1);
  CHECK(f.xlo(1) == 0x41200000);  // 10 in lane 0 only
  CHECK(f.xhi(1) == 0);
  f.set_xmm(1, pair(k1, k2), pair(k3, k4));
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x40, 0xca, 0x3e}) == -1);
  CHECK(f.xlo(1) == pair(0, k3));
  CHECK(f.xhi(1) == pair(k3, k3));
  f.set_xmm(1, 0x3ff8000000000000, 0x4000000000000000);
  f.set_xmm(2, 0x4000000000000000, 0x4010000000000000);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x41, 0xca, 0x33}) == -1);  // 3 + 8
  CHECK(f.xlo(1) == 0x4026000000000000);
  CHECK(f.xhi(1) == 0x4026000000000000);
}

TEST_CASE("SSE FP: DPPD checks its products before its sum for unmasked exceptions") {
  // 2^-1024 (1 + 4e + 3e^2): a tiny, inexact product (UE, PE), then a
  // denormal addend in the sum (DE): each step is checked in turn.
  for (const auto& [mxcsr, after] : {std::pair{0x1e80u, 0x1eb2u}, std::pair{0x1780u, 0x17b0u}}) {
    CAPTURE(mxcsr);
    F f;
    f.cpu.s.cr[4] |= exec::kCr4Osxmmexcpt;
    f.cpu.s.mxcsr = mxcsr;
    f.set_xmm(1, 0x1ff0000000000001, 0);
    f.set_xmm(2, 0x1ff0000000000003, 0);
    CHECK(f.run({0x66, 0x0f, 0x3a, 0x41, 0xca, 0x11}) == kXm);
    CHECK(f.cpu.s.mxcsr == after);
    CHECK(f.xlo(1) == 0x1ff0000000000001);
  }
  F f;
  f.set_xmm(1, 0x1ff0000000000001, 0);
  f.set_xmm(2, 0x1ff0000000000003, 0);
  CHECK(f.run({0x66, 0x0f, 0x3a, 0x41, 0xca, 0x11}) == -1);
  CHECK(f.xlo(1) == 0x0004000000000001);
  CHECK(f.cpu.s.mxcsr == 0x1fb2);
}

TEST_CASE("SSE FP: HADDPS, HSUBPS, ADDSUBPS and CMPPS") {
  F f;
  set_1234(f);
  CHECK(f.run({0xf2, 0x0f, 0x7c, 0xca}) == -1);  // haddps
  CHECK(f.xlo(1) == pair(k3, 0x40e00000));
  CHECK(f.xhi(1) == pair(0x41f00000, 0x428c0000));
  set_1234(f);
  CHECK(f.run({0xf2, 0x0f, 0x7d, 0xca}) == -1);  // hsubps
  CHECK(f.xlo(1) == pair(0xbf800000, 0xbf800000));
  CHECK(f.xhi(1) == pair(0xc1200000, 0xc1200000));
  set_1234(f);
  CHECK(f.run({0xf2, 0x0f, 0xd0, 0xca}) == -1);  // addsubps
  CHECK(f.xlo(1) == pair(0xc1100000, 0x41b00000));
  CHECK(f.xhi(1) == pair(0xc1d80000, 0x42300000));
  CHECK(f.cpu.s.mxcsr == 0x1f80);
  // {1, NaN, 3, 4} against {1, 1, 4, 3}
  f.set_xmm(2, pair(k1, k1), pair(k4, k3));
  for (const auto& [imm, lo, hi] : {std::tuple{0x00, pair(~0u, 0), pair(0, 0)},
                                   std::tuple{0x01, pair(0, 0), pair(~0u, 0)},
                                   std::tuple{0x03, pair(0, ~0u), pair(0, 0)},
                                   std::tuple{0x06, pair(0, ~0u), pair(0, ~0u)},
                                   std::tuple{0xfc, pair(0, ~0u), pair(~0u, ~0u)}}) {
    CAPTURE(imm);
    f.set_xmm(1, pair(k1, 0x7fc00000), pair(k3, k4));
    f.cpu.s.mxcsr = 0x1f80;
    CHECK(f.run({0x0f, 0xc2, 0xca, uint8_t(imm)}) == -1);
    CHECK(f.xlo(1) == lo);
    CHECK(f.xhi(1) == hi);
    const bool signalling = (imm & 3) == 1 || (imm & 3) == 2;
    CHECK(f.cpu.s.mxcsr == (signalling ? 0x1f81u : 0x1f80u));
  }
}

TEST_CASE("SSE FP: LDMXCSR and STMXCSR; reserved bits are #GP(0)") {
  F f;
  f.poke(0x600, 0x9fc0, 4);
  CHECK(f.run({0x0f, 0xae, 0x16, 0x00, 0x06}) == -1);  // ldmxcsr [0x600]
  CHECK(f.cpu.s.mxcsr == 0x9fc0);
  CHECK(f.run({0x0f, 0xae, 0x1e, 0x04, 0x06}) == -1);  // stmxcsr [0x604]
  CHECK(f.peek(0x604, 4) == 0x9fc0);
  f.poke(0x600, 0x10000, 4);
  CHECK(f.run({0x0f, 0xae, 0x16, 0x00, 0x06}) == kGp);
  CHECK(f.cpu.s.mxcsr == 0x9fc0);
  // Loading a raised flag with its mask clear raises nothing by itself.
  f.poke(0x600, 0x1e81, 4);  // IE raised, IM clear
  CHECK(f.run({0x0f, 0xae, 0x16, 0x00, 0x06}) == -1);
  CHECK(f.cpu.s.mxcsr == 0x1e81);
}

}  // namespace
}  // namespace kestrel::cpu
