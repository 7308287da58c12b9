// SPDX-License-Identifier: MIT
// Guest-register load/store elimination. Between two barriers (a handler
// call reads and writes CpuState; an exit publishes it) a guest register
// lives in an IR value: loads reuse it, and only the last store before the
// barrier is kept. A memory access may leave the block too (a fault), so a
// store before it must be seen if it does; when a later store supersedes
// it before the barrier, it becomes lazy (imm2 = the superseding store):
// the backend writes it only where a memory access leaves or calls out.
// Memory accesses change no register.
#include <vector>

#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

namespace {
bool barrier(ir::Op op) {
  const ir::Effect e = ir::info(op).effect;
  return e == ir::Effect::kCall || e == ir::Effect::kExit;
}
}  // namespace

void reg_cache(ir::Block& b) {
  constexpr unsigned kRegs = 16;
  ir::Value known[kRegs];
  size_t last_store[kRegs];  // the store no memory access has seen yet
  size_t pinned[kRegs];      // the last store a memory access has seen
  size_t lazy_of[kRegs];     // the lazy store that last_store supersedes
  const auto reset = [&] {
    for (unsigned r = 0; r < kRegs; ++r) {
      known[r] = ir::kNone;
      last_store[r] = pinned[r] = lazy_of[r] = SIZE_MAX;
    }
  };
  reset();
  // A load found redundant forwards to the value it repeats; later
  // arguments are rewritten as the scan reaches them (one pass, where
  // rewriting every use at once made long blocks quadratic).
  std::vector<ir::Value> forward(b.insts.size(), ir::kNone);
  const auto through = [&](ir::Value& v) {
    if (v != ir::kNone && forward[v] != ir::kNone) v = forward[v];
  };
  for (size_t i = 0; i < b.insts.size(); ++i) {
    ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    through(in.a);
    through(in.b);
    through(in.c);
    if (barrier(in.op)) {
      reset();
      continue;
    }
    if (ir::info(in.op).effect == ir::Effect::kMemory) {
      // It may leave the block: the stores so far must be seen there.
      for (unsigned r = 0; r < kRegs; ++r) {
        if (last_store[r] == SIZE_MAX) continue;
        pinned[r] = last_store[r];
        last_store[r] = lazy_of[r] = SIZE_MAX;
      }
      continue;
    }
    if (in.op == ir::Op::kLdGpr && in.imm < kRegs) {
      if (known[in.imm] != ir::kNone) {
        in.dead = true;
        forward[i] = known[in.imm];
      } else {
        known[in.imm] = ir::Value(i);
      }
    } else if (in.op == ir::Op::kStGpr && in.imm < kRegs) {
      const unsigned r = unsigned(in.imm);
      if (last_store[r] != SIZE_MAX) {
        b.insts[last_store[r]].dead = true;
        if (lazy_of[r] != SIZE_MAX) b.insts[lazy_of[r]].imm2 = i;
      } else if (pinned[r] != SIZE_MAX) {
        // Seen by memory accesses only, and superseded here: it need only
        // happen on their way out of the block (jit/x64's slow paths).
        b.insts[pinned[r]].imm2 = i;
        lazy_of[r] = pinned[r];
        pinned[r] = SIZE_MAX;
      }
      last_store[r] = i;
      known[r] = in.a;
    }
  }
}

}  // namespace kestrel::jit::passes
