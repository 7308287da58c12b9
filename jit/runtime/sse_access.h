// SPDX-License-Identifier: MIT
// The helpers of the JIT's SSE ops (jit/ir/opcodes.inc SseCheck,
// CheckAlign16, LoadX, StoreX, SseCompare, SseScalar, SsePacked): the
// interpreter's own checks, 128-bit accesses (cpu/interp/sse.h), arithmetic
// and MXCSR handling, with a fault recorded in JitCtx, never thrown.
#pragma once

#include <cstdint>

#include "jit/ir/ir.h"
#include "jit/runtime/context.h"

namespace kestrel::jit::sse {

/// cpu::exec::sse_check at `rip`: records #UD or #NM and returns true when
/// it faults.
bool check_fault(JitCtx* ctx, uint64_t rip) noexcept;
/// Records #GP(0) at `rip` (an aligned form's operand is not 16-byte aligned).
void align_fault(JitCtx* ctx, uint64_t rip) noexcept;
/// 16 bytes at seg:off into CpuState + (imm >> 16) (imm = seg | asize << 8 | ...),
/// as cpu::exec::read_m128.
void load_x(JitCtx* ctx, uint64_t off, uint64_t imm, uint64_t rip) noexcept;
/// CpuState + (imm >> 16) to 16 bytes at seg:off, as cpu::exec::write_m128.
void store_x(JitCtx* ctx, uint64_t off, uint64_t imm, uint64_t rip) noexcept;

/// COMISS/COMISD (`imm` bit 8 set) or UCOMISS/UCOMISD (imm & 0xff = 4 or 8
/// bytes) of the low lanes a and b, as cpu/interp/sse_fp_compare.cpp: MXCSR
/// flags set, then ZF|PF|CF for rflags returned, or #XM/#UD recorded.
uint64_t compare(JitCtx* ctx, uint64_t a, uint64_t b, uint64_t imm, uint64_t rip) noexcept;

/// Op::kSseScalar: ir::SseOp imm & 0xff on lanes of imm >> 8 bytes (the
/// low lanes of a = V and b = W) with MXCSR's controls; returns the result
/// (zero-extended) with MXCSR's flags set, or records #XM/#UD at `rip`
/// (sse_fp_arith.cpp's sse_scalar, sse_fp_convert.cpp's scalar forms).
using ScalarFn = uint64_t (*)(JitCtx* ctx, uint64_t a, uint64_t b, uint64_t imm, uint64_t rip) noexcept;
/// Op::kSsePacked: XMM register (imm >> 16) & 15 = the operation of its
/// value and W = hi:lo, lane by lane; written only when nothing faults.
using PackedFn = void (*)(JitCtx* ctx, uint64_t lo, uint64_t hi, uint64_t imm, uint64_t rip) noexcept;
/// The helper for an op's imm, picked when the code is emitted.
ScalarFn scalar_helper(uint64_t imm);
PackedFn packed_helper(uint64_t imm);

}  // namespace kestrel::jit::sse
