// SPDX-License-Identifier: MIT
// The parts every x87 handler shares (cpu/interp/x87.h).
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr0Em = 1u << 2, kCr0Ts = 1u << 3, kCr0Ne = 1u << 5;

/// FOP: the low three bits of the first opcode byte and the ModRM byte.
uint16_t fpu_opcode(const DecodedInsn& insn) {
  return uint16_t((insn.opcode & 7) << 8 | insn.modrm);
}

}  // namespace

void fpu_wait(Cpu& cpu) {
  if (!(cpu.s.fsw & x87::kSwEs)) return;
  if (cpu.s.cr[0] & kCr0Ne) raise(kVecMf);
  cpu.s.pending |= kPendingFerr;
}

void fpu_start(Cpu& cpu, const DecodedInsn& insn, FpuStart kind) {
  // SDM 3A §2.5, table 2-2: EM or TS turns every x87 instruction into #NM.
  if (cpu.s.cr[0] & (kCr0Em | kCr0Ts)) raise(kVecNm);
  if (kind == FpuStart::kNoWait) return;
  fpu_wait(cpu);
  if (kind == FpuStart::kArith && !insn.is_mem()) fpu_pointers(cpu, insn);
}

void fpu_pointers(Cpu& cpu, const DecodedInsn& insn) {
  CpuState& s = cpu.s;
  s.fop = fpu_opcode(insn);
  s.fip = cpu.insn_rip;
  s.fcs = s.seg[kCs].selector;
  if (insn.is_mem()) {
    s.fdp = effective_address(cpu, insn);
    s.fds = s.seg[insn.seg].selector;
  }
}

void fpu_finish(Cpu& cpu, const x87::Env& env) {
  const bool up = (env.flags & x87::kPe) && env.rounded_up && !env.aborts();
  x87::set_cc(cpu.s, x87::kSwC1, up ? x87::kSwC1 : 0);
  x87::raise_flags(cpu.s, env.flags);
}

bool stack_fault(Cpu& cpu, bool overflow) {
  x87::set_cc(cpu.s, x87::kSwC1, overflow ? x87::kSwC1 : 0);
  x87::raise_flags(cpu.s, x87::kIe | x87::kSf);
  return !(cpu.s.fcw & x87::kIe);
}

uint64_t fpu_ea(const Cpu& cpu, const DecodedInsn& insn) { return effective_address(cpu, insn); }

x87::Float80 read_m80(Cpu& cpu, const DecodedInsn& insn, uint64_t ea) {
  const uint64_t mant = cpu.read<uint64_t>(insn.seg, ea);
  const uint16_t se = cpu.read<uint16_t>(insn.seg, ea_plus(insn, ea, 8));
  return {mant, se};
}

void write_m80(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, x87::Float80 v) {
  cpu.write<uint64_t>(insn.seg, ea, v.mant);
  cpu.write<uint16_t>(insn.seg, ea_plus(insn, ea, 8), v.se);
}

x87::Operand read_m32fp(Cpu& cpu, const DecodedInsn& insn) {
  return x87::from_f32(cpu.read<uint32_t>(insn.seg, fpu_ea(cpu, insn)));
}

x87::Operand read_m64fp(Cpu& cpu, const DecodedInsn& insn) {
  return x87::from_f64(cpu.read<uint64_t>(insn.seg, fpu_ea(cpu, insn)));
}

x87::Float80 read_mint(Cpu& cpu, const DecodedInsn& insn, unsigned bits) {
  const uint64_t ea = fpu_ea(cpu, insn);
  switch (bits) {
    case 16: return x87::from_int(int16_t(cpu.read<uint16_t>(insn.seg, ea)));
    case 32: return x87::from_int(int32_t(cpu.read<uint32_t>(insn.seg, ea)));
    default: return x87::from_int(int64_t(cpu.read<uint64_t>(insn.seg, ea)));
  }
}

}  // namespace kestrel::cpu::exec
