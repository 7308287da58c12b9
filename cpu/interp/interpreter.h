// SPDX-License-Identifier: MIT
// The interpreter: the reference engine. It decodes each basic block once,
// caches it by physical address and mode, and runs it through handler
// pointers; writes to a cached page drop that page's blocks.
#pragma once

#include <cstdint>
#include <memory>

#include "cpu/decode.h"
#include "cpu/engine.h"

namespace kestrel::cpu {

/// The longest instruction any model decodes (SDM 2 §2.3.11).
inline constexpr unsigned kFetchMax = 15;

/// Gathers up to kFetchMax code bytes at CS:ip for the decoder, stopping at
/// the CS limit and, with `page_only`, at the end of the linear page (a
/// byte beyond it may fault, and must only when the instruction really
/// reaches it). On the 8086 the offset wraps at 64 KiB (`wrapped` says so).
/// Both engines discover their blocks with it.
size_t fetch_code(Cpu& cpu, uint64_t ip, uint8_t* buf, bool& wrapped, bool page_only);

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
    /// Blocks looked up by translating CS:rIP: no link of the block run
    /// before led to them.
    uint64_t lookups = 0;
  };
  const Stats& stats() const;

  // ---- for the JIT (jit/), which runs the interpreter beside its code ----
  /// Runs one decoded instruction at CS:rIP exactly as run() does (debug
  /// checks, handler, icount, a fault or trap delivered). Returns false when
  /// it delivered an event. Never lets a GuestFault escape.
  bool execute_one(const DecodedInsn& insn) noexcept;
  /// Delivers `f`, raised by the instruction at cpu.insn_rip, as run() does.
  void deliver_fault(const GuestFault& f) noexcept;
  /// Where a series of run_once() calls has got to: the block the last one
  /// ran, whose links the next one follows, as in run(). It stays valid
  /// only while nothing but run_once() with this trail runs the
  /// interpreter, since other runs free dropped blocks.
  class Trail {
    friend class Interpreter;
    void* prev_ = nullptr;
  };
  /// One turn of run(): the block at CS:rIP from the block cache (or one
  /// instruction where no block is cached), within `max_insns`, without
  /// run()'s boundary checks. The JIT runs code too cold to translate so.
  void run_once(uint64_t max_insns, Trail& trail);
  /// Why run() would stop at this instruction boundary; kBudget: it would go on.
  StopReason boundary_stop() const;
  /// A write reached code page `page`: drops the blocks decoded from it.
  /// The JIT holds the MMU's code listener and passes writes on, so that
  /// run() may serve beside it (while breakpoints are set).
  void code_page_written(uint64_t page);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kestrel::cpu
