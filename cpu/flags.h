// SPDX-License-Identifier: MIT
// Lazy arithmetic flags: the one canonical form (cc_op, cc_dst, cc_src,
// cc_src2 in CpuState) that every engine writes and every reader decodes.
// Frequent ALU operations record their operands; everything else writes the
// six arithmetic flags eagerly with CcOp::kEflags.
#pragma once

#include <bit>
#include <cstdint>

#include "cpu/state.h"

namespace kestrel::cpu {

/// The operation whose result is in cc_dst. cc_op = op << 2 | log2(bytes).
/// kAdd:   dst = result, src = second operand
/// kAdc:   dst = result, src = second operand, src2 = carry in
/// kSub:   dst = result, src = second operand (what was subtracted)
/// kSbb:   dst = result, src = second operand, src2 = borrow in
/// kLogic: dst = result (CF = OF = AF = 0)
/// kInc:   dst = result, src = CF before the instruction
/// kDec:   dst = result, src = CF before the instruction
/// kCfOf:  dst = result, src = CF | OF << 1; S, Z, P of the result, AF = 0
///         (SHL, SAL, SHR, SAR by a non-zero count; MUL and IMUL but on
///         the 8086)
/// kEflags: the arithmetic bits of rflags are current.
/// Only kAdc and kSbb write cc_src2; the other records leave it as it was.
enum class CcOp : uint8_t { kEflags, kAdd, kAdc, kSub, kSbb, kLogic, kInc, kDec, kCfOf };

constexpr uint32_t cc_op(CcOp op, unsigned size_bytes) {
  return uint32_t(op) << 2 | uint32_t(std::countr_zero(size_bytes));
}

constexpr uint64_t size_mask(unsigned log2_bytes) {
  return log2_bytes == 3 ? ~uint64_t{0} : (uint64_t{1} << (8u << log2_bytes)) - 1;
}

inline void set_lazy(CpuState& s, CcOp op, unsigned size_bytes, uint64_t dst,
                     uint64_t src = 0, uint64_t src2 = 0) {
  s.cc_op = cc_op(op, size_bytes);
  s.cc_dst = dst;
  s.cc_src = src;
  if (op == CcOp::kAdc || op == CcOp::kSbb) s.cc_src2 = src2;
}

/// Parity of the low byte, as PF: set when the number of one bits is even.
constexpr bool parity_even(uint64_t v) { return (std::popcount(uint8_t(v)) & 1) == 0; }

/// The six arithmetic flags (kArithFlags bits) of the current state.
uint32_t arith_flags(const CpuState& s);

/// CF alone, cheaper than arith_flags.
bool carry_flag(const CpuState& s);

/// The whole FLAGS/EFLAGS/RFLAGS value.
inline uint64_t read_flags(const CpuState& s) {
  if (s.cc_op == 0) return s.rflags;
  return (s.rflags & ~uint64_t{kArithFlags}) | arith_flags(s);
}

/// Replaces the arithmetic flags; other bits of rflags are kept.
inline void write_arith_flags(CpuState& s, uint32_t bits) {
  s.rflags = (s.rflags & ~uint64_t{kArithFlags}) | (bits & kArithFlags);
  s.cc_op = 0;
}

/// Replaces the bits of rflags selected by `mask` (arithmetic bits included),
/// keeping bit 1 set. Mode and privilege rules for POPF/IRET live in their handlers.
inline void write_flags(CpuState& s, uint64_t value, uint64_t mask) {
  const uint64_t cur = read_flags(s);
  s.rflags = ((cur & ~mask) | (value & mask)) | kFixed1;
  s.cc_op = 0;
}

/// Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc).
bool test_cc(const CpuState& s, unsigned cc);

}  // namespace kestrel::cpu
