// SPDX-License-Identifier: MIT
// The SDL window: shows the newest guest frame (machine/display_link.h)
// scaled to the window with its aspect kept, turns host keys and mouse
// motion into InputEvents, and owns the window keys (Ctrl-Alt-G releases
// the grab, Ctrl-Alt-F full screen, Ctrl-Alt-S a screenshot). It runs on
// the main thread, as SDL wants; the machine runs on another.
#pragma once

#include <SDL.h>

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "devices/display.h"
#include "frontend/sdl_input.h"
#include "machine/display_link.h"

namespace kestrel::frontend {

class SdlWindow {
 public:
  /// Initialises SDL's video (on the main thread); nullptr with SDL's
  /// reason in `why` when there is no display to open a window on.
  static std::unique_ptr<SdlWindow> open(std::string& why);
  ~SdlWindow();
  SdlWindow(const SdlWindow&) = delete;
  SdlWindow& operator=(const SdlWindow&) = delete;

  /// Serves the window until `state.finished`: frames from `link` (none:
  /// a black screen), input into `queue`. The window's close button asks
  /// the machine to quit through the queue.
  void run(const machine::DisplayLink* link, InputQueue& queue, RunState& state);
  /// Wakes run() from another thread (the machine's run ended).
  static void wake();

 private:
  SdlWindow(SDL_Window* w, SDL_Renderer* r) : window_(w), renderer_(r) {}
  void handle(const SDL_Event& e, InputQueue& queue);
  void handle_key(const SDL_KeyboardEvent& k, InputQueue& queue);
  bool hotkey(const SDL_KeyboardEvent& k);
  void handle_mouse(const SDL_Event& e, InputQueue& queue);
  void set_grab(bool on);
  void release_keys(InputQueue& queue);
  void show(const devices::Frame& frame);
  void present();
  void update_title(const RunState& state);
  void screenshot();

  SDL_Window* window_;
  SDL_Renderer* renderer_;
  SDL_Texture* texture_ = nullptr;
  devices::Frame frame_;
  uint64_t seen_ = 0;
  unsigned tex_w_ = 0, tex_h_ = 0;
  bool grabbed_ = false;
  bool fullscreen_ = false;
  std::bitset<SDL_NUM_SCANCODES> pressed_;  ///< keys the guest has seen go down
  std::string title_;
  unsigned screenshots_ = 0;
};

}  // namespace kestrel::frontend
