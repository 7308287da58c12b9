// SPDX-License-Identifier: MIT
// The helpers of Op::kSseScalar and kSsePacked: the SSE arithmetic and
// conversions through the interpreter's own code (cpu/interp/sse_fp.h
// SimdFp and cpu/simd), one instantiation per operation and lane type, so
// results, MXCSR flags and #XM/#UD are the handlers' and a fault writes
// nothing but MXCSR's flags. The handlers are cpu/interp/sse_fp_arith.cpp
// and sse_fp_convert.cpp; their operand reads are generated code's.
#include <algorithm>
#include <array>
#include <utility>

#include "cpu/interp/sse_fp.h"
#include "jit/runtime/sse_access.h"

namespace kestrel::jit::sse {
namespace {

namespace simd = cpu::simd;
using cpu::exec::SimdFp;
using cpu::exec::Xmm;
using ir::SseOp;
using simd::Env;
using simd::F32;
using simd::F64;

/// Runs f(fp) and SimdFp::finish as a handler does; on #XM/#UD records the
/// fault at `rip` and returns false.
template <class F> bool guarded(JitCtx* ctx, uint64_t rip, F&& f) {
  cpu::Cpu& c = *ctx->cpu;
  try {
    SimdFp fp(c);
    f(fp);
    fp.finish(c);
  } catch (const cpu::GuestFault& g) {
    c.insn_rip = rip;
    ctx->fault = g;
    ctx->faulted = true;
    return false;
  }
  return true;
}

/// One lane of the scalar and lane-wise operations: `x` the V lane, `y`
/// the W lane (T's bits, or an integer for kFromInt). The result's bits,
/// zero-extended.
template <class T, SseOp kOp> uint64_t lane(uint64_t x, uint64_t y, Env& env) {
  const T a = T(x), b = T(y);
  if constexpr (kOp == SseOp::kAdd) return simd::add<T>(a, b, env);
  if constexpr (kOp == SseOp::kSub) return simd::sub<T>(a, b, env);
  if constexpr (kOp == SseOp::kMul) return simd::mul<T>(a, b, env);
  if constexpr (kOp == SseOp::kDiv) return simd::div<T>(a, b, env);
  if constexpr (kOp == SseOp::kMin) return simd::min<T>(a, b, env);
  if constexpr (kOp == SseOp::kMax) return simd::max<T>(a, b, env);
  if constexpr (kOp == SseOp::kSqrt) return simd::sqrt<T>(b, env);
  if constexpr (kOp == SseOp::kFromInt) return simd::from_int<T>(int64_t(y), env);
  if constexpr (kOp == SseOp::kToInt32) return uint32_t(simd::to_int<int32_t, T>(b, false, env));
  if constexpr (kOp == SseOp::kToInt64) return uint64_t(simd::to_int<int64_t, T>(b, false, env));
  if constexpr (kOp == SseOp::kTruncInt32) return uint32_t(simd::to_int<int32_t, T>(b, true, env));
  if constexpr (kOp == SseOp::kTruncInt64) return uint64_t(simd::to_int<int64_t, T>(b, true, env));
  if constexpr (kOp == SseOp::kWiden) return simd::widen(F32(y), env);
  if constexpr (kOp == SseOp::kNarrow) return simd::narrow(F64(y), env);
  return 0;
}

/// sse_scalar, sse_scalar_unary, from_gpr, to_gpr, convert_scalar: the
/// operation on the low lanes; the caller writes the result.
template <class T, SseOp kOp> uint64_t scalar(JitCtx* ctx, uint64_t a, uint64_t b, uint64_t, uint64_t rip) noexcept {
  uint64_t r = 0;
  guarded(ctx, rip, [&](SimdFp& fp) { r = fp([&](Env& env) { return lane<T, kOp>(a, b, env); }); });
  return r;
}

/// convert_packed: lanes 0..n-1 of D from W's lanes of S, the rest zero.
template <class D, class S, unsigned kN, class Op> Xmm convert(SimdFp& fp, const Xmm& w, Op op) {
  Xmm r;
  for (unsigned i = 0; i < kN; ++i) r.set<D>(i, D(fp([&](Env& env) { return op(w.get<S>(i), env); })));
  return r;
}

template <class D> auto from_int32() {
  return [](int32_t v, Env& env) { return simd::from_int<D>(v, env); };
}
template <class S, bool kTrunc> auto to_int32() {
  return [](S v, Env& env) { return simd::to_int<int32_t, S>(v, kTrunc, env); };
}

/// V = op(V, W) lane by lane (sse_packed, sse_packed_unary), or V = a
/// conversion of W (convert_packed).
template <class T, SseOp kOp> Xmm packed_lanes(SimdFp& fp, const Xmm& v, const Xmm& w) {
  if constexpr (kOp == SseOp::kCvtDq2Pd) return convert<F64, int32_t, 2>(fp, w, from_int32<F64>());
  if constexpr (kOp == SseOp::kCvtPs2Pd) return convert<F64, F32, 2>(fp, w, simd::widen);
  if constexpr (kOp == SseOp::kCvtPd2Ps) return convert<F32, F64, 2>(fp, w, simd::narrow);
  if constexpr (kOp == SseOp::kCvtDq2Ps) return convert<F32, int32_t, 4>(fp, w, from_int32<F32>());
  if constexpr (kOp == SseOp::kCvtPs2Dq) return convert<int32_t, F32, 4>(fp, w, to_int32<F32, false>());
  if constexpr (kOp == SseOp::kCvtTPs2Dq) return convert<int32_t, F32, 4>(fp, w, to_int32<F32, true>());
  if constexpr (kOp == SseOp::kCvtPd2Dq) return convert<int32_t, F64, 2>(fp, w, to_int32<F64, false>());
  if constexpr (kOp == SseOp::kCvtTPd2Dq) return convert<int32_t, F64, 2>(fp, w, to_int32<F64, true>());
  Xmm r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) {
    r.set<T>(i, T(fp([&](Env& env) { return lane<T, kOp>(v.get<T>(i), w.get<T>(i), env); })));
  }
  return r;
}

template <class T, SseOp kOp> void packed(JitCtx* ctx, uint64_t lo, uint64_t hi, uint64_t imm, uint64_t rip) noexcept {
  cpu::CpuState& s = ctx->cpu->s;
  const unsigned reg = unsigned(imm >> 16) & 15;
  Xmm w;
  w.set<uint64_t>(0, lo);
  w.set<uint64_t>(1, hi);
  const Xmm v = cpu::exec::read_xmm(s, reg);
  Xmm r;
  if (guarded(ctx, rip, [&](SimdFp& fp) { r = packed_lanes<T, kOp>(fp, v, w); })) cpu::exec::write_xmm(s, reg, r);
}

constexpr size_t kOps = size_t(SseOp::kCount);

/// [op][lane size is 8]: the scalar instantiations (only what the lifter emits).
template <size_t... kI> constexpr std::array<ScalarFn, 2 * kOps> scalar_table(std::index_sequence<kI...>) {
  return {(kI % 2 ? &scalar<F64, SseOp(kI / 2)> : &scalar<F32, SseOp(kI / 2)>)...};
}
template <size_t... kI> constexpr std::array<PackedFn, 2 * kOps> packed_table(std::index_sequence<kI...>) {
  return {(kI % 2 ? &packed<F64, SseOp(kI / 2)> : &packed<F32, SseOp(kI / 2)>)...};
}

constexpr auto kScalar = scalar_table(std::make_index_sequence<2 * kOps>());
constexpr auto kPacked = packed_table(std::make_index_sequence<2 * kOps>());

size_t index(uint64_t imm) {
  return 2 * std::min<size_t>(imm & 0xff, kOps - 1) + (((imm >> 8) & 0xff) == 8 ? 1 : 0);
}

}  // namespace

ScalarFn scalar_helper(uint64_t imm) { return kScalar[index(imm)]; }
PackedFn packed_helper(uint64_t imm) { return kPacked[index(imm)]; }

}  // namespace kestrel::jit::sse
