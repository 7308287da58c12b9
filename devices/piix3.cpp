// SPDX-License-Identifier: MIT
// The PIIX3 ISA bridge function: power-on registers and PIRQ routing.
#include "devices/piix3.h"

namespace kestrel::devices {
namespace {

// Class 06/01/00, ISA bridge: Linux's PIRQ router lookup matches it and
// the 8086:7000 ID (arch/x86/pci/irq.c, pirq_piix_get/set).
constexpr PciId kPiix3Id{0x8086, 0x7000, 0x060100, 0x00, true};

/// IRQs a PIRQ may route to: 3-7, 9-12, 14, 15; 0-2, 8 and 13 are
/// reserved (PIIX3 datasheet §2.2.11) and route nowhere.
constexpr uint16_t kRoutableIrqs = 0xdef8;

/// Power-on values of the chipset registers (PIIX3 datasheet §2.2), the ones
/// firmware and Linux read.
struct InitReg {
  uint8_t offset, value;
};
constexpr InitReg kInitRegs[] = {
    {0x4c, 0x4d}, {0x4e, 0x03}, {0x60, 0x80}, {0x61, 0x80}, {0x62, 0x80}, {0x63, 0x80},
    {0x69, 0x02}, {0x70, 0x80}, {0x76, 0x0c}, {0x77, 0x0c}, {0x78, 0x02}, {0xa0, 0x08},
    {0xa8, 0x0f},
};

}  // namespace

Piix3::Piix3(PciBus& bus) : PciFunction(kPiix3Id) {
  init_config(kPciCommand, 2, kPciCmdIo | kPciCmdMemory | kPciCmdMaster);
  init_config(kPciStatus, 2, 0x0200);  // DEVSEL# medium
  for (const InitReg& r : kInitRegs) init_config(r.offset, 1, r.value);
  // The device-specific space is the chipset's registers: the guest may
  // write all of them; only the PIRQ routes act here.
  for (unsigned o = 0x40; o < 0x100; ++o) set_wmask(o, 1, 0xff);
  bus.attach(1, 0, *this);
  bus.connect_pirq(*this);
}

void Piix3::reset() { pci_reset(); }

void Piix3::pci_reset() {
  PciFunction::pci_reset();
  update_outputs();
}

int Piix3::route(unsigned n) const {
  const uint8_t r = uint8_t(raw(kPiix3PirqRoute + (n & 3), 1));
  const unsigned irq = r & 0xf;
  if ((r & kPirqDisabled) || !(kRoutableIrqs >> irq & 1)) return -1;
  return int(irq);
}

void Piix3::set_irq(unsigned pin, bool level) {
  pirq_[pin & 3] = level;
  update_outputs();
}

void Piix3::config_written(unsigned offset, unsigned size) {
  if (offset < kPiix3PirqRoute + 4 && offset + size > kPiix3PirqRoute) update_outputs();
}

// An ISA IRQ is asserted while any PIRQ routed to it is: PCI lines are
// shared, level-triggered (the ELCR marks them so in the PIC).
void Piix3::update_outputs() {
  std::array<bool, 16> want{};
  for (unsigned n = 0; n < 4; ++n) {
    const int irq = route(n);
    if (irq >= 0 && pirq_[n]) want[unsigned(irq)] = true;
  }
  for (unsigned irq = 0; irq < 16; ++irq) {
    if (want[irq] == isa_level_[irq]) continue;
    isa_level_[irq] = want[irq];
    if (isa_) isa_->set_irq(irq, want[irq]);
  }
}

}  // namespace kestrel::devices
