// SPDX-License-Identifier: MIT
// The SSE floating-point core against the host CPU's own SSE unit on
// random operands (biased to denormals, NaNs, infinities, tiny and huge
// values and integer boundaries) under random rounding, FTZ and DAZ, all
// exceptions masked: results and flags must be identical. The integer
// path (soft::) is tested where the core has a native one. x86-64 hosts
// only; unmasked exceptions are the host oracle's job
// (tests/differential/host_oracle*).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>

#include "cpu/simd/float.h"

#if defined(__x86_64__)

namespace kestrel::cpu::simd {
namespace {

struct HostOut {
  uint64_t r;
  uint32_t mxcsr;
};

/// Runs `insn` (xmm0 = op(xmm0, xmm1)) with MXCSR = mxcsr, restoring the
/// test's own MXCSR afterwards.
#define KESTREL_HOST_OP(name, insn)                                                          \
  HostOut name(uint64_t a, uint64_t b, uint32_t mxcsr) {                                   \
    uint32_t saved = 0;                                                                    \
    uint64_t r = 0;                                                                        \
    asm volatile("stmxcsr %[s]\n ldmxcsr %[m]\n movq %[a], %%xmm0\n movq %[b], %%xmm1\n" \
                 insn "\n movq %%xmm0, %[r]\n stmxcsr %[m]\n ldmxcsr %[s]"                  \
                 : [r] "=r"(r), [m] "+m"(mxcsr), [s] "+m"(saved)                            \
                 : [a] "r"(a), [b] "r"(b)                                                   \
                 : "xmm0", "xmm1", "rax", "cc");                                            \
    return {r, mxcsr};                                                                     \
  }
KESTREL_HOST_OP(h_addss, "addss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_subsd, "subsd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_mulss, "mulss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_mulsd, "mulsd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_divss, "divss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_divsd, "divsd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_sqrtss, "sqrtss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_sqrtsd, "sqrtsd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_minss, "minss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_maxsd, "maxsd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_cvtss2sd, "cvtss2sd %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_cvtsd2ss, "cvtsd2ss %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_cvtsd2si, "cvtsd2si %%xmm1, %%rax\n movq %%rax, %%xmm0")
KESTREL_HOST_OP(h_cvttss2si, "cvttss2si %%xmm1, %%eax\n movq %%rax, %%xmm0")
KESTREL_HOST_OP(h_cvtsi2ss, "movq %%xmm1, %%rax\n cvtsi2ss %%rax, %%xmm0")
KESTREL_HOST_OP(h_roundsd, "roundsd $4, %%xmm1, %%xmm0")
KESTREL_HOST_OP(h_cmpltss, "cmpltss %%xmm1, %%xmm0")
// LAHF rather than PUSHF: the stack below RSP may be the red zone.
KESTREL_HOST_OP(h_ucomisd, "ucomisd %%xmm1, %%xmm0\n lahf\n movzbl %%ah, %%eax\n and $0x45, %%eax\n movq %%rax, %%xmm0")
#undef KESTREL_HOST_OP

uint64_t low32(uint64_t a, uint32_t v) { return (a & ~uint64_t{0xffffffff}) | v; }
uint64_t eflags_of(Order o) {
  return o == Order::kUnordered ? 0x45 : o == Order::kLess ? 0x01 : o == Order::kEqual ? 0x40 : 0;
}

struct OpPair {
  const char* name;
  HostOut (*host)(uint64_t, uint64_t, uint32_t);
  uint64_t (*core)(uint64_t, uint64_t, Env&);
  bool f64;
};

const OpPair kOps[] = {
    {"addss", h_addss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::add<F32>(F32(a), F32(b), e)); }, false},
    {"subsd", h_subsd, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(soft::sub<F64>(a, b, e)); }, true},
    {"mulss", h_mulss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::mul<F32>(F32(a), F32(b), e)); }, false},
    {"mulsd", h_mulsd, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(soft::mul<F64>(a, b, e)); }, true},
    {"divss", h_divss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::div<F32>(F32(a), F32(b), e)); }, false},
    {"divsd", h_divsd, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(soft::div<F64>(a, b, e)); }, true},
    {"sqrtss", h_sqrtss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::sqrt<F32>(F32(b), e)); }, false},
    {"sqrtsd", h_sqrtsd, [](uint64_t, uint64_t b, Env& e) { return uint64_t(soft::sqrt<F64>(b, e)); }, true},
    {"minss", h_minss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, min<F32>(F32(a), F32(b), e)); }, false},
    {"maxsd", h_maxsd, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(max<F64>(a, b, e)); }, true},
    {"cvtss2sd", h_cvtss2sd, [](uint64_t, uint64_t b, Env& e) { return uint64_t(soft::widen(F32(b), e)); }, false},
    {"cvtsd2ss", h_cvtsd2ss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::narrow(b, e)); }, true},
    {"cvtsd2si", h_cvtsd2si, [](uint64_t, uint64_t b, Env& e) { return uint64_t(soft::to_int<int64_t, F64>(b, false, e)); }, true},
    {"cvttss2si", h_cvttss2si, [](uint64_t, uint64_t b, Env& e) { return uint64_t(uint32_t(soft::to_int<int32_t, F32>(F32(b), true, e))); }, false},
    {"cvtsi2ss", h_cvtsi2ss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, soft::from_int<F32>(int64_t(b), e)); }, true},
    {"roundsd", h_roundsd, [](uint64_t, uint64_t b, Env& e) { return uint64_t(round_integral<F64>(b, e.rc, false, e)); }, true},
    {"cmpltss", h_cmpltss, [](uint64_t a, uint64_t b, Env& e) { return low32(a, compare<F32>(F32(a), F32(b), Predicate::kLt, e) ? ~0u : 0u); }, false},
    {"ucomisd", h_ucomisd, [](uint64_t a, uint64_t b, Env& e) { return eflags_of(compare_ordered<F64>(a, b, false, e)); }, true},
};

/// A random operand of the format, often from a class hardware treats
/// specially.
uint64_t operand(std::mt19937_64& rng, bool f64) {
  const uint64_t r = rng();
  const unsigned frac = f64 ? 52 : 23;
  const uint64_t sign = r & (uint64_t(1) << (f64 ? 63 : 31));
  const uint64_t mant = r & ((uint64_t(1) << frac) - 1);
  const unsigned top = f64 ? 0x7ff : 0xff, bias = f64 ? 1023 : 127;
  auto with_exp = [&](unsigned e) { return sign | uint64_t(e) << frac | mant; };
  switch (rng() % 8) {
    case 0: return f64 ? r : uint32_t(r);
    case 1: return with_exp(0);                              // denormal or zero
    case 2: return with_exp(top);                            // infinity or NaN
    case 3: return with_exp(bias - 4 + unsigned(rng() % 8));  // near 1
    case 4: return with_exp(unsigned(rng() % 3));            // near the smallest normal
    case 5: return with_exp(top - 1 - unsigned(rng() % 2));  // near the largest finite
    case 6: return with_exp(bias + 28 + unsigned(rng() % 40));  // integer boundaries
    default: return uint64_t(int64_t(int32_t(r)) >> (rng() % 32));
  }
}

TEST_CASE("simd: random operands match the host's SSE results and flags (x86-64 hosts)") {
  std::mt19937_64 rng(20261122);
  for (const OpPair& op : kOps) {
    CAPTURE(op.name);
    unsigned mismatches = 0;
    for (int i = 0; i < 20000; ++i) {
      uint64_t a = operand(rng, op.f64);
      const uint64_t b = operand(rng, op.f64);
      if (!op.f64) a |= rng() << 32;  // upper half of the destination must survive
      // All exceptions masked; random RC, FTZ and DAZ.
      const uint32_t mxcsr = 0x1f80 | uint32_t(rng() & 0xe040);
      const HostOut h = op.host(a, b, mxcsr);
      Env env = Env::from_mxcsr(mxcsr);
      const uint64_t r = op.core(a, b, env);
      if (r != h.r || (mxcsr | env.flags) != h.mxcsr) {
        if (++mismatches <= 3) {
          CAPTURE(a);
          CAPTURE(b);
          CAPTURE(mxcsr);
          CHECK(r == h.r);
          CHECK((mxcsr | env.flags) == h.mxcsr);
        }
      }
    }
    CHECK(mismatches == 0);
  }
}

}  // namespace
}  // namespace kestrel::cpu::simd

#endif  // __x86_64__
