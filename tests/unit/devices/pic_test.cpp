// SPDX-License-Identifier: MIT
// The 8259A pair at register level: initialization, priorities and
// rotation, EOI forms, masks and special mask, the cascade, auto-EOI, poll
// mode, spurious interrupts and the ELCR.
#include "devices/pic.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct Fixture {
  Pic pic;
  test::PinRecorder cpu;
  Fixture() {
    pic.intr.connect(cpu, 0);
    pic.reset();
  }
  void out(uint16_t port, uint8_t v) { pic.io_write(port, v, 1); }
  uint8_t in(uint16_t port) { return uint8_t(pic.io_read(port, 1)); }
  /// What a PC BIOS programs: vectors 0x08 and 0x70, cascade on IR2.
  void init(uint8_t icw4 = 0x01) {
    out(0x20, 0x11), out(0x21, 0x08), out(0x21, 0x04), out(0x21, icw4);
    out(0xa0, 0x11), out(0xa1, 0x70), out(0xa1, 0x02), out(0xa1, icw4);
    out(0x21, 0x00), out(0xa1, 0x00);
  }
  void pulse(unsigned irq) {
    pic.set_irq(irq, true);
    pic.set_irq(irq, false);
  }
};

TEST_CASE("the initialization sequence sets the vector bases and clears the mask") {
  Fixture f;
  f.out(0x21, 0xff);
  f.init();
  CHECK(f.pic.chip(0).vector_base == 0x08);
  CHECK(f.pic.chip(1).vector_base == 0x70);
  CHECK(f.in(0x21) == 0x00);
  f.out(0x21, 0xfb);
  CHECK(f.in(0x21) == 0xfb);  // OCW1 reads back
  CHECK(f.pic.chip(0).icw3 == 0x04);
}

TEST_CASE("a request drives INTR; the acknowledge gives the vector and sets ISR") {
  Fixture f;
  f.init();
  CHECK(!f.cpu.level(0));
  f.pulse(1);
  CHECK(f.cpu.level(0));
  CHECK(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x09);
  CHECK(!f.cpu.level(0));
  CHECK(f.pic.chip(0).isr == 0x02);
  CHECK(f.pic.chip(0).irr == 0x00);  // an edge request is consumed
  f.out(0x20, 0x0b);                 // OCW3: read ISR
  CHECK(f.in(0x20) == 0x02);
  f.out(0x20, 0x20);  // non-specific EOI
  CHECK(f.pic.chip(0).isr == 0);
}

TEST_CASE("fully nested priorities: lower IRQ wins, in-service blocks lower levels") {
  Fixture f;
  f.init();
  f.pulse(4);
  f.pulse(3);
  CHECK(f.pic.acknowledge() == 0x0b);  // IRQ 3 first
  CHECK(!f.pic.interrupt_pending());   // IRQ 4 waits behind IRQ 3 in service
  f.pulse(1);
  CHECK(f.pic.interrupt_pending());  // a higher priority nests
  CHECK(f.pic.acknowledge() == 0x09);
  f.out(0x20, 0x20);  // EOI clears IRQ 1, the highest in service
  CHECK(f.pic.chip(0).isr == 0x08);
  CHECK(!f.pic.interrupt_pending());
  f.out(0x20, 0x63);  // specific EOI for IRQ 3
  CHECK(f.pic.acknowledge() == 0x0c);
}

TEST_CASE("masked requests stay in IRR and come through when unmasked") {
  Fixture f;
  f.init();
  f.out(0x21, 0x01);
  f.pulse(0);
  CHECK(!f.pic.interrupt_pending());
  CHECK(f.in(0x20) == 0x01);  // IRR read (the default after init)
  f.out(0x21, 0x00);
  CHECK(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x08);
}

TEST_CASE("the slave cascades through IR2 and answers the acknowledge") {
  Fixture f;
  f.init();
  f.pulse(8 + 4);  // IRQ 12
  CHECK(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x74);
  CHECK(f.pic.chip(0).isr == 0x04);
  CHECK(f.pic.chip(1).isr == 0x10);
  f.pulse(8 + 6);  // IRQ 14 is lower than 12 on the slave: blocked
  CHECK(!f.pic.interrupt_pending());
  f.out(0xa0, 0x20), f.out(0x20, 0x20);
  CHECK(f.pic.acknowledge() == 0x76);
  SUBCASE("masking IR2 on the master hides the whole slave") {
    f.out(0xa0, 0x20), f.out(0x20, 0x20);
    f.out(0x21, 0x04);
    f.pulse(8);
    CHECK(!f.pic.interrupt_pending());
  }
}

TEST_CASE("special fully nested mode lets the slave interrupt itself") {
  Fixture f;
  f.init(0x11);  // SFNM on both (only the master's matters)
  f.pulse(8 + 6);
  CHECK(f.pic.acknowledge() == 0x76);
  f.pulse(8 + 1);
  CHECK(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x71);
}

TEST_CASE("spurious IRQ 7 and 15 when the request is gone at acknowledge") {
  Fixture f;
  f.init();
  CHECK(f.pic.acknowledge() == 0x0f);  // nothing pending: IRQ 7, ISR untouched
  CHECK(f.pic.chip(0).isr == 0);
  f.out(0x4d1, 0x01 << 1);             // IRQ 9 level-triggered
  f.pic.set_irq(9, true);
  CHECK(f.pic.interrupt_pending());
  f.pic.set_irq(9, false);             // withdrawn before INTA
  f.pic.set_irq(9, true);
  f.pic.set_irq(9, false);
  CHECK(!f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x0f);
}

TEST_CASE("ELCR: level inputs follow the line and re-request after EOI") {
  Fixture f;
  f.init();
  f.out(0x4d0, 0xff);
  f.out(0x4d1, 0xff);
  CHECK(f.in(0x4d0) == 0xf8);  // IRQ 0, 1, 2 are edge only
  CHECK(f.in(0x4d1) == 0xde);  // IRQ 8 and 13 as well
  f.out(0x4d0, 0x20), f.out(0x4d1, 0x00);
  f.pic.set_irq(5, true);
  CHECK(f.pic.acknowledge() == 0x0d);
  f.out(0x20, 0x20);
  CHECK(f.pic.interrupt_pending());  // still asserted: requests again
  f.pic.set_irq(5, false);
  CHECK(!f.pic.interrupt_pending());
  SUBCASE("an edge input latches a pulse") {
    f.pulse(6);
    CHECK(f.pic.interrupt_pending());
  }
  SUBCASE("16-bit access covers both registers") {
    f.pic.io_write(0x4d0, 0x0c00 | 0x20, 2);
    CHECK(f.pic.io_read(0x4d0, 2) == 0x0c20);
  }
}

TEST_CASE("rotation: rotate on EOI and set priority move the lowest level") {
  Fixture f;
  f.init();
  f.pulse(3), f.pulse(5);
  CHECK(f.pic.acknowledge() == 0x0b);
  f.out(0x20, 0xa0);  // rotate on non-specific EOI: IRQ 3 becomes lowest
  CHECK(f.pic.chip(0).priority_add == 4);
  f.pulse(3);
  CHECK(f.pic.acknowledge() == 0x0d);  // IRQ 5 now outranks IRQ 3
  f.out(0x20, 0xe5);                   // rotate on specific EOI 5
  CHECK(f.pic.chip(0).priority_add == 6);
  f.out(0x20, 0xc7);  // set priority: IRQ 7 lowest, IRQ 0 highest
  CHECK(f.pic.chip(0).priority_add == 0);
  CHECK(f.pic.acknowledge() == 0x0b);
}

TEST_CASE("special mask mode lets lower levels through while one is in service") {
  Fixture f;
  f.init();
  f.pulse(3);
  CHECK(f.pic.acknowledge() == 0x0b);
  f.pulse(6);
  CHECK(!f.pic.interrupt_pending());
  f.out(0x21, 0x08);  // mask the level in service...
  f.out(0x20, 0x68);  // ...and enter special mask mode
  CHECK(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x0e);
  f.out(0x20, 0x48);  // leave special mask mode
  CHECK(!f.pic.chip(0).special_mask);
}

TEST_CASE("auto-EOI leaves nothing in service and can rotate") {
  Fixture f;
  f.init(0x03);
  f.pulse(4);
  CHECK(f.pic.acknowledge() == 0x0c);
  CHECK(f.pic.chip(0).isr == 0);
  f.out(0x20, 0x80);  // rotate in auto-EOI mode
  f.pulse(4);
  f.pic.acknowledge();
  CHECK(f.pic.chip(0).priority_add == 5);
}

TEST_CASE("poll mode: the next read acknowledges and reports the level") {
  Fixture f;
  f.init();
  f.out(0x21, 0xff);  // polling works with the CPU interrupt masked off
  f.out(0x21, 0x00);
  f.pulse(6);
  f.out(0x20, 0x0c);  // OCW3 poll
  CHECK(f.in(0x20) == 0x86);
  CHECK(f.pic.chip(0).isr == 0x40);
  f.out(0x20, 0x0c);
  CHECK(f.in(0x20) == 0x00);  // nothing requesting
  CHECK(f.in(0x21) == 0x00);  // the poll is used up: IMR again
}

TEST_CASE("a reset keeps the input levels but clears the controller") {
  Fixture f;
  f.init();
  f.out(0x4d1, 0x02);
  f.pic.set_irq(9, true);
  f.pic.reset();
  CHECK(f.pic.chip(1).elcr == 0);
  CHECK(f.pic.chip(0).imr == 0);
  CHECK(!f.cpu.level(0));
}

}  // namespace
}  // namespace kestrel::devices
