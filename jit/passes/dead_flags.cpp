// SPDX-License-Identifier: MIT
// Dead-flag elimination. The lifters write the lazy-flags record exactly
// for the rows whose flags-written column covers it (cpu/isa/
// instructions.inc), and read it (TestCc, CarryFlag) for the rows whose
// flags-read column asks; a record is observable only through those
// reads, a handler call or an exit. Walking backwards, a store to a
// cc_* field that a later store overwrites first is dead.
#include <cstddef>

#include "cpu/state.h"
#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

namespace {
int flag_field(const ir::Inst& in) {
  if (in.op != ir::Op::kStField && in.op != ir::Op::kStField32) return -1;
  switch (in.imm) {
    case offsetof(cpu::CpuState, cc_op): return 0;
    case offsetof(cpu::CpuState, cc_dst): return 1;
    case offsetof(cpu::CpuState, cc_src): return 2;
    case offsetof(cpu::CpuState, cc_src2): return 3;
    default: return -1;
  }
}
/// Lifter::set_eager's store: rflags = (rflags & ~kArithFlags) | f, the
/// other bits as they were.
bool eager_store(const ir::Block& b, const ir::Inst& in) {
  constexpr uint64_t kRflags = offsetof(cpu::CpuState, rflags);
  if (in.op != ir::Op::kStField || in.imm != kRflags) return false;
  const ir::Inst& merged = b.insts[in.a];
  if (merged.op != ir::Op::kOr) return false;
  const ir::Inst& kept = b.insts[merged.a];
  if (kept.op != ir::Op::kAnd) return false;
  const ir::Inst& old = b.insts[kept.a];
  const ir::Inst& mask = b.insts[kept.b];
  return old.op == ir::Op::kLdField && old.imm == kRflags && mask.op == ir::Op::kConst &&
         mask.imm == ~uint64_t{cpu::kArithFlags};
}
bool observes_flags(ir::Op op) {
  const ir::Effect e = ir::info(op).effect;
  return op == ir::Op::kTestCc || op == ir::Op::kCarryFlag || op == ir::Op::kArithFlags ||
         op == ir::Op::kLdField || e == ir::Effect::kCall || e == ir::Effect::kExit;
}
}  // namespace

void dead_flags(ir::Block& b) {
  bool overwritten[4] = {false, false, false, false};
  size_t over_at[4] = {0, 0, 0, 0};         // the store that overwrites each field
  bool crossed[4] = {false, false, false, false};  // a memory access before it
  size_t hidden_by = 0;  // a lazy record's cc_op store that hides rflags' bits (0: none)
  bool hidden_crossed = false;
  for (size_t i = b.insts.size(); i-- > 0;) {
    ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    if (ir::info(in.op).effect == ir::Effect::kMemory) {
      // It may leave the block: a store it sees but a later one overwrites
      // becomes lazy, written only where the access leaves (jit/x64).
      for (bool& c : crossed) c = true;
      hidden_crossed = true;
      continue;
    }
    if (observes_flags(in.op)) {
      for (bool& o : overwritten) o = false;
      hidden_by = 0;
      continue;
    }
    if (eager_store(b, in)) {
      if (hidden_by && hidden_crossed) in.imm2 = hidden_by;
      else if (hidden_by) in.dead = true;
      continue;
    }
    const int f = flag_field(in);
    if (f < 0) continue;
    if (f == 0 && !overwritten[0]) {
      const bool lazy_record = b.insts[in.a].op == ir::Op::kConst && b.insts[in.a].imm != 0;
      hidden_by = lazy_record ? i : 0;
      hidden_crossed = false;
    }
    if (overwritten[f] && crossed[f]) in.imm2 = over_at[f];
    else if (overwritten[f]) in.dead = true;
    overwritten[f] = true;
    over_at[f] = i;
    crossed[f] = false;
  }
}

}  // namespace kestrel::jit::passes
