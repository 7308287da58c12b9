// SPDX-License-Identifier: MIT
// SSE/SSE2 conversions: between binary32 and binary64, from and to signed
// doublewords and quadwords (XMM, MMX and general registers), with MXCSR
// rounding or truncation (the CVTT forms).
#include "cpu/interp/sse_fp.h"
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

using simd::Env;
using simd::F32;
using simd::F64;

/// The low 64 bits of W: an XMM register or an m64 (no alignment check).
Xmm read_w64(Cpu& cpu, const DecodedInsn& insn) {
  Xmm x;
  x.set<uint64_t>(0, read_w_scalar<uint64_t>(cpu, insn));
  return x;
}

/// Lanes 0..n-1 of the result are op(src lane i); the rest are zero.
template <class D, class S, class Op> Xmm convert(SimdFp& fp, const Xmm& src, unsigned n, Op op) {
  Xmm r;
  for (unsigned i = 0; i < n; ++i) {
    r.set<D>(i, fp([&](Env& env) { return op(src.get<S>(i), env); }));
  }
  return r;
}

template <class T> auto to_int32(bool truncate) {
  return [truncate](T v, Env& env) { return simd::to_int<int32_t, T>(v, truncate, env); };
}
template <class T> auto from_int32() {
  return [](int32_t v, Env& env) { return simd::from_int<T>(v, env); };
}

/// V = convert(W) over n lanes, writing all of V (upper lanes zero).
template <class D, class S, class Op>
void convert_packed(Cpu& cpu, const DecodedInsn& insn, bool full_source, unsigned n, Op op) {
  sse_check(cpu);
  const Xmm src = full_source ? read_w(cpu, insn, Align::k16) : read_w64(cpu, insn);
  SimdFp fp(cpu);
  const Xmm r = convert<D, S>(fp, src, n, op);
  fp.finish(cpu);
  write_v(cpu, insn, r);
}

/// CVT(T)PS2PI and CVT(T)PD2PI: to an MMX register, which puts the x87 in
/// MMX state after a pending x87 exception is taken (SDM 2 CVTPS2PI).
template <class T> void to_mmx(Cpu& cpu, const DecodedInsn& insn, bool truncate) {
  sse_check(cpu);
  fpu_wait(cpu);
  const Xmm src = sizeof(T) == 4 ? read_w64(cpu, insn) : read_w(cpu, insn, Align::k16);
  SimdFp fp(cpu);
  const Xmm r = convert<int32_t, T>(fp, src, 2, to_int32<T>(truncate));
  fp.finish(cpu);
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, insn.reg & 7, r.lo());
}

/// CVTPI2PS/PD's source. Only the MMX register form is an MMX
/// instruction (the x87 state transition and pending exceptions); the m64
/// form leaves the x87 alone, as hardware does.
Xmm read_q_pi(Cpu& cpu, const DecodedInsn& insn) {
  Xmm x;
  if (insn.is_mem()) {
    x.set<uint64_t>(0, cpu.read<uint64_t>(insn.seg, effective_address(cpu, insn)));
  } else {
    fpu_wait(cpu);
    x.set<uint64_t>(0, x87::mmx_read(cpu.s, insn.rm & 7));
  }
  return x;
}

template <class T> void from_mmx(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const Xmm src = read_q_pi(cpu, insn);
  SimdFp fp(cpu);
  Xmm r = convert<T, int32_t>(fp, src, 2, from_int32<T>());
  fp.finish(cpu);
  if (!insn.is_mem()) x87::mmx_enter(cpu.s);
  if (sizeof(T) == 4) r.set<uint64_t>(1, read_v(cpu, insn).hi());  // CVTPI2PS keeps 127:64
  write_v(cpu, insn, r);
}

/// CVTSI2SS/SD: Ey is a doubleword, or a quadword with REX.W.
template <class T> void from_gpr(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const int64_t v = (insn.rex & 8) ? int64_t(read_e<uint64_t>(cpu, insn))
                                   : int64_t(int32_t(read_e<uint32_t>(cpu, insn)));
  Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  a.set<T>(0, fp([&](Env& env) { return simd::from_int<T>(v, env); }));
  fp.finish(cpu);
  write_v(cpu, insn, a);
}

/// CVT(T)SS2SI and CVT(T)SD2SI: Gy is a doubleword, or a quadword with REX.W.
template <class T> void to_gpr(Cpu& cpu, const DecodedInsn& insn, bool truncate) {
  sse_check(cpu);
  const T v = read_w_scalar<T>(cpu, insn);
  SimdFp fp(cpu);
  if (insn.rex & 8) {
    const int64_t r = fp([&](Env& env) { return simd::to_int<int64_t, T>(v, truncate, env); });
    fp.finish(cpu);
    write_gpr<uint64_t>(cpu.s, insn.reg, uint64_t(r));
  } else {
    const int32_t r = fp([&](Env& env) { return simd::to_int<int32_t, T>(v, truncate, env); });
    fp.finish(cpu);
    write_gpr<uint32_t>(cpu.s, insn.reg, uint32_t(r));
  }
}

/// CVTSS2SD and CVTSD2SS: the low lane of V, the rest kept.
template <class D, class S, class Op> void convert_scalar(Cpu& cpu, const DecodedInsn& insn, Op op) {
  sse_check(cpu);
  const S v = read_w_scalar<S>(cpu, insn);
  Xmm a = read_v(cpu, insn);
  SimdFp fp(cpu);
  a.set<D>(0, fp([&](Env& env) { return op(v, env); }));
  fp.finish(cpu);
  write_v(cpu, insn, a);
}

}  // namespace

void CVTPI2PS_Vps_Qpi(Cpu& cpu, const DecodedInsn& insn) { from_mmx<F32>(cpu, insn); }
void CVTPI2PD_Vpd_Qpi(Cpu& cpu, const DecodedInsn& insn) { from_mmx<F64>(cpu, insn); }
void CVTSI2SS_Vss_Ey(Cpu& cpu, const DecodedInsn& insn) { from_gpr<F32>(cpu, insn); }
void CVTSI2SD_Vsd_Ey(Cpu& cpu, const DecodedInsn& insn) { from_gpr<F64>(cpu, insn); }

void CVTPS2PI_Ppi_Wps(Cpu& cpu, const DecodedInsn& insn) { to_mmx<F32>(cpu, insn, false); }
void CVTTPS2PI_Ppi_Wps(Cpu& cpu, const DecodedInsn& insn) { to_mmx<F32>(cpu, insn, true); }
void CVTPD2PI_Ppi_Wpd(Cpu& cpu, const DecodedInsn& insn) { to_mmx<F64>(cpu, insn, false); }
void CVTTPD2PI_Ppi_Wpd(Cpu& cpu, const DecodedInsn& insn) { to_mmx<F64>(cpu, insn, true); }

void CVTSS2SI_Gy_Wss(Cpu& cpu, const DecodedInsn& insn) { to_gpr<F32>(cpu, insn, false); }
void CVTTSS2SI_Gy_Wss(Cpu& cpu, const DecodedInsn& insn) { to_gpr<F32>(cpu, insn, true); }
void CVTSD2SI_Gy_Wsd(Cpu& cpu, const DecodedInsn& insn) { to_gpr<F64>(cpu, insn, false); }
void CVTTSD2SI_Gy_Wsd(Cpu& cpu, const DecodedInsn& insn) { to_gpr<F64>(cpu, insn, true); }

void CVTPS2PD_Vpd_Wps(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<F64, F32>(cpu, insn, false, 2, simd::widen);
}
void CVTPD2PS_Vps_Wpd(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<F32, F64>(cpu, insn, true, 2, simd::narrow);
}
void CVTSS2SD_Vsd_Wss(Cpu& cpu, const DecodedInsn& insn) {
  convert_scalar<F64, F32>(cpu, insn, simd::widen);
}
void CVTSD2SS_Vss_Wsd(Cpu& cpu, const DecodedInsn& insn) {
  convert_scalar<F32, F64>(cpu, insn, simd::narrow);
}

void CVTDQ2PS_Vps_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<F32, int32_t>(cpu, insn, true, 4, from_int32<F32>());
}
void CVTPS2DQ_Vdq_Wps(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<int32_t, F32>(cpu, insn, true, 4, to_int32<F32>(false));
}
void CVTTPS2DQ_Vdq_Wps(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<int32_t, F32>(cpu, insn, true, 4, to_int32<F32>(true));
}
void CVTDQ2PD_Vx_Wpd(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<F64, int32_t>(cpu, insn, false, 2, from_int32<F64>());
}
void CVTPD2DQ_Vx_Wpd(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<int32_t, F64>(cpu, insn, true, 2, to_int32<F64>(false));
}
void CVTTPD2DQ_Vx_Wpd(Cpu& cpu, const DecodedInsn& insn) {
  convert_packed<int32_t, F64>(cpu, insn, true, 2, to_int32<F64>(true));
}

}  // namespace kestrel::cpu::exec
