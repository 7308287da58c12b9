// SPDX-License-Identifier: MIT
// What the SSE lowerings (lift_sse.cpp: moves, logic, compares;
// lift_sse_arith.cpp: arithmetic, conversions, integer lanes) share: XMM
// quadwords as CpuState fields, the availability check once per stretch of
// native code, and the W memory operand's offset after the handler's checks.
#pragma once

#include <cstdint>

#include "cpu/decode.h"
#include "jit/frontend/lift.h"

namespace kestrel::jit::frontend::lift::sse {

/// CpuState offset of quadword `half` of XMM register n (legacy encodings
/// leave bits 255:128 alone).
uint64_t xmm(unsigned n, unsigned half);
ir::Value ld(Lifter& l, unsigned n, unsigned half);
void st(Lifter& l, unsigned n, unsigned half, ir::Value v);
/// sse_check first, as every SSE handler makes it (once per block stretch
/// without a handler call: CR0 and CR4 change only in handler calls).
void check(Lifter& l);
/// The memory operand's offset after begin_mem, the check and (align16)
/// the 16-byte alignment check of an aligned form, in the handler's order.
ir::Value mem_operand(Lifter& l, const cpu::DecodedInsn& i, bool align16);

}  // namespace kestrel::jit::frontend::lift::sse
