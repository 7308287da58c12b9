// SPDX-License-Identifier: MIT
// The interpreter: the reference engine. It decodes each basic block once,
// caches it by physical address and mode, and runs it through handler
// pointers; writes to a cached page drop that page's blocks.
#pragma once

#include <cstdint>
#include <memory>

#include "cpu/engine.h"

namespace kestrel::cpu {

class Interpreter final : public ExecEngine {
 public:
  explicit Interpreter(Cpu& cpu);
  ~Interpreter() override;

  StopReason run(uint64_t max_insns) override;
  /// Executes exactly one instruction, delivering any exception it raises.
  StopReason step() override;
  void flush() override;

  struct Stats {
    uint64_t blocks_decoded = 0;
    uint64_t blocks_invalidated = 0;
  };
  const Stats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kestrel::cpu
