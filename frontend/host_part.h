// SPDX-License-Identifier: MIT
// One area of the host side of a run (firmware files, disk images, the
// display, the monitor, networking, the gdbstub): what it opens before the
// machine is built, what it attaches to the machine, and what it does when
// the run ends. main.cpp walks the parts in order; each lives in
// host_<area>.cpp and keeps its host resources alive for the whole run.
#pragma once

#include <memory>
#include <optional>

#include "frontend/options.h"
#include "machine/machine.h"

namespace kestrel::frontend {

class HostPart {
 public:
  virtual ~HostPart() = default;
  /// Before the machine exists: checks this area's options, opens its host
  /// resources (files, sockets) and fills `config`. An error ends the
  /// program before the guest runs, with nothing written.
  virtual std::optional<Error> configure(const Options& o, machine::MachineConfig& config) {
    (void)o, (void)config;
    return std::nullopt;
  }
  /// After the machine is built and reset: attaches host agents.
  virtual std::optional<Error> attach(machine::Machine& m) {
    (void)m;
    return std::nullopt;
  }
  /// After run() returned, before the machine goes away.
  virtual void finish(machine::Machine& m, const machine::RunResult& r) { (void)m, (void)r; }
};

std::unique_ptr<HostPart> make_firmware_part();  // host_firmware.cpp
std::unique_ptr<HostPart> make_storage_part();   // host_storage.cpp
std::unique_ptr<HostPart> make_video_part();     // host_video.cpp
std::unique_ptr<HostPart> make_net_part();       // host_net.cpp
std::unique_ptr<HostPart> make_debug_part();     // host_debug.cpp

/// The user interface: the SDL window or none, and the monitor
/// (host_ui.cpp). It also runs the machine: on this thread without a
/// window, on a thread of its own while SDL keeps the main thread.
class UiPart : public HostPart {
 public:
  virtual machine::RunResult run(machine::Machine& m) = 0;
};
std::unique_ptr<UiPart> make_ui_part();

}  // namespace kestrel::frontend
