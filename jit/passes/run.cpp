// SPDX-License-Identifier: MIT
// The pass pipeline, with the verifier after each pass when asked. dead_flags
// runs again after dce: a dropped eager flags write leaves a read of rflags
// that hid the records before it until dce removes it.
#include "jit/passes/passes.h"

namespace kestrel::jit::passes {

std::string run_all(ir::Block& b, bool verify_each) {
  using Pass = void (*)(ir::Block&);
  static constexpr Pass kPasses[] = {reg_cache, const_fold, simplify, dead_flags, dce, dead_flags, dce};
  static constexpr const char* kNames[] = {"reg_cache", "const_fold", "simplify", "dead_flags", "dce", "dead_flags", "dce"};
  for (size_t p = 0; p < std::size(kPasses); ++p) {
    kPasses[p](b);
    if (verify_each) {
      if (std::string e = ir::verify(b); !e.empty()) return std::string(kNames[p]) + ": " + e;
    }
  }
  return {};
}

}  // namespace kestrel::jit::passes
