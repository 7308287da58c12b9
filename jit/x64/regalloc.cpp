// SPDX-License-Identifier: MIT
// Linear-scan register allocation over the IR's live ranges. Values live
// from their definition to their last use; the callee-saved r12-r15 are
// handed out first, then r9-r11 (saved around the helper calls they live
// across), stack slots after; a result takes its first operand's register when that operand
// dies there, so the emitter's two-address forms work in place. Constants
// get neither: the emitter materialises them in place.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "jit/x64/backend.h"

namespace kestrel::jit::x64 {

bool allocate(const ir::Block& b, std::vector<Location>& out) {
  const size_t n = b.insts.size();
  out.assign(n, Location{});
  std::vector<uint32_t> last_use(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    for (ir::Value v : {in.a, in.b, in.c}) {
      if (v != ir::kNone) last_use[v] = std::max(last_use[v], uint32_t(i));
    }
    // A lazy store's value is written by the slow paths up to the store
    // that supersedes it (passes/reg_cache.cpp, dead_flags.cpp).
    const bool store = in.op == ir::Op::kStGpr || in.op == ir::Op::kStField || in.op == ir::Op::kStField32;
    if (store && in.imm2) last_use[in.a] = std::max(last_use[in.a], uint32_t(in.imm2));
  }
  // The values each instruction reads last, as linked lists (O(n) in all).
  constexpr uint32_t kEnd = ~uint32_t{0};
  std::vector<uint32_t> dies(n, kEnd), next(n, kEnd);
  for (size_t v = 0; v < n; ++v) {
    if (b.insts[v].dead || last_use[v] == 0) continue;
    next[v] = dies[last_use[v]];
    dies[last_use[v]] = uint32_t(v);
  }
  uint16_t free_regs = 0;
  for (int8_t r : kCalleeSaved) free_regs |= uint16_t(1u << r);
  for (int8_t r : kCallerSaved) free_regs |= uint16_t(1u << r);
  constexpr uint16_t kCallee = 0xf000;  // r12-r15
  std::vector<int16_t> free_slots;
  int16_t next_slot = 0;
  for (size_t i = 0; i < n; ++i) {
    // Values whose last use is this instruction are read before its result
    // is written, so their homes can be reused for it. (A lazy store's
    // last use may be a dead instruction: its value goes there all the same.)
    for (uint32_t v = dies[i]; v != kEnd; v = next[v]) {
      if (out[v].reg >= 0) free_regs |= uint16_t(1u << out[v].reg);
      else if (out[v].slot >= 0) free_slots.push_back(out[v].slot);
    }
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    if (ir::info(in.op).result == ir::Type::kVoid || in.op == ir::Op::kConst) continue;
    if (last_use[i] == 0) continue;  // unused: the emitter writes it nowhere
    // The first operand's register when it dies here: the emitter's
    // two-address forms then work in place. Otherwise a callee-saved one
    // first: a value in r9-r11 costs a save and a restore at every helper
    // call it lives across.
    int reg = -1;
    if (in.a != ir::kNone && last_use[in.a] == i && out[in.a].reg >= 0 && b.insts[in.a].op != ir::Op::kConst) {
      reg = out[in.a].reg;
    } else if (free_regs) {
      reg = std::countr_zero(unsigned(free_regs & kCallee ? free_regs & kCallee : free_regs));
    }
    if (reg >= 0) {
      out[i].reg = int8_t(reg);
      free_regs &= uint16_t(~(1u << reg));
    } else if (!free_slots.empty()) {
      out[i].slot = free_slots.back();
      free_slots.pop_back();
    } else {
      if (next_slot >= int16_t(kSpillSlots)) return false;
      out[i].slot = next_slot++;
    }
  }
  for (size_t v = 0; v < n; ++v) out[v].until = last_use[v];
  return true;
}

}  // namespace kestrel::jit::x64
