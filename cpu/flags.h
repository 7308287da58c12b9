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

/// CF for the records that compares, additions and logical operations
/// leave, the ones most conditions follow; -1 for every other record.
inline int common_carry(const CpuState& s) {
  const uint64_t mask = size_mask(s.cc_op & 3);
  switch (CcOp(s.cc_op >> 2)) {
    case CcOp::kSub: return ((s.cc_dst + s.cc_src) & mask) < (s.cc_src & mask);
    case CcOp::kAdd: return (s.cc_dst & mask) < (s.cc_src & mask);
    case CcOp::kLogic: return 0;
    default: return -1;
  }
}

/// carry_flag for the records common_carry does not cover.
bool carry_flag_slow(const CpuState& s);

/// CF alone, cheaper than arith_flags; inline for the common records.
inline bool carry_flag(const CpuState& s) {
  const int c = common_carry(s);
  return c >= 0 ? c != 0 : carry_flag_slow(s);
}

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

/// test_cc's general case: decodes all six flags.
bool test_cc_slow(const CpuState& s, unsigned cc);

/// Whether a recorded SUB/CMP result is "less" (SF != OF) when compared
/// as signed numbers: the operands a = dst + src and b = src, sign-extended.
inline bool sub_less(const CpuState& s, unsigned lg) {
  const unsigned shift = 64 - (8u << lg);
  const int64_t a = int64_t((s.cc_dst + s.cc_src) << shift);
  const int64_t b = int64_t(s.cc_src << shift);
  return a < b;
}

/// Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc).
/// ZF, SF and PF come straight from the result in every lazy form, CF
/// from carry_flag; OF-based conditions have shortcuts for SUB/CMP and
/// the logical operations (OF = 0), the forms compares and TEST leave.
/// Inline, so that a handler with a constant `cc` keeps only its own case.
[[gnu::always_inline]] inline bool test_cc(const CpuState& s, unsigned cc) {
  const auto op = CcOp(s.cc_op >> 2);
  if (op == CcOp::kEflags) return test_cc_slow(s, cc);
  const unsigned lg = s.cc_op & 3;
  const uint64_t r = s.cc_dst & size_mask(lg);
  const bool sf = (r >> ((8u << lg) - 1)) & 1;
  bool v;
  switch (cc >> 1) {
    case 1: v = carry_flag(s); break;
    case 2: v = r == 0; break;
    case 3: v = r == 0 || carry_flag(s); break;
    case 4: v = sf; break;
    case 5: v = parity_even(r); break;
    case 6:
    case 7:
      if (op == CcOp::kSub) {
        v = sub_less(s, lg) || (cc >> 1 == 7 && r == 0);
      } else if (op == CcOp::kLogic) {
        v = sf || (cc >> 1 == 7 && r == 0);
      } else {
        return test_cc_slow(s, cc);
      }
      break;
    default:
      if (op != CcOp::kLogic) return test_cc_slow(s, cc);
      v = false;
      break;
  }
  return v != bool(cc & 1);
}

}  // namespace kestrel::cpu
