// SPDX-License-Identifier: MIT
// The virtual clock: time from the host or from the instruction count, the
// timer queue (a small vector scanned in deadline order: a PC has a few
// dozen timers at most) and the slice arithmetic of the run loop.
#include "machine/clock.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kestrel::machine {
namespace {

/// Host mode never gives the CPU less than this: a slice much shorter costs
/// more in loop overhead than it gains in timer precision.
constexpr uint64_t kMinHostSlice = 256;
/// Timers fired by one run_due() call at most: a timer that re-arms itself
/// in the past cannot hold the loop (the rest fire on the next call).
constexpr unsigned kMaxFiresPerCall = 1024;

}  // namespace

Clock::Clock(const ClockConfig& config, const uint64_t& icount, HostNow host_now)
    : config_(config), icount_(icount), host_now_(std::move(host_now)) {
  if (!host_now_) host_now_ = [] { return std::chrono::steady_clock::now(); };
  if (config_.icount_shift > kMaxIcountShift) {
    throw std::invalid_argument("icount shift above " + std::to_string(kMaxIcountShift));
  }
  reset();
}

void Clock::reset() {
  for (Timer& t : timers_) t.armed = false;
  base_ns_ = 0;
  base_icount_ = icount_;
  base_host_ = host_now_();
}

void Clock::rebase() { base_icount_ = icount_; }

Nanos Clock::host_elapsed() const {
  if (paused_) return 0;
  const auto d = host_now_() - base_host_;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return ns <= 0 ? 0 : std::min<Nanos>(Nanos(ns), kMaxHostStep);
}

Nanos Clock::now() const {
  if (config_.mode == ClockMode::kInstructions) {
    return base_ns_ + ((icount_ - base_icount_) << config_.icount_shift);
  }
  return base_ns_ + host_elapsed();
}

void Clock::sync() {
  base_ns_ = now();
  base_icount_ = icount_;
  base_host_ = host_now_();
}

void Clock::pause() {
  if (paused_) return;
  sync();
  paused_ = true;
}

void Clock::resume() {
  if (!paused_) return;
  paused_ = false;
  base_host_ = host_now_();
}

devices::Scheduler::TimerId Clock::add_timer(std::function<void()> fire) {
  timers_.push_back(Timer{std::move(fire)});
  return TimerId(timers_.size() - 1);
}

void Clock::arm(TimerId timer, Nanos deadline) {
  Timer& t = timers_.at(timer);
  t.deadline = deadline;
  t.order = arm_seq_++;
  t.armed = true;
}

void Clock::disarm(TimerId timer) { timers_.at(timer).armed = false; }

std::optional<Nanos> Clock::next_deadline() const {
  std::optional<Nanos> best;
  for (const Timer& t : timers_) {
    if (t.armed && (!best || t.deadline < *best)) best = t.deadline;
  }
  return best;
}

/// The armed timer due at `t` that fires first, or -1.
int Clock::earliest_due(Nanos t) const {
  int best = -1;
  for (size_t i = 0; i < timers_.size(); ++i) {
    const Timer& c = timers_[i];
    if (!c.armed || c.deadline > t) continue;
    if (best < 0) {
      best = int(i);
      continue;
    }
    const Timer& b = timers_[size_t(best)];
    if (c.deadline < b.deadline || (c.deadline == b.deadline && c.order < b.order)) best = int(i);
  }
  return best;
}

unsigned Clock::run_due() {
  const Nanos t = now();
  unsigned fired = 0;
  while (fired < kMaxFiresPerCall) {
    const int i = earliest_due(t);
    if (i < 0) break;
    timers_[size_t(i)].armed = false;
    ++fired;
    // Copy: the callback may add timers and so move the vector.
    const std::function<void()> fire = timers_[size_t(i)].fire;
    fire();
  }
  return fired;
}

uint64_t Clock::slice_insns(uint64_t cap) const {
  const std::optional<Nanos> d = next_deadline();
  if (!d) return cap;
  const Nanos t = now();
  if (*d <= t) return 1;
  const Nanos gap = *d - t;
  uint64_t n;
  if (config_.mode == ClockMode::kInstructions) {
    const Nanos unit = Nanos{1} << config_.icount_shift;
    n = (gap + unit - 1) / unit;
  } else {
    n = std::max<uint64_t>(uint64_t(double(gap) / ns_per_insn_), kMinHostSlice);
  }
  return std::clamp<uint64_t>(n, 1, cap);
}

void Clock::note_slice(uint64_t insns, Nanos elapsed) {
  if (insns < kMinHostSlice || elapsed == 0) return;
  const double sample = double(elapsed) / double(insns);
  ns_per_insn_ = std::clamp(ns_per_insn_ * 0.75 + sample * 0.25, 0.05, 1e6);
}

Nanos Clock::idle_until(Nanos deadline) {
  const Nanos t = now();
  if (deadline <= t) return 0;
  if (config_.mode == ClockMode::kInstructions) {
    base_ns_ = deadline;
    base_icount_ = icount_;
    return 0;
  }
  return deadline - t;
}

}  // namespace kestrel::machine
