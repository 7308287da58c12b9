// SPDX-License-Identifier: MIT
// The JIT engine (-accel jit): translates guest blocks to host code through
// the IR (jit/ir), the lifters (jit/frontend), the passes (jit/passes) and
// the x86-64 backend (jit/x64), runs them from a dispatcher that chains
// direct exits, and leaves what it does not translate to the interpreter.
#pragma once

#include <cstdint>
#include <memory>

#include "cpu/engine.h"

namespace kestrel::jit {

struct JitOptions {
  /// Checks every block against the interpreter (jit/lockstep.h).
  bool lockstep = false;
  /// Instructions per block at most (1: every instruction its own block,
  /// as the conformance runner's JIT mode uses).
  unsigned max_block_insns = 64;
  /// Runs of a block through the interpreter before it is translated.
  /// Translating costs as much as interpreting the block many times over,
  /// and much of an OS's start-up runs a few times at most. 0: translated
  /// at its first run (what tests of generated code and lockstep want);
  /// counts above 255 mean 255.
  unsigned compile_after = 0;
};

/// Whether this host has a JIT backend (x86-64 only).
bool host_supported();

class JitEngine final : public cpu::ExecEngine {
 public:
  JitEngine(cpu::Cpu& cpu, const JitOptions& options);
  ~JitEngine() override;

  cpu::StopReason run(uint64_t max_insns) override;
  cpu::StopReason step() override;
  void flush() override;

  struct Stats {
    uint64_t blocks_compiled = 0;
    uint64_t blocks_invalidated = 0;
    uint64_t blocks_run = 0;          ///< entries from the dispatcher
    uint64_t cold_runs = 0;           ///< blocks run interpreted, not yet translated (compile_after)
    uint64_t links = 0;               ///< direct exits patched
    uint64_t interp_steps = 0;        ///< instructions left to the interpreter
    uint64_t cache_flushes = 0;
    uint64_t lockstep_blocks = 0;     ///< blocks compared in lockstep
    uint64_t lockstep_unchecked = 0;  ///< blocks with port I/O or MMIO, not compared
    uint64_t jump_cache_hits = 0;     ///< dispatcher lookups the jump cache answered
    uint64_t jump_cache_fills = 0;    ///< entries the dispatcher filled
    uint64_t jump_cache_global = 0;   ///< of those, for code on global pages
    uint64_t chained_indirect = 0;    ///< indirect exits that found their block from generated code
    uint64_t chained_inline = 0;      ///< of those, the inline jump-cache probe's (no helper call)
  };
  const Stats& stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kestrel::jit
