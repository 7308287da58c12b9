// SPDX-License-Identifier: MIT
// The board's PCI and APIC part: the i440FX and PIIX3 on PCI bus 0, the
// local APIC in front of the PIC, the IOAPIC, the HPET, and the glue that
// joins them: interrupt routing to both controllers, BAR windows on the
// I/O bus and memory map, the APIC bus, and the CPU's APIC hook.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "cpu/apic_hook.h"
#include "cpu/cpu.h"
#include "devices/apic_bus.h"
#include "devices/device.h"
#include "devices/hpet.h"
#include "devices/ioapic.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "devices/pci.h"
#include "devices/pci_host.h"
#include "devices/piix3.h"
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "mmu/mmu.h"

namespace kestrel::machine {

/// Interrupt lines to both controllers: GSI n < 16 is ISA IRQ n at PIC input
/// n and IOAPIC pin n, except IRQ 0 at pin 2 (the MADT's override, as on
/// QEMU's pc); GSIs 16-23 reach the IOAPIC only. Three sources drive it,
/// ORed per line: ISA devices, the PIIX3's routed PCI interrupts and the
/// HPET; in HPET legacy mode the ISA sources of IRQ 0 and 8 (PIT, RTC) are
/// cut off.
class IrqRouter {
 public:
  enum Source : unsigned { kIsa, kPci, kHpet, kSourceCount };
  /// `ioapic` may be null (a board without APIC).
  IrqRouter(devices::IrqSink& pic, devices::IrqSink* ioapic);
  devices::IrqSink& input(Source s) { return inputs_[s]; }
  /// Pin 0: HPET legacy replacement on or off.
  devices::IrqSink& legacy_input() { return legacy_; }

 private:
  struct Input final : devices::IrqSink {
    IrqRouter* router = nullptr;
    unsigned source = 0;
    void set_irq(unsigned pin, bool level) override;
  };
  struct Legacy final : devices::IrqSink {
    IrqRouter* router = nullptr;
    void set_irq(unsigned pin, bool level) override;
  };
  void update(unsigned gsi);

  devices::IrqSink& pic_;
  devices::IrqSink* ioapic_;
  std::array<Input, kSourceCount> inputs_{};
  Legacy legacy_;
  std::array<uint32_t, kSourceCount> levels_{};
  uint32_t out_ = 0;
  bool hpet_legacy_ = false;
};

/// BAR windows on the machine's buses.
class PciWindows final : public devices::PciSpaces {
 public:
  PciWindows(IoBus& io, mmu::Mmu& mmu) : io_(io), mmu_(mmu) {}
  void map_io(uint16_t base, unsigned size, devices::Device& device) override;
  void unmap_io(uint16_t base, unsigned size, devices::Device& device) override;
  void map_mmio(uint64_t base, uint64_t size, mmu::MmioHandler& handler) override;
  void unmap_mmio(uint64_t base, mmu::MmioHandler& handler) override;

 private:
  IoBus& io_;
  mmu::Mmu& mmu_;
};

/// Everything of the section, owned together; the Board keeps one.
class PciApic final : public devices::Device, public devices::ApicBus, public cpu::ApicHook {
 public:
  struct Options {
    /// A CPU with a local APIC (P6 and later); without one only the PCI bus
    /// and its bridges are present and the PIC stays the CPU's.
    bool with_apic = true;
    /// Every reset leaves the BIOS area as RAM (no firmware to shadow it).
    bool shadow_ram = false;
  };
  PciApic(mmu::Mmu& mmu, IoBus& io, Clock& clock, cpu::Cpu& cpu, const Options& options);
  ~PciApic() override;

  devices::PciBus& bus() { return bus_; }
  devices::I440fx& host() { return host_; }
  devices::Piix3& piix3() { return piix3_; }
  devices::Lapic* lapic() { return lapic_.get(); }
  devices::Ioapic* ioapic() { return ioapic_.get(); }
  devices::Hpet* hpet() { return hpet_.get(); }
  /// Built by the board once the PIC exists.
  void set_router(std::unique_ptr<IrqRouter> r);
  IrqRouter& router() { return *router_; }

  /// Device: power-on of the LAPIC, IOAPIC and HPET, and the APIC window
  /// back at the base the CPU's reset left in IA32_APIC_BASE.
  void reset() override;

  // devices::ApicBus
  void send(const devices::ApicMessage& m) override;
  void broadcast_eoi(uint8_t vector) override;

  // cpu::ApicHook
  uint64_t read_cr8() const override;
  void write_cr8(uint64_t value) override;
  void apic_base_written(uint64_t value) override;
  uint64_t read_tsc_deadline() const override;
  void write_tsc_deadline(uint64_t deadline, uint64_t tsc) override;

 private:
  mmu::Mmu& mmu_;
  Clock& clock_;
  cpu::Cpu& cpu_;
  bool shadow_ram_;
  PciWindows windows_;
  devices::PciBus bus_;
  devices::I440fx host_;
  devices::Piix3 piix3_;
  std::unique_ptr<devices::Lapic> lapic_;
  std::unique_ptr<devices::Ioapic> ioapic_;
  std::unique_ptr<devices::Hpet> hpet_;
  std::unique_ptr<IrqRouter> router_;
  uint64_t lapic_window_ = ~uint64_t{0};  ///< where the APIC page is mapped
};

}  // namespace kestrel::machine
