// SPDX-License-Identifier: MIT
// Serial backends on the host: stdio with raw terminal handling and the
// -nographic escape keys, and output files. POSIX terminal and signal calls
// live here and nowhere else.
#include "frontend/chardev.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace kestrel::frontend {
namespace {

/// The terminal settings to put back. Signal handlers reach only static
/// storage, so this is the one process-wide mutable state in Kestrel: a
/// process has one standard input, and only RawTerminal writes it.
struct SavedTerminal {
  termios original{};
  termios raw{};
  volatile sig_atomic_t raw_on = 0;  ///< raw mode is applied now
  volatile sig_atomic_t owned = 0;   ///< a RawTerminal exists
  bool atexit_registered = false;
  std::array<struct sigaction, 6> old_actions{};
};
SavedTerminal saved_terminal;

constexpr std::array<int, 6> kHandledSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT};

void restore_terminal() {
  if (!saved_terminal.raw_on) return;
  tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal.original);
  saved_terminal.raw_on = 0;
}

void apply_raw() {
  if (tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal.raw) == 0) saved_terminal.raw_on = 1;
}

/// "kestrel: terminating on signal N", with async-signal-safe calls only.
void say_terminating(int sig) {
  char msg[48] = "kestrel: terminating on signal ";
  size_t n = std::strlen(msg);
  char digits[4];
  size_t d = 0;
  for (unsigned v = unsigned(sig); d == 0 || v != 0; v /= 10) digits[d++] = char('0' + v % 10);
  while (d > 0) msg[n++] = digits[--d];
  msg[n++] = '\n';
  [[maybe_unused]] const ssize_t w = ::write(STDERR_FILENO, msg, n);
}

extern "C" void on_terminating_signal(int sig) {
  restore_terminal();
  say_terminating(sig);
  // End the way the signal would have, so the parent sees why.
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

extern "C" void on_stop_signal(int) {
  // Give the shell a sane terminal while stopped; SIGCONT brings raw back.
  const int saved_errno = errno;
  restore_terminal();
  std::signal(SIGTSTP, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTSTP);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  std::raise(SIGTSTP);
  // Continued (or never stopped: an orphaned process group ignores the
  // stop): raw mode again, and the next Ctrl-Z handled the same way.
  if (saved_terminal.owned) apply_raw();
  std::signal(SIGTSTP, on_stop_signal);
  errno = saved_errno;
}

extern "C" void on_continue_signal(int) {
  const int saved_errno = errno;
  if (saved_terminal.owned) apply_raw();
  errno = saved_errno;
}

extern "C" void restore_at_exit() { restore_terminal(); }

void install_handlers() {
  for (size_t i = 0; i < kHandledSignals.size(); ++i) {
    struct sigaction act {};
    sigemptyset(&act.sa_mask);
    const int sig = kHandledSignals[i];
    act.sa_handler = sig == SIGTSTP   ? on_stop_signal
                     : sig == SIGCONT ? on_continue_signal
                                      : on_terminating_signal;
    act.sa_flags = SA_RESTART;
    sigaction(sig, &act, &saved_terminal.old_actions[i]);
  }
}

void remove_handlers() {
  for (size_t i = 0; i < kHandledSignals.size(); ++i) {
    sigaction(kHandledSignals[i], &saved_terminal.old_actions[i], nullptr);
  }
}

std::string_view mux_help() {
  return "\n"
         "C-a h    print this help\n"
         "C-a x    exit Kestrel\n"
         "C-a c    switch to the monitor (not available yet)\n"
         "C-a a    send C-a to the guest (C-a C-a also does)\n";
}

}  // namespace

std::string_view EscapeKeys::help_text() { return mux_help(); }

EscapeKeys::Result EscapeKeys::feed(uint8_t byte) {
  if (!escaped_) {
    if (byte == kEscape) {
      escaped_ = true;
      return {};
    }
    return {byte, {}, false};
  }
  escaped_ = false;
  // QEMU's keys (chardev/char-mux.c); other keys after Ctrl-A are ignored
  // as there. Capitals are accepted too, for caps lock.
  switch (byte) {
    case kEscape:
    case 'a':
    case 'A':
      return {kEscape, {}, false};
    case 'h':
    case 'H':
    case '?':
      return {std::nullopt, help_text(), false};
    case 'x':
    case 'X':
      return {std::nullopt, "kestrel: terminated\n", true};
    case 'c':
    case 'C':
      return {std::nullopt, "\nkestrel: the monitor is not available yet\n", false};
    default:
      return {};
  }
}

RawTerminal::RawTerminal(bool pass_signals) {
  if (saved_terminal.owned || !::isatty(STDIN_FILENO)) return;
  if (tcgetattr(STDIN_FILENO, &saved_terminal.original) != 0) return;
  // The settings of QEMU's stdio backend (chardev/char-stdio.c).
  termios raw = saved_terminal.original;
  raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag |= OPOST;
  raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | IEXTEN);
  if (!pass_signals) raw.c_lflag &= ~tcflag_t(ISIG);
  raw.c_cflag &= ~tcflag_t(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  saved_terminal.raw = raw;
  saved_terminal.owned = 1;
  if (!saved_terminal.atexit_registered) {
    std::atexit(restore_at_exit);
    saved_terminal.atexit_registered = true;
  }
  install_handlers();
  apply_raw();
  active_ = true;
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  restore_terminal();
  remove_handlers();
  saved_terminal.owned = 0;
}

StdioBackend::StdioBackend(bool escape_keys, int in_fd, std::FILE* out)
    : in_fd_(in_fd), out_(out) {
  if (escape_keys) keys_.emplace();
  if (in_fd_ == STDIN_FILENO) terminal_ = std::make_unique<RawTerminal>(!escape_keys);
}

void StdioBackend::write(uint8_t byte) {
  std::fputc(byte, out_);
  std::fflush(out_);
}

std::optional<uint8_t> StdioBackend::read() {
  if (pending_.empty()) poll();
  if (pending_.empty()) return std::nullopt;
  const uint8_t byte = pending_.front();
  pending_.pop_front();
  return byte;
}

void StdioBackend::poll() {
  while (!eof_ && pending_.size() < kMaxPending) {
    pollfd p{in_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    if (p.revents & POLLNVAL) {
      eof_ = true;
      return;
    }
    std::array<uint8_t, 256> buf;
    const size_t room = std::min(buf.size(), kMaxPending - pending_.size());
    const ssize_t got = ::read(in_fd_, buf.data(), room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (got <= 0) {
      // End of a pipe, or a terminal that hung up: no more input, but the
      // guest keeps running.
      eof_ = true;
      return;
    }
    for (ssize_t i = 0; i < got; ++i) {
      if (!keys_) {
        pending_.push_back(buf[size_t(i)]);
        continue;
      }
      const EscapeKeys::Result r = keys_->feed(buf[size_t(i)]);
      if (!r.message.empty()) {
        std::fwrite(r.message.data(), 1, r.message.size(), out_);
        std::fflush(out_);
      }
      if (r.quit) {
        if (!on_quit_) throw QuitRequest{};
        on_quit_();
        return;  // what follows the quit is not for the guest
      }
      if (r.to_guest) pending_.push_back(*r.to_guest);
    }
  }
}

std::unique_ptr<FileBackend> FileBackend::open(const std::string& path, std::string& why) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    why = std::strerror(errno);
    return nullptr;
  }
  // Whole lines reach the file as they are written, so a log can be
  // followed while the guest runs.
  std::setvbuf(f, nullptr, _IOLBF, 4096);
  return std::unique_ptr<FileBackend>(new FileBackend(f));
}

FileBackend::~FileBackend() { std::fclose(file_); }

void FileBackend::write(uint8_t byte) { std::fputc(byte, file_); }

}  // namespace kestrel::frontend
