// SPDX-License-Identifier: MIT
// MMX: the moves between MMX registers, general registers and memory, and
// EMMS (SDM 1 ch. 9, SDM 2). The packed operations, in their MMX and XMM
// forms together, are in sse_int_*.cpp and ssse3.cpp; checks in mmx.h.
#include "cpu/interp/mmx.h"

namespace kestrel::cpu::exec {

// ---- moves ----
void MOVD_Pq_Ey(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  // REX.W makes it MOVQ mm, r/m64.
  const uint64_t v = insn.rex & 8 ? read_e<uint64_t>(cpu, insn) : read_e<uint32_t>(cpu, insn);
  write_mm(cpu, mm_reg(insn), v);
}
void MOVD_Ey_Pq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint64_t v = x87::mmx_read(cpu.s, mm_reg(insn));
  if (insn.rex & 8) write_e<uint64_t>(cpu, insn, v);
  else write_e<uint32_t>(cpu, insn, uint32_t(v));
  x87::mmx_enter(cpu.s);
}
void MOVQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  write_mm(cpu, mm_reg(insn), read_q(cpu, insn));
}
void MOVQ_Qq_Pq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint64_t v = x87::mmx_read(cpu.s, mm_reg(insn));
  if (insn.is_mem()) cpu.write<uint64_t>(insn.seg, effective_address(cpu, insn), v);
  x87::mmx_enter(cpu.s);
  if (!insn.is_mem()) x87::mmx_write(cpu.s, mm_rm(insn), v);
}
// EMMS empties every tag and, like the other MMX instructions, sets TOP
// to 0 (SDM 1 §9.5.1, table 9-3).
void EMMS(Cpu& cpu, const DecodedInsn&) {
  mmx_check(cpu);
  x87::set_top(cpu.s, 0);
  cpu.s.ftw = 0xffff;
}

}  // namespace kestrel::cpu::exec
