// SPDX-License-Identifier: MIT
// Declarations of the native lowerings listed in jit/frontend/lifted.inc:
// each returns false, having emitted nothing it needs, when the decoded
// shape (a memory operand, a target outside CS) must go to the handler.
#pragma once

#include "cpu/decode.h"
#include "jit/frontend/lift.h"

namespace kestrel::jit::frontend::lift {

#define LIFT(form) bool form(Lifter& l, const cpu::DecodedInsn& i);
#include "jit/frontend/lifted.inc"
#undef LIFT

}  // namespace kestrel::jit::frontend::lift
