// SPDX-License-Identifier: MIT
// The pass pipeline and the use-replacement the passes share.
#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

void replace_uses(ir::Block& b, ir::Value from, ir::Value to) {
  for (size_t i = from + 1; i < b.insts.size(); ++i) {
    ir::Inst& in = b.insts[i];
    if (in.a == from) in.a = to;
    if (in.b == from) in.b = to;
    if (in.c == from) in.c = to;
  }
}

std::string run_all(ir::Block& b, bool verify_each) {
  using Pass = void (*)(ir::Block&);
  static constexpr Pass kPasses[] = {reg_cache, const_fold, dead_flags, dce};
  static constexpr const char* kNames[] = {"reg_cache", "const_fold", "dead_flags", "dce"};
  for (size_t p = 0; p < std::size(kPasses); ++p) {
    kPasses[p](b);
    if (verify_each) {
      if (std::string e = ir::verify(b); !e.empty()) return std::string(kNames[p]) + ": " + e;
    }
  }
  return {};
}

}  // namespace kestrel::jit::passes
