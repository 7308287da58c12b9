// SPDX-License-Identifier: MIT
// Where the machine thread and the frontend's display thread meet: the
// newest frame, double-buffered under a mutex that is held only for a
// swap or a copy. Input goes the other way through the frontend's own
// queue, drained by its HostAgent on the machine thread.
#pragma once

#include <cstdint>
#include <mutex>

#include "devices/display.h"

namespace kestrel::machine {

class DisplayLink {
 public:
  /// Machine thread: hands over a newly rendered frame (swapped, not copied).
  void publish(devices::Frame& frame) {
    std::lock_guard lock(mutex_);
    std::swap(latest_, frame);
    ++generation_;
  }
  /// Frontend thread: copies the newest frame into `out` when it is newer
  /// than `seen` (updated); false when there is nothing new.
  bool take(devices::Frame& out, uint64_t& seen) const {
    std::lock_guard lock(mutex_);
    if (generation_ == seen) return false;
    out = latest_;
    seen = generation_;
    return true;
  }

 private:
  mutable std::mutex mutex_;
  devices::Frame latest_;
  uint64_t generation_ = 0;
};

}  // namespace kestrel::machine
