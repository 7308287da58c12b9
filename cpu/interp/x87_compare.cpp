// SPDX-License-Identifier: MIT
// x87 comparisons: FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP,
// FTST, FXAM and the EFLAGS-setting FCOMI/FUCOMI/FCOMIP/FUCOMIP (SDM 2),
// with the undocumented FCOM/FCOMP aliases.
#include "cpu/flags.h"
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

using x87::Float80;
using x87::Operand;
using x87::Order;

/// C3, C2, C0 of an ordering (SDM 2 FCOM, table 3-21).
uint16_t order_cc(Order o) {
  switch (o) {
    case Order::kGreater: return 0;
    case Order::kLess: return x87::kSwC0;
    case Order::kEqual: return x87::kSwC3;
    case Order::kUnordered: break;
  }
  return x87::kSwC3 | x87::kSwC2 | x87::kSwC0;
}

/// ZF, PF, CF of an ordering (SDM 2 FCOMI, table 3-23).
uint32_t order_flags(Order o) {
  switch (o) {
    case Order::kGreater: return 0;
    case Order::kLess: return kCf;
    case Order::kEqual: return kZf;
    case Order::kUnordered: break;
  }
  return kZf | kPf | kCf;
}

/// Compares ST(0) with `y` (register `src`, or memory when negative) and
/// pops `pops` times. An unmasked invalid exception still reports the
/// ordering but leaves the stack alone.
void compare(Cpu& cpu, int src, Operand y, bool quiet, unsigned pops, bool eflags) {
  CpuState& s = cpu.s;
  Order o = Order::kUnordered;
  x87::Env env = x87::env_of(s);
  if (x87::empty(s, 0) || (src >= 0 && x87::empty(s, unsigned(src)))) {
    env.flags |= x87::kIe | x87::kSf;
  } else {
    o = x87::compare(x87::st(s, 0), src >= 0 ? Operand(x87::st(s, unsigned(src))) : y, env, quiet);
  }
  // The ordering is reported even under an unmasked invalid exception.
  // FCOMI & co. touch C1 only for a stack fault, as on the hardware measured.
  if (!eflags) {
    x87::set_cc(s, x87::kSwC3 | x87::kSwC2 | x87::kSwC1 | x87::kSwC0, order_cc(o));
  } else {
    write_arith_flags(s, order_flags(o));
    if (env.flags & x87::kSf) x87::set_cc(s, x87::kSwC1, 0);
  }
  x87::raise_flags(s, env.flags);
  if (env.aborts()) return;
  for (unsigned k = 0; k < pops; ++k) x87::pop(s);
}

void compare_reg(Cpu& cpu, const DecodedInsn& insn, bool quiet, unsigned pops) {
  fpu_start(cpu, insn);
  compare(cpu, insn.rm & 7, x87::kZero80, quiet, pops, false);
}

void compare_mem(Cpu& cpu, const DecodedInsn& insn, unsigned kind, unsigned pops) {
  fpu_start(cpu, insn);
  Operand y = x87::kZero80;
  switch (kind) {
    case 32: y = read_m32fp(cpu, insn); break;
    case 64: y = read_m64fp(cpu, insn); break;
    default: y = read_mint(cpu, insn, kind - 100); break;
  }
  fpu_pointers(cpu, insn);
  compare(cpu, -1, y, false, pops, false);
}

void compare_eflags(Cpu& cpu, const DecodedInsn& insn, bool quiet, bool pop) {
  fpu_start(cpu, insn);
  compare(cpu, insn.rm & 7, x87::kZero80, quiet, pop ? 1 : 0, true);
}

/// FXAM's class codes in C3, C2, C0 (SDM 2 FXAM, table 3-45).
uint16_t examine(const CpuState& s) {
  using x87::Class;
  if (x87::empty(s, 0)) return x87::kSwC3 | x87::kSwC0;
  switch (x87::classify(x87::st(s, 0))) {
    case Class::kUnsupported: return 0;
    case Class::kQNaN:
    case Class::kSNaN: return x87::kSwC0;
    case Class::kNormal: return x87::kSwC2;
    case Class::kInfinity: return x87::kSwC2 | x87::kSwC0;
    case Class::kZero: return x87::kSwC3;
    case Class::kDenormal:
    case Class::kPseudoDenormal: break;
  }
  return x87::kSwC3 | x87::kSwC2;
}

}  // namespace

void FCOM_Md(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 32, 0); }
void FCOMP_Md(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 32, 1); }
void FCOM_Mq(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 64, 0); }
void FCOMP_Mq(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 64, 1); }
void FICOM_Mw(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 116, 0); }
void FICOMP_Mw(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 116, 1); }
void FICOM_Md(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 132, 0); }
void FICOMP_Md(Cpu& cpu, const DecodedInsn& insn) { compare_mem(cpu, insn, 132, 1); }

void FCOM_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, false, 0); }
void FCOMP_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, false, 1); }
void FCOM2_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, false, 0); }
void FCOMP3_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, false, 1); }
void FCOMP5_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, false, 1); }
void FUCOM_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, true, 0); }
void FUCOMP_STi(Cpu& cpu, const DecodedInsn& insn) { compare_reg(cpu, insn, true, 1); }
// FCOMPP and FUCOMPP compare with ST(1), the ModRM byte notwithstanding.
void FCOMPP(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  compare(cpu, 1, x87::kZero80, false, 2, false);
}
void FUCOMPP(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  compare(cpu, 1, x87::kZero80, true, 2, false);
}

void FCOMI_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { compare_eflags(cpu, insn, false, false); }
void FCOMIP_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { compare_eflags(cpu, insn, false, true); }
void FUCOMI_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { compare_eflags(cpu, insn, true, false); }
void FUCOMIP_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { compare_eflags(cpu, insn, true, true); }

void FTST(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  compare(cpu, -1, x87::kZero80, false, 0, false);
}

void FXAM(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  // C1 is the sign bit of ST(0), even of an empty register.
  const uint16_t sign = x87::st(s, 0).sign() ? x87::kSwC1 : 0;
  x87::set_cc(s, x87::kSwCond, examine(s) | sign);
}

}  // namespace kestrel::cpu::exec
