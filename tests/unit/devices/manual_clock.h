// SPDX-License-Identifier: MIT
// A Scheduler for device tests: time moves only when the test says, and
// timers fire in deadline order as it passes them.
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

#include "devices/irq.h"
#include "devices/scheduler.h"

namespace kestrel::devices::test {

class ManualClock final : public Scheduler {
 public:
  Nanos now() const override { return now_; }
  TimerId add_timer(std::function<void()> fire) override {
    timers_.push_back({std::move(fire), 0, false});
    return TimerId(timers_.size() - 1);
  }
  void arm(TimerId id, Nanos deadline) override {
    timers_[id].deadline = deadline;
    timers_[id].armed = true;
  }
  void disarm(TimerId id) override { timers_[id].armed = false; }
  bool armed(TimerId id) const { return timers_[id].armed; }

  /// Moves time to now + ns, firing every timer met on the way.
  void advance(Nanos ns) {
    const Nanos end = now_ + ns;
    for (;;) {
      Timer* next = nullptr;
      for (Timer& t : timers_) {
        if (t.armed && t.deadline <= end && (!next || t.deadline < next->deadline)) next = &t;
      }
      if (!next) break;
      now_ = std::max(now_, next->deadline);
      next->armed = false;
      next->fire();
    }
    now_ = end;
  }

 private:
  struct Timer {
    std::function<void()> fire;
    Nanos deadline;
    bool armed;
  };
  std::vector<Timer> timers_;
  Nanos now_ = 0;
};

/// Records what reaches each pin of an interrupt controller input.
class PinRecorder final : public IrqSink {
 public:
  void set_irq(unsigned pin, bool level) override {
    if (pin >= levels.size()) levels.resize(pin + 1), rises.resize(pin + 1);
    if (level && !levels[pin]) ++rises[pin];
    levels[pin] = level;
  }
  bool level(unsigned pin) const { return pin < levels.size() && levels[pin]; }
  unsigned rises_on(unsigned pin) const { return pin < rises.size() ? rises[pin] : 0; }
  std::vector<bool> levels;
  std::vector<unsigned> rises;
};

}  // namespace kestrel::devices::test
