// SPDX-License-Identifier: MIT
// The minimal PC: RAM and a firmware ROM on the MMU, one CPU with the
// interpreter, an I/O bus carrying the debug ports, reset and the run loop.
// The full board (PIC, PIT, CMOS, PCI...) grows here; options parsing and
// printing stay in frontend/.
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
#include "machine/io_bus.h"
#include "mmu/mmu.h"

namespace kestrel::machine {

inline constexpr uint64_t kMaxFirmwareSize = uint64_t{16} << 20;
/// The part of the firmware image that also appears just below 1 MiB, at
/// 0xE0000-0xFFFFF, as on a PC (the BIOS area real-mode code jumps into).
inline constexpr uint64_t kLowFirmwareWindow = uint64_t{128} << 10;

struct MachineConfig {
  uint64_t ram_bytes = uint64_t{128} << 20;
  const cpu::CpuModel* cpu_model = nullptr;  ///< nullptr: the default model
  std::vector<uint8_t> firmware;             ///< the ROM image (-bios)
  bool no_reboot = false;                    ///< a shutdown ends the run instead of resetting
  std::FILE* debug_console = stdout;         ///< where port 0xE9 output goes
};

/// Why a firmware image of `size` bytes cannot be used, or nothing if it can.
std::optional<std::string> firmware_size_problem(uint64_t size);

enum class Outcome : uint8_t {
  kGuestExit,  ///< the guest wrote to the isa-debug-exit port
  kShutdown,   ///< triple fault with no_reboot set
  kHalted,     ///< HLT that nothing in this machine can wake
};

struct RunResult {
  Outcome outcome;
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

  cpu::Cpu& cpu() { return cpu_; }
  mmu::Mmu& memory() { return mmu_; }
  IoBus& io() { return io_; }
  /// Resets so far, the power-on one included.
  uint64_t resets() const { return resets_; }

 private:
  void map_firmware(std::span<const uint8_t> image);
  void request_exit(uint32_t value);
  RunResult stopped(Outcome outcome) const;

  bool no_reboot_;
  mmu::Mmu mmu_;
  IoBus io_;
  cpu::Cpu cpu_;
  std::unique_ptr<cpu::ExecEngine> engine_;
  devices::DebugConsole debug_console_;
  devices::DebugExit debug_exit_;
  std::vector<devices::Device*> devices_;
  std::optional<uint32_t> exit_value_;
  uint64_t resets_ = 0;
};

}  // namespace kestrel::machine
