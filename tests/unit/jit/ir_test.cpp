// SPDX-License-Identifier: MIT
// The JIT's IR table, verifier and passes on hand-built blocks.
#include <doctest/doctest.h>

#include <cstddef>

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
