// SPDX-License-Identifier: MIT
// IN and OUT in their immediate-port and DX forms, and the I/O permission
// check (with the I/O-breakpoint hook) they share with INS/OUTS. The
// devices behind the ports are reached only through cpu.io (cpu/port_io.h).
#include "cpu/interp/io.h"

#include "cpu/debug.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/segment.h"

namespace kestrel::cpu::exec {
namespace {

void check_io_rights(Cpu& cpu, uint16_t port, unsigned size) {
  if (cpu.real_mode()) return;
  if (!cpu.v86() && cpu.s.cpl <= iopl(cpu)) return;
  // The bit map lives in a 32-bit TSS at the offset its word 66h gives; a
  // bit outside the TSS limit counts as set (SDM 1 §19.5.2). Two bytes are
  // read because the bits of a wide access may straddle a byte.
  // Before the first LTR (TR still null) there is no bit map to consult.
  const SegmentCache& tr = cpu.s.tr;
  const bool tss32 = tr.attr & 8;  // type 9 or 11
  if (sel_error(tr.selector) == 0 || !tss32 || tr.limit < 0x67) raise(kVecGp, 0);
  const uint32_t at = sys_read<uint16_t>(cpu, tr.base + 0x66) + port / 8u;
  if (at + 1 > tr.limit) raise(kVecGp, 0);
  const uint32_t bits = sys_read<uint16_t>(cpu, tr.base + at) >> (port & 7);
  if (bits & ((1u << size) - 1)) raise(kVecGp, 0);
}

}  // namespace

void check_io_permission(Cpu& cpu, uint16_t port, unsigned size) {
  check_io_rights(cpu, port, size);
  // An access the check refused reports no I/O breakpoint; one it allowed
  // traps after the instruction, and a repeated INS/OUTS (which checks once)
  // after its first iteration (SDM 3A §17.3.1.2). DR7's enable bits are the
  // one test while no breakpoint is enabled.
  if (cpu.s.dr[7] & 0xff) [[unlikely]] note_io_access(cpu, port, size);
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
