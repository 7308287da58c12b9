// SPDX-License-Identifier: MIT
// The SDL window (frontend/sdl_display.h): frames in, input out. Keys are
// looked up by SDL scancode, which is the USB HID usage (SDL_scancode.h),
// so the guest gets the key at that place on the keyboard whatever the
// host's layout, as a PC keyboard would send it.
#include "frontend/sdl_display.h"

#include <cstdio>

#include "frontend/keycodes.h"
#include "frontend/screenshot.h"

namespace kestrel::frontend {
namespace {

constexpr int kInitialWidth = 640, kInitialHeight = 480;
constexpr Uint32 kWakeEvent = SDL_USEREVENT;

}  // namespace

std::unique_ptr<SdlWindow> SdlWindow::open(std::string& why) {
  // The terminal's signals stay with the rest of the program (chardev.h).
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  // Nearest-pixel scaling: at 1:1 and at integer factors the guest's
  // pixels come through unchanged.
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
  if (SDL_Init(SDL_INIT_VIDEO) != 0) {
    why = SDL_GetError();
    return nullptr;
  }
  SDL_Window* w = SDL_CreateWindow("Kestrel", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                   kInitialWidth, kInitialHeight, SDL_WINDOW_RESIZABLE);
  SDL_Renderer* r = w ? SDL_CreateRenderer(w, -1, 0) : nullptr;
  if (!r) {
    why = SDL_GetError();
    if (w) SDL_DestroyWindow(w);
    SDL_Quit();
    return nullptr;
  }
  return std::unique_ptr<SdlWindow>(new SdlWindow(w, r));
}

SdlWindow::~SdlWindow() {
  if (grabbed_) set_grab(false);
  if (texture_) SDL_DestroyTexture(texture_);
  SDL_DestroyRenderer(renderer_);
  SDL_DestroyWindow(window_);
  SDL_Quit();
}

void SdlWindow::wake() {
  SDL_Event e{};
  e.type = kWakeEvent;
  SDL_PushEvent(&e);
}

void SdlWindow::run(const machine::DisplayLink* link, InputQueue& queue, RunState& state) {
  present();
  while (!state.finished.load()) {
    SDL_Event e;
    // About a 100 Hz refresh at most; events wake the loop at once.
    if (SDL_WaitEventTimeout(&e, 10)) {
      do handle(e, queue);
      while (SDL_PollEvent(&e));
    }
    if (link && link->take(frame_, seen_)) show(frame_);
    update_title(state);
  }
}

void SdlWindow::handle(const SDL_Event& e, InputQueue& queue) {
  switch (e.type) {
    case SDL_QUIT:
      queue.push(InputEvent::quit());
      break;
    case SDL_WINDOWEVENT:
      if (e.window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
        release_keys(queue);
        if (grabbed_) set_grab(false);
      }
      if (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
          e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
        present();
      }
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      handle_key(e.key, queue);
      break;
    case SDL_MOUSEMOTION:
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
      handle_mouse(e, queue);
      break;
    default:
      break;
  }
}

bool SdlWindow::hotkey(const SDL_KeyboardEvent& k) {
  const SDL_Keymod mods = SDL_GetModState();
  if (!(mods & KMOD_CTRL) || !(mods & KMOD_ALT)) return false;
  switch (k.keysym.scancode) {
    case SDL_SCANCODE_G:
      if (k.type == SDL_KEYDOWN) set_grab(false);
      return true;
    case SDL_SCANCODE_F:
      if (k.type == SDL_KEYDOWN && !k.repeat) {
        fullscreen_ = !fullscreen_;
        SDL_SetWindowFullscreen(window_, fullscreen_ ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
      }
      return true;
    case SDL_SCANCODE_S:
      if (k.type == SDL_KEYDOWN && !k.repeat) screenshot();
      return true;
    default:
      return false;
  }
}

void SdlWindow::handle_key(const SDL_KeyboardEvent& k, InputQueue& queue) {
  if (hotkey(k)) return;
  const SDL_Scancode sc = k.keysym.scancode;
  const std::optional<PcKey> key = key_from_hid(unsigned(sc));
  if (!key || unsigned(sc) >= pressed_.size()) return;
  const bool down = k.type == SDL_KEYDOWN;
  // A release the guest never saw go down (the key was pressed before the
  // window had the focus) is not sent.
  if (!down && !pressed_[sc]) return;
  pressed_[sc] = down;
  // Held keys repeat their make code, as a keyboard's typematic does.
  std::vector<uint8_t> bytes = key_bytes(*key, down);
  if (!bytes.empty()) queue.push(InputEvent::key(std::move(bytes)));
}

void SdlWindow::release_keys(InputQueue& queue) {
  for (unsigned sc = 0; sc < pressed_.size(); ++sc) {
    if (!pressed_[sc]) continue;
    pressed_[sc] = false;
    if (const std::optional<PcKey> key = key_from_hid(sc)) {
      std::vector<uint8_t> bytes = key_bytes(*key, false);
      if (!bytes.empty()) queue.push(InputEvent::key(std::move(bytes)));
    }
  }
}

void SdlWindow::handle_mouse(const SDL_Event& e, InputQueue& queue) {
  if (!grabbed_) {
    // As QEMU: a click grabs the mouse and is not passed on.
    if (e.type == SDL_MOUSEBUTTONDOWN && e.button.button == SDL_BUTTON_LEFT) set_grab(true);
    return;
  }
  const Uint32 state = SDL_GetMouseState(nullptr, nullptr);
  uint8_t buttons = 0;
  if (state & SDL_BUTTON_LMASK) buttons |= 1;
  if (state & SDL_BUTTON_RMASK) buttons |= 2;
  if (state & SDL_BUTTON_MMASK) buttons |= 4;
  // PS/2 counts upwards; a button event moves nothing.
  const bool moved = e.type == SDL_MOUSEMOTION;
  queue.push(InputEvent::mouse(moved ? e.motion.xrel : 0, moved ? -e.motion.yrel : 0, buttons));
}

void SdlWindow::set_grab(bool on) {
  grabbed_ = on;
  SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowGrab(window_, on ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowKeyboardGrab(window_, on ? SDL_TRUE : SDL_FALSE);
}

void SdlWindow::show(const devices::Frame& frame) {
  if (frame.width == 0 || frame.height == 0 ||
      frame.pixels.size() < size_t(frame.width) * frame.height) {
    return;
  }
  if (frame.width != tex_w_ || frame.height != tex_h_) {
    if (texture_) SDL_DestroyTexture(texture_);
    // Frame pixels are 0x00RRGGBB words: SDL's RGB888.
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING,
                                 int(frame.width), int(frame.height));
    tex_w_ = frame.width;
    tex_h_ = frame.height;
    SDL_RenderSetLogicalSize(renderer_, int(tex_w_), int(tex_h_));
    // A new guest mode: the window follows it at 1:1, as QEMU's does.
    if (!fullscreen_ && !(SDL_GetWindowFlags(window_) & SDL_WINDOW_MAXIMIZED)) {
      SDL_SetWindowSize(window_, int(tex_w_), int(tex_h_));
    }
  }
  if (texture_) {
    SDL_UpdateTexture(texture_, nullptr, frame.pixels.data(), int(frame.width * 4));
  }
  present();
}

void SdlWindow::present() {
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);
  if (texture_) SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
}

void SdlWindow::update_title(const RunState& state) {
  std::string title = "Kestrel - ";
  title += state.paused.load(std::memory_order_relaxed) ? "paused" : "running";
  if (grabbed_) title += " - input grabbed (Ctrl-Alt-G releases)";
  if (title != title_) {
    title_ = title;
    SDL_SetWindowTitle(window_, title_.c_str());
  }
}

void SdlWindow::screenshot() {
  char name[64];
  std::snprintf(name, sizeof name, "kestrel-screenshot-%u.png", screenshots_++);
  if (auto why = write_png(frame_, name)) {
    std::fprintf(stderr, "kestrel: screenshot %s: %s\n", name, why->c_str());
  } else {
    std::fprintf(stderr, "kestrel: screenshot written to %s\n", name);
  }
}

}  // namespace kestrel::frontend
