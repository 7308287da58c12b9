// SPDX-License-Identifier: MIT
// The JIT's IR table, verifier and passes on hand-built blocks.
#include <doctest/doctest.h>

#include <cstddef>

#include "cpu/flags.h"
#include "cpu/state.h"
#include "jit/ir/ir.h"
#include "jit/passes/passes.h"

namespace kestrel::jit {
namespace {

using ir::Op;

size_t live(const ir::Block& b, Op op) {
  size_t n = 0;
  for (const ir::Inst& in : b.insts) n += !in.dead && in.op == op;
  return n;
}

TEST_CASE("the op table gives every op a name, types and an effect") {
  CHECK(std::size(ir::kOpInfo) == size_t(Op::kCount));
  CHECK(std::string(ir::info(Op::kAdd).name) == "Add");
  CHECK(ir::info(Op::kAdd).effect == ir::Effect::kPure);
  CHECK(ir::info(Op::kCallInsn).effect == ir::Effect::kCall);
  CHECK(ir::info(Op::kStGpr).result == ir::Type::kVoid);
}

TEST_CASE("the verifier rejects a use before definition and a missing exit") {
  ir::Block b;
  const ir::Value c = b.konst(1);
  b.emit(Op::kStGpr, c, ir::kNone, cpu::kRax);
  CHECK(ir::verify(b).find("exit") != std::string::npos);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0x100);
  CHECK(ir::verify(b).empty());
  b.insts[1].a = 5;
  CHECK(!ir::verify(b).empty());
}

TEST_CASE("constant folding folds arithmetic, extensions and compares") {
  ir::Block b;
  const ir::Value x = b.emit(Op::kAdd, b.konst(0xff), b.konst(2));
  const ir::Value z = b.emit(Op::kZext, x, ir::kNone, 1);
  const ir::Value s = b.emit(Op::kSext, b.konst(0x80), ir::kNone, 1);
  const ir::Value c = b.emit(Op::kCmp, s, b.konst(0), unsigned(ir::Cond::kSlt));
  b.emit(Op::kStGpr, z, ir::kNone, cpu::kRax);
  b.emit(Op::kStGpr, c, ir::kNone, cpu::kRcx);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::const_fold(b);
  CHECK(b.insts[z].op == Op::kConst);
  CHECK(b.insts[z].imm == 1);
  CHECK(b.insts[s].imm == 0xffffffffffffff80ull);
  CHECK(b.insts[c].imm == 1);
  CHECK(ir::verify(b).empty());
}

TEST_CASE("a side exit on a constant condition is dropped or becomes the exit") {
  ir::Block b;
  b.emit(Op::kExitIf, b.konst(0), ir::kNone, 0x10);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0x20);
  passes::const_fold(b);
  CHECK(live(b, Op::kExitIf) == 0);
  ir::Block t;
  t.emit(Op::kExitIf, t.konst(1), ir::kNone, 0x10);
  t.emit(Op::kExit, ir::kNone, ir::kNone, 0x20);
  passes::const_fold(t);
  CHECK(live(t, Op::kExit) == 1);
  CHECK(t.insts[1].imm == 0x10);
}

TEST_CASE("reg_cache forwards loads and keeps only the last store before a barrier") {
  ir::Block b;
  const ir::Value a = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRax);
  const ir::Value a2 = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRax);
  const ir::Value sum = b.emit(Op::kAdd, a, a2);
  b.emit(Op::kStGpr, sum, ir::kNone, cpu::kRbx);
  const ir::Value r = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRbx);
  b.emit(Op::kStGpr, b.emit(Op::kAdd, r, b.konst(1)), ir::kNone, cpu::kRbx);
  b.emit(Op::kCallInsn, ir::kNone, ir::kNone, 0, 0);
  b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRbx);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::reg_cache(b);
  CHECK(b.insts[a2].dead);
  CHECK(b.insts[sum].a == a);
  CHECK(b.insts[sum].b == a);
  CHECK(live(b, Op::kStGpr) == 1);   // the first store to rbx is overwritten
  CHECK(live(b, Op::kLdGpr) == 2);   // rax once, rbx again after the call
  CHECK(ir::verify(b).empty());
}

TEST_CASE("dead_flags drops a flags record overwritten before anything reads it") {
  ir::Block b;
  const auto record = [&](uint64_t v) {
    b.emit(Op::kStField32, b.konst(v), ir::kNone, offsetof(cpu::CpuState, cc_op));
    b.emit(Op::kStField, b.konst(v), ir::kNone, offsetof(cpu::CpuState, cc_dst));
  };
  record(1);
  record(2);
  b.emit(Op::kTestCc, ir::kNone, ir::kNone, 4);
  record(3);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::dead_flags(b);
  CHECK(live(b, Op::kStField32) == 2);  // record 2 (read by TestCc) and 3 (seen by the exit)
  CHECK(live(b, Op::kStField) == 2);
}

TEST_CASE("reg_cache makes a store that a later one supersedes past a memory access lazy") {
  ir::Block b;
  const ir::Value sp = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRsp);
  const ir::Value first = b.emit(Op::kStGpr, b.emit(Op::kAdd, sp, b.konst(8)), ir::kNone, cpu::kRsp);
  b.emit(Op::kLoad, sp, ir::kNone, cpu::kSs | 8 << 8, 0x100);
  const ir::Value dropped = b.emit(Op::kStGpr, b.konst(1), ir::kNone, cpu::kRsp);
  const ir::Value last = b.emit(Op::kStGpr, b.konst(2), ir::kNone, cpu::kRsp);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::reg_cache(b);
  CHECK(b.insts[dropped].dead);
  CHECK(b.insts[first].imm2 == last);  // written on the access's way out only
  CHECK(b.insts[last].imm2 == 0);
  CHECK(ir::verify(b).empty());
}

TEST_CASE("simplify folds negated compares, redundant extensions and the rebuilt CMP operand") {
  ir::Block b;
  const ir::Value x = b.emit(Op::kZext, b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRax), ir::kNone, 4);
  const ir::Value y = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRcx);
  const ir::Value diff = b.emit(Op::kZext, b.emit(Op::kSub, x, y), ir::kNone, 4);
  const ir::Value back = b.emit(Op::kZext, b.emit(Op::kAdd, diff, y), ir::kNone, 4);
  const ir::Value lt = b.emit(Op::kCmp, back, y, unsigned(ir::Cond::kUlt));
  const ir::Value ge = b.emit(Op::kXor, lt, b.konst(1));
  const ir::Value ld = b.emit(Op::kLoad, y, ir::kNone, cpu::kDs | 1 << 8, 0x100);
  const ir::Value z = b.emit(Op::kZext, b.emit(Op::kZext, ld, ir::kNone, 2), ir::kNone, 1);
  b.emit(Op::kStGpr, z, ir::kNone, cpu::kRdx);
  b.emit(Op::kExitIf, ge, ir::kNone, 0x10);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0x20);
  passes::simplify(b);
  CHECK(b.insts[back].dead);
  CHECK(b.insts[lt].a == x);  // (x - y) + y is x again
  CHECK(b.insts[ge].op == Op::kCmp);
  CHECK(b.insts[ge].imm == unsigned(ir::Cond::kUle));  // !(x < y) is y <= x
  CHECK(b.insts[ge].a == y);
  CHECK(b.insts[ge].b == x);
  CHECK(b.insts[z].dead);  // a byte load already fits
  CHECK(b.insts[b.insts.size() - 3].a == ld);
  CHECK(ir::verify(b).empty());
}

TEST_CASE("simplify drops a 32-bit extension of shifts, XOR and OR of 32-bit values") {
  ir::Block b;
  const ir::Value x = b.emit(Op::kZext, b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRax), ir::kNone, 4);
  const ir::Value ld = b.emit(Op::kLoad, x, ir::kNone, cpu::kDs | 4 << 8, 0x100);
  const ir::Value shr = b.emit(Op::kShr, x, ir::kNone, 8);
  const ir::Value z1 = b.emit(Op::kZext, b.emit(Op::kXor, shr, ld), ir::kNone, 4);  // crc >> 8 ^ table[i]
  const ir::Value wide = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRcx);
  const ir::Value z2 = b.emit(Op::kZext, b.emit(Op::kOr, x, wide), ir::kNone, 4);
  b.emit(Op::kStGpr, z1, ir::kNone, cpu::kRdx);
  b.emit(Op::kStGpr, z2, ir::kNone, cpu::kRbx);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0x20);
  passes::simplify(b);
  CHECK(b.insts[z1].dead);
  CHECK_FALSE(b.insts[z2].dead);  // RCX's upper half may be set
  CHECK(ir::verify(b).empty());
}

TEST_CASE("simplify numbers repeated pure operations as one") {
  ir::Block b;
  const ir::Value x = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRax);
  const ir::Value s1 = b.emit(Op::kShr, x, ir::kNone, 8);
  const ir::Value s2 = b.emit(Op::kShr, x, ir::kNone, 8);
  const ir::Value s3 = b.emit(Op::kShr, x, ir::kNone, 7);
  const ir::Value sum = b.emit(Op::kAdd, s2, s3);
  b.emit(Op::kStGpr, sum, ir::kNone, cpu::kRcx);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::simplify(b);
  CHECK(!b.insts[s1].dead);
  CHECK(b.insts[s2].dead);
  CHECK(!b.insts[s3].dead);  // another shift count
  CHECK(b.insts[sum].a == s1);
  CHECK(ir::verify(b).empty());
}

TEST_CASE("dead_flags drops an eager flags write that a lazy record hides") {
  ir::Block b;
  constexpr uint64_t kRflags = offsetof(cpu::CpuState, rflags);
  const auto eager = [&] {
    const ir::Value old = b.emit(Op::kLdField, ir::kNone, ir::kNone, kRflags);
    const ir::Value kept = b.emit(Op::kAnd, old, b.konst(~uint64_t{cpu::kArithFlags}));
    const ir::Value st = b.emit(Op::kStField, b.emit(Op::kOr, kept, b.konst(cpu::kCf)), ir::kNone, kRflags);
    b.emit(Op::kStField32, b.konst(0), ir::kNone, offsetof(cpu::CpuState, cc_op));
    return st;
  };
  const ir::Value hidden = eager();
  b.emit(Op::kStField32, b.konst(cpu::cc_op(cpu::CcOp::kSub, 8)), ir::kNone, offsetof(cpu::CpuState, cc_op));
  const ir::Value seen = eager();
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::dead_flags(b);
  CHECK(b.insts[hidden].dead);
  CHECK(!b.insts[seen].dead);  // the exit sees the last one
}

TEST_CASE("dce drops unused pure values but keeps state writes") {
  ir::Block b;
  b.emit(Op::kAdd, b.konst(1), b.konst(2));
  b.emit(Op::kStGpr, b.konst(3), ir::kNone, cpu::kRax);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  passes::dce(b);
  CHECK(live(b, Op::kAdd) == 0);
  CHECK(live(b, Op::kStGpr) == 1);
  CHECK(live(b, Op::kConst) == 1);
}

}  // namespace
}  // namespace kestrel::jit
