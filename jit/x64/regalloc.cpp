// SPDX-License-Identifier: MIT
// Linear-scan register allocation over the IR's live ranges. Values live
// from their definition to their last use; the callee-saved r12-r15 are
// handed out first, then r9-r11 (saved around the helper calls they live
// across), stack slots after; a result takes its first operand's register when that operand
// dies there, so the emitter's two-address forms work in place. Constants
// get neither: the emitter materialises them in place.
#include <algorithm>
#include <iterator>
#include <vector>

#include "jit/x64/backend.h"

namespace kestrel::jit::x64 {

bool allocate(const ir::Block& b, std::vector<Location>& out) {
  const size_t n = b.insts.size();
  out.assign(n, Location{});
  std::vector<size_t> last_use(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    for (ir::Value v : {in.a, in.b, in.c}) {
      if (v != ir::kNone) last_use[v] = std::max(last_use[v], i);
    }
    // A lazy store's value is written by the slow paths up to the store
    // that supersedes it (passes/reg_cache.cpp, dead_flags.cpp).
    const bool store = in.op == ir::Op::kStGpr || in.op == ir::Op::kStField || in.op == ir::Op::kStField32;
    if (store && in.imm2) last_use[in.a] = std::max<size_t>(last_use[in.a], in.imm2);
  }
  std::vector<int8_t> free_regs(std::begin(kCallerSaved), std::end(kCallerSaved));
  free_regs.insert(free_regs.end(), std::begin(kCalleeSaved), std::end(kCalleeSaved));
  // The callee-saved ones first: a value in r9-r11 costs a save and a
  // restore at every helper call it lives across.
  const auto pick = [&] {
    auto at = std::find_if(free_regs.begin(), free_regs.end(), [](int8_t r) { return r >= 12; });
    if (at == free_regs.end()) at = free_regs.begin();
    const int8_t r = *at;
    free_regs.erase(at);
    return r;
  };
  std::vector<int16_t> free_slots;
  int16_t next_slot = 0;
  std::vector<ir::Value> active;  // values holding a register or slot
  for (size_t i = 0; i < n; ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    // Values whose last use is this instruction are read before its result
    // is written, so their homes can be reused for it.
    for (size_t k = 0; k < active.size();) {
      const ir::Value v = active[k];
      if (last_use[v] <= i) {
        if (out[v].reg >= 0) free_regs.push_back(out[v].reg);
        else free_slots.push_back(out[v].slot);
        active[k] = active.back();
        active.pop_back();
      } else {
        ++k;
      }
    }
    if (ir::info(in.op).result == ir::Type::kVoid || in.op == ir::Op::kConst) continue;
    if (last_use[i] == 0) continue;  // unused: the emitter writes it nowhere
    // The first operand's register when it dies here: the emitter's
    // two-address forms then work in place.
    const bool reuse = in.a != ir::kNone && last_use[in.a] == i && out[in.a].reg >= 0 &&
                       b.insts[in.a].op != ir::Op::kConst;
    if (reuse) {
      const auto at = std::find(free_regs.begin(), free_regs.end(), out[in.a].reg);
      out[i].reg = *at;
      free_regs.erase(at);
    } else if (!free_regs.empty()) {
      out[i].reg = pick();
    } else if (!free_slots.empty()) {
      out[i].slot = free_slots.back();
      free_slots.pop_back();
    } else {
      if (next_slot >= int16_t(kSpillSlots)) return false;
      out[i].slot = next_slot++;
    }
    active.push_back(ir::Value(i));
  }
  for (size_t v = 0; v < n; ++v) out[v].until = uint32_t(last_use[v]);
  return true;
}

}  // namespace kestrel::jit::x64
