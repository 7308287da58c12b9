// SPDX-License-Identifier: MIT
// SSE/SSE2 floating-point comparisons (CMPPS/PD/SS/SD into lane masks,
// COMISS/SD and UCOMISS/SD into EFLAGS) and the MXCSR loads and stores.
#include "cpu/flags.h"
#include "cpu/interp/sse_fp.h"
#include "cpu/interp/x87_fxsave.h"

namespace kestrel::cpu::exec {
namespace {

using simd::Env;
using simd::F32;
using simd::F64;

/// A lane of all ones when the predicate holds, else zero. Legacy SSE
/// encodings read imm8 bits 2:0 only (SDM 2 CMPPS).
template <class T> auto predicate(const DecodedInsn& insn) {
  const auto p = simd::Predicate(insn.imm & 7);
  return [p](T a, T b, Env& env) { return simd::compare<T>(a, b, p, env) ? T(~T(0)) : T(0); };
}

/// ZF, PF, CF = 1 1 1 unordered, 0 0 1 less, 1 0 0 equal, 0 0 0 greater;
/// OF, SF and AF are cleared (SDM 2 COMISS). EFLAGS is left alone when an
/// unmasked exception is raised.
template <class T> void compare_flags(Cpu& cpu, const DecodedInsn& insn, bool signalling) {
  sse_check(cpu);
  const T b = read_w_scalar<T>(cpu, insn);
  const T a = read_v(cpu, insn).get<T>(0);
  SimdFp fp(cpu);
  const simd::Order o =
      fp([&](Env& env) { return simd::compare_ordered<T>(a, b, signalling, env); });
  fp.finish(cpu);
  uint32_t bits = 0;
  switch (o) {
    case simd::Order::kUnordered: bits = kZf | kPf | kCf; break;
    case simd::Order::kLess: bits = kCf; break;
    case simd::Order::kEqual: bits = kZf; break;
    case simd::Order::kGreater: break;
  }
  write_arith_flags(cpu.s, bits);
}

}  // namespace

void CMPPS_Vps_Wps_Ib(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F32>(cpu, insn, predicate<F32>(insn)); }
void CMPPD_Vpd_Wpd_Ib(Cpu& cpu, const DecodedInsn& insn) { sse_packed<F64>(cpu, insn, predicate<F64>(insn)); }
void CMPSS_Vss_Wss_Ib(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F32>(cpu, insn, predicate<F32>(insn)); }
void CMPSD_Vsd_Wsd_Ib(Cpu& cpu, const DecodedInsn& insn) { sse_scalar<F64>(cpu, insn, predicate<F64>(insn)); }

void COMISS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { compare_flags<F32>(cpu, insn, true); }
void COMISD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { compare_flags<F64>(cpu, insn, true); }
void UCOMISS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { compare_flags<F32>(cpu, insn, false); }
void UCOMISD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { compare_flags<F64>(cpu, insn, false); }

void LDMXCSR_Md(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const uint32_t v = cpu.read<uint32_t>(insn.seg, effective_address(cpu, insn));
  // Bits outside MXCSR_MASK are reserved (SDM 1 §10.2.3). Loading a flag
  // with its mask clear raises nothing until an instruction sets it again.
  if (v & ~kMxcsrMask) raise(kVecGp, 0);
  cpu.s.mxcsr = v;
}

void STMXCSR_Md(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  cpu.write<uint32_t>(insn.seg, effective_address(cpu, insn), cpu.s.mxcsr);
}

}  // namespace kestrel::cpu::exec
