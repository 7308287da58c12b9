// SPDX-License-Identifier: MIT
// The x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
// F2XM1, FYL2X, FYL2XP1 (SDM 2). Their arithmetic is cpu/x87/transcendental.
#include "cpu/interp/x87.h"
#include "cpu/x87/transcendental.h"

namespace kestrel::cpu::exec {
namespace {

using x87::Float80;
using x87::Trig;

enum class TrigOp : uint8_t { kSin, kCos, kTan, kSinCos };

Trig evaluate(TrigOp op, Float80 x, x87::Env& env) {
  switch (op) {
    case TrigOp::kSin: return x87::fsin(x, env);
    case TrigOp::kCos: return x87::fcos(x, env);
    case TrigOp::kTan: return x87::fptan(x, env);
    case TrigOp::kSinCos: return x87::fsincos(x, env);
  }
  return {};
}

/// FSIN/FCOS replace ST(0); FPTAN and FSINCOS replace it and push. An
/// operand beyond 2^63 sets C2 and stays (SDM 2 FSIN, FPTAN).
void trig(Cpu& cpu, const DecodedInsn& insn, TrigOp op) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  const bool pushes = op == TrigOp::kTan || op == TrigOp::kSinCos;
  if (x87::empty(s, 0) || (pushes && push_overflows(s))) {
    const bool overflow = !x87::empty(s, 0);
    x87::set_cc(s, x87::kSwC2, 0);
    if (stack_fault(cpu, overflow)) return;
    x87::set_st(s, 0, x87::kIndefinite);
    if (pushes) x87::push(s, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Trig t = evaluate(op, x87::st(s, 0), env);
  if (t.out_of_range) {
    x87::set_cc(s, x87::kSwC2, x87::kSwC2);
    return;
  }
  if (!env.aborts()) {
    x87::set_st(s, 0, t.first);
    if (pushes) x87::push(s, t.second);
  }
  fpu_finish(cpu, env);
  x87::set_cc(s, x87::kSwC2, 0);
}

/// The two-operand instructions: ST(1) = f(ST(1), ST(0)), then a pop.
template <class F> void binary_pop(Cpu& cpu, const DecodedInsn& insn, F&& f) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0) || x87::empty(s, 1)) {
    if (stack_fault(cpu, false)) return;
    x87::set_st(s, 1, x87::kIndefinite);
    x87::pop(s);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Float80 r = f(x87::st(s, 1), x87::st(s, 0), env);
  if (!env.aborts()) {
    x87::set_st(s, 1, r);
    x87::pop(s);
  }
  fpu_finish(cpu, env);
}

}  // namespace

void FSIN(Cpu& cpu, const DecodedInsn& insn) { trig(cpu, insn, TrigOp::kSin); }
void FCOS(Cpu& cpu, const DecodedInsn& insn) { trig(cpu, insn, TrigOp::kCos); }
void FPTAN(Cpu& cpu, const DecodedInsn& insn) { trig(cpu, insn, TrigOp::kTan); }
void FSINCOS(Cpu& cpu, const DecodedInsn& insn) { trig(cpu, insn, TrigOp::kSinCos); }

void FPATAN(Cpu& cpu, const DecodedInsn& insn) {
  binary_pop(cpu, insn, [](Float80 y, Float80 x, x87::Env& env) { return x87::fpatan(y, x, env); });
}
void FYL2X(Cpu& cpu, const DecodedInsn& insn) {
  binary_pop(cpu, insn, [](Float80 y, Float80 x, x87::Env& env) { return x87::fyl2x(y, x, env); });
}
void FYL2XP1(Cpu& cpu, const DecodedInsn& insn) {
  binary_pop(cpu, insn, [](Float80 y, Float80 x, x87::Env& env) { return x87::fyl2xp1(y, x, env); });
}

void F2XM1(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0)) {
    if (!stack_fault(cpu, false)) x87::set_st(s, 0, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Float80 r = x87::f2xm1(x87::st(s, 0), env);
  if (!env.aborts()) x87::set_st(s, 0, r);
  fpu_finish(cpu, env);
}

}  // namespace kestrel::cpu::exec
