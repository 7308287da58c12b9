// SPDX-License-Identifier: MIT
// Lockstep's state beside the JIT engine (jit/lockstep.cpp runs each block
// as generated code and again through the interpreter): the MMU journal
// that undoes the first run, and the clock readings the second is given back.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "mmu/mmu.h"

namespace kestrel::jit {

/// Stands in for the CPU's time source while a block is checked: the first
/// run's readings (RDTSC, the TSC MSR) are recorded and handed back in the
/// same order to the second, so host time passing between them is not a
/// difference between the engines.
class ReplayClock final : public cpu::TimeSource {
 public:
  enum class Mode { kRecord, kReplay };
  void start(Mode mode, const cpu::TimeSource* real) {
    mode_ = mode;
    real_ = real;
    next_ = 0;
    if (mode == Mode::kRecord) values_.clear();
  }
  uint64_t now_ns() const override {
    if (mode_ == Mode::kReplay && next_ < values_.size()) return values_[next_++];
    const uint64_t v = real_->now_ns();
    if (mode_ == Mode::kRecord) values_.push_back(v);
    return v;
  }
  size_t reads() const { return values_.size(); }

 private:
  Mode mode_ = Mode::kRecord;
  const cpu::TimeSource* real_ = nullptr;
  mutable std::vector<uint64_t> values_;
  mutable size_t next_ = 0;
};

struct LockstepState {
  LockstepState() = default;
  LockstepState(const LockstepState&) = delete;
  LockstepState& operator=(const LockstepState&) = delete;
  /// Prints the counts below on stderr after a run of kSummaryBlocks or
  /// more (an OS boot).
  ~LockstepState();
  static constexpr uint64_t kSummaryBlocks = uint64_t{1} << 24;

  uint64_t checked = 0;       ///< blocks compared
  uint64_t port_io = 0;       ///< blocks with IN/OUT/INS/OUTS, run once
  uint64_t device = 0;        ///< blocks that reached device registers, run once
  uint64_t clock_reads = 0;   ///< compared blocks that read the clock (replayed)
  ReplayClock clock;
  /// The RAM bytes and TLB entries a run replaced (set on the MMU at the
  /// first checked block): the first run is undone from it, and the second
  /// run's record says which bytes to compare.
  mmu::Mmu::Journal journal;
  bool journaling = false;
};

}  // namespace kestrel::jit
