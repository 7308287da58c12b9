// SPDX-License-Identifier: MIT
// SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic: ADD, SUB, MUL, DIV,
// SQRT, MIN, MAX (PS/PD/SS/SD), RCP and RSQRT, ADDSUB, HADD, HSUB, ROUND
// and DP. The comparisons are in sse_fp_compare.cpp, the conversions in
// sse_fp_convert.cpp.
#include "cpu/interp/sse_fp.h"

namespace kestrel::cpu::exec {
namespace {

using simd::Env;
using simd::F32;
using simd::F64;

/// HADD/HSUB (pairs within each source, V's first) and ADDSUB (subtract in
/// even lanes, add in odd ones) on 16-byte aligned operands.
enum class Horizontal : uint8_t { kAdd, kSub, kAddSub };

template <class T> void horizontal(Cpu& cpu, const DecodedInsn& insn, Horizontal kind) {
  constexpr unsigned kLanes = 16 / sizeof(T);
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  const Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  Xmm r;
  for (unsigned i = 0; i < kLanes; ++i) {
    r.set<T>(i, fp([&](Env& env) {
      if (kind == Horizontal::kAddSub) {
        const T x = a.get<T>(i), y = b.get<T>(i);
        return (i & 1) ? simd::add<T>(x, y, env) : simd::sub<T>(x, y, env);
      }
      const Xmm& src = i < kLanes / 2 ? a : b;
      const unsigned j = 2 * (i % (kLanes / 2));
      const T x = src.get<T>(j), y = src.get<T>(j + 1);
      return kind == Horizontal::kAdd ? simd::add<T>(x, y, env) : simd::sub<T>(x, y, env);
    }));
  }
  fp.finish(cpu);
  write_v(cpu, insn, r);
}

/// ROUNDPS/PD/SS/SD's immediate: bits 1:0 the mode unless bit 2 selects
/// MXCSR.RC; bit 3 suppresses the precision exception (SDM 2 ROUNDPS).
template <class T> T round_imm(T v, uint8_t imm, Env& env) {
  const simd::Rounding rc = (imm & 4) ? env.rc : simd::Rounding(imm & 3);
  return simd::round_integral<T>(v, rc, (imm & 8) != 0, env);
}

/// DPPS/DPPD: products of the lanes selected by imm8 bits 7:4 (the others
/// +0.0), summed pairwise (lanes 0+1 and 2+3, then the two sums), each step
/// rounded; the sum goes to the lanes selected by bits 3:0, +0.0 elsewhere
/// (SDM 2 DPPS). Lanes left out of the products raise nothing; an unmasked
/// exception in one step stops the steps after it.
template <class T> void dot_product(Cpu& cpu, const DecodedInsn& insn) {
  constexpr unsigned kLanes = 16 / sizeof(T);
  const uint8_t imm = uint8_t(insn.imm);
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  const Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  T p[kLanes];
  for (unsigned i = 0; i < kLanes; ++i) {
    p[i] = (imm >> (4 + i)) & 1
               ? fp([&](Env& env) { return simd::mul<T>(a.get<T>(i), b.get<T>(i), env); })
               : T(0);
  }
  T sum = 0;
  if (fp.end_stage()) {
    sum = fp([&](Env& env) { return simd::add<T>(p[0], p[1], env); });
    if constexpr (kLanes == 4) {
      const T high = fp([&](Env& env) { return simd::add<T>(p[2], p[3], env); });
      if (fp.end_stage()) sum = fp([&](Env& env) { return simd::add<T>(sum, high, env); });
    }
  }
  fp.finish(cpu);
  Xmm r;
  for (unsigned i = 0; i < kLanes; ++i) r.set<T>(i, ((imm >> i) & 1) ? sum : T(0));
  write_v(cpu, insn, r);
}

F32 rcp(F32 v, Env&) { return simd::reciprocal(v); }
F32 rsqrt(F32 v, Env&) { return simd::reciprocal_sqrt(v); }

}  // namespace

void ADDPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::add<F32>); }
void ADDPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::add<F64>); }
void ADDSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::add<F32>); }
void ADDSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::add<F64>); }
void SUBPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::sub<F32>); }
void SUBPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::sub<F64>); }
void SUBSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::sub<F32>); }
void SUBSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::sub<F64>); }
void MULPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::mul<F32>); }
void MULPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::mul<F64>); }
void MULSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::mul<F32>); }
void MULSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::mul<F64>); }
void DIVPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::div<F32>); }
void DIVPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::div<F64>); }
void DIVSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::div<F32>); }
void DIVSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::div<F64>); }
void MINPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::min<F32>); }
void MINPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::min<F64>); }
void MINSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::min<F32>); }
void MINSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::min<F64>); }
void MAXPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, simd::max<F32>); }
void MAXPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, simd::max<F64>); }
void MAXSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, simd::max<F32>); }
void MAXSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, simd::max<F64>); }

void SQRTPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed_unary<F32>(cpu, insn, simd::sqrt<F32>); }
void SQRTPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { sse_packed_unary<F64>(cpu, insn, simd::sqrt<F64>); }
void SQRTSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar_unary<F32>(cpu, insn, simd::sqrt<F32>); }
void SQRTSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { sse_scalar_unary<F64>(cpu, insn, simd::sqrt<F64>); }
void RCPPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed_unary<F32>(cpu, insn, rcp); }
void RCPSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar_unary<F32>(cpu, insn, rcp); }
void RSQRTPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { sse_packed_unary<F32>(cpu, insn, rsqrt); }
void RSQRTSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { sse_scalar_unary<F32>(cpu, insn, rsqrt); }

void ADDSUBPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { horizontal<F32>(cpu, insn, Horizontal::kAddSub); }
void ADDSUBPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { horizontal<F64>(cpu, insn, Horizontal::kAddSub); }
void HADDPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { horizontal<F32>(cpu, insn, Horizontal::kAdd); }
void HADDPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { horizontal<F64>(cpu, insn, Horizontal::kAdd); }
void HSUBPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { horizontal<F32>(cpu, insn, Horizontal::kSub); }
void HSUBPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { horizontal<F64>(cpu, insn, Horizontal::kSub); }

void ROUNDPS_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t imm = uint8_t(insn.imm);
  sse_packed_unary<F32>(cpu, insn, [imm](F32 v, Env& env) { return round_imm(v, imm, env); });
}
void ROUNDPD_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t imm = uint8_t(insn.imm);
  sse_packed_unary<F64>(cpu, insn, [imm](F64 v, Env& env) { return round_imm(v, imm, env); });
}
void ROUNDSS_Vss_Wss_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t imm = uint8_t(insn.imm);
  sse_scalar_unary<F32>(cpu, insn, [imm](F32 v, Env& env) { return round_imm(v, imm, env); });
}
void ROUNDSD_Vsd_Wsd_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t imm = uint8_t(insn.imm);
  sse_scalar_unary<F64>(cpu, insn, [imm](F64 v, Env& env) { return round_imm(v, imm, env); });
}

void DPPS_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { dot_product<F32>(cpu, insn); }
void DPPD_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) { dot_product<F64>(cpu, insn); }

}  // namespace kestrel::cpu::exec
