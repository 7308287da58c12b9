// SPDX-License-Identifier: MIT
// The debug part of a run's host side (frontend/host_part.h): the gdbstub's
// listening socket, opened before the machine exists so that a busy port
// is an error before anything runs, and attached as a host agent.
#include <cstdio>
#include <stdexcept>

#include "devices/debug_ports.h"
#include "frontend/gdbstub/server.h"
#include "frontend/host_part.h"

namespace kestrel::frontend {
namespace {

class DebugPart final : public HostPart {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig&) override {
    start_paused_ = o.debug.start_paused;
    if (!o.debug.gdb) return std::nullopt;
    const auto where = gdbstub::parse_endpoint(*o.debug.gdb);
    if (!where) return Error{"-gdb " + *o.debug.gdb, "not tcp::PORT or tcp:ADDRESS:PORT"};
    try {
      server_ = std::make_unique<gdbstub::Server>(*where);
    } catch (const std::runtime_error& e) {
      return Error{"-gdb " + *o.debug.gdb, e.what()};
    }
    return std::nullopt;
  }

  std::optional<Error> attach(machine::Machine& m) override {
    if (server_) {
      server_->attach(m, start_paused_);
    } else if (start_paused_) {
      m.pause();  // -S without -gdb: the monitor's `cont` starts it
    }
    return std::nullopt;
  }

  void finish(machine::Machine&, const machine::RunResult& r) override {
    if (!server_) return;
    const unsigned status = r.outcome == machine::Outcome::kGuestExit
                                ? unsigned(devices::DebugExit::exit_status(r.exit_value))
                                : 0u;
    server_->finish(status);
  }

 private:
  bool start_paused_ = false;
  std::unique_ptr<gdbstub::Server> server_;
};

}  // namespace

std::unique_ptr<HostPart> make_debug_part() { return std::make_unique<DebugPart>(); }

}  // namespace kestrel::frontend
