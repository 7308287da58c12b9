// SPDX-License-Identifier: MIT
// The host ends of the serial ports: standard I/O (with the terminal in raw
// mode and QEMU's Ctrl-A escape keys under -nographic) and output files.
// The UART sees only devices::CharBackend; the run loop polls these.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "devices/char_backend.h"

namespace kestrel::frontend {

/// Thrown from a backend's poll() when the user asks to quit (Ctrl-A X) and
/// no quit handler is set (StdioBackend::set_quit_handler). It unwinds the
/// run loop up to main, which exits with status 0.
struct QuitRequest {};

/// The escape keys of QEMU's character multiplexer (-nographic): Ctrl-A
/// then a key is a command; every other byte passes through to the guest.
class EscapeKeys {
 public:
  static constexpr uint8_t kEscape = 0x01;  // Ctrl-A

  struct Result {
    std::optional<uint8_t> to_guest;
    std::string_view message;  ///< text for the user's terminal, if any
    bool quit = false;
  };

  Result feed(uint8_t byte);
  static std::string_view help_text();

 private:
  bool escaped_ = false;
};

/// Raw mode for the terminal on standard input while the object lives, as
/// QEMU's stdio backend sets it: no echo, no line editing, no CR/LF input
/// mapping, output post-processing kept. With `pass_signals` Ctrl-C and
/// Ctrl-Z keep their meaning for the host; without it they reach the guest.
/// The original settings come back on destruction, at exit(), and on
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT (which then end the process);
/// SIGTSTP restores them while stopped and SIGCONT re-applies raw mode.
class RawTerminal {
 public:
  /// Does nothing when standard input is not a terminal.
  explicit RawTerminal(bool pass_signals);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  bool active() const { return active_; }

 private:
  bool active_ = false;
};

/// Standard input and output. Output goes out byte by byte (the guest's
/// console must show a prompt at once); input is read without blocking
/// and, with the escape keys on, passes through EscapeKeys first. When
/// standard input is a pipe it is read as is; its end leaves the guest
/// without input but running.
class StdioBackend final : public devices::CharBackend {
 public:
  /// `escape_keys`: the -nographic multiplexer (and Ctrl-C to the guest).
  explicit StdioBackend(bool escape_keys, int in_fd = 0, std::FILE* out = stdout);

  void write(uint8_t byte) override;
  std::optional<uint8_t> read() override;
  void poll() override;
  /// Called (from poll(), on the machine thread) for Ctrl-A X instead of
  /// throwing QuitRequest: the UI part asks the machine to quit, so the
  /// run ends through the loop like the monitor's quit.
  void set_quit_handler(std::function<void()> handler) { on_quit_ = std::move(handler); }

 private:
  /// What the backend holds for the guest at most; beyond it host input
  /// waits in the kernel's buffer.
  static constexpr size_t kMaxPending = 4096;

  int in_fd_;
  std::FILE* out_;
  std::optional<EscapeKeys> keys_;
  std::unique_ptr<RawTerminal> terminal_;
  std::deque<uint8_t> pending_;
  bool eof_ = false;
  std::function<void()> on_quit_;
};

/// -serial file:PATH: the guest's output goes to the file; there is no input.
class FileBackend final : public devices::CharBackend {
 public:
  /// Creates or truncates `path`; nullptr with the reason in `why` if it cannot.
  static std::unique_ptr<FileBackend> open(const std::string& path, std::string& why);
  ~FileBackend() override;

  void write(uint8_t byte) override;
  std::optional<uint8_t> read() override { return std::nullopt; }

 private:
  explicit FileBackend(std::FILE* f) : file_(f) {}
  std::FILE* file_;
};

}  // namespace kestrel::frontend
