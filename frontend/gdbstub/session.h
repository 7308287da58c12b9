// SPDX-License-Identifier: MIT
// One gdb connection's protocol state and its commands: run control
// (continue, step, Ctrl-C, stop replies), registers, memory, breakpoints
// and watchpoints, qXfer target descriptions and `monitor` commands. It
// sees bytes in and hands bytes out through a callback, so the same code
// runs behind the TCP server (server.cpp), the unit tests and the fuzzer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/debug.h"
#include "frontend/gdbstub/packet.h"
#include "frontend/gdbstub/registers.h"
#include "machine/machine.h"
#include "mmu/watch.h"

namespace kestrel::frontend::gdbstub {

class Session final : public mmu::WatchSink {
 public:
  using Output = std::function<void(std::string_view bytes)>;
  /// `held`: the machine waits for gdb's first continue (-S).
  Session(machine::Machine& m, Output out, bool held);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// A debugger connected: the machine stops, as gdb expects in all-stop mode.
  void connected();
  /// The connection went away (or gdb detached): breakpoints and
  /// watchpoints go, and the machine runs on unless it is still held for
  /// the first continue of -S.
  void disconnected();
  /// Bytes from gdb.
  void feed(std::span<const uint8_t> bytes);
  /// Between slices while the guest runs: notices a breakpoint or watchpoint
  /// stop that an engine reported without StopReason::kDebug.
  void poll_running();
  /// The machine stopped for a breakpoint or watchpoint (HostAgent).
  void debug_stopped();
  /// The guest ended the run with `status`: gdb hears "W".
  void exited(unsigned status);
  /// Whether gdb asked to detach; the server closes the connection.
  bool detach_requested() const { return detach_requested_; }

  bool running() const { return running_; }
  void watch_hit(const mmu::WatchHit& hit) override;

 private:
  struct Watchpoint {
    mmu::WatchId id;
    char type;  ///< '2' write, '3' read, '4' access (the Z packet's)
    uint64_t addr, len;
  };
  struct Hit {
    char type;
    uint64_t addr;
  };

  void send_packet(std::string_view payload);
  void handle(const std::string& p);
  std::string dispatch(const std::string& p);
  std::string query(const std::string& p);
  std::string v_packet(const std::string& p);
  std::string stop_reply();
  std::string resume(bool step, std::string_view addr);
  void stop_now();
  void arm_skip();
  std::string read_registers();
  std::string write_registers(std::string_view hex);
  std::string read_register(std::string_view args);
  std::string write_register(std::string_view args);
  std::string read_memory(std::string_view args);
  std::string write_memory(std::string_view args, bool binary);
  std::string breakpoint(const std::string& p, bool insert);
  std::string features(std::string_view args);
  std::string monitor(std::string_view hex);
  std::optional<uint64_t> to_phys(uint64_t addr);
  void clear_points();

  machine::Machine& m_;
  Output out_;
  RegisterLayout layout_;
  PacketParser parser_;
  cpu::HostBreakpoints bps_;
  std::vector<uint64_t> sw_bps_, hw_bps_;  ///< Z0 and Z1 addresses (both in bps_)
  std::vector<Watchpoint> watches_;
  std::optional<Hit> hit_;
  bool held_;            ///< -S and no continue yet
  bool running_ = false; ///< the guest runs for gdb (after c, before the stop reply)
  bool no_ack_ = false;
  bool physical_ = false;  ///< `monitor phys`: addresses are physical
  bool detach_requested_ = false;
  uint8_t signal_ = 5;
  uint64_t resets_seen_;
};

}  // namespace kestrel::frontend::gdbstub
