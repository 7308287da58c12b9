// SPDX-License-Identifier: MIT
// ADD, SUB, AND, OR, XOR, CMP and TEST as the specialised handlers run
// them (fast.cpp, and the fused pairs of fast_branch.cpp): the result and
// the lazy-flags record, the ones cpu/interp/alu.cpp writes (result,
// second operand).
#pragma once

#include "cpu/flags.h"
#include "cpu/state.h"

namespace kestrel::cpu::exec::fast {

enum class Op { kAdd, kSub, kAnd, kOr, kXor, kCmp, kTest };

template <Op kOp, class T> T apply(T a, T b) {
  switch (kOp) {
    case Op::kAdd: return T(a + b);
    case Op::kSub:
    case Op::kCmp: return T(a - b);
    case Op::kOr: return T(a | b);
    case Op::kXor: return T(a ^ b);
    default: return T(a & b);
  }
}
/// The flags record of result r with second operand b.
template <Op kOp, class T> void record(CpuState& s, T r, T b) {
  if constexpr (kOp == Op::kAdd) set_lazy(s, CcOp::kAdd, sizeof(T), r, b);
  else if constexpr (kOp == Op::kSub || kOp == Op::kCmp) set_lazy(s, CcOp::kSub, sizeof(T), r, b);
  else set_lazy(s, CcOp::kLogic, sizeof(T), r, 0, 0);
}
/// a op b, with its flags record; returns the result.
template <Op kOp, class T> T alu(CpuState& s, T a, T b) {
  const T r = apply<kOp, T>(a, b);
  record<kOp, T>(s, r, b);
  return r;
}
constexpr bool writes(Op op) { return op != Op::kCmp && op != Op::kTest; }

}  // namespace kestrel::cpu::exec::fast
