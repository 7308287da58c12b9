// SPDX-License-Identifier: MIT
// What the SSE4.1/SSE4.2, AES and PCLMULQDQ handlers share beyond
// cpu/interp/sse.h: the two-operand XMM pattern with its alignment rule, the
// imm8, and the size of the "y" general-register operands.
#pragma once

#include <cstdint>

#include "cpu/interp/sse.h"

namespace kestrel::cpu::exec {

/// The imm8 of a 0F 3A form.
inline uint8_t imm8(const DecodedInsn& insn) { return uint8_t(insn.imm); }

/// Size in bytes of a "y" operand (Ey, Gy): 8 with REX.W, else 4. The 66 of
/// these rows is a mandatory prefix, not an operand-size one, so
/// insn.osize (2 in 16-bit code) does not apply.
inline unsigned y_size(const DecodedInsn& insn) { return insn.rex & 8 ? 8 : 4; }

/// V = f(V, W) for the legacy-SSE forms whose m128 operand must be 16-byte
/// aligned (every 128-bit memory operand except those of the unaligned
/// loads and the SSE4.2 string compares).
template <class F> void sse_op(Cpu& cpu, const DecodedInsn& insn, F&& f) {
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  write_v(cpu, insn, f(read_v(cpu, insn), b));
}

}  // namespace kestrel::cpu::exec
