// SPDX-License-Identifier: MIT
// The user-interface part of a run's host side (frontend/host_part.h): the
// choice of window, the monitor, and who runs the machine. Without a
// window the machine runs on this thread; with one, SDL keeps this (the
// main) thread and the machine gets a thread of its own. The two meet
// only in the DisplayLink, the InputQueue and the RunState.
#include <cstdlib>
#include <exception>
#include <thread>

#include "frontend/chardev.h"
#include "frontend/host_part.h"
#include "frontend/monitor.h"
#include "frontend/screenshot.h"
#include "frontend/sdl_display.h"
#include "frontend/sdl_input.h"
#include "machine/board_display.h"

namespace kestrel::frontend {
namespace {

bool host_has_display() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

class Ui final : public UiPart {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig& config) override {
    // Ctrl-A X on a stdio serial port ends the run through the loop, as the
    // monitor's quit does (the machine thread calls the handler).
    for (devices::CharBackend* b : config.serial) {
      if (auto* stdio = dynamic_cast<StdioBackend*>(b)) {
        stdio->set_quit_handler([this] {
          if (machine_) machine_->request_quit();
        });
      }
    }
    if (auto e = choose_window(o)) return e;
    return open_monitor(o);
  }

  std::optional<Error> attach(machine::Machine& m) override {
    machine_ = &m;
    link_ = &m.board().display().link();
    if (window_) m.board().display().set_live(true);
    if (monitor_) {
      MonitorHooks hooks;
      hooks.screendump = [&m](const std::string& path) { return screendump(m, path); };
      monitor_->attach(m, std::move(hooks));
      m.add_agent(*monitor_);
    }
    if (window_) {
      input_ = std::make_unique<InputAgent>(m, queue_, state_);
      m.add_agent(*input_);
    }
    return std::nullopt;
  }

  machine::RunResult run(machine::Machine& m) override {
    if (!window_) return m.run();
    machine::RunResult result;
    std::exception_ptr failure;
    std::thread machine_thread([&] {
      try {
        result = m.run();
      } catch (...) {
        failure = std::current_exception();  // rethrown on the main thread
      }
      state_.finished.store(true);
      SdlWindow::wake();
    });
    window_->run(link_, queue_, state_);
    machine_thread.join();
    if (failure) std::rethrow_exception(failure);
    return result;
  }

  void finish(machine::Machine& m, const machine::RunResult& r) override {
    (void)r;
    machine_ = nullptr;
    if (monitor_) m.remove_agent(*monitor_);
    if (input_) m.remove_agent(*input_);
    window_.reset();
  }

 private:
  std::optional<Error> choose_window(const Options& o) {
    const DisplayKind kind = o.ui.display;
    if (kind == DisplayKind::kNone || (kind == DisplayKind::kDefault && o.nographic)) {
      return std::nullopt;
    }
    if (kind == DisplayKind::kSdl && o.nographic) {
      return Error{"-display sdl", "-nographic asks for no window"};
    }
    if (!host_has_display()) {
      if (kind == DisplayKind::kDefault) return std::nullopt;
      return Error{"-display sdl", "no display to open a window on (DISPLAY is not set)"};
    }
    std::string why;
    window_ = SdlWindow::open(why);
    // The default falls back to no window; an explicit -display sdl fails.
    if (!window_ && kind == DisplayKind::kSdl) return Error{"-display sdl", why};
    return std::nullopt;
  }

  std::optional<Error> open_monitor(const Options& o) {
    const MonitorSpec& spec = o.ui.monitor;
    if (spec.kind == MonitorSpec::kNone) return std::nullopt;
    if (spec.kind == MonitorSpec::kStdio) {
      for (const SerialSpec& s : o.serial_ports()) {
        if (s.kind == SerialBackend::kStdio) {
          return Error{"-monitor stdio", "standard I/O is already a serial port's (-nographic "
                                         "or -serial stdio); use -serial none or tcp: for one"};
        }
      }
    }
    std::string why;
    monitor_ = Monitor::open(spec, why);
    if (!monitor_) return Error{"-monitor " + spec.arg, why};
    return std::nullopt;
  }

  /// The screen rendered now, on the machine thread; when nothing changed
  /// since the last refresh it is the frame the window shows.
  static std::optional<std::string> screendump(machine::Machine& m, const std::string& path) {
    devices::Frame frame;
    if (!m.board().display().render_now(frame)) {
      return std::string("this machine has no display adapter (-vga none)");
    }
    return write_png(frame, path);
  }

  std::unique_ptr<SdlWindow> window_;
  std::unique_ptr<Monitor> monitor_;
  std::unique_ptr<InputAgent> input_;
  machine::Machine* machine_ = nullptr;
  const machine::DisplayLink* link_ = nullptr;
  InputQueue queue_;
  RunState state_;
};

}  // namespace

std::unique_ptr<UiPart> make_ui_part() { return std::make_unique<Ui>(); }

}  // namespace kestrel::frontend
