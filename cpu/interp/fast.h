// SPDX-License-Identifier: MIT
// Faster handlers for the hottest instruction forms in the shapes they
// usually take (a register operand, or a 64-bit-mode memory operand with a
// base register), chosen once when the interpreter caches a block.
#pragma once

#include "cpu/decode.h"

namespace kestrel::cpu::exec {

/// A handler that does exactly what `insn.handler` does for this decoded
/// instruction when run in a block decoded in `ctx`, with the operand
/// size, ModRM form and addressing already settled; or `insn.handler`
/// itself when there is none.
Handler specialize(const DecodedInsn& insn, const DecodeContext& ctx);

/// Whether `insn.handler`, chosen by specialize(), only reads and writes
/// registers (rIP and the arithmetic flags included) or raises a fault:
/// the register forms, LEA, MOV r,imm, the rAX,imm ALU forms and 64-bit
/// Jcc. After such an instruction no code write, event, halt or debug
/// trap can be due (DecodedInsn::quiet).
bool quiet(const DecodedInsn& insn);

}  // namespace kestrel::cpu::exec
