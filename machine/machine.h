// SPDX-License-Identifier: MIT
// The PC: RAM and a firmware ROM on the MMU, one CPU with the interpreter,
// the I/O bus with the debug ports, the board's devices (machine/board.h),
// the virtual clock, reset and the run loop. Options parsing and printing
// stay in frontend/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/engine.h"
#include "devices/debug_ports.h"
#include "machine/board.h"
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "mmu/mmu.h"

namespace kestrel::machine {

inline constexpr uint64_t kMaxFirmwareSize = uint64_t{16} << 20;
/// The part of the firmware image that also appears just below 1 MiB, at
/// 0xE0000-0xFFFFF, as on a PC (the BIOS area real-mode code jumps into).
inline constexpr uint64_t kLowFirmwareWindow = uint64_t{128} << 10;


/// Why a firmware image of `size` bytes cannot be used, or nothing if it can.
std::optional<std::string> firmware_size_problem(uint64_t size);

enum class Outcome : uint8_t {
  kGuestExit,  ///< the guest wrote to the isa-debug-exit port
  kShutdown,   ///< triple fault with no_reboot set
  kHalted,     ///< HLT that nothing in this machine can wake
  kReset,      ///< a device (8042, port 0x92) reset the CPU with no_reboot set
  kPowerOff,   ///< the guest powered off through ACPI (S5)
  kQuit,       ///< the host asked to stop (monitor quit, Ctrl-A X, window closed)
};

/// A host-side part the machine loop serves on the machine thread: the
/// gdbstub, the monitor, the display's input. Nothing outside the machine
/// thread touches the machine; agents are how the host reaches it.
class HostAgent {
 public:
  virtual ~HostAgent() = default;
  /// Called between two slices while the guest runs (at least every few
  /// milliseconds of host time), and about every millisecond while the
  /// machine is paused. May pause, resume, step, reset or quit the machine.
  virtual void poll() = 0;
  /// The engine stopped for a debugger (cpu::StopReason::kDebug); the
  /// machine is paused now.
  virtual void debug_stopped() {}
};

struct RunResult {
  Outcome outcome{};
  uint32_t exit_value = 0;  ///< the value written to the debug-exit port
  uint16_t cs = 0;          ///< where the CPU stopped
  uint64_t ip = 0;
  bool interrupts_enabled = false;
};

class Machine {
 public:
  /// Throws std::bad_alloc when the RAM cannot be allocated.
  explicit Machine(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  /// Power-on reset of the CPU and every device.
  void reset();
  /// Runs the guest until it asks to exit, shuts down with no_reboot, or halts for good.
  RunResult run();

  // ---- control from the host (monitor, gdbstub, display), machine thread only ----
  void add_agent(HostAgent& agent);
  void remove_agent(HostAgent& agent);
  /// Stops the guest at the next instruction boundary the loop reaches;
  /// virtual time stops with it. The loop keeps polling the agents.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  /// run() returns Outcome::kQuit as soon as the loop sees it.
  void request_quit();
  /// A power-on reset at the next boundary, as the RESET button (monitor
  /// system_reset); it does not end the run under -no-reboot.
  void system_reset();
  /// Runs exactly one instruction of a paused machine (or delivers one
  /// pending interrupt or exception first, as the hardware would on a
  /// single step); timers that came due are fired first.
  cpu::StopReason step();

  cpu::Cpu& cpu() { return cpu_; }
  mmu::Mmu& memory() { return mmu_; }
  IoBus& io() { return io_; }
  Clock& clock() { return clock_; }
  Board& board() { return *board_; }
  cpu::ExecEngine& engine() { return *engine_; }
  /// Resets so far, the power-on one included.
  uint64_t resets() const { return resets_; }
  /// What the engine did, in either clock mode: instructions retired and
  /// the host time spent running them (idle waits excluded), for MIPS
  /// figures.
  struct Stats {
    uint64_t instructions = 0;
    Nanos busy_ns = 0;
    uint64_t slices = 0;  ///< engine runs between two services
  };
  const Stats& stats() const { return stats_; }

 private:
  /// The CPU's INTR and NMI pins: they set and clear CpuState::pending.
  class CpuPins final : public devices::IrqSink {
   public:
    explicit CpuPins(cpu::CpuState& s) : s_(s) {}
    void set_irq(unsigned pin, bool level) override;

   private:
    cpu::CpuState& s_;
  };

  void map_firmware(std::span<const uint8_t> image);
  void request_exit(uint32_t value);
  void request_reset();
  void request_power_off();
  RunResult stopped(Outcome outcome) const;
  /// Timers, host input and the pending bits, between two slices.
  void service();
  /// Delivers an NMI or a maskable interrupt the CPU can take now.
  void take_interrupts();
  /// The CPU is halted: waits for the next deadline or input. False when
  /// nothing can ever wake it.
  bool idle();
  /// Runs one slice of the engine up to the next deadline.
  cpu::StopReason run_slice();
  /// While paused: polls the agents until resumed or asked to quit.
  void wait_paused();
  void poll_agents();
  void note_debug_stop();

  bool no_reboot_;
  bool has_input_;  ///< a serial port has a host backend that may send bytes
  mmu::Mmu mmu_;
  IoBus io_;
  cpu::Cpu cpu_;
  std::unique_ptr<cpu::ExecEngine> engine_;
  Clock clock_;
  CpuPins pins_;
  devices::DebugConsole debug_console_;
  devices::DebugExit debug_exit_;
  std::vector<devices::Device*> devices_;
  std::unique_ptr<Board> board_;
  std::optional<uint32_t> exit_value_;
  bool power_off_ = false;    ///< the guest entered ACPI S5
  bool device_reset_ = false;  ///< the pending reset came from a device, not a triple fault
  bool host_reset_ = false;    ///< the pending reset came from the host (monitor)
  bool paused_ = false;
  bool quit_ = false;
  std::vector<HostAgent*> agents_;
  uint64_t resets_ = 0;
  Stats stats_;
};

}  // namespace kestrel::machine
