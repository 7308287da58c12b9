// SPDX-License-Identifier: MIT
// The JIT's SSE move and logic lowerings (jit/frontend/lift_sse.cpp) against
// the interpreter on the long-mode test machine: results, the inline
// 16-byte probe, and the faults (#PF across a page, #GP for a misaligned
// MOVAPS, #NM and #UD from CR0/CR4) delivered with the same state.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/jit/sse_pair.h"

namespace kestrel::jit {
namespace {

using cpu::lmtest::LmFixture;

constexpr uint64_t kOsfxsr = 1u << 9;
constexpr uint64_t kData = 0x50000;

struct SsePair : ssetest::EnginePair {
  void load(const std::vector<uint8_t>& code, uint64_t cr4 = cpu::lmtest::kCr4Pae | kOsfxsr) {
    for (LmFixture* f : {&j, &i}) {
      f->enter_long(cr4);
      f->load(LmFixture::kCode, code);
      for (unsigned x = 0; x < 16; ++x) {
        for (unsigned k = 0; k < 16; ++k) f->cpu.s.vec[x][k] = uint8_t(x * 16 + k * 7 + 1);
      }
      for (unsigned k = 0; k < 64; ++k) f->mem.write_phys(kData + k, uint8_t(k * 13 + 5), 1);
    }
  }
  void run(uint64_t n = 2000) { EnginePair::run(n); }
};

using ssetest::with_rax;

TEST_CASE("SSE lowerings: a loop of 128-bit, scalar and MOVQ moves and PXOR agrees, inline") {
  SsePair p;
  // mov rax, kData; mov ecx, 100; loop: movdqu xmm0, [rax]; pxor xmm1, xmm0;
  // movdqu [rax+10h], xmm1; movsd xmm3, [rax+8]; movss [rax+24h], xmm3;
  // movq rdx, xmm1; add [rax], rdx; dec ecx; jnz loop; hlt
  p.load(with_rax(kData, {0xb9, 0x64, 0x00, 0x00, 0x00,
                          0xf3, 0x0f, 0x6f, 0x00, 0x66, 0x0f, 0xef, 0xc8, 0xf3, 0x0f, 0x7f, 0x48, 0x10,
                          0xf2, 0x0f, 0x10, 0x58, 0x08, 0xf3, 0x0f, 0x11, 0x58, 0x24,
                          0x66, 0x48, 0x0f, 0x7e, 0xca, 0x48, 0x01, 0x10, 0xff, 0xc9, 0x75, 0xdd, 0xf4}));
  const uint64_t slow_before = p.j.mem.stats().slow_accesses;
  p.run(5000);
  CHECK(p.j.cpu.s.halted);
  CHECK(p.j.vector() == -1);
  p.check_same();
  CHECK(p.engine.stats().interp_steps == 0);
  CHECK(p.j.mem.stats().slow_accesses - slow_before < 20);
}

TEST_CASE("SSE lowerings: a 16-byte access across into an unmapped page faults with nothing changed") {
  for (const uint8_t op : {uint8_t{0x7f}, uint8_t{0x6f}}) {  // MOVDQU store, then load
    SsePair p;
    // mov rax, 0xfffff8 (16 MiB - 8: the next page is not mapped); movdqu; hlt
    p.load(with_rax(0xfffff8, {0xf3, 0x0f, op, 0x00, 0xf4}));
    p.run();
    CHECK(p.j.vector() == 14);
    // write_m128 probes the store's last byte first (cpu/interp/sse.h).
    CHECK(p.j.cpu.s.cr[2] == 0x1000000u);
    CHECK(p.j.stack(0) == (op == 0x7f ? 2u : 0u));  // not present, write or read
    CHECK(p.j.stack(1) == LmFixture::kCode + 10);
    CHECK(p.j.mem.read_phys(0xfffff8, 8) == 0);
    p.check_same();
  }
}

TEST_CASE("SSE lowerings: MOVAPS and MOVDQA on a misaligned operand raise #GP(0)") {
  for (const uint8_t op : {uint8_t{0x28}, uint8_t{0x29}}) {
    SsePair p;
    // mov rax, kData + 8; movaps xmm2, [rax] / movaps [rax], xmm2; hlt
    p.load(with_rax(kData + 8, {0x0f, op, 0x10, 0xf4}));
    p.run();
    CHECK(p.j.vector() == 13);
    CHECK(p.j.stack(0) == 0);
    CHECK(p.j.stack(1) == LmFixture::kCode + 10);
    p.check_same();
  }
  SsePair q;
  // mov rax, kData; movdqa xmm2, [rax]; movdqa [rax+18h], xmm2; hlt
  q.load(with_rax(kData, {0x66, 0x0f, 0x6f, 0x10, 0x66, 0x0f, 0x7f, 0x50, 0x18, 0xf4}));
  q.run();
  CHECK(q.j.vector() == 13);
  CHECK(q.j.stack(1) == LmFixture::kCode + 14);
  q.check_same();
}

TEST_CASE("SSE lowerings: CR0.TS raises #NM and a clear CR4.OSFXSR #UD, before the operand") {
  SsePair p;
  // mov rax, 0xfffff8; movups xmm0, [rax] (would #PF); hlt
  const std::vector<uint8_t> code = with_rax(0xfffff8, {0x0f, 0x10, 0x00, 0xf4});
  p.load(code);
  p.j.cpu.s.cr[0] |= 8;
  p.i.cpu.s.cr[0] |= 8;
  p.run();
  CHECK(p.j.vector() == 7);
  p.check_same();
  SsePair q;
  q.load(code, cpu::lmtest::kCr4Pae);
  q.run();
  CHECK(q.j.vector() == 6);
  CHECK(q.j.stack(0) == LmFixture::kCode + 10);
  q.check_same();
}

}  // namespace
}  // namespace kestrel::jit
