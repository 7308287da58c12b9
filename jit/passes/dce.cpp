// SPDX-License-Identifier: MIT
// Dead-code elimination: values without live users go, when their op has
// no effect beyond its result (kPure, kReadState).
#include <vector>

#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

void dce(ir::Block& b) {
  std::vector<uint32_t> uses(b.insts.size(), 0);
  for (const ir::Inst& in : b.insts) {
    if (in.dead) continue;
    for (ir::Value v : {in.a, in.b, in.c}) {
      if (v != ir::kNone) ++uses[v];
    }
  }
  for (size_t i = b.insts.size(); i-- > 0;) {
    ir::Inst& in = b.insts[i];
    if (in.dead || uses[i]) continue;
    const ir::Effect e = ir::info(in.op).effect;
    if (e != ir::Effect::kPure && e != ir::Effect::kReadState) continue;
    in.dead = true;
    for (ir::Value v : {in.a, in.b, in.c}) {
      if (v != ir::kNone) --uses[v];
    }
  }
}

}  // namespace kestrel::jit::passes
