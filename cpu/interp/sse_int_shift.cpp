// SPDX-License-Identifier: MIT
// Packed shifts in their MMX and legacy-SSE XMM forms: PSLL/PSRL/PSRA by a
// count in a register or memory (the whole low quadword counts) or by an
// immediate, and the XMM byte shifts PSLLDQ/PSRLDQ (SDM 2).
#include "cpu/interp/sse_lanes.h"

namespace kestrel::cpu::exec {
namespace {

/// The count-operand forms: every lane of P or V shifted by Q's or W's
/// low quadword.
template <class T, Shift kKind> Xmm shift_by(const Xmm& a, const Xmm& b, unsigned n) {
  return shift_lanes<T>(a, n, b.lo(), kKind);
}

/// The immediate forms shift N or U in place.
template <class T, Shift kKind> void shift_imm_mmx(Cpu& cpu, const DecodedInsn& insn) {
  const auto count = uint8_t(insn.imm);
  mmx_op_rm(cpu, insn, [count](const Xmm& v, unsigned n) { return shift_lanes<T>(v, n, count, kKind); });
}
template <class T, Shift kKind> void shift_imm_xmm(Cpu& cpu, const DecodedInsn& insn) {
  const auto count = uint8_t(insn.imm);
  xmm_op_rm(cpu, insn, [count](const Xmm& v, unsigned n) { return shift_lanes<T>(v, n, count, kKind); });
}

/// The whole register shifted by `bytes` bytes, left (toward the high end)
/// or right; 16 or more give zero.
Xmm byte_shift(const Xmm& v, unsigned bytes, bool left) {
  Xmm r;
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned from = left ? i - bytes : i + bytes;  // wraps past 15 when out of range
    if (bytes < 16 && from < 16) r.b[i] = v.b[from];
  }
  return r;
}

}  // namespace

// ---- count in a register or memory ----
void PSLLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint16_t, Shift::kLeft>); }
void PSLLW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint16_t, Shift::kLeft>); }
void PSLLD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint32_t, Shift::kLeft>); }
void PSLLD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint32_t, Shift::kLeft>); }
void PSLLQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint64_t, Shift::kLeft>); }
void PSLLQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint64_t, Shift::kLeft>); }
void PSRLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint16_t, Shift::kRight>); }
void PSRLW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint16_t, Shift::kRight>); }
void PSRLD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint32_t, Shift::kRight>); }
void PSRLD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint32_t, Shift::kRight>); }
void PSRLQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint64_t, Shift::kRight>); }
void PSRLQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint64_t, Shift::kRight>); }
void PSRAW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint16_t, Shift::kArith>); }
void PSRAW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint16_t, Shift::kArith>); }
void PSRAD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, shift_by<uint32_t, Shift::kArith>); }
void PSRAD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, shift_by<uint32_t, Shift::kArith>); }

// ---- immediate count ----
void PSLLW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint16_t, Shift::kLeft>(cpu, insn); }
void PSLLW_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint16_t, Shift::kLeft>(cpu, insn); }
void PSLLD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint32_t, Shift::kLeft>(cpu, insn); }
void PSLLD_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint32_t, Shift::kLeft>(cpu, insn); }
void PSLLQ_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint64_t, Shift::kLeft>(cpu, insn); }
void PSLLQ_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint64_t, Shift::kLeft>(cpu, insn); }
void PSRLW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint16_t, Shift::kRight>(cpu, insn); }
void PSRLW_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint16_t, Shift::kRight>(cpu, insn); }
void PSRLD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint32_t, Shift::kRight>(cpu, insn); }
void PSRLD_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint32_t, Shift::kRight>(cpu, insn); }
void PSRLQ_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint64_t, Shift::kRight>(cpu, insn); }
void PSRLQ_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint64_t, Shift::kRight>(cpu, insn); }
void PSRAW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint16_t, Shift::kArith>(cpu, insn); }
void PSRAW_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint16_t, Shift::kArith>(cpu, insn); }
void PSRAD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_mmx<uint32_t, Shift::kArith>(cpu, insn); }
void PSRAD_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm_xmm<uint32_t, Shift::kArith>(cpu, insn); }

// ---- byte shifts of the whole XMM register ----
void PSLLDQ_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto bytes = uint8_t(insn.imm);
  xmm_op_rm(cpu, insn, [bytes](const Xmm& v, unsigned) { return byte_shift(v, bytes, true); });
}
void PSRLDQ_Ux_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto bytes = uint8_t(insn.imm);
  xmm_op_rm(cpu, insn, [bytes](const Xmm& v, unsigned) { return byte_shift(v, bytes, false); });
}

}  // namespace kestrel::cpu::exec
