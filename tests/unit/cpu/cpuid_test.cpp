// SPDX-License-Identifier: MIT
// CPUID on the max model: the standard and extended leaves state exactly
// the implemented features; OSXSAVE follows CR4; leaf 0Dh sizes the XSAVE
// area; the power-on x87 state of Cpu::reset.
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/cpu/lm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace lmtest;

struct Regs {
  uint32_t eax, ebx, ecx, edx;
};

Regs cpuid(LmFixture& f, uint32_t leaf, uint32_t subleaf = 0) {
  f.r(kRax) = leaf;
  f.r(kRcx) = subleaf;
  f.load(LmFixture::kCode, {0x0f, 0xa2});
  f.cpu.s.rip = LmFixture::kCode;
  f.run(1);
  return {uint32_t(f.r(kRax)), uint32_t(f.r(kRbx)), uint32_t(f.r(kRcx)), uint32_t(f.r(kRdx))};
}

TEST_CASE("CPUID leaf 1: SSE to SSE4.2, POPCNT, AES, PCLMULQDQ, CX16, XSAVE, DE") {
  LmFixture f;
  f.enter_long();
  Regs r = cpuid(f, 1);
  CHECK(r.eax == 0x000006f1);
  for (unsigned bit : {0u, 2u, 3u, 4u, 5u, 6u, 8u, 11u, 13u, 15u, 19u, 23u, 24u, 25u, 26u}) {
    CHECK((r.edx >> bit & 1) == 1);
  }
  for (unsigned bit : {0u, 1u, 9u, 13u, 19u, 20u, 22u, 23u, 25u, 26u}) {
    CHECK((r.ecx >> bit & 1) == 1);
  }
  CHECK((r.ecx >> 27 & 1) == 0);  // OSXSAVE follows CR4
  CHECK((r.ecx >> 28 & 1) == 0);  // no AVX
  f.cpu.s.cr[4] |= 1u << 18;
  r = cpuid(f, 1);
  CHECK((r.ecx >> 27 & 1) == 1);
}

TEST_CASE("CPUID leaves 7 and 0Dh: LA57; XSAVE of x87 and SSE in 576 bytes") {
  LmFixture f;
  f.enter_long();
  Regs r = cpuid(f, 0);
  CHECK(r.eax == 0xd);
  r = cpuid(f, 7);
  CHECK(r.ecx == 1u << 16);
  r = cpuid(f, 0xd, 0);
  CHECK(r.eax == 3);
  CHECK(r.ebx == 576);
  CHECK(r.ecx == 576);
  CHECK(r.edx == 0);
  r = cpuid(f, 0xd, 1);
  CHECK(r.eax == 0);
}

TEST_CASE("CPUID extended leaves: LM, NX, SYSCALL, RDTSCP, 1 GiB pages, LZCNT, widths") {
  LmFixture f;
  f.enter_long();
  Regs r = cpuid(f, 0x80000000);
  CHECK(r.eax == 0x80000008);
  r = cpuid(f, 0x80000001);
  CHECK(r.edx == (1u << 11 | 1u << 20 | 1u << 26 | 1u << 27 | 1u << 29));
  CHECK((r.ecx & (1u << 0 | 1u << 5)) == (1u << 0 | 1u << 5));
  r = cpuid(f, 0x80000008);
  CHECK((r.eax & 0xff) == 40);
  CHECK((r.eax >> 8 & 0xff) == 57);
}

TEST_CASE("reset leaves the x87 in its power-on state (SDM 3A table 9-1)") {
  LmFixture f;
  f.cpu.s.fcw = 0x37f;
  f.cpu.s.ftw = 0xffff;
  f.cpu.reset();
  CHECK(f.cpu.s.fcw == 0x0040);
  CHECK(f.cpu.s.fsw == 0);
  CHECK(f.cpu.s.ftw == 0x5555);
  CHECK(f.cpu.s.mxcsr == 0x1f80);
  CHECK(f.cpu.s.efer == 0);
}

}  // namespace
}  // namespace kestrel::cpu
