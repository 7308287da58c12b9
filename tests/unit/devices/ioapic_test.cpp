// SPDX-License-Identifier: MIT
// The IOAPIC: indirect registers, the redirection table, edge and level
// delivery, remote IRR and its clearing by EOI.
#include "devices/ioapic.h"

#include <doctest/doctest.h>

#include <vector>

namespace kestrel::devices {
namespace {

struct FakeBus final : ApicBus {
  void send(const ApicMessage& m) override { sent.push_back(m); }
  void broadcast_eoi(uint8_t) override {}
  std::vector<ApicMessage> sent;
};

struct Rig {
  Rig() : io(bus) {}
  uint32_t rd(uint8_t index) {
    io.mmio_write(kIoapicRegSel, index, 4);
    return uint32_t(io.mmio_read(kIoapicWindow, 4));
  }
  void wr(uint8_t index, uint32_t v) {
    io.mmio_write(kIoapicRegSel, index, 4);
    io.mmio_write(kIoapicWindow, v, 4);
  }
  void program(unsigned pin, uint64_t entry) {
    wr(uint8_t(kIoapicRedirection + 2 * pin + 1), uint32_t(entry >> 32));
    wr(uint8_t(kIoapicRedirection + 2 * pin), uint32_t(entry));
  }
  FakeBus bus;
  Ioapic io;
};

TEST_CASE("ID, version with 24 entries, and masked entries at power-on") {
  Rig r;
  CHECK(r.rd(kIoapicVersion) == 0x00170020);
  CHECK(r.rd(kIoapicId) == 0);
  r.wr(kIoapicId, 0xffffffff);
  CHECK(r.rd(kIoapicId) == 0x0f000000);
  CHECK(r.rd(kIoapicArb) == 0x0f000000);
  for (unsigned pin = 0; pin < kIoapicPins; ++pin) {
    CHECK(r.rd(uint8_t(kIoapicRedirection + 2 * pin)) == kRteMasked);
    CHECK(r.rd(uint8_t(kIoapicRedirection + 2 * pin + 1)) == 0);
  }
  r.io.mmio_write(kIoapicRegSel, 0x10, 1);
  CHECK(r.io.mmio_read(kIoapicRegSel, 4) == 0x10);
  CHECK(r.rd(0x40) == 0);  // past the table
}

TEST_CASE("entries keep their writable fields; delivery status and remote IRR are read-only") {
  Rig r;
  r.program(3, 0xff00000000000000ull | 0x1ffff);
  CHECK(r.io.entry(3) == (0xff00000000000000ull | 0x1afff));
  r.program(3, 0x12345678'00000000ull | kRteMasked);
  CHECK(r.rd(kIoapicRedirection + 7) == 0x12000000);
}

TEST_CASE("an edge entry sends one message per rising edge, with its fields") {
  Rig r;
  r.program(4, 0x03000000'00000000ull | 1u << 11 | 1u << 8 | 0x34);  // logical 3, lowest prio
  r.io.set_irq(4, true);
  REQUIRE(r.bus.sent.size() == 1);
  const ApicMessage& m = r.bus.sent[0];
  CHECK(m.vector == 0x34);
  CHECK(m.mode == ApicDelivery::kLowest);
  CHECK(m.logical);
  CHECK(m.dest == 3);
  CHECK_FALSE(m.level);
  r.io.set_irq(4, true);
  CHECK(r.bus.sent.size() == 1);
  r.io.set_irq(4, false);
  r.io.set_irq(4, true);
  CHECK(r.bus.sent.size() == 2);
}

TEST_CASE("a masked edge is latched and delivered when the entry is unmasked") {
  Rig r;
  r.program(1, kRteMasked | 0x31);
  r.io.set_irq(1, true);
  r.io.set_irq(1, false);
  CHECK(r.bus.sent.empty());
  r.program(1, 0x31);
  REQUIRE(r.bus.sent.size() == 1);
  CHECK(r.bus.sent[0].vector == 0x31);
  r.program(1, 0x31);
  CHECK(r.bus.sent.size() == 1);
}

TEST_CASE("a level entry holds remote IRR until the EOI, then fires again if still asserted") {
  Rig r;
  r.program(10, kRteLevel | 0x3a);
  r.io.set_irq(10, true);
  REQUIRE(r.bus.sent.size() == 1);
  CHECK(r.bus.sent[0].level);
  CHECK((r.io.entry(10) & kRteRemoteIrr) != 0);
  r.io.set_irq(10, false);
  r.io.set_irq(10, true);
  CHECK(r.bus.sent.size() == 1);  // remote IRR blocks
  r.io.eoi(0x3b);                 // another vector: no effect
  CHECK((r.io.entry(10) & kRteRemoteIrr) != 0);
  r.io.eoi(0x3a);
  CHECK(r.bus.sent.size() == 2);  // still asserted: again
  r.io.set_irq(10, false);
  r.io.eoi(0x3a);
  CHECK((r.io.entry(10) & kRteRemoteIrr) == 0);
  CHECK(r.bus.sent.size() == 2);
}

TEST_CASE("the EOI register of version 0x20 clears remote IRR like the broadcast") {
  Rig r;
  r.program(11, kRteLevel | 0x4b);
  r.io.set_irq(11, true);
  r.io.set_irq(11, false);
  r.io.mmio_write(kIoapicEoi, 0x4b, 4);
  CHECK((r.io.entry(11) & kRteRemoteIrr) == 0);
}

TEST_CASE("a level line asserted while masked is delivered on unmask") {
  Rig r;
  r.program(9, kRteLevel | kRteMasked | 0x29);
  r.io.set_irq(9, true);
  CHECK(r.bus.sent.empty());
  r.program(9, kRteLevel | 0x29);
  CHECK(r.bus.sent.size() == 1);
}

TEST_CASE("NMI and ExtINT entries are not level messages and leave no remote IRR") {
  Rig r;
  r.program(0, kRteLevel | 7u << 8);  // ExtINT
  r.io.set_irq(0, true);
  REQUIRE(r.bus.sent.size() == 1);
  CHECK(r.bus.sent[0].mode == ApicDelivery::kExtInt);
  CHECK_FALSE(r.bus.sent[0].level);
  CHECK((r.io.entry(0) & kRteRemoteIrr) == 0);
}

TEST_CASE("reset masks every entry again; pins beyond 23 are ignored") {
  Rig r;
  r.program(5, 0x45);
  r.io.reset();
  CHECK(r.io.entry(5) == kRteMasked);
  r.io.set_irq(24, true);
  CHECK(r.bus.sent.empty());
}

}  // namespace
}  // namespace kestrel::devices
