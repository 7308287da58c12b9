// SPDX-License-Identifier: MIT
// The interpreter's handlers: one function per executable row of
// cpu/isa/instructions.inc, named after its form, declared here from the
// table. A row without a definition fails to link.
#pragma once

#include "cpu/cpu.h"
#include "cpu/decode.h"

namespace kestrel::cpu::exec {

#define INSN(form, ...) void form(Cpu& cpu, const DecodedInsn& insn);
#define DECODE_ONLY(...)
#include "cpu/isa/instructions.inc"
#undef INSN
#undef DECODE_ONLY

/// Raises #UD: the handler of invalid encodings and of decode-only rows.
void invalid_opcode(Cpu& cpu, const DecodedInsn& insn);

/// The handler of every form, indexed by isa::Form (kInvalid included).
Handler handler_for(isa::Form form);

}  // namespace kestrel::cpu::exec
