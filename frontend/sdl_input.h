// SPDX-License-Identifier: MIT
// Where the window's thread and the machine thread meet on the input side:
// a small mutex-protected queue of input events (keys as scan code set 2
// bytes, relative mouse motion, quit) that the window fills and an agent
// drains on the machine thread, and the run state the window shows in its
// title. Nothing in here touches a device from the window's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "machine/machine.h"

namespace kestrel::frontend {

struct InputEvent {
  enum Kind : uint8_t { kKey, kMouse, kQuit };
  static InputEvent key(std::vector<uint8_t> bytes) { return {kKey, std::move(bytes), 0, 0, 0}; }
  static InputEvent mouse(int dx, int dy, uint8_t buttons) { return {kMouse, {}, dx, dy, buttons}; }
  static InputEvent quit() { return {kQuit, {}, 0, 0, 0}; }

  Kind kind = kKey;
  std::vector<uint8_t> bytes;  ///< kKey: one key's set 2 bytes
  int dx = 0, dy = 0;          ///< kMouse: dy positive upwards (PS/2)
  uint8_t buttons = 0;         ///< kMouse: bit 0 left, 1 right, 2 middle
};

class InputQueue {
 public:
  /// Beyond this many waiting events new ones are dropped: a guest that
  /// does not read its keyboard must not make the host grow without end.
  static constexpr size_t kLimit = 1024;

  void push(InputEvent e) {
    std::lock_guard lock(mutex_);
    if (e.kind == InputEvent::kQuit || events_.size() < kLimit) events_.push_back(std::move(e));
  }
  std::deque<InputEvent> take_all() {
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;
  std::deque<InputEvent> events_;
};

/// The state of the run as the window shows it; the machine thread writes it.
struct RunState {
  std::atomic<bool> paused{false};
  std::atomic<bool> finished{false};  ///< run() returned
};

/// On the machine thread: feeds the queued input to the 8042 and keeps
/// RunState current.
class InputAgent final : public machine::HostAgent {
 public:
  InputAgent(machine::Machine& m, InputQueue& queue, RunState& state)
      : m_(m), queue_(queue), state_(state) {}
  void poll() override;

 private:
  machine::Machine& m_;
  InputQueue& queue_;
  RunState& state_;
};

}  // namespace kestrel::frontend
