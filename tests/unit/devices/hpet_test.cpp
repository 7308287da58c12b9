// SPDX-License-Identifier: MIT
// The HPET: capabilities, the 100 MHz main counter, comparators in one-shot
// and periodic modes, 32-bit mode, level interrupts and their status, and
// legacy replacement routing.
#include "devices/hpet.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct Rig {
  Rig() : hpet(clock) {
    hpet.connect(gsi);
    hpet.legacy.connect(legacy, 0);
  }
  uint64_t rd(unsigned reg) { return hpet.mmio_read(reg, 8); }
  void wr(unsigned reg, uint64_t v) { hpet.mmio_write(reg, v, 8); }
  static unsigned timer(unsigned n, unsigned reg) { return kHpetTimer0 + 0x20 * n + reg; }
  test::ManualClock clock;
  Hpet hpet;
  test::PinRecorder gsi, legacy;
};

TEST_CASE("capabilities: 10 ns period, 8086 vendor, legacy capable, 64-bit, 3 timers") {
  Rig r;
  CHECK(r.rd(kHpetCapabilities) == 0x00989680'8086a201ull);
  CHECK(r.hpet.mmio_read(kHpetCapabilities + 4, 4) == 0x00989680);
  CHECK(r.rd(Rig::timer(0, kHpetTimerConfig)) == (0x00f00000ull << 32 | 0x30));
  CHECK(r.rd(Rig::timer(2, kHpetComparator)) == ~uint64_t{0});
}

TEST_CASE("the main counter runs at 100 MHz only while enabled and can be set while halted") {
  Rig r;
  r.clock.advance(1000);
  CHECK(r.rd(kHpetCounter) == 0);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(1000);
  CHECK(r.rd(kHpetCounter) == 100);
  r.wr(kHpetConfig, 0);
  r.clock.advance(1000);
  CHECK(r.rd(kHpetCounter) == 100);
  r.wr(kHpetCounter, 0x1'fffffff0ull);
  CHECK(r.hpet.mmio_read(kHpetCounter, 4) == 0xfffffff0);
  CHECK(r.hpet.mmio_read(kHpetCounter + 4, 4) == 1);
  r.hpet.mmio_write(kHpetCounter + 4, 2, 4);  // a 32-bit write to the high half
  CHECK(r.rd(kHpetCounter) == 0x2'fffffff0ull);
}

TEST_CASE("a one-shot comparator fires once as the counter reaches it, on its route") {
  Rig r;
  r.wr(Rig::timer(2, kHpetTimerConfig), 20u << 9 | kHpetTnEnable);
  r.wr(Rig::timer(2, kHpetComparator), 50);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(490);
  CHECK(r.gsi.rises_on(20) == 0);
  r.clock.advance(10);
  CHECK(r.gsi.rises_on(20) == 1);
  CHECK_FALSE(r.gsi.level(20));  // edge: a pulse
  CHECK(r.rd(kHpetStatus) == 0);
  r.clock.advance(100000);
  CHECK(r.gsi.rises_on(20) == 1);
}

TEST_CASE("periodic mode: SETVAL writes the comparator, the next write the period") {
  Rig r;
  const unsigned cfg = Rig::timer(1, kHpetTimerConfig), cmp = Rig::timer(1, kHpetComparator);
  r.wr(cfg, 21u << 9 | kHpetTnEnable | kHpetTnPeriodic | kHpetTnSetVal);
  r.wr(cmp, 100);
  CHECK((r.rd(cfg) & kHpetTnSetVal) == 0);  // cleared by the write
  r.wr(cmp, 100);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(1000);
  CHECK(r.gsi.rises_on(21) == 1);
  CHECK(r.rd(cmp) == 200);
  r.clock.advance(3000);
  CHECK(r.gsi.rises_on(21) == 4);
  CHECK(r.rd(cmp) == 500);
}

TEST_CASE("level mode: the status bit and the line stay until the guest clears the bit") {
  Rig r;
  r.wr(Rig::timer(0, kHpetTimerConfig), 22u << 9 | kHpetTnEnable | kHpetTnLevel);
  r.wr(Rig::timer(0, kHpetComparator), 10);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(100);
  CHECK(r.rd(kHpetStatus) == 1);
  CHECK(r.gsi.level(22));
  r.wr(kHpetStatus, 2);  // another timer's bit: nothing
  CHECK(r.gsi.level(22));
  r.wr(kHpetStatus, 1);
  CHECK(r.rd(kHpetStatus) == 0);
  CHECK_FALSE(r.gsi.level(22));
}

TEST_CASE("legacy replacement: timer 0 to IRQ 0, timer 1 to IRQ 8, and the board told") {
  Rig r;
  r.wr(Rig::timer(0, kHpetTimerConfig), 20u << 9 | kHpetTnEnable);
  r.wr(Rig::timer(1, kHpetTimerConfig), 21u << 9 | kHpetTnEnable);
  r.wr(Rig::timer(0, kHpetComparator), 10);
  r.wr(Rig::timer(1, kHpetComparator), 20);
  r.wr(kHpetConfig, kHpetEnable | kHpetLegacy);
  CHECK(r.legacy.level(0));
  r.clock.advance(1000);
  CHECK(r.gsi.rises_on(0) == 1);
  CHECK(r.gsi.rises_on(8) == 1);
  CHECK(r.gsi.rises_on(20) == 0);
  CHECK(r.gsi.rises_on(21) == 0);
  r.wr(kHpetConfig, kHpetEnable);
  CHECK_FALSE(r.legacy.level(0));
}

TEST_CASE("32-bit mode truncates the comparator and matches on the low 32 bits") {
  Rig r;
  const unsigned cfg = Rig::timer(0, kHpetTimerConfig), cmp = Rig::timer(0, kHpetComparator);
  r.wr(kHpetCounter, 0x1'fffffff0ull);
  r.wr(cfg, 20u << 9 | kHpetTnEnable | kHpetTn32Bit);
  CHECK(r.rd(cmp) == 0xffffffff);
  r.wr(cmp, 0x3'00000010ull);
  CHECK(r.rd(cmp) == 0x10);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(0x1f * 10);
  CHECK(r.gsi.rises_on(20) == 0);
  r.clock.advance(10);
  CHECK(r.gsi.rises_on(20) == 1);  // counter 0x2'00000010
}

TEST_CASE("a comparator already passed fires on the next tick; disabling stops everything") {
  Rig r;
  r.wr(kHpetCounter, 1000);
  r.wr(Rig::timer(2, kHpetTimerConfig), 20u << 9 | kHpetTnEnable | kHpetTnLevel);
  r.wr(Rig::timer(2, kHpetComparator), 5);
  r.wr(kHpetConfig, kHpetEnable);
  r.clock.advance(10);
  CHECK(r.gsi.level(20));
  r.wr(kHpetConfig, 0);
  CHECK_FALSE(r.gsi.level(20));
  CHECK(r.rd(kHpetStatus) == 0);
}

}  // namespace
}  // namespace kestrel::devices
