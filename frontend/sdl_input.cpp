// SPDX-License-Identifier: MIT
// The machine-thread end of the window's input (frontend/sdl_input.h).
#include "frontend/sdl_input.h"

#include "devices/i8042.h"

namespace kestrel::frontend {

void InputAgent::poll() {
  for (InputEvent& e : queue_.take_all()) {
    switch (e.kind) {
      case InputEvent::kKey:
        m_.board().i8042().key(e.bytes);
        break;
      case InputEvent::kMouse:
        m_.board().i8042().mouse_motion(e.dx, e.dy, e.buttons);
        break;
      case InputEvent::kQuit:
        m_.request_quit();  // the window was closed
        break;
    }
  }
  state_.paused.store(m_.paused(), std::memory_order_relaxed);
}

}  // namespace kestrel::frontend
