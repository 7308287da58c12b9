// SPDX-License-Identifier: MIT
// The human monitor, as QEMU's: a `(kestrel) ` prompt on standard I/O or a
// TCP socket, served from the machine thread as a HostAgent (non-blocking
// reads between slices; no thread of its own). MonitorCommands runs one
// line; Monitor moves the bytes. The inspection commands themselves are
// in frontend/debug_commands.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "frontend/options_ui.h"
#include "machine/machine.h"

namespace kestrel::frontend {

/// What the monitor needs from the rest of the frontend.
struct MonitorHooks {
  /// Writes the guest's screen to a PNG file; returns why it could not.
  std::function<std::optional<std::string>(const std::string& path)> screendump;
  /// Feeds scan code set 2 bytes to the keyboard; the 8042 when unset.
  std::function<void(std::span<const uint8_t>)> key;
};

class MonitorCommands {
 public:
  MonitorCommands(machine::Machine& m, MonitorHooks hooks) : m_(m), hooks_(std::move(hooks)) {}
  /// Runs one command line on the machine thread; returns its output, each
  /// line ending in '\n' (one "error: ..." line when it cannot run).
  std::string run(std::string_view line);
  static std::string help_text();

 private:
  std::string sendkey(std::string_view args);
  std::string screendump(std::string_view args);

  machine::Machine& m_;
  MonitorHooks hooks_;
};

class Monitor final : public machine::HostAgent {
 public:
  /// Opens the monitor's endpoint (a TCP listener is bound here, before the
  /// guest runs); nullptr with the reason in `why`.
  static std::unique_ptr<Monitor> open(const MonitorSpec& spec, std::string& why);
  ~Monitor() override;
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  /// Starts serving `m`. A TCP monitor without nowait first waits for its
  /// client, as QEMU does, so nothing of the guest runs unseen.
  void attach(machine::Machine& m, MonitorHooks hooks);
  void poll() override;
  /// The TCP port listened on (the one asked for); 0 for stdio.
  uint16_t port() const { return port_; }

 private:
  Monitor(const MonitorSpec& spec, int listen_fd);
  bool accept_client(bool block);
  void greet();
  void send(std::string_view text);
  void drop_client();
  /// Reads what is there without blocking; false at end of input.
  bool read_input();
  void run_lines();

  MonitorSpec spec_;
  int listen_fd_ = -1;
  int in_fd_ = -1;   ///< the client socket, or standard input
  int out_fd_ = -1;
  uint16_t port_ = 0;
  bool eof_ = false;
  bool discarding_ = false;  ///< the rest of an overlong line is being dropped
  std::string line_;
  std::unique_ptr<MonitorCommands> commands_;
};

}  // namespace kestrel::frontend
