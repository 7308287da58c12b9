// SPDX-License-Identifier: MIT
// What a device sees of time: the board's virtual clock in nanoseconds and
// its one timer queue. machine/clock implements it (from the host clock or
// from the instruction count); devices never read the host clock.
#pragma once

#include <cstdint>
#include <functional>

namespace kestrel::devices {

using Nanos = uint64_t;

class Scheduler {
 public:
  using TimerId = unsigned;
  virtual ~Scheduler() = default;
  /// Virtual time since power-on.
  virtual Nanos now() const = 0;
  /// Creates a disarmed timer that calls `fire` (on the machine thread, from
  /// the run loop, never from inside an instruction) when its deadline passes.
  virtual TimerId add_timer(std::function<void()> fire) = 0;
  /// Sets the timer's deadline, replacing an earlier one.
  virtual void arm(TimerId timer, Nanos deadline) = 0;
  virtual void disarm(TimerId timer) = 0;
};

}  // namespace kestrel::devices
