// SPDX-License-Identifier: MIT
// Paging instructions: INVLPG. The TLB and the walker are the MMU's
// (mmu/); the control-register moves that configure paging are in
// system.cpp.
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {

// SDM 2 INVLPG: #GP(0) outside CPL 0, no segment checks on the operand (it
// only names a linear address). Decoded blocks are keyed by physical
// address, so they survive: only the TLB forgets the page.
void INVLPG_Mb(Cpu& cpu, const DecodedInsn& insn) {
  if (!cpu.real_mode() && (cpu.v86() || cpu.s.cpl != 0)) raise(kVecGp, 0);
  const uint64_t ea = effective_address(cpu, insn);
  if (cpu.long_mode64()) {
    // Only FS and GS have a base; a non-canonical address names no page
    // and INVLPG does nothing (SDM 2 INVLPG).
    const uint64_t base = insn.seg == kFs || insn.seg == kGs ? cpu.s.seg[insn.seg].base : 0;
    if (cpu.canonical(base + ea)) cpu.mem.invlpg(base + ea);
    return;
  }
  cpu.mem.invlpg(uint32_t(cpu.s.seg[insn.seg].base + ea));
}

}  // namespace kestrel::cpu::exec
