// SPDX-License-Identifier: MIT
// The PIIX3 on its own: power-on registers and the PIRQ route registers.
// (Configuration-mechanism access and INTx from a function through the bus
// swizzle are tested with the host bridge, in pci_host_test.cpp.)
#include "devices/piix3.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct NoSpaces final : PciSpaces {
  void map_io(uint16_t, unsigned, Device&) override {}
  void unmap_io(uint16_t, unsigned, Device&) override {}
  void map_mmio(uint64_t, uint64_t, mmu::MmioHandler&) override {}
  void unmap_mmio(uint64_t, mmu::MmioHandler&) override {}
};

struct Rig {
  Rig() : bus(spaces), piix3(bus) {
    piix3.connect_isa(isa);
    piix3.reset();
  }
  NoSpaces spaces;
  PciBus bus;
  Piix3 piix3;
  test::PinRecorder isa;
};

TEST_CASE("power-on: PIRQ routes disabled, the chipset registers at their defaults") {
  Rig r;
  CHECK(r.bus.function(1 << 3) == &r.piix3);
  CHECK(r.piix3.config_read(kPiix3PirqRoute, 4) == 0x80808080);
  CHECK(r.piix3.config_read(0x4c, 1) == 0x4d);
  CHECK(r.piix3.config_read(0x69, 1) == 0x02);
  CHECK(r.piix3.config_read(kPciCommand, 2) == 0x0007);
  for (unsigned n = 0; n < 4; ++n) CHECK(r.piix3.route(n) == -1);
}

TEST_CASE("each PIRQ follows its own route register; lines are ORed per IRQ") {
  Rig r;
  r.piix3.config_write(kPiix3PirqRoute, 0x0b0b0a05, 4);  // A->5, B->10, C->11, D->11
  r.piix3.set_irq(0, true);
  CHECK(r.isa.level(5));
  r.piix3.set_irq(2, true);
  r.piix3.set_irq(3, true);
  r.piix3.set_irq(2, false);
  CHECK(r.isa.level(11));
  r.piix3.set_irq(3, false);
  CHECK_FALSE(r.isa.level(11));
  CHECK(r.isa.rises_on(11) == 1);
}

TEST_CASE("bit 7 disables a route; reserved IRQs 0-2, 8 and 13 route nowhere") {
  Rig r;
  r.piix3.set_irq(1, true);
  for (uint8_t irq : {0, 1, 2, 8, 13}) {
    r.piix3.config_write(kPiix3PirqRoute + 1, irq, 1);
    CHECK(r.piix3.route(1) == -1);
  }
  r.piix3.config_write(kPiix3PirqRoute + 1, 0x8a, 1);
  CHECK(r.piix3.route(1) == -1);
  CHECK_FALSE(r.isa.level(10));
  r.piix3.config_write(kPiix3PirqRoute + 1, 0x0a, 1);
  CHECK(r.isa.level(10));
  r.piix3.reset();
  CHECK_FALSE(r.isa.level(10));
}

}  // namespace
}  // namespace kestrel::devices
