// SPDX-License-Identifier: MIT
// The local APIC: registers, acceptance and priorities (IRR/ISR/TMR, TPR,
// PPR, EOI and its broadcast), IPIs to itself, the LVT pins with the PIC as
// ExtINT, and the timer in one-shot, periodic and TSC-deadline modes.
#include "devices/lapic.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct FakeBus final : ApicBus {
  void send(const ApicMessage&) override {}
  void broadcast_eoi(uint8_t v) override { eois.push_back(v); }
  std::vector<uint8_t> eois;
};

struct FakePic final : InterruptSource {
  bool interrupt_pending() const override { return true; }
  uint8_t acknowledge() override { return ++acks, 0x30; }
  unsigned acks = 0;
};

struct Rig {
  Rig() : apic(clock) {
    apic.connect_bus(bus);
    apic.intr.connect(cpu, 0);
    apic.nmi.connect(cpu, 1);
  }
  uint32_t rd(unsigned reg) { return uint32_t(apic.mmio_read(reg, 4)); }
  void wr(unsigned reg, uint32_t v) { apic.mmio_write(reg, v, 4); }
  void enable() { wr(kLapicSvr, 0x1ff); }
  void fixed(uint8_t v, bool level = false) {
    ApicMessage m;
    m.vector = v;
    m.level = level;
    apic.deliver(m);
  }
  test::ManualClock clock;
  Lapic apic;
  FakeBus bus;
  test::PinRecorder cpu;  ///< pin 0 INTR, pin 1 NMI
};

TEST_CASE("power-on registers: ID, version, SVR, DFR, masked LVT with LINT0 as ExtINT") {
  Rig r;
  CHECK(r.rd(kLapicId) == 0);
  CHECK(r.rd(kLapicVersion) == 0x00050014);
  CHECK(r.rd(kLapicSvr) == 0xff);
  CHECK(r.rd(kLapicDfr) == 0xffffffff);
  CHECK(r.rd(kLapicLvtTimer) == kLvtMasked);
  CHECK(r.rd(kLapicLvtLint0) == 0x700);
  CHECK(r.rd(kLapicLvtLint1) == kLvtMasked);
  CHECK(r.rd(kLapicLvtError) == kLvtMasked);
  CHECK(r.apic.mmio_read(kLapicVersion + 2, 1) == 0x05);  // byte reads of a register
  CHECK(r.apic.mmio_read(kLapicVersion + 4, 4) == 0);     // the rest of the slot
}

TEST_CASE("a software-disabled APIC holds fixed interrupts and keeps the LVT masked") {
  Rig r;
  r.fixed(0x40);
  CHECK(r.apic.in_irr(0x40));
  CHECK_FALSE(r.apic.interrupt_pending());
  r.wr(kLapicLvtTimer, 0x20);
  CHECK(r.rd(kLapicLvtTimer) == (0x20 | kLvtMasked));
  r.enable();
  CHECK(r.apic.interrupt_pending());
  CHECK(r.cpu.level(0));
  r.wr(kLapicLvtTimer, 0x20);
  CHECK(r.rd(kLapicLvtTimer) == 0x20);
  r.wr(kLapicSvr, 0xff);  // disabling masks every entry again
  CHECK(r.rd(kLapicLvtTimer) == (0x20 | kLvtMasked));
}

TEST_CASE("acknowledge takes the highest vector; ISR raises PPR; EOI retires the highest") {
  Rig r;
  r.enable();
  r.fixed(0x41);
  r.fixed(0x92);
  CHECK(r.apic.acknowledge() == 0x92);
  CHECK(r.apic.in_isr(0x92));
  CHECK(r.rd(kLapicPpr) == 0x90);
  // 0x41 is of a lower class than the one in service: it waits.
  CHECK_FALSE(r.apic.interrupt_pending());
  r.fixed(0x95);  // same class: waits as well
  CHECK_FALSE(r.apic.interrupt_pending());
  r.fixed(0xa0);
  CHECK(r.apic.acknowledge() == 0xa0);
  CHECK(r.rd(kLapicIsr + 0x50) == 1u);  // vector 0xA0 is bit 0 of ISR[5]
  r.wr(kLapicEoi, 0);
  CHECK_FALSE(r.apic.in_isr(0xa0));
  CHECK(r.apic.in_isr(0x92));
  r.wr(kLapicEoi, 0);
  CHECK(r.apic.acknowledge() == 0x95);
  r.wr(kLapicEoi, 0);
  CHECK(r.apic.acknowledge() == 0x41);
  r.wr(kLapicEoi, 0);
  CHECK(r.rd(kLapicPpr) == 0);
  CHECK_FALSE(r.cpu.level(0));
}

TEST_CASE("TPR blocks vectors of its class and below") {
  Rig r;
  r.enable();
  r.apic.set_tpr(0x50);
  r.fixed(0x55);
  CHECK_FALSE(r.apic.interrupt_pending());
  CHECK(r.rd(kLapicPpr) == 0x50);
  r.wr(kLapicTpr, 0x40);
  CHECK(r.apic.interrupt_pending());
  CHECK(r.apic.tpr() == 0x40);
  // With nothing deliverable, the acknowledge gets the spurious vector.
  r.wr(kLapicTpr, 0xf0);
  CHECK(r.apic.acknowledge() == 0xff);
  CHECK_FALSE(r.apic.in_isr(0xff));
}

TEST_CASE("a level-triggered vector sets TMR and its EOI is broadcast to the IOAPICs") {
  Rig r;
  r.enable();
  r.fixed(0x61, true);
  r.fixed(0x52, false);
  CHECK(r.apic.in_tmr(0x61));
  CHECK_FALSE(r.apic.in_tmr(0x52));
  CHECK(r.apic.acknowledge() == 0x61);
  r.wr(kLapicEoi, 0);
  CHECK(r.bus.eois == std::vector<uint8_t>{0x61});
  CHECK_FALSE(r.apic.in_tmr(0x61));
  CHECK(r.apic.acknowledge() == 0x52);
  r.wr(kLapicEoi, 0);
  CHECK(r.bus.eois.size() == 1);
}

TEST_CASE("vectors 0-15 are illegal: the ESR latches the error on its next write") {
  Rig r;
  r.enable();
  r.fixed(0x05);
  CHECK_FALSE(r.apic.in_irr(0x05));
  CHECK(r.rd(kLapicEsr) == 0);
  r.wr(kLapicEsr, 0);
  CHECK(r.rd(kLapicEsr) == 0x40);  // received illegal vector
  r.wr(kLapicLvtError, 0xfe);
  r.wr(kLapicIcrLow, 0x00040003);  // self IPI of vector 3
  r.wr(kLapicEsr, 0);
  CHECK(r.rd(kLapicEsr) == 0x20);  // send illegal vector
  CHECK(r.apic.in_irr(0xfe));      // through the error LVT
}

TEST_CASE("ICR: self IPIs, fixed IPIs to its own ID, others to nobody") {
  Rig r;
  r.enable();
  r.wr(kLapicIcrLow, 0x00040031);  // shorthand self, vector 0x31
  CHECK(r.apic.in_irr(0x31));
  CHECK((r.rd(kLapicIcrLow) & (1u << 12)) == 0);  // delivery status: idle
  r.wr(kLapicIcrHigh, 0x00000000);
  r.wr(kLapicIcrLow, 0x00000032);  // physical destination 0: this APIC
  CHECK(r.apic.in_irr(0x32));
  r.wr(kLapicIcrHigh, 0x01000000);
  r.wr(kLapicIcrLow, 0x00000033);  // APIC 1: absent
  CHECK_FALSE(r.apic.in_irr(0x33));
  r.wr(kLapicIcrLow, 0x000c0034);  // all excluding self
  CHECK_FALSE(r.apic.in_irr(0x34));
  r.wr(kLapicIcrLow, 0x00080035);  // all including self
  CHECK(r.apic.in_irr(0x35));
  r.wr(kLapicIcrLow, 0x000c4500);  // INIT to the others: ignored
  r.wr(kLapicIcrLow, 0x000c4608);  // SIPI to the others: ignored
  r.wr(kLapicIcrLow, 0x00040400);  // NMI to self
  CHECK(r.cpu.rises_on(1) == 1);
}

TEST_CASE("logical destinations: flat and cluster models") {
  Rig r;
  r.wr(kLapicLdr, 0x24000000);
  CHECK(r.apic.accepts(0x04, true));
  CHECK(r.apic.accepts(0x20, true));
  CHECK_FALSE(r.apic.accepts(0x01, true));
  CHECK(r.apic.accepts(0xff, true));
  r.wr(kLapicDfr, 0x0fffffff);  // cluster: cluster 2, member bit 2
  CHECK(r.rd(kLapicDfr) == 0x0fffffff);
  CHECK(r.apic.accepts(0x24, true));
  CHECK(r.apic.accepts(0x2c, true));
  CHECK_FALSE(r.apic.accepts(0x14, true));
  CHECK_FALSE(r.apic.accepts(0x21, true));
  CHECK(r.apic.accepts(0x00, false));
  CHECK_FALSE(r.apic.accepts(0x01, false));
}

TEST_CASE("the PIC behind LINT0 as ExtINT; NMI on LINT1") {
  Rig r;
  FakePic pic;
  r.apic.set_ext_int(&pic);
  r.apic.set_irq(0, true);
  CHECK(r.cpu.level(0));
  CHECK(r.apic.acknowledge() == 0x30);
  CHECK(pic.acks == 1);
  r.apic.set_irq(0, false);
  CHECK_FALSE(r.cpu.level(0));
  r.enable();
  r.wr(kLapicLvtLint0, 0x10700);  // masked ExtINT: the PIC is cut off
  r.apic.set_irq(0, true);
  CHECK_FALSE(r.apic.interrupt_pending());
  r.wr(kLapicLvtLint1, 0x400);
  r.apic.set_irq(1, true);
  r.apic.set_irq(1, false);
  CHECK(r.cpu.rises_on(1) == 1);
  // APIC interrupts go before the PIC's.
  r.wr(kLapicLvtLint0, 0x700);
  r.fixed(0x80);
  CHECK(r.apic.acknowledge() == 0x80);
  CHECK(r.apic.acknowledge() == 0x30);
}

TEST_CASE("a globally disabled APIC hands LINT0 and LINT1 straight to the core") {
  Rig r;
  FakePic pic;
  r.apic.set_ext_int(&pic);
  r.enable();
  r.wr(kLapicLvtLint0, 0x10700);
  r.apic.set_global_enable(false);
  r.apic.set_irq(0, true);
  CHECK(r.apic.interrupt_pending());
  CHECK(r.apic.acknowledge() == 0x30);
  r.apic.set_irq(1, true);
  CHECK(r.cpu.rises_on(1) == 1);
  // Back on, it starts from its power-on state.
  r.apic.set_global_enable(true);
  CHECK(r.rd(kLapicSvr) == 0xff);
}

TEST_CASE("one-shot timer: counts down at the divided bus clock and fires once") {
  Rig r;
  r.enable();
  r.wr(kLapicTimerDivide, 0xb);  // divide by 1
  r.wr(kLapicLvtTimer, 0x40);
  r.wr(kLapicTimerInitial, 1000);
  r.clock.advance(400);
  CHECK(r.rd(kLapicTimerCurrent) == 600);
  CHECK_FALSE(r.apic.in_irr(0x40));
  r.clock.advance(600);
  CHECK(r.apic.in_irr(0x40));
  CHECK(r.rd(kLapicTimerCurrent) == 0);
  CHECK(r.apic.acknowledge() == 0x40);
  r.wr(kLapicEoi, 0);
  r.clock.advance(5000);
  CHECK_FALSE(r.apic.in_irr(0x40));
}

TEST_CASE("the divide configuration: 000b divides by 2, 1010b by 128") {
  Rig r;
  r.enable();
  r.wr(kLapicLvtTimer, 0x40);
  r.wr(kLapicTimerDivide, 0x0);
  r.wr(kLapicTimerInitial, 100);
  r.clock.advance(100);
  CHECK(r.rd(kLapicTimerCurrent) == 50);
  r.clock.advance(100);
  CHECK(r.apic.in_irr(0x40));
  r.wr(kLapicTimerDivide, 0xa);
  CHECK(r.rd(kLapicTimerDivide) == 0xa);
  r.wr(kLapicTimerInitial, 10);
  r.clock.advance(128 * 9);
  CHECK(r.rd(kLapicTimerCurrent) == 1);
}

TEST_CASE("periodic timer reloads from the initial count and fires every period") {
  Rig r;
  r.enable();
  r.wr(kLapicTimerDivide, 0xb);
  r.wr(kLapicLvtTimer, 0x20000 | 0x50);
  r.wr(kLapicTimerInitial, 100);
  unsigned fires = 0;
  for (unsigned i = 0; i < 10; ++i) {
    r.clock.advance(50);
    if (r.apic.in_irr(0x50)) {
      ++fires;
      CHECK(r.apic.acknowledge() == 0x50);
      r.wr(kLapicEoi, 0);
    }
  }
  CHECK(fires == 5);
  CHECK(r.rd(kLapicTimerCurrent) == 100);  // at a period boundary
  r.clock.advance(30);
  CHECK(r.rd(kLapicTimerCurrent) == 70);
  r.wr(kLapicTimerInitial, 0);  // a zero count stops it
  r.clock.advance(1000);
  CHECK_FALSE(r.apic.in_irr(0x50));
}

TEST_CASE("a masked timer counts but interrupts nobody") {
  Rig r;
  r.enable();
  r.wr(kLapicTimerDivide, 0xb);
  r.wr(kLapicLvtTimer, kLvtMasked | 0x40);
  r.wr(kLapicTimerInitial, 10);
  r.clock.advance(20);
  CHECK(r.rd(kLapicTimerCurrent) == 0);
  CHECK_FALSE(r.apic.in_irr(0x40));
}

TEST_CASE("TSC-deadline mode: the MSR arms the timer, fires once and reads 0 after") {
  Rig r;
  r.enable();
  r.apic.set_tsc_deadline(1234, 100);  // not in deadline mode: ignored
  CHECK(r.apic.tsc_deadline() == 0);
  r.wr(kLapicLvtTimer, 0x40000 | 0x60);
  r.wr(kLapicTimerInitial, 50);  // ignored in this mode
  CHECK(r.rd(kLapicTimerInitial) == 0);
  r.apic.set_tsc_deadline(5000, 300);
  CHECK(r.apic.tsc_deadline() == 5000);
  r.clock.advance(299);
  CHECK_FALSE(r.apic.in_irr(0x60));
  r.clock.advance(1);
  CHECK(r.apic.in_irr(0x60));
  CHECK(r.apic.tsc_deadline() == 0);
  // Writing 0 disarms; leaving the mode disarms and clears.
  r.apic.set_tsc_deadline(9000, 500);
  r.apic.set_tsc_deadline(0, 0);
  r.apic.acknowledge();
  r.wr(kLapicEoi, 0);
  r.clock.advance(1000);
  CHECK_FALSE(r.apic.in_irr(0x60));
  r.apic.set_tsc_deadline(9000, r.clock.now() + 10);
  r.wr(kLapicLvtTimer, 0x60);
  CHECK(r.apic.tsc_deadline() == 0);
  r.clock.advance(100);
  CHECK_FALSE(r.apic.in_irr(0x60));
}

}  // namespace
}  // namespace kestrel::devices
