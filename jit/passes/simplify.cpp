// SPDX-License-Identifier: MIT
// Algebraic simplification of the patterns the lifters leave behind: an
// extension of a value that already fits, x + 0 and its kin, a negated
// compare (the odd condition codes are Xor(Cmp, 1)), and the CMP operand
// the lazy-flags record rebuilds as (a - b) + b; and a pure operation that
// repeats an earlier one (the same op, arguments and constants) is that
// one. A value found equal to an earlier one is forwarded to its users in
// the same forward scan; dce drops what is left unused. In 64-bit mode a
// memory access takes its address's constant displacement itself.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "cpu/state.h"
#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

namespace {

using ir::Cond;
using ir::Op;
using ir::Value;

/// Value numbering: an open-addressed table of the pure instructions seen
/// so far, keyed by op, arguments and constants (one allocation a block).
struct Numbering {
  const ir::Block& b;
  std::vector<Value> slots;

  static uint64_t hash(const ir::Inst& in) {
    uint64_t h = (uint64_t(in.op) << 48) ^ (uint64_t(in.a) << 24) ^ in.b ^ (uint64_t(in.c) << 40);
    h = (h ^ in.imm) * 0x9e3779b97f4a7c15ull;
    return (h ^ (h >> 29) ^ in.imm2) * 0xbf58476d1ce4e5b9ull;
  }
  static bool same(const ir::Inst& x, const ir::Inst& y) {
    return x.op == y.op && x.a == y.a && x.b == y.b && x.c == y.c && x.imm == y.imm && x.imm2 == y.imm2;
  }
  /// The earlier instruction equal to instruction i, or i itself (now known).
  Value find_or_add(Value i) {
    if (slots.empty()) slots.assign(std::bit_ceil(2 * b.insts.size() + 2), ir::kNone);
    const size_t mask = slots.size() - 1;
    for (size_t k = size_t(hash(b.insts[i]) >> 20) & mask;; k = (k + 1) & mask) {
      if (slots[k] == ir::kNone) return slots[k] = i;
      if (same(b.insts[slots[k]], b.insts[i])) return slots[k];
    }
  }
};

struct Simplifier {
  ir::Block& b;
  std::vector<Value> forward;
  Numbering seen;

  const ir::Inst& def(Value v) const { return b.insts[v]; }
  bool is_const(Value v, uint64_t c) const { return def(v).op == Op::kConst && def(v).imm == c; }

  /// Whether v is known to be zero above its low `bytes` bytes (looking
  /// `depth` definitions deep).
  bool fits(Value v, uint64_t bytes, unsigned depth = 4) const {
    if (bytes >= 8) return true;
    const ir::Inst& d = def(v);
    const auto both = [&](Value x, Value y) {
      return depth && fits(x, bytes, depth - 1) && fits(y, bytes, depth - 1);
    };
    switch (d.op) {
      case Op::kConst: return (d.imm >> (8 * bytes)) == 0;
      case Op::kZext: return d.imm <= bytes;
      case Op::kLoad: return ((d.imm >> 8) & 0xff) <= bytes;
      case Op::kCmp: case Op::kMulOf: return true;
      case Op::kAnd: return depth && (fits(d.a, bytes, depth - 1) || fits(d.b, bytes, depth - 1));
      case Op::kOr: case Op::kXor: return both(d.a, d.b);
      case Op::kSelect: return both(d.b, d.c);
      case Op::kShr: return d.imm >= 64 - 8 * bytes || (depth && fits(d.a, bytes, depth - 1));
      case Op::kShrV: return depth && fits(d.a, bytes, depth - 1);
      default: return false;
    }
  }

  /// The value `in` equals, or ir::kNone; may rewrite `in`.
  Value simplify(ir::Inst& in) {
    switch (in.op) {
      case Op::kZext:
        if (fits(in.a, in.imm)) return in.a;
        if (def(in.a).op == Op::kZext) {  // the narrower of the two
          const ir::Inst& inner = def(in.a);
          if (inner.imm < in.imm) return in.a;
          in.a = inner.a;
        }
        // zext(zext(a - v, n) + v, n) is zext(a, n): the lazy record's
        // dst + src that rebuilds a CMP's first operand.
        if (def(in.a).op == Op::kAdd) {
          const ir::Inst& add = def(in.a);
          const ir::Inst& lhs = def(add.a);
          if (lhs.op == Op::kZext && lhs.imm == in.imm && def(lhs.a).op == Op::kSub &&
              def(lhs.a).b == add.b) {
            in.a = def(lhs.a).a;
            if (fits(in.a, in.imm)) return in.a;
          }
        }
        return ir::kNone;
      case Op::kAdd: case Op::kOr: case Op::kXor:
        if (is_const(in.b, 0)) return in.a;
        // (a - v) + v, the same rebuild at 64 bits.
        if (in.op == Op::kAdd && def(in.a).op == Op::kSub && def(in.a).b == in.b) return def(in.a).a;
        if (is_const(in.a, 0)) return in.b;
        if (in.op == Op::kXor && is_const(in.b, 1) && def(in.a).op == Op::kCmp) negate(in);
        return ir::kNone;
      case Op::kSub: case Op::kShl: case Op::kShr: case Op::kSar:
        if (in.op == Op::kSub ? is_const(in.b, 0) : in.imm == 0) return in.a;
        return ir::kNone;
      default:
        return ir::kNone;
    }
  }

  /// Xor(Cmp(x, y, c), 1) becomes the compare of the opposite condition:
  /// !(x < y) is y <= x, and so on.
  void negate(ir::Inst& in) {
    const ir::Inst cmp = def(in.a);
    in.op = Op::kCmp;
    in.a = cmp.a;
    in.b = cmp.b;
    switch (Cond(cmp.imm)) {
      case Cond::kEq: in.imm = unsigned(Cond::kNe); break;
      case Cond::kNe: in.imm = unsigned(Cond::kEq); break;
      case Cond::kUlt: in.imm = unsigned(Cond::kUle); std::swap(in.a, in.b); break;
      case Cond::kUle: in.imm = unsigned(Cond::kUlt); std::swap(in.a, in.b); break;
      case Cond::kSlt: in.imm = unsigned(Cond::kSle); std::swap(in.a, in.b); break;
      case Cond::kSle: in.imm = unsigned(Cond::kSlt); std::swap(in.a, in.b); break;
    }
  }

  /// A 64-bit mode access at x + k, k a 32-bit displacement, outside FS
  /// and GS: the access takes k itself (imm bits 63..32, which the x86-64
  /// probe adds in its address arithmetic), so the sum need not be made.
  void fold_displacement(ir::Inst& in) {
    const uint8_t seg = uint8_t(in.imm);
    if (!b.long64 || !b.inline_mem || seg == cpu::kFs || seg == cpu::kGs || in.imm >> 32) return;
    const ir::Inst& add = def(in.a);
    if (add.op != Op::kAdd) return;
    for (const auto& [k, x] : {std::pair{add.a, add.b}, std::pair{add.b, add.a}}) {
      const ir::Inst& c = def(k);
      if (c.op != Op::kConst || int64_t(c.imm) != int64_t(int32_t(c.imm)) || def(x).op == Op::kConst) continue;
      in.imm |= uint64_t(uint32_t(c.imm)) << 32;
      in.a = x;
      return;
    }
  }

  void run() {
    forward.assign(b.insts.size(), ir::kNone);
    for (size_t i = 0; i < b.insts.size(); ++i) {
      ir::Inst& in = b.insts[i];
      if (in.dead) continue;
      for (Value* v : {&in.a, &in.b, &in.c}) {
        if (*v != ir::kNone && forward[*v] != ir::kNone) *v = forward[*v];
      }
      if (in.op == Op::kLoad || in.op == Op::kStore) fold_displacement(in);
      if (ir::info(in.op).effect != ir::Effect::kPure) continue;
      Value same = simplify(in);
      if (same == ir::kNone && in.op != Op::kConst) {
        if (const Value first = seen.find_or_add(Value(i)); first != Value(i)) same = first;
      }
      if (same != ir::kNone) {
        forward[i] = same;
        in.dead = true;
      }
    }
  }
};

}  // namespace

void simplify(ir::Block& b) { Simplifier{b, {}, Numbering{b, {}}}.run(); }

}  // namespace kestrel::jit::passes
