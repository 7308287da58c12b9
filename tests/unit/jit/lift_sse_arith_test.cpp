// SPDX-License-Identifier: MIT
// The JIT's SSE arithmetic lowerings (jit/frontend/lift_sse_arith.cpp): they
// lift without a handler call, and programs using them agree with the
// interpreter on the long-mode test machine under several MXCSR settings,
// including the faults: #XM (#UD without CR4.OSXMMEXCPT) with nothing but
// MXCSR's flags written, #GP for a misaligned packed operand, #PF.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/jit/lift_check.h"
#include "tests/unit/jit/sse_pair.h"

namespace kestrel::jit {
namespace {

using cpu::lmtest::LmFixture;

constexpr uint64_t kOsfxsr = 1u << 9, kOsxmmexcpt = 1u << 10;
constexpr uint64_t kCr4 = cpu::lmtest::kCr4Pae | kOsfxsr | kOsxmmexcpt;
constexpr uint64_t kData = 0x50000;
constexpr uint64_t kDblMax = 0x7fefffffffffffff;

/// Whether the one instruction in `bytes` lifts without a handler call and
/// with the op `want`.
bool lowered(const std::vector<uint8_t>& bytes, ir::Op want) {
  bool found = false;
  for (const ir::Inst& in : test::lift_one(bytes).insts) {
    if (in.op == ir::Op::kCallInsn) return false;
    found |= in.op == want;
  }
  return found;
}

/// One program on the JIT's machine and the interpreter's.
struct Pair : ssetest::EnginePair {
  void load(const std::vector<uint8_t>& code, uint32_t mxcsr, uint64_t cr4 = kCr4) {
    for (LmFixture* f : {&j, &i}) {
      f->enter_long(cr4);
      f->load(LmFixture::kCode, code);
      f->cpu.s.mxcsr = mxcsr;
      for (unsigned x = 0; x < 16; ++x) {
        for (unsigned k = 0; k < 16; ++k) f->cpu.s.vec[x][k] = uint8_t(x * 16 + k * 7 + 1);
      }
      // Doubles and floats with NaNs, infinities, denormals and zeros among them.
      static constexpr uint64_t kValues[] = {0x3ff8000000000000, 0x4000000000000000, 0x0000000000000003,
                                             0x7ff4000000000000, 0xc010000000000000, 0x7ff0000000000000,
                                             0x3f80000040490fdb, 0x8000000000000000, 0x0000000100800000};
      for (unsigned k = 0; k < 16; ++k) f->mem.write_phys(kData + 8 * k, kValues[k % std::size(kValues)], 8);
    }
  }
  void set_xmm(unsigned n, uint64_t lo, uint64_t hi) {
    for (LmFixture* f : {&j, &i}) {
      std::memcpy(f->cpu.s.vec[n], &lo, 8);
      std::memcpy(f->cpu.s.vec[n] + 8, &hi, 8);
    }
  }
  void run(uint64_t n = 5000) { EnginePair::run(n); }
};

using ssetest::with_rax;

TEST_CASE("SSE arithmetic lowering: the forms lift to their helper ops, no handler call") {
  using ir::Op;
  CHECK(lowered({0xf2, 0x0f, 0x58, 0xc1}, Op::kSseScalar));        // addsd xmm0, xmm1
  CHECK(lowered({0xf3, 0x0f, 0x5e, 0x00}, Op::kSseScalar));        // divss xmm0, [rax]
  CHECK(lowered({0xf2, 0x0f, 0x51, 0xc0}, Op::kSseScalar));        // sqrtsd xmm0, xmm0
  CHECK(lowered({0x66, 0x0f, 0x59, 0x00}, Op::kSsePacked));        // mulpd xmm0, [rax]
  CHECK(lowered({0x0f, 0x5d, 0xca}, Op::kSsePacked));              // minps xmm1, xmm2
  CHECK(lowered({0xf2, 0x48, 0x0f, 0x2a, 0xc8}, Op::kSseScalar));  // cvtsi2sd xmm1, rax
  CHECK(lowered({0xf2, 0x48, 0x0f, 0x2c, 0xc1}, Op::kSseScalar));  // cvttsd2si rax, xmm1
  CHECK(lowered({0xf3, 0x0f, 0xe6, 0xc1}, Op::kSsePacked));        // cvtdq2pd xmm0, xmm1
  CHECK(lowered({0x66, 0x0f, 0xfe, 0xc1}, Op::kLaneAdd));          // paddd xmm0, xmm1
  CHECK(lowered({0x66, 0x0f, 0xf4, 0xc1}, Op::kMul));              // pmuludq xmm0, xmm1
  CHECK(lowered({0x66, 0x0f, 0x70, 0xc1, 0x1b}, Op::kShr));        // pshufd xmm0, xmm1, 1bh
  CHECK(lowered({0x66, 0x0f, 0x14, 0xc1}, Op::kStField));          // unpcklpd xmm0, xmm1
}

TEST_CASE("SSE arithmetic lowering: ADDSD overflowing with OE unmasked raises #XM, XMM unchanged") {
  for (const uint64_t cr4 : {kCr4, kCr4 & ~kOsxmmexcpt}) {
    Pair p;
    // nop; addsd xmm0, xmm1; hlt (MXCSR: OM clear, everything else masked)
    p.load({0x90, 0xf2, 0x0f, 0x58, 0xc1, 0xf4}, 0x1b80, cr4);
    p.set_xmm(0, kDblMax, 0x1111);
    p.set_xmm(1, kDblMax, 0x2222);
    p.run();
    CHECK(p.j.vector() == (cr4 & kOsxmmexcpt ? 19 : 6));
    CHECK(p.j.stack(0) == LmFixture::kCode + 1);  // #XM and #UD push no error code
    CHECK(p.j.cpu.s.mxcsr == (0x1b80 | 0x08));   // OE set (cpu/simd: no PE with OE unmasked)
    uint64_t lo;
    std::memcpy(&lo, p.j.cpu.s.vec[0], 8);
    CHECK(lo == kDblMax);
    CHECK(p.j.cpu.s.icount == p.i.cpu.s.icount);
    p.check_same();
  }
}

TEST_CASE("SSE arithmetic lowering: DIVPS by zero in one lane with ZE unmasked writes no lane") {
  Pair p;
  // mov eax, 1; divps xmm2, xmm3; hlt
  p.load({0xb8, 0x01, 0, 0, 0, 0x0f, 0x5e, 0xd3, 0xf4}, 0x1d80);
  p.set_xmm(2, 0x400000003f800000, 0x4080000040400000);  // 1, 2, 3, 4
  p.set_xmm(3, 0x3f8000003f800000, 0x3f80000000000000);  // 1, 1, 0, 1
  p.run();
  CHECK(p.j.vector() == 19);
  CHECK(p.j.cpu.s.mxcsr == (0x1d80 | 0x04));  // ZE only: a pre-computation fault stops it
  uint64_t lo;
  std::memcpy(&lo, p.j.cpu.s.vec[2], 8);
  CHECK(lo == 0x400000003f800000);
  p.check_same();
}

TEST_CASE("SSE arithmetic lowering: scalar add/sub/mul/div agree at the quick path's edges") {
  // Operand pairs around the inline quick path's limits (emit_sse.cpp
  // quick_scalar): normal, zero, exact and inexact zero results, the
  // smallest normal result, overflow, underflow, a zero divisor,
  // denormals, infinities and NaNs; doubles, and floats in the low half.
  constexpr uint64_t kMinNormal = 0x0010000000000000, kOne = 0x3ff0000000000000;
  const std::pair<uint64_t, uint64_t> kPairs[] = {
      {0x3ff8000000000000, 0x4000000000000000}, {kOne, kOne},        {kOne, 0},
      {0, 0x8000000000000000},                  {kMinNormal, kOne},  {kMinNormal, 0x3fe0000000000000},
      {kDblMax, kDblMax},                       {0x0000000000000003, kOne}, {kOne, 0x7ff0000000000000},
      {0x7ff4000000000000, kOne},               {0x0020000000000000, 0x0018000000000000},
      {0x3f80000040490fdb, 0x3f80000000800000}, {0x00800000, 0x3f000000}, {0x7f7fffff, 0x40000000},
      {0x3f800000, 0x3f800000},                 {0x00ffffff, 0x00800000}};
  for (const uint32_t mxcsr : {0x1fa0u, 0x1f80u, 0x1fa0u | 0x8000u}) {
    for (const uint8_t prefix : {uint8_t(0xf2), uint8_t(0xf3)}) {
      for (const uint8_t op : {uint8_t(0x58), uint8_t(0x5c), uint8_t(0x59), uint8_t(0x5e)}) {
        for (const auto& [x, y] : kPairs) {
          Pair p;
          p.load({prefix, 0x0f, op, 0xc1, 0xf4}, mxcsr);  // op xmm0, xmm1; hlt
          p.set_xmm(0, x, 0x1111);
          p.set_xmm(1, y, 0x2222);
          p.run();
          CAPTURE(mxcsr);
          CAPTURE(prefix);
          CAPTURE(op);
          CAPTURE(x);
          CAPTURE(y);
          p.check_same();
        }
      }
    }
  }
}

TEST_CASE("SSE arithmetic lowering: an n-body-like loop agrees under several MXCSR settings") {
  // mov rax, kData; mov ecx, 40; loop:
  //   mulpd xmm0, [rax]; addsd xmm1, [rax+10h]; subsd xmm1, xmm0; sqrtsd xmm2, xmm1;
  //   divsd xmm2, xmm3; maxsd xmm3, [rax+8]; minps xmm4, xmm2; mulss xmm5, [rax+14h];
  //   cvtsi2sd xmm6, rcx; addpd xmm6, [rax+20h]; cvttsd2si rdx, xmm6; unpcklpd xmm7, xmm6;
  //   cvtdq2pd xmm8, xmm7; pshufd xmm9, xmm8, 1bh; paddd xmm9, xmm7; pmuludq xmm9, [rax+30h];
  //   add [rax+40h], rdx; dec ecx; jnz loop; hlt
  const std::vector<uint8_t> code = with_rax(kData, {
      0xb9, 0x28, 0x00, 0x00, 0x00,
      0x66, 0x0f, 0x59, 0x00, 0xf2, 0x0f, 0x58, 0x48, 0x10, 0xf2, 0x0f, 0x5c, 0xc8,
      0xf2, 0x0f, 0x51, 0xd1, 0xf2, 0x0f, 0x5e, 0xd3, 0xf2, 0x0f, 0x5f, 0x58, 0x08,
      0x0f, 0x5d, 0xe2, 0xf3, 0x0f, 0x59, 0x68, 0x14,
      0xf2, 0x48, 0x0f, 0x2a, 0xf1, 0x66, 0x0f, 0x58, 0x70, 0x20, 0xf2, 0x48, 0x0f, 0x2c, 0xd6,
      0x66, 0x0f, 0x14, 0xfe, 0xf3, 0x44, 0x0f, 0xe6, 0xc7, 0x66, 0x45, 0x0f, 0x70, 0xc8, 0x1b,
      0x66, 0x44, 0x0f, 0xfe, 0xcf, 0x66, 0x44, 0x0f, 0xf4, 0x48, 0x30,
      0x48, 0x01, 0x50, 0x40, 0xff, 0xc9, 0x75, 0xad, 0xf4});
  // Default; round up with DAZ and FTZ; toward zero with sticky flags.
  for (const uint32_t mxcsr : {0x1f80u, 0xdfc0u, 0x7fbfu}) {
    Pair p;
    p.load(code, mxcsr);
    p.run();
    CHECK(p.j.cpu.s.halted);
    CHECK(p.j.vector() == -1);
    CHECK(p.engine.stats().interp_steps == 0);
    p.check_same();
  }
}

TEST_CASE("SSE arithmetic lowering: a misaligned MULPD raises #GP(0), an unmapped one #PF") {
  Pair p;
  // mov rax, kData + 8; addsd xmm1, [rax]; mulpd xmm0, [rax]; hlt
  p.load(with_rax(kData + 8, {0xf2, 0x0f, 0x58, 0x08, 0x66, 0x0f, 0x59, 0x00, 0xf4}), 0x1f80);
  p.run();
  CHECK(p.j.vector() == 13);
  CHECK(p.j.stack(0) == 0);
  CHECK(p.j.stack(1) == LmFixture::kCode + 14);
  p.check_same();
  Pair q;
  // mov rax, 16 MiB (not mapped); sqrtpd xmm0, [rax]; hlt
  q.load(with_rax(0x1000000, {0x66, 0x0f, 0x51, 0x00, 0xf4}), 0x1f80);
  q.run();
  CHECK(q.j.vector() == 14);
  CHECK(q.j.cpu.s.cr[2] == 0x1000000u);
  CHECK(q.j.stack(1) == LmFixture::kCode + 10);
  q.check_same();
}

}  // namespace
}  // namespace kestrel::jit
