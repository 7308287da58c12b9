// SPDX-License-Identifier: MIT
// Constant folding: an operation whose arguments are all constants becomes
// a constant; a side exit on a constant condition is dropped or becomes the
// block's exit.
#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

namespace {

using ir::Op;

uint64_t mask_of(uint64_t bytes) { return bytes >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1; }

bool compare(ir::Cond c, uint64_t x, uint64_t y) {
  switch (c) {
    case ir::Cond::kEq: return x == y;
    case ir::Cond::kNe: return x != y;
    case ir::Cond::kUlt: return x < y;
    case ir::Cond::kUle: return x <= y;
    case ir::Cond::kSlt: return int64_t(x) < int64_t(y);
    case ir::Cond::kSle: return int64_t(x) <= int64_t(y);
  }
  return false;
}

/// The folded value of `in`, or false when it does not fold.
bool fold(const ir::Inst& in, uint64_t x, uint64_t y, uint64_t& out) {
  switch (in.op) {
    case Op::kAdd: out = x + y; return true;
    case Op::kSub: out = x - y; return true;
    case Op::kAnd: out = x & y; return true;
    case Op::kOr: out = x | y; return true;
    case Op::kXor: out = x ^ y; return true;
    case Op::kShl: out = in.imm >= 64 ? 0 : x << in.imm; return true;
    case Op::kShr: out = in.imm >= 64 ? 0 : x >> in.imm; return true;
    case Op::kSar: out = uint64_t(int64_t(x) >> (in.imm >= 64 ? 63 : in.imm)); return true;
    case Op::kShlV: out = x << (y & 63); return true;
    case Op::kShrV: out = x >> (y & 63); return true;
    case Op::kSarV: out = uint64_t(int64_t(x) >> (y & 63)); return true;
    case Op::kMul: out = x * y; return true;
    case Op::kZext: out = x & mask_of(in.imm); return true;
    case Op::kSext: {
      const unsigned sh = 64 - 8 * unsigned(in.imm >= 8 ? 8 : in.imm);
      out = sh == 0 ? x : uint64_t(int64_t(x << sh) >> sh);
      return true;
    }
    case Op::kCmp: out = compare(ir::Cond(in.imm), x, y); return true;
    default: return false;
  }
}

}  // namespace

void const_fold(ir::Block& b) {
  const auto is_const = [&](ir::Value v) { return v == ir::kNone || b.insts[v].op == Op::kConst; };
  const auto val = [&](ir::Value v) { return v == ir::kNone ? 0 : b.insts[v].imm; };
  for (size_t i = 0; i < b.insts.size(); ++i) {
    ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    if (in.op == Op::kExitIf && b.insts[in.a].op == Op::kConst) {
      if (b.insts[in.a].imm == 0) {
        in.dead = true;
        continue;
      }
      // Always taken: it is the exit, and nothing after it runs.
      in.op = Op::kExit;
      in.a = ir::kNone;
      for (size_t k = i + 1; k < b.insts.size(); ++k) b.insts[k].dead = true;
      return;
    }
    if (ir::info(in.op).effect != ir::Effect::kPure || in.op == Op::kConst) continue;
    if (!is_const(in.a) || !is_const(in.b)) continue;
    uint64_t out;
    if (!fold(in, val(in.a), val(in.b), out)) continue;
    in.op = Op::kConst;
    in.a = in.b = in.c = ir::kNone;
    in.imm = out;
  }
}

}  // namespace kestrel::jit::passes
