// SPDX-License-Identifier: MIT
// The native path of the SSE floating-point core (cpu/simd/native_x86_64.cpp)
// against the integer core (soft::), bit for bit in results and flags:
// edge values crossed with each other and random bit patterns, under every
// rounding mode, FTZ, DAZ and all-masked, all-unmasked and random
// exception masks. Built on x86-64 hosts only (tests/unit/meson.build).
#include <doctest/doctest.h>
#include <xmmintrin.h>

#include <cstdint>
#include <random>
#include <vector>

#include "cpu/simd/float.h"
#include "cpu/simd/format.h"

namespace kestrel::cpu::simd {
namespace {

using Fn = uint64_t (*)(uint64_t, uint64_t, Env&);
enum class Domain : uint8_t { kF32, kF64, kInt };  ///< what the operands are

struct Op {
  const char* name;
  Domain domain;
  Fn native, soft;
  bool binary = false;  ///< else b is the operand and a's bit 0 picks truncation
};

uint64_t i32(int32_t v) { return uint32_t(v); }

const Op kOps[] = {
    {"add32", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return add<F32>(F32(a), F32(b), e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::add<F32>(F32(a), F32(b), e); }, true},
    {"add64", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return add<F64>(a, b, e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::add<F64>(a, b, e); }, true},
    {"sub32", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return sub<F32>(F32(a), F32(b), e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::sub<F32>(F32(a), F32(b), e); }, true},
    {"sub64", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return sub<F64>(a, b, e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::sub<F64>(a, b, e); }, true},
    {"mul32", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return mul<F32>(F32(a), F32(b), e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::mul<F32>(F32(a), F32(b), e); }, true},
    {"mul64", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return mul<F64>(a, b, e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::mul<F64>(a, b, e); }, true},
    {"div32", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return div<F32>(F32(a), F32(b), e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::div<F32>(F32(a), F32(b), e); }, true},
    {"div64", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return div<F64>(a, b, e); },
     [](uint64_t a, uint64_t b, Env& e) -> uint64_t { return soft::div<F64>(a, b, e); }, true},
    {"sqrt32", Domain::kF32, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return sqrt<F32>(F32(b), e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::sqrt<F32>(F32(b), e); }},
    {"sqrt64", Domain::kF64, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return sqrt<F64>(b, e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::sqrt<F64>(b, e); }},
    {"widen", Domain::kF32, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return widen(F32(b), e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::widen(F32(b), e); }},
    {"narrow", Domain::kF64, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return narrow(b, e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::narrow(b, e); }},
    {"from_int32", Domain::kInt, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return from_int<F32>(int64_t(b), e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::from_int<F32>(int64_t(b), e); }},
    {"from_int64", Domain::kInt, [](uint64_t, uint64_t b, Env& e) -> uint64_t { return from_int<F64>(int64_t(b), e); },
     [](uint64_t, uint64_t b, Env& e) -> uint64_t { return soft::from_int<F64>(int64_t(b), e); }},
    {"cvtss2si32", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) { return i32(to_int<int32_t, F32>(F32(b), a & 1, e)); },
     [](uint64_t a, uint64_t b, Env& e) { return i32(soft::to_int<int32_t, F32>(F32(b), a & 1, e)); }},
    {"cvtss2si64", Domain::kF32, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(to_int<int64_t, F32>(F32(b), a & 1, e)); },
     [](uint64_t a, uint64_t b, Env& e) { return uint64_t(soft::to_int<int64_t, F32>(F32(b), a & 1, e)); }},
    {"cvtsd2si32", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) { return i32(to_int<int32_t, F64>(b, a & 1, e)); },
     [](uint64_t a, uint64_t b, Env& e) { return i32(soft::to_int<int32_t, F64>(b, a & 1, e)); }},
    {"cvtsd2si64", Domain::kF64, [](uint64_t a, uint64_t b, Env& e) { return uint64_t(to_int<int64_t, F64>(b, a & 1, e)); },
     [](uint64_t a, uint64_t b, Env& e) { return uint64_t(soft::to_int<int64_t, F64>(b, a & 1, e)); }},
};

/// Magnitudes the hardware treats specially, both signs of each: zeros,
/// denormals, the normal range's ends, exact and inexact sums, products
/// that are exact denormals, tiny or overflow, NaNs with payloads and the
/// integer conversions' boundaries.
template <class T> std::vector<uint64_t> edge_values() {
  using F = Fmt<T>;
  auto pow2 = [](int e) { return T(e + F::kBias) << F::kFrac; };
  const T half_frac = T(1) << (F::kFrac - 1);
  const T mags[] = {
      0, 1, F::kFracMask, half_frac, T(1) << F::kFrac, (T(1) << F::kFrac) | 3, F::kInf - 1,
      pow2(F::kEmax), pow2(0), pow2(0) | 1, pow2(0) | half_frac, pow2(1), pow2(1) | half_frac,
      pow2(0) - 1, pow2(0) | F::kFracMask, pow2(-2) | F::kFracMask / 3, pow2(2), pow2(-1),
      pow2(3) | half_frac >> 2, pow2(-F::kBias / 2 - 5), pow2(-F::kBias / 2 - 5) | 5,
      pow2(F::kBias / 2 + 5), pow2(F::kBias / 2 + 5) | 7, pow2(31), pow2(30) | F::kFracMask,
      pow2(63), pow2(62) | F::kFracMask, F::kInf, F::kInf | F::kQuiet,
      F::kInf | F::kQuiet | 0x1234, F::kInf | 1, F::kInf | 0x2a5, F::kInf | (half_frac >> 1)};
  std::vector<uint64_t> out;
  for (const T m : mags) {
    out.push_back(m);
    out.push_back(m | F::kSign);
  }
  return out;
}

std::vector<uint64_t> edge_integers() {
  std::vector<uint64_t> out;
  for (const int64_t m : {int64_t(0), int64_t(1), int64_t(3), int64_t(1) << 24, (int64_t(1) << 24) + 1,
                          (int64_t(1) << 53) + 1, int64_t(0x7fffffff), INT64_MAX, INT64_MIN}) {
    out.push_back(uint64_t(m));
    out.push_back(uint64_t(-m));
  }
  return out;
}

std::vector<uint64_t> edges(Domain d) {
  return d == Domain::kF32 ? edge_values<F32>() : d == Domain::kF64 ? edge_values<F64>() : edge_integers();
}

/// A random operand: raw bits, or an edge value with its low bits stirred.
uint64_t random_operand(std::mt19937_64& rng, Domain d, const std::vector<uint64_t>& edge) {
  const uint64_t r = rng();
  switch (rng() % 4) {
    case 0: return edge[r % edge.size()] ^ (rng() & 0xff);
    case 1:
      if (d == Domain::kInt) return uint64_t(int64_t(r) >> (rng() % 64));
      [[fallthrough]];
    default: return d == Domain::kF32 ? uint32_t(r) : r;
  }
}

/// The masks of one run: all masked, all unmasked, or random.
uint8_t masks_for(unsigned kind, std::mt19937_64& rng) {
  return kind == 0 ? kAllExceptions : kind == 1 ? 0 : uint8_t(rng() & kAllExceptions);
}

Env make_env(unsigned rc, bool ftz, bool daz, uint8_t masks) {
  Env env;
  env.rc = Rounding(rc & 3);
  env.ftz = ftz;
  env.daz = daz;
  env.masks = masks;
  return env;
}

/// Both paths from the same env; records a mismatch (the first few in full).
void compare(const Op& op, uint64_t a, uint64_t b, const Env& env, unsigned& mismatches) {
  Env native_env = env, soft_env = env;
  const uint64_t native = op.native(a, b, native_env);
  const uint64_t reference = op.soft(a, b, soft_env);
  // What MXCSR ends up with: the flags set before (sticky) and those raised.
  const unsigned native_flags = native_env.flags | env.sticky, soft_flags = soft_env.flags | env.sticky;
  if (native == reference && native_flags == soft_flags) return;
  if (++mismatches > 3) return;
  CAPTURE(op.name);
  CAPTURE(a);
  CAPTURE(b);
  CAPTURE(unsigned(env.rc));
  CAPTURE(env.ftz);
  CAPTURE(env.daz);
  CAPTURE(unsigned(env.masks));
  CHECK(native == reference);
  CAPTURE(unsigned(env.sticky));
  CHECK(native_flags == soft_flags);
}

TEST_CASE("simd: native path equals the integer core on edge values under every MXCSR") {
  std::mt19937_64 rng(0x5eed'2026);
  for (const Op& op : kOps) {
    CAPTURE(op.name);
    const std::vector<uint64_t> edge = edges(op.domain);
    unsigned mismatches = 0;
    for (unsigned control = 0; control < 32 * 3; ++control) {
      Env env_base = make_env(control & 3, control & 4, control & 8, 0);
      env_base.sticky = control & 16 ? kPe : 0;  // PE already set: the quick path
      for (const uint64_t a : op.binary ? edge : std::vector<uint64_t>{0, 1}) {
        for (const uint64_t b : edge) {
          Env env = env_base;
          env.masks = masks_for(control / 32, rng);
          compare(op, a, b, env, mismatches);
        }
      }
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("simd: native path equals the integer core on random bit patterns") {
  std::mt19937_64 rng(20261122);
  for (const Op& op : kOps) {
    CAPTURE(op.name);
    const std::vector<uint64_t> edge = edges(op.domain);
    unsigned mismatches = 0;
    for (int i = 0; i < 100000; ++i) {
      const uint64_t a = random_operand(rng, op.domain, edge);
      const uint64_t b = random_operand(rng, op.domain, edge);
      const uint64_t r = rng();
      Env env = make_env(unsigned(r), r & 4, r & 8, masks_for(unsigned(r >> 4) % 3, rng));
      env.flags = uint8_t(r >> 8) & kAllExceptions;  // earlier lanes' flags stay
      env.sticky = (r >> 16) & 1 ? kPe : uint8_t(r >> 24) & kAllExceptions;  // MXCSR's before
      compare(op, a, b, env, mismatches);
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("simd: an exact denormal result raises UE when UE is unmasked") {
  // Masked, an exact tiny result raises nothing, so the host's all-masked
  // run cannot tell; unmasked, UE comes even when exact (SDM 1 §4.9.1.5).
  Env env;
  env.masks = kAllExceptions & ~kUe;
  const F32 tiny = F32(127 - 68) << 23;  // 2^-68; squared, 2^-136 exactly
  mul<F32>(tiny, tiny, env);
  CHECK(env.flags == kUe);
  Env masked;
  CHECK(mul<F32>(tiny, tiny, masked) == F32(1) << 13);
  CHECK(masked.flags == 0);
  Env de_masked;
  de_masked.masks = kAllExceptions & ~kUe;
  add<F64>(1, 0, de_masked);  // the smallest denormal plus zero: itself, exactly
  CHECK(de_masked.flags == (kDe | kUe));
}

TEST_CASE("simd: the native path neither reads nor changes the host's MXCSR") {
  const unsigned saved = _mm_getcsr();
  // RC up, FTZ, DAZ, every exception masked, no flag set.
  const unsigned host = 0x1f80 | 2u << 13 | kMxcsrFtz | kMxcsrDaz;
  _mm_setcsr(host);
  Env env;  // round to nearest, no FTZ or DAZ
  const F64 third = div<F64>(0x3ff0000000000000, 0x4008000000000000, env);
  const F32 denormal_sum = add<F32>(1, 1, env);
  const int64_t rounded = to_int<int64_t, F64>(0x4004000000000000, false, env);  // 2.5
  const unsigned after = _mm_getcsr();
  _mm_setcsr(saved);
  CHECK(third == 0x3fd5555555555555);  // rounded to nearest, not up
  CHECK(denormal_sum == 2);            // no DAZ, no FTZ
  CHECK(rounded == 2);
  CHECK(env.flags == (kPe | kDe));  // 1/3 inexact; denormal operands
  CHECK(after == host);
}

}  // namespace
}  // namespace kestrel::cpu::simd

