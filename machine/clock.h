// SPDX-License-Identifier: MIT
// The board's virtual clock and its one timer queue (devices::Scheduler).
// Virtual nanoseconds advance from the host's steady clock (interactive) or
// from the retired-instruction count (-icount, deterministic). The run loop
// asks it how far the CPU may run and fires the timers whose time has come.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "cpu/cpu.h"
#include "devices/scheduler.h"

namespace kestrel::machine {

using devices::Nanos;

enum class ClockMode : uint8_t {
  kHost,          ///< virtual time follows the host's steady clock
  kInstructions,  ///< virtual time is icount << shift (QEMU's -icount)
};

struct ClockConfig {
  ClockMode mode = ClockMode::kHost;
  unsigned icount_shift = 3;  ///< kInstructions: 2^shift ns per instruction
};

/// The shift QEMU's `-icount auto` starts from; here it stays fixed, so
/// runs remain deterministic.
inline constexpr unsigned kAutoIcountShift = 3;
inline constexpr unsigned kMaxIcountShift = 10;

class Clock final : public devices::Scheduler, public cpu::TimeSource {
 public:
  using HostNow = std::function<std::chrono::steady_clock::time_point()>;

  /// `icount` is the CPU's retired-instruction counter (read live, so a
  /// device asking for the time in the middle of a slice sees it exactly).
  /// `host_now` replaces the steady clock in tests.
  Clock(const ClockConfig& config, const uint64_t& icount, HostNow host_now = {});

  Nanos now() const override;
  /// cpu::TimeSource: what the time-stamp counter follows.
  uint64_t now_ns() const override { return now(); }
  TimerId add_timer(std::function<void()> fire) override;
  void arm(TimerId timer, Nanos deadline) override;
  void disarm(TimerId timer) override;

  const ClockConfig& config() const { return config_; }
  bool deterministic() const { return config_.mode == ClockMode::kInstructions; }

  /// Virtual time back to zero and every timer disarmed (power-on).
  void reset();
  /// Takes the current instruction count as the new base without moving
  /// the time. The CPU's counter restarts at a reset: sync() before it,
  /// rebase() after.
  void rebase();
  /// Folds the time elapsed since the last sync into the base. In host
  /// mode a gap longer than kMaxHostStep (the process was stopped, the host
  /// was busy) is dropped rather than replayed as a burst of timers.
  void sync();
  /// The earliest armed deadline.
  std::optional<Nanos> next_deadline() const;
  bool any_armed() const { return next_deadline().has_value(); }
  /// Fires, in deadline order (ties in arming order), every timer whose
  /// deadline is not after now(). Returns how many fired.
  unsigned run_due();
  /// Instructions the CPU may run before the next deadline, at least 1 and
  /// at most `cap` (icount mode: exact; host mode: from the measured speed).
  uint64_t slice_insns(uint64_t cap) const;
  /// Records how many instructions a host-mode slice took, for the speed estimate.
  void note_slice(uint64_t insns, Nanos elapsed);
  /// Idle with the CPU halted: icount mode jumps straight to `deadline`;
  /// host mode returns the host time to wait for it (0 when it has passed).
  Nanos idle_until(Nanos deadline);

  /// Stops virtual time (host mode) while the machine is paused by the
  /// monitor or a debugger; resume() carries on from the time it stopped at.
  /// Under -icount time stands still anyway while no instruction retires.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  /// The longest stretch of host time one sync may add.
  static constexpr Nanos kMaxHostStep = 100'000'000;

 private:
  struct Timer {
    std::function<void()> fire;
    Nanos deadline = 0;
    uint64_t order = 0;  ///< arming sequence: breaks ties deterministically
    bool armed = false;
  };

  Nanos host_elapsed() const;
  int earliest_due(Nanos t) const;

  ClockConfig config_;
  const uint64_t& icount_;
  HostNow host_now_;
  std::vector<Timer> timers_;
  uint64_t arm_seq_ = 0;
  Nanos base_ns_ = 0;             ///< virtual time at the last sync
  uint64_t base_icount_ = 0;      ///< icount at the last sync
  std::chrono::steady_clock::time_point base_host_;
  double ns_per_insn_ = 20.0;     ///< host mode: smoothed speed of the CPU
  bool paused_ = false;
};

}  // namespace kestrel::machine
