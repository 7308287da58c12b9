// SPDX-License-Identifier: MIT
// IN and OUT in their immediate-port and DX forms, and the I/O permission
// check they share with INS/OUTS. The devices behind the ports are reached
// only through cpu.io (cpu/port_io.h).
#include "cpu/interp/io.h"

#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {

void check_io_permission(const Cpu& cpu, uint16_t port, unsigned size) {
  if (cpu.real_mode()) return;
  const unsigned iopl = (cpu.s.rflags & kIopl) >> 12;
  if (!cpu.v86() && cpu.s.cpl <= iopl) return;
  // TODO(kestrel): consult the I/O permission bitmap of the current TSS #3
  // Until task state segments exist every port counts as denied.
  (void)port;
  (void)size;
  raise(kVecGp, 0);
}

namespace {

/// eAX forms move 2 or 4 bytes; a 64-bit operand size still moves 4.
unsigned port_size(const DecodedInsn& insn) { return insn.osize == 2 ? 2 : 4; }

uint16_t dx_port(const Cpu& cpu) { return uint16_t(cpu.s.gpr[kRdx]); }

void in_to_accumulator(Cpu& cpu, uint16_t port, unsigned size) {
  check_io_permission(cpu, port, size);
  const uint32_t v = cpu.io.in(port, size);
  switch (size) {
    case 1: write_gpr<uint8_t>(cpu.s, kRax, uint8_t(v)); break;
    case 2: write_gpr<uint16_t>(cpu.s, kRax, uint16_t(v)); break;
    default: write_gpr<uint32_t>(cpu.s, kRax, v); break;
  }
}

void out_from_accumulator(Cpu& cpu, uint16_t port, unsigned size) {
  check_io_permission(cpu, port, size);
  const auto mask = uint32_t(addr_mask(size));
  cpu.io.out(port, uint32_t(cpu.s.gpr[kRax]) & mask, size);
}

}  // namespace

void IN_AL_Ib(Cpu& cpu, const DecodedInsn& insn) { in_to_accumulator(cpu, uint8_t(insn.imm), 1); }
void IN_eAX_Ib(Cpu& cpu, const DecodedInsn& insn) {
  in_to_accumulator(cpu, uint8_t(insn.imm), port_size(insn));
}
void IN_AL_DX(Cpu& cpu, const DecodedInsn&) { in_to_accumulator(cpu, dx_port(cpu), 1); }
void IN_eAX_DX(Cpu& cpu, const DecodedInsn& insn) {
  in_to_accumulator(cpu, dx_port(cpu), port_size(insn));
}

void OUT_Ib_AL(Cpu& cpu, const DecodedInsn& insn) {
  out_from_accumulator(cpu, uint8_t(insn.imm), 1);
}
void OUT_Ib_eAX(Cpu& cpu, const DecodedInsn& insn) {
  out_from_accumulator(cpu, uint8_t(insn.imm), port_size(insn));
}
void OUT_DX_AL(Cpu& cpu, const DecodedInsn&) { out_from_accumulator(cpu, dx_port(cpu), 1); }
void OUT_DX_eAX(Cpu& cpu, const DecodedInsn& insn) {
  out_from_accumulator(cpu, dx_port(cpu), port_size(insn));
}

}  // namespace kestrel::cpu::exec
