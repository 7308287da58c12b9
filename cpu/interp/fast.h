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
/// itself when there is none. A specialised handler whose memory operand
/// has no fast path in the TLB changes nothing and notes kFastMiss
/// (Cpu::fast_note): its caller clears it and runs `insn.handler` instead.
/// One that moves rIP notes kFastJump. It finds rIP after the instruction
/// as Cpu::rip_base + DecodedInsn::next, not in s.rip, which it writes
/// only to jump.
Handler specialize(const DecodedInsn& insn, const DecodeContext& ctx);

/// Whether `insn.handler`, chosen by specialize(), is a specialised one:
/// it only reads and writes registers (rIP and the arithmetic flags
/// included) and RAM through the TLB's fast path, raises a fault from a
/// branch, or misses (kFastMiss). Unless it missed, no code write,
/// event, halt or debug trap can be due after it (DecodedInsn::quiet).
bool quiet(const DecodedInsn& insn);

/// specialize() for the relative branches (fast_branch.cpp): Jcc and JMP
/// rel8/rel32 in 64-bit mode at operand size 8; nullptr for any other.
Handler specialize_branch(const DecodedInsn& insn, const DecodeContext& ctx);

/// Fuses `first` with `jcc`, the specialised Jcc right after it, when
/// `first` is a CMP or TEST of a register with a register or an immediate,
/// or a SUB, ADD or AND of an immediate to a register (not a byte one):
/// `first` then holds a quiet handler that runs the two as one, leaving
/// what they would leave, and no longer runs as itself (its generic
/// handler, handler_for(first.form), still does). As for one instruction,
/// rIP is past both (the Jcc) when it runs. Returns whether it fused them.
bool fuse(DecodedInsn& first, const DecodedInsn& jcc);

}  // namespace kestrel::cpu::exec
