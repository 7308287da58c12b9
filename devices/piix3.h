// SPDX-License-Identifier: MIT
// The PIIX3 PCI-to-ISA bridge (PCI 00:01.0, 8086:7000): its configuration
// header and the PIRQ route registers 0x60-0x63 that steer PCI INTA-D to
// ISA IRQs. The ELCR is the PIC's; IDE, USB and ACPI functions of the chip
// are devices of their own.
#pragma once

#include <array>
#include <cstdint>

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/pci.h"

namespace kestrel::devices {

enum Piix3Reg : uint8_t {
  kPiix3PirqRoute = 0x60,  ///< PIRQRC[A:D], one byte each
};

/// PIRQ route byte: bit 7 disables the route, bits 3:0 name the IRQ.
inline constexpr uint8_t kPirqDisabled = 0x80;

class Piix3 final : public Device, public PciFunction, public IrqSink {
 public:
  /// Plugs itself into `bus` at 00:01.0 and takes the bus's PIRQ lines.
  explicit Piix3(PciBus& bus);

  void reset() override;
  void pci_reset() override;
  /// PIRQA-D (pins 0-3) from the PCI bus.
  void set_irq(unsigned pin, bool level) override;
  /// The routed lines leave as ISA IRQs 0-15 on `sink` (the board's fan-out
  /// to the PIC and the IOAPIC).
  void connect_isa(IrqSink& sink) { isa_ = &sink; }
  /// The ISA IRQ PIRQ `n` reaches now, or -1.
  int route(unsigned n) const;

 private:
  void config_written(unsigned offset, unsigned size) override;
  void update_outputs();

  std::array<bool, 4> pirq_{};
  std::array<bool, 16> isa_level_{};  ///< what this bridge drives on each IRQ
  IrqSink* isa_ = nullptr;
};

}  // namespace kestrel::devices
