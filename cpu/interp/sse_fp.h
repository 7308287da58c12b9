// SPDX-License-Identifier: MIT
// What the SSE floating-point handlers (cpu/interp/sse_fp_*.cpp) share:
// collecting the MXCSR flags of an instruction's operations and raising
// #XM (or #UD) for unmasked ones, and the packed and scalar lane loops.
// The arithmetic itself is cpu/simd/.
#pragma once

#include "cpu/interp/sse.h"
#include "cpu/simd/float.h"

namespace kestrel::cpu::exec {

/// The MXCSR side of one instruction. Each operation runs with the MXCSR
/// environment and its own flags; finish() merges them the way hardware
/// does (SDM 1 §11.5.3): the flags of all lanes are ORed, and an unmasked
/// pre-computation exception (IE, DE, ZE) in any lane stops the
/// instruction before rounding, so no post-computation flag is reported.
/// DPPS/DPPD run in stages (products, then sums), each checked that way
/// before the next begins, as measured on hardware.
class SimdFp {
 public:
  explicit SimdFp(const Cpu& cpu) : env_(simd::Env::from_mxcsr(cpu.s.mxcsr)) {}

  /// Runs f(env) for one operation and keeps its flags.
  template <class F> auto operator()(F&& f) {
    simd::Env env = env_;
    const auto r = f(env);
    pre_ |= env.flags & simd::kPreComputation;
    post_ |= env.flags & simd::kPostComputation;
    return r;
  }
  const simd::Env& env() const { return env_; }

  /// Closes a stage: keeps its flags; false when one is unmasked and the
  /// instruction must stop.
  bool end_stage() {
    flags_ |= (pre_ & ~env_.masks) ? pre_ : uint8_t(pre_ | post_);
    pre_ = post_ = 0;
    return !(flags_ & ~env_.masks & simd::kAllExceptions);
  }

  /// Sets the flags in MXCSR, then raises #XM (#UD when CR4.OSXMMEXCPT is
  /// clear, SDM 3A §6.15 interrupt 19) if one is unmasked. The caller
  /// writes its results only after this returns; MXCSR's flags are the
  /// one state a faulting instruction changes.
  void finish(Cpu& cpu) {
    const bool ok = end_stage();
    cpu.s.mxcsr |= flags_;
    if (!ok) raise((cpu.s.cr[4] & kCr4Osxmmexcpt) ? kVecXm : kVecUd);
  }

 private:
  simd::Env env_;
  uint8_t pre_ = 0, post_ = 0;  ///< of the current stage
  uint8_t flags_ = 0;           ///< of the stages closed
};

/// V = op(V, W) lane by lane; W is a 16-byte aligned m128 or a register.
template <class T, class Op> void sse_packed(Cpu& cpu, const DecodedInsn& insn, Op op) {
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  const Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  const Xmm r = map_lanes<T>(a, b, [&](T x, T y) {
    return fp([&](simd::Env& env) { return op(x, y, env); });
  });
  fp.finish(cpu);
  write_v(cpu, insn, r);
}

/// V[0] = op(V[0], W[0]); the rest of V is kept.
template <class T, class Op> void sse_scalar(Cpu& cpu, const DecodedInsn& insn, Op op) {
  sse_check(cpu);
  const T b = read_w_scalar<T>(cpu, insn);
  Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  a.set<T>(0, fp([&](simd::Env& env) { return op(a.get<T>(0), b, env); }));
  fp.finish(cpu);
  write_v(cpu, insn, a);
}

/// V = op(W) lane by lane.
template <class T, class Op> void sse_packed_unary(Cpu& cpu, const DecodedInsn& insn, Op op) {
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  SimdFp fp(cpu);
  Xmm r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) {
    r.set<T>(i, fp([&](simd::Env& env) { return op(b.get<T>(i), env); }));
  }
  fp.finish(cpu);
  write_v(cpu, insn, r);
}

/// V[0] = op(W[0]); the rest of V is kept.
template <class T, class Op> void sse_scalar_unary(Cpu& cpu, const DecodedInsn& insn, Op op) {
  sse_check(cpu);
  const T b = read_w_scalar<T>(cpu, insn);
  Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  a.set<T>(0, fp([&](simd::Env& env) { return op(b, env); }));
  fp.finish(cpu);
  write_v(cpu, insn, a);
}

}  // namespace kestrel::cpu::exec
