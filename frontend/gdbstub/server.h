// SPDX-License-Identifier: MIT
// The gdbstub's TCP side: a non-blocking listening socket and one client
// connection, served from HostAgent::poll() on the machine thread (no
// threads of its own). Protocol state is the Session's (session.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "frontend/gdbstub/session.h"
#include "machine/machine.h"

namespace kestrel::frontend::gdbstub {

/// Where to listen: "tcp::PORT" (loopback), "tcp:ADDR:PORT", ":PORT" or
/// "PORT". Nothing when the text is not one of those.
struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 1234;
};
std::optional<Endpoint> parse_endpoint(std::string_view spec);

class Server final : public machine::HostAgent {
 public:
  /// Opens the listening socket; throws std::runtime_error with the reason
  /// when it cannot (address in use, bad address).
  explicit Server(const Endpoint& where);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Attaches to `m` (a HostAgent); with `wait`, the machine stays paused
  /// until gdb continues it (-S).
  void attach(machine::Machine& m, bool wait);
  /// The port the socket is bound to (useful with port 0).
  uint16_t port() const { return port_; }
  /// The run ended: gdb hears the exit status, the connection closes and
  /// the server lets go of the machine (call it before the machine goes).
  void finish(unsigned status);

  void poll() override;
  void debug_stopped() override;

 private:
  void accept_client();
  void read_client();
  void flush();
  void drop_client();

  int listen_fd_ = -1;
  int client_fd_ = -1;
  uint16_t port_ = 0;
  std::string out_;
  machine::Machine* m_ = nullptr;
  std::unique_ptr<Session> session_;
};

}  // namespace kestrel::frontend::gdbstub
