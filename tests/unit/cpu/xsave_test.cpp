// SPDX-License-Identifier: MIT
// XSAVE, XRSTOR, XGETBV and XSETBV in real mode for the x87 and
// SSE components: XCR0's rules, the legacy region (FXSAVE's layout), the
// header's XSTATE_BV, XRSTOR's initialization and MXCSR rule, and faults.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

constexpr uint64_t kOsxsave = 1u << 18;
constexpr uint32_t kArea = 0x1000;  ///< 64-byte aligned
const std::vector<uint8_t> kXgetbv = {0x0f, 0x01, 0xd0}, kXsetbv = {0x0f, 0x01, 0xd1};
const std::vector<uint8_t> kXsave = {0x0f, 0xae, 0x26, 0x00, 0x10};    // xsave [0x1000]
const std::vector<uint8_t> kXrstor = {0x0f, 0xae, 0x2e, 0x00, 0x10};   // xrstor [0x1000]

struct XsaveFixture : SseIntFixture {
  XsaveFixture() {
    cpu.s.cr[4] |= kOsxsave;
    cpu.s.xcr0 = 3;
    for (uint32_t a = kArea; a < kArea + 0x300; a += 8) poke(a, 0xccccccccccccccccULL);
  }
  /// Runs `code` with EDX:EAX = the requested-feature mask.
  int with_mask(uint64_t rfbm, const std::vector<uint8_t>& code) {
    cpu.s.gpr[kRax] = uint32_t(rfbm);
    cpu.s.gpr[kRdx] = rfbm >> 32;
    return run(code);
  }
  void header(uint64_t xstate_bv, uint64_t xcomp_bv = 0, uint64_t reserved = 0) {
    poke(kArea + 512, xstate_bv);
    poke(kArea + 520, xcomp_bv);
    poke(kArea + 528, reserved);
  }
};

TEST_CASE("XGETBV and XSETBV: #UD without CR4.OSXSAVE, XCR0's validity rules") {
  XsaveFixture f;
  f.cpu.s.cr[4] &= ~kOsxsave;
  CHECK(f.run(kXgetbv) == kVecUd);
  CHECK(f.run(kXsetbv) == kVecUd);
  f.cpu.s.cr[4] |= kOsxsave;
  f.cpu.s.xcr0 = 1;
  f.cpu.s.gpr[kRcx] = 0;
  f.cpu.s.gpr[kRdx] = ~0ULL;
  CHECK(f.run(kXgetbv) == -1);
  CHECK(f.cpu.s.gpr[kRax] == 1);
  CHECK(f.cpu.s.gpr[kRdx] == 0);
  CHECK(f.with_mask(3, kXsetbv) == -1);
  CHECK(f.cpu.s.xcr0 == 3);
  for (uint64_t bad : {uint64_t{2}, uint64_t{0}, uint64_t{5}, uint64_t{7}, uint64_t{0x100000003}}) {
    CAPTURE(bad);
    CHECK(f.with_mask(bad, kXsetbv) == kVecGp);
    CHECK(f.cpu.s.xcr0 == 3);
  }
  f.cpu.s.gpr[kRcx] = 1;
  CHECK(f.with_mask(3, kXsetbv) == kVecGp);
  CHECK(f.run(kXgetbv) == kVecGp);  // XGETBV_ECX1 is not reported
}

TEST_CASE("XSAVE writes FXSAVE's legacy layout and XSTATE_BV, nothing else") {
  XsaveFixture f;
  f.cpu.s.fcw = 0x027f;
  f.cpu.s.mxcsr = 0x1fa0;
  f.set_xmm(0, 0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  f.set_xmm(7, 7, 77);
  CHECK(f.with_mask(~0ULL, kXsave) == -1);
  CHECK(f.peek(kArea, 2) == 0x027f);
  CHECK(f.peek(kArea + 24, 4) == 0x1fa0);
  CHECK(f.peek(kArea + 28, 4) == 0xffff);
  CHECK(f.peek(kArea + 160) == 0x0123456789abcdefULL);
  CHECK(f.peek(kArea + 168) == 0xfedcba9876543210ULL);
  CHECK(f.peek(kArea + 160 + 7 * 16 + 8) == 77);
  CHECK(f.peek(kArea + 288) == 0xccccccccccccccccULL);  // XMM8: not outside 64-bit mode
  CHECK(f.peek(kArea + 464) == 0xccccccccccccccccULL);  // software-available bytes
  // Bits outside RFBM (= XCR0 here) keep their old values.
  CHECK(f.peek(kArea + 512) == 0xcccccccccccccccfULL);
  CHECK(f.peek(kArea + 520) == 0xccccccccccccccccULL);  // XCOMP_BV is not written
  // The legacy region matches FXSAVE's image byte for byte.
  CHECK(f.run({0x0f, 0xae, 0x06, 0x00, 0x20}) == -1);  // fxsave [0x2000]
  for (uint32_t k = 0; k < 288; k += 8) {
    CAPTURE(k);
    CHECK(f.peek(kArea + k) == f.peek(0x2000 + k));
  }
}

TEST_CASE("XSAVE: RFBM selects components; XSTATE_BV keeps bits outside it") {
  XsaveFixture f;
  CHECK(f.run({0xdb, 0xe3}) == -1);  // fninit: the x87 state is in its initial configuration
  f.header(0x6);
  CHECK(f.with_mask(1, kXsave) == -1);
  CHECK(f.peek(kArea, 2) == 0x037f);
  CHECK(f.peek(kArea + 24) == 0xccccccccccccccccULL);  // MXCSR: SSE not requested
  CHECK(f.peek(kArea + 160) == 0xccccccccccccccccULL);
  CHECK(f.peek(kArea + 512) == 0x6);  // x87 not in use; bits 1 and 2 not requested
  f.set_xmm(3, 1, 0);
  CHECK(f.with_mask(3, kXsave) == -1);
  CHECK(f.peek(kArea + 512) == 0x6);  // SSE in use now; bit 2 kept
  f.set_xmm(3, 0, 0);
  CHECK(f.with_mask(3, kXsave) == -1);
  CHECK(f.peek(kArea + 512) == 0x4);
  f.cpu.s.xcr0 = 1;  // RFBM = EDX:EAX AND XCR0
  f.poke(kArea + 160, 0xccccccccccccccccULL);
  f.header(0);
  f.cpu.s.fcw = 0x0360;
  CHECK(f.with_mask(3, kXsave) == -1);
  CHECK(f.peek(kArea + 160) == 0xccccccccccccccccULL);
  CHECK(f.peek(kArea + 512) == 1);
}

TEST_CASE("XRSTOR restores what XSAVE saved") {
  XsaveFixture f;
  f.cpu.s.mxcsr = 0x1f00;
  f.set_xmm(5, 0x5555, 0xaaaa);
  CHECK(f.run({0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb}) == -1);  // fninit; fld1; fldpi
  const uint16_t ftw = f.cpu.s.ftw, fsw = f.cpu.s.fsw;
  f.header(0);
  CHECK(f.with_mask(3, kXsave) == -1);
  CHECK(f.peek(kArea + 512) == 3);
  CHECK(f.run({0xdb, 0xe3}) == -1);  // fninit
  f.cpu.s.mxcsr = 0x1f80;
  f.set_xmm(5, 0, 0);
  CHECK(f.with_mask(3, kXrstor) == -1);
  CHECK(f.cpu.s.mxcsr == 0x1f00);
  CHECK(f.xlo(5) == 0x5555);
  CHECK(f.xhi(5) == 0xaaaa);
  CHECK(f.cpu.s.ftw == ftw);
  CHECK(f.cpu.s.fsw == fsw);
  CHECK(f.run({0xde, 0xc1}) == -1);  // faddp: the restored stack is usable
}

TEST_CASE("XRSTOR initializes components whose XSTATE_BV bit is clear, but loads MXCSR") {
  XsaveFixture f;
  CHECK(f.run({0xdb, 0xe3, 0xd9, 0xe8}) == -1);  // fninit; fld1
  f.cpu.s.fcw = 0x0262;
  f.set_xmm(1, 11, 12);
  f.poke(kArea + 24, 0x0000ffff00001fc0ULL);
  f.header(0);
  CHECK(f.with_mask(3, kXrstor) == -1);
  CHECK(f.cpu.s.fcw == 0x037f);
  CHECK(f.cpu.s.ftw == 0xffff);
  CHECK(f.cpu.s.fsw == 0);
  CHECK(f.xlo(1) == 0);
  CHECK(f.xhi(1) == 0);
  CHECK(f.cpu.s.mxcsr == 0x1fc0);
  // RFBM = 1: SSE state and MXCSR are left alone.
  f.set_xmm(1, 11, 12);
  f.poke(kArea + 24, 0x0000ffff00001f80ULL);
  CHECK(f.with_mask(1, kXrstor) == -1);
  CHECK(f.xlo(1) == 11);
  CHECK(f.cpu.s.mxcsr == 0x1fc0);
}

TEST_CASE("XRSTOR: #GP for header bits XCR0 lacks, XCOMP_BV, reserved bytes, bad MXCSR") {
  XsaveFixture f;
  f.set_xmm(1, 11, 12);
  f.poke(kArea + 24, 0x0000ffff00001f80ULL);
  f.header(0x4);
  CHECK(f.with_mask(3, kXrstor) == kVecGp);
  f.header(0, 1ULL << 63 | 3);
  CHECK(f.with_mask(3, kXrstor) == kVecGp);
  f.header(0, 0, 1);
  CHECK(f.with_mask(3, kXrstor) == kVecGp);
  f.header(0);
  f.poke(kArea + 24, 0x0000ffff00011f80ULL);
  CHECK(f.with_mask(3, kXrstor) == kVecGp);
  CHECK(f.xlo(1) == 11);  // nothing changed
  CHECK(f.with_mask(1, kXrstor) == -1);  // MXCSR not loaded without RFBM[1]
}

TEST_CASE("XSAVE family faults: #UD without OSXSAVE, #NM with TS, #GP unless 64-byte aligned") {
  XsaveFixture f;
  f.cpu.s.cr[4] &= ~kOsxsave;
  CHECK(f.with_mask(3, kXsave) == kVecUd);
  CHECK(f.with_mask(3, kXrstor) == kVecUd);
  f.cpu.s.cr[4] |= kOsxsave;
  f.cpu.s.cr[0] |= 8;
  CHECK(f.with_mask(3, kXsave) == kVecNm);
  f.cpu.s.cr[0] &= ~uint64_t{8};
  CHECK(f.with_mask(3, {0x0f, 0xae, 0x26, 0x20, 0x10}) == kVecGp);  // xsave [0x1020]
  CHECK(f.with_mask(3, {0x0f, 0xae, 0x2e, 0x08, 0x10}) == kVecGp);  // xrstor [0x1008]
}

TEST_CASE("XSAVE64 and XRSTOR64 in 64-bit mode: XMM8-15 and 64-bit FPU pointers") {
  lmtest::LmFixture f;
  f.enter_long(lmtest::kCr4Pae | (1u << 9) | kOsxsave);
  f.cpu.s.xcr0 = 3;
  f.cpu.s.fip = 0x123456789abcULL;
  std::memset(f.cpu.s.vec[15], 0x5a, 16);
  f.r(kRbx) = 0x40000;
  f.r(kRax) = 3;
  f.r(kRdx) = 0;
  // xsave64 [rbx]; (clobber) xrstor64 [rbx]; hlt
  f.load(lmtest::LmFixture::kCode, {0x48, 0x0f, 0xae, 0x23, 0xf4});
  f.run();
  CHECK(f.vector() == -1);
  CHECK(f.mem.read_phys(0x40000 + 8, 8) == 0x123456789abcULL);
  CHECK(f.mem.read_phys(0x40000 + 160 + 15 * 16, 8) == 0x5a5a5a5a5a5a5a5aULL);
  CHECK(f.mem.read_phys(0x40000 + 512, 8) == 3);
  std::memset(f.cpu.s.vec[15], 0, 16);
  f.cpu.s.fip = 0;
  f.cpu.s.halted = false;
  f.cpu.s.rip = lmtest::LmFixture::kCode;
  f.load(lmtest::LmFixture::kCode, {0x48, 0x0f, 0xae, 0x2b, 0xf4});
  f.run();
  CHECK(f.vector() == -1);
  CHECK(f.cpu.s.vec[15][15] == 0x5a);
  CHECK(f.cpu.s.fip == 0x123456789abcULL);
}

}  // namespace
}  // namespace kestrel::cpu
