// SPDX-License-Identifier: MIT
// The PC board: which devices a machine has, their ports, memory windows and
// interrupt lines, and what the machine is configured with. Each part of the
// board has its own section here and in board.cpp; the devices themselves
// live in devices/ and never see one another.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "devices/char_backend.h"
#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"
#include "machine/clock.h"
#include "machine/display_config.h"
#include "machine/firmware_config.h"
#include "machine/io_bus.h"
#include "machine/net_config.h"
#include "machine/storage_config.h"
#include "mmu/mmu.h"

namespace kestrel::devices {
// ---- ISA ----
class Pic;
class Pit;
class Rtc;
class I8042;
class SystemPorts;
class Uart16550;
// ---- PCI and APIC ----
// ---- ACPI and firmware tables ----
class AcpiPm;
}  // namespace kestrel::devices

namespace kestrel::machine {

inline constexpr unsigned kSerialPorts = 4;

/// The execution engine (-accel).
/// kJitLockstep: the JIT checked block by block against the interpreter.
enum class Accel : uint8_t { kInterp, kJit, kJitLockstep };

struct MachineConfig {
  uint64_t ram_bytes = uint64_t{128} << 20;
  const cpu::CpuModel* cpu_model = nullptr;  ///< nullptr: the default model
  std::vector<uint8_t> firmware;             ///< the ROM image (-bios)
  bool no_reboot = false;                    ///< a shutdown ends the run instead of resetting
  std::FILE* debug_console = stdout;         ///< where port 0xE9 output goes
  ClockConfig clock;                         ///< host time or -icount
  Accel accel = Accel::kInterp;              ///< -accel

  // ---- ISA ----
  /// COM1-COM4 host ends; nullptr leaves a port's UART unconnected. The
  /// frontend owns the backends and keeps them alive while the machine runs.
  std::array<devices::CharBackend*, kSerialPorts> serial{};
  /// The RTC's time of day at power-on, in seconds since 1970 (UTC); by
  /// default the host's time, or a fixed date under -icount.
  std::optional<int64_t> rtc_time;

  // ---- PCI and APIC ----

  // ---- ACPI and firmware tables ----
  std::string kernel;  ///< -kernel: bzImage or Multiboot image path
  std::string initrd;  ///< -initrd
  std::string append;  ///< -append: the kernel command line

  // ---- Display, Storage, Network, Firmware ----
  DisplayConfig display;
  StorageConfig storage;
  NetConfig net;
  FirmwareConfig fw;
};

/// The CPU's interrupt pins as the board sees them.
enum CpuPin : unsigned {
  kCpuIntr = 0,  ///< level: a maskable interrupt is requested
  kCpuNmi = 1,   ///< edge: non-maskable interrupt
};

/// What the machine lends the board to wire devices to.
struct BoardLinks {
  mmu::Mmu& mmu;
  IoBus& io;
  Clock& clock;
  cpu::Cpu& cpu;
  devices::IrqSink& cpu_pins;          ///< CpuPin inputs of the processor
  std::function<void()> request_reset; ///< a device pulled the CPU's RESET line
  std::function<void()> request_power_off; ///< the guest entered ACPI S5
};

class PciApic;  // the PCI and APIC section's devices (board_pci.h)
class Display;  // board_display.h
class Storage;  // board_storage.h
class Network;  // board_net.h
class Firmware; // board_firmware.h
class LoadedKernel;  // -kernel's image (direct_boot.h)

class Board {
 public:
  Board(const MachineConfig& config, const BoardLinks& links);
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  /// Power-on state of every device (the machine resets the CPU first).
  void reset();
  /// Pulls host input (serial ports, network) into the devices; the run
  /// loop calls it on every round. The serial ports' backends are asked on
  /// every round while bytes are arriving, otherwise every
  /// kSerialPollPeriod of host time: asking a console is a system call, and
  /// the loop comes round thousands of times a second.
  void poll_input();
  /// Sleeps up to `timeout` ns while the CPU halts, returning early when a
  /// host network socket becomes ready (board_net.cpp).
  void wait_input(devices::Nanos timeout);
  /// The controller that answers the CPU's interrupt acknowledge.
  devices::InterruptSource& interrupt_source() { return *interrupt_source_; }
  /// x87 FERR# was asserted (CpuState::kPendingFerr): IRQ 13, as on the PC/AT.
  void raise_ferr();
  /// Output written to port 0x80 so far (POST codes; the monitor shows it).
  uint8_t post_code() const;

  // ---- ISA ----
  devices::Pic& pic() { return *pic_; }
  devices::Pit& pit() { return *pit_; }
  devices::Rtc& rtc() { return *rtc_; }
  devices::I8042& i8042() { return *i8042_; }
  devices::SystemPorts& system_ports() { return *system_ports_; }
  /// COM1-COM4; nullptr until the UART device is wired.
  devices::Uart16550* uart(unsigned index) { return uarts_.at(index).get(); }

  // ---- PCI and APIC ----
  PciApic& pci_apic() { return *pci_apic_; }

  // ---- ACPI and firmware tables ----
  devices::AcpiPm& acpi_pm() { return *acpi_pm_; }

  // ---- Display, Storage, Network, Firmware ----
  Display& display() { return *display_; }
  Storage& storage() { return *storage_; }
  Network& network() { return *network_; }
  Firmware& firmware() { return *firmware_; }

 private:
  /// Registers a device for reset() and routes its ports.
  void attach(devices::Device& d, std::initializer_list<std::pair<uint16_t, unsigned>> ports);

  const MachineConfig config_;
  BoardLinks links_;
  std::vector<devices::Device*> devices_;
  devices::InterruptSource* interrupt_source_ = nullptr;

  // ---- ISA ----
  void wire_isa();
  /// Connects the ISA devices' interrupt lines to `isa` (the router's ISA
  /// input, which feeds the PIC and the IOAPIC).
  void connect_isa_irqs(devices::IrqSink& isa);
  void after_reset_isa();
  void update_a20();
  std::unique_ptr<devices::Pic> pic_;
  std::unique_ptr<devices::Pit> pit_;
  std::unique_ptr<devices::Rtc> rtc_;
  std::unique_ptr<devices::I8042> i8042_;
  std::unique_ptr<devices::SystemPorts> system_ports_;
  std::array<std::unique_ptr<devices::Uart16550>, kSerialPorts> uarts_;
  static constexpr std::chrono::microseconds kSerialPollPeriod{1000};
  std::chrono::steady_clock::time_point next_serial_poll_{};
  bool serial_flowing_ = false;

  // ---- PCI and APIC ----
  /// Runs after wire_isa(); may put the local APIC in front of the PIC
  /// (interrupt_source_) and route the PIC's INTR to LINT0 as ExtINT.
  void wire_pci_apic();
  std::unique_ptr<PciApic> pci_apic_;

  // ---- ACPI and firmware tables ----
  /// Runs last: ACPI devices and the tables the firmware or kernel reads.
  void wire_acpi_firmware();
  /// After every reset: direct kernel boot sets up memory and the CPU here.
  void after_reset_firmware();
  std::unique_ptr<devices::AcpiPm> acpi_pm_;
  std::unique_ptr<LoadedKernel> kernel_;  ///< null without -kernel

  // ---- Display (board_display.cpp): runs after wire_pci_apic() ----
  void wire_display();
  std::unique_ptr<Display> display_;
  // ---- Storage (board_storage.cpp) ----
  void wire_storage();
  std::unique_ptr<Storage> storage_;
  // ---- Network (board_net.cpp); polled from poll_input() ----
  void wire_network();
  void poll_network();
  std::unique_ptr<Network> network_;
  // ---- Firmware (board_firmware.cpp): runs last, it describes the rest ----
  void wire_firmware();
  std::unique_ptr<Firmware> firmware_;
};

}  // namespace kestrel::machine
