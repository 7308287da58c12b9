// SPDX-License-Identifier: MIT
// x87 arithmetic: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR in their register, pop,
// m32fp/m64fp and m16int/m32int forms (SDM 2 FADD, FSUB, FMUL, FDIV), and
// the one-operand FCHS, FABS, FSQRT, FRNDINT, FPREM, FPREM1, FSCALE, FXTRACT.
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

using x87::Float80;
using x87::Operand;

enum class Op : uint8_t { kAdd, kMul, kSub, kSubr, kDiv, kDivr };

Float80 compute(Op op, Operand x, Operand y, x87::Env& env) {
  switch (op) {
    case Op::kAdd: return x87::add(x, y, env);
    case Op::kMul: return x87::mul(x, y, env);
    case Op::kSub: return x87::sub(x, y, env);
    case Op::kSubr: return x87::sub(y, x, env);
    case Op::kDiv: return x87::div(x, y, env);
    case Op::kDivr: return x87::div(y, x, env);
  }
  return x87::kIndefinite;
}

/// ST(dst) = ST(dst) op y, then a pop for the P forms. `src` names the
/// register holding y, or is negative when y came from memory.
void binary(Cpu& cpu, Op op, unsigned dst, int src, Operand y, bool pop) {
  CpuState& s = cpu.s;
  if (x87::empty(s, dst) || (src >= 0 && x87::empty(s, unsigned(src)))) {
    if (stack_fault(cpu, false)) return;
    x87::set_st(s, dst, x87::kIndefinite);
    if (pop) x87::pop(s);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Float80 r = compute(op, x87::st(s, dst), src >= 0 ? Operand(x87::st(s, unsigned(src))) : y, env);
  if (!env.aborts()) {
    x87::set_st(s, dst, r);
    if (pop) x87::pop(s);
  }
  fpu_finish(cpu, env);
}

/// ST(0) = ST(0) op ST(i).
void st0_sti(Cpu& cpu, const DecodedInsn& insn, Op op) {
  fpu_start(cpu, insn);
  binary(cpu, op, 0, insn.rm & 7, x87::kZero80, false);
}
/// ST(i) = ST(i) op ST(0), popping for the P forms.
void sti_st0(Cpu& cpu, const DecodedInsn& insn, Op op, bool pop) {
  fpu_start(cpu, insn);
  binary(cpu, op, insn.rm & 7, 0, x87::kZero80, pop);
}

constexpr unsigned kM32fp = 32, kM64fp = 64, kM16int = 116, kM32int = 132;

/// ST(0) = ST(0) op m32fp / m64fp / m16int / m32int.
void st0_mem(Cpu& cpu, const DecodedInsn& insn, Op op, unsigned kind) {
  fpu_start(cpu, insn);
  Operand y = x87::kZero80;
  switch (kind) {
    case 32: y = read_m32fp(cpu, insn); break;
    case 64: y = read_m64fp(cpu, insn); break;
    default: y = read_mint(cpu, insn, kind == kM16int ? 16 : 32); break;
  }
  fpu_pointers(cpu, insn);
  binary(cpu, op, 0, -1, y, false);
}

/// The one-operand instructions on ST(0): f computes from ST(0) and env.
template <class F> void unary(Cpu& cpu, const DecodedInsn& insn, F&& f) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0)) {
    if (!stack_fault(cpu, false)) x87::set_st(s, 0, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Float80 r = f(x87::st(s, 0), env);
  if (!env.aborts()) x87::set_st(s, 0, r);
  fpu_finish(cpu, env);
}

/// FPREM/FPREM1: C2 = incomplete, C0/C3/C1 = quotient bits 2, 1, 0.
void remainder(Cpu& cpu, const DecodedInsn& insn, bool ieee) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0) || x87::empty(s, 1)) {
    x87::set_cc(s, x87::kSwC2, 0);
    if (!stack_fault(cpu, false)) x87::set_st(s, 0, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const x87::Remainder r = x87::prem(x87::st(s, 0), x87::st(s, 1), env, ieee);
  if (env.aborts()) {
    x87::set_cc(s, x87::kSwC2, 0);
    fpu_finish(cpu, env);
    return;
  }
  x87::set_st(s, 0, r.value);
  fpu_finish(cpu, env);
  const unsigned q = r.quotient;
  // Without a reduction (NaNs, invalid operands) only C2 and C1 change.
  const uint16_t changed = r.reduced ? x87::kSwCond : uint16_t(x87::kSwC2 | x87::kSwC1);
  x87::set_cc(s, changed,
              (r.partial ? x87::kSwC2 : 0) | (q & 4 ? x87::kSwC0 : 0) | (q & 2 ? x87::kSwC3 : 0) |
                  (q & 1 ? x87::kSwC1 : 0));
}

}  // namespace

// ---- D8: ST(0) op m32fp / ST(i) ----
void FADD_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kAdd, kM32fp); }
void FMUL_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kMul, kM32fp); }
void FSUB_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSub, kM32fp); }
void FSUBR_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSubr, kM32fp); }
void FDIV_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDiv, kM32fp); }
void FDIVR_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDivr, kM32fp); }
void FADD_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kAdd); }
void FMUL_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kMul); }
void FSUB_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kSub); }
void FSUBR_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kSubr); }
void FDIV_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kDiv); }
void FDIVR_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { st0_sti(cpu, insn, Op::kDivr); }

// ---- DA / DE: ST(0) op m32int / m16int ----
void FIADD_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kAdd, kM32int); }
void FIMUL_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kMul, kM32int); }
void FISUB_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSub, kM32int); }
void FISUBR_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSubr, kM32int); }
void FIDIV_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDiv, kM32int); }
void FIDIVR_Md(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDivr, kM32int); }
void FIADD_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kAdd, kM16int); }
void FIMUL_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kMul, kM16int); }
void FISUB_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSub, kM16int); }
void FISUBR_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSubr, kM16int); }
void FIDIV_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDiv, kM16int); }
void FIDIVR_Mw(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDivr, kM16int); }

// ---- DC: ST(0) op m64fp / ST(i) = ST(i) op ST(0) ----
void FADD_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kAdd, kM64fp); }
void FMUL_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kMul, kM64fp); }
void FSUB_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSub, kM64fp); }
void FSUBR_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kSubr, kM64fp); }
void FDIV_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDiv, kM64fp); }
void FDIVR_Mq(Cpu& cpu, const DecodedInsn& insn) { st0_mem(cpu, insn, Op::kDivr, kM64fp); }
void FADD_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kAdd, false); }
void FMUL_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kMul, false); }
void FSUB_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kSub, false); }
void FSUBR_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kSubr, false); }
void FDIV_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kDiv, false); }
void FDIVR_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kDivr, false); }

// ---- DE: ST(i) = ST(i) op ST(0), pop ----
void FADDP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kAdd, true); }
void FMULP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kMul, true); }
void FSUBP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kSub, true); }
void FSUBRP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kSubr, true); }
void FDIVP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kDiv, true); }
void FDIVRP_STi_ST0(Cpu& cpu, const DecodedInsn& insn) { sti_st0(cpu, insn, Op::kDivr, true); }

// ---- D9: one-operand arithmetic ----
// FCHS and FABS only touch the sign: no exception, not even for an SNaN.
void FCHS(Cpu& cpu, const DecodedInsn& insn) {
  unary(cpu, insn, [](Float80 v, x87::Env&) { return x87::negate(v); });
}
void FABS(Cpu& cpu, const DecodedInsn& insn) {
  unary(cpu, insn, [](Float80 v, x87::Env&) { return Float80{v.mant, uint16_t(v.se & 0x7fff)}; });
}
void FSQRT(Cpu& cpu, const DecodedInsn& insn) {
  unary(cpu, insn, [](Float80 v, x87::Env& env) { return x87::sqrt(v, env); });
}
void FRNDINT(Cpu& cpu, const DecodedInsn& insn) {
  unary(cpu, insn, [](Float80 v, x87::Env& env) { return x87::round_to_integer(v, env); });
}
void FPREM(Cpu& cpu, const DecodedInsn& insn) { remainder(cpu, insn, false); }
void FPREM1(Cpu& cpu, const DecodedInsn& insn) { remainder(cpu, insn, true); }

void FSCALE(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0) || x87::empty(s, 1)) {
    if (!stack_fault(cpu, false)) x87::set_st(s, 0, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const Float80 r = x87::scale(x87::st(s, 0), x87::st(s, 1), env);
  if (!env.aborts()) x87::set_st(s, 0, r);
  fpu_finish(cpu, env);
}

// FXTRACT replaces ST(0) by its exponent and pushes the significand.
void FXTRACT(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  if (x87::empty(s, 0) || push_overflows(s)) {
    const bool overflow = !x87::empty(s, 0);
    if (stack_fault(cpu, overflow)) return;
    x87::set_st(s, 0, x87::kIndefinite);
    x87::push(s, x87::kIndefinite);
    return;
  }
  x87::Env env = x87::env_of(s);
  const x87::Extracted r = x87::xtract(x87::st(s, 0), env);
  if (!env.aborts()) {
    x87::set_st(s, 0, r.exponent);
    x87::push(s, r.significand);
  }
  fpu_finish(cpu, env);
}

}  // namespace kestrel::cpu::exec
