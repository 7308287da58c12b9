// SPDX-License-Identifier: MIT
// The 8254 at register level: the counting modes read back against the
// virtual clock, byte access orders, BCD, latch and read-back commands,
// counter 0's interrupts, and port 0x61.
#include "devices/pit.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

/// Virtual nanoseconds for `ticks` PIT clocks (rounded up: the tick has passed).
Nanos ticks(uint64_t n) { return (n * 1'000'000'000 + kPitHz - 1) / kPitHz; }

struct Fixture {
  test::ManualClock clock;
  Pit pit{clock};
  test::PinRecorder pic;
  Fixture() { pit.irq0.connect(pic, 0); }
  void out(uint16_t port, uint8_t v) { pit.io_write(port, v, 1); }
  uint8_t in(uint16_t port) { return uint8_t(pit.io_read(port, 1)); }
  void program(unsigned counter, uint8_t mode, uint16_t count, bool bcd = false) {
    out(0x43, uint8_t(counter << 6 | 0x30 | mode << 1 | bcd));
    out(uint16_t(0x40 + counter), uint8_t(count));
    out(uint16_t(0x40 + counter), uint8_t(count >> 8));
  }
  uint16_t read16(unsigned counter) {
    const uint8_t lo = in(uint16_t(0x40 + counter));
    return uint16_t(lo | in(uint16_t(0x40 + counter)) << 8);
  }
  /// Advances to the end of tick `n` after the current time started at t0.
  void at(Nanos t0, uint64_t n) { clock.advance(t0 + ticks(n) - clock.now()); }
};

TEST_CASE("mode 2 counts down from N to 1 and interrupts once per period") {
  Fixture f;
  f.program(0, 2, 1000);
  const Nanos t0 = f.clock.now();
  CHECK(f.pit.count(0) == 1000);
  f.at(t0, 300);
  CHECK(f.pit.count(0) == 700);
  CHECK(f.pic.rises_on(0) == 0);
  f.at(t0, 1000);
  CHECK(f.pic.rises_on(0) == 1);
  CHECK(f.pit.count(0) == 1000);
  f.at(t0, 10 * 1000);
  CHECK(f.pic.rises_on(0) == 10);
  f.at(t0, 10 * 1000 + 999);
  CHECK(!f.pit.out(0));  // OUT low for the tick before reload
}

TEST_CASE("mode 0 interrupts once at terminal count; OUT stays high") {
  Fixture f;
  f.out(0x43, 0x30);  // counter 0, LSB/MSB, mode 0
  CHECK(!f.pit.out(0));
  f.out(0x40, 100), f.out(0x40, 0);
  const Nanos t0 = f.clock.now();
  f.at(t0, 99);
  CHECK(!f.pit.out(0));
  CHECK(f.pit.count(0) == 1);
  f.at(t0, 100);
  CHECK(f.pit.out(0));
  CHECK(f.pic.rises_on(0) == 1);
  f.at(t0, 100 + 70000);
  CHECK(f.pic.rises_on(0) == 1);
  CHECK(f.pit.out(0));
  SUBCASE("a new count restarts it") {
    f.out(0x40, 10);
    CHECK(!f.pit.out(0));  // the first byte stops the count
    f.out(0x40, 0);
    f.clock.advance(ticks(11));
    CHECK(f.pic.rises_on(0) == 2);
  }
}

TEST_CASE("mode 3 is a square wave: high for the first half of each period") {
  Fixture f;
  f.program(0, 3, 100);
  const Nanos t0 = f.clock.now();
  f.at(t0, 10);
  CHECK(f.pit.out(0));
  CHECK(f.pit.count(0) == 80);  // decrements by two
  f.at(t0, 60);
  CHECK(!f.pit.out(0));
  f.at(t0, 1000);
  CHECK(f.pic.rises_on(0) == 10);
}

TEST_CASE("mode 4 strobes once; modes 1 and 5 wait for the gate") {
  Fixture f;
  f.program(0, 4, 50);
  const Nanos t0 = f.clock.now();
  f.at(t0, 50);
  CHECK(!f.pit.out(0));
  f.at(t0, 51);
  CHECK(f.pit.out(0));
  CHECK(f.pic.rises_on(0) == 1);
  f.at(t0, 500);
  CHECK(f.pic.rises_on(0) == 1);

  f.program(2, 1, 20);
  f.at(t0, 600);
  CHECK(f.pit.out(2));
  CHECK(f.pit.count(2) == 20);    // not triggered: gate 2 is low
  f.out(0x61, 0x01);              // gate 2 rises: trigger
  CHECK(!f.pit.out(2));
  f.at(t0, 620);
  CHECK(f.pit.out(2));
  CHECK((f.in(0x61) & 0x20) != 0);  // OUT2 on port B
}

TEST_CASE("gate 2 pauses modes 0 and 4 and restarts mode 2") {
  Fixture f;
  f.out(0x61, 0x01);
  f.program(2, 0, 1000);
  const Nanos t0 = f.clock.now();
  f.at(t0, 100);
  f.out(0x61, 0x00);
  const uint16_t held = f.pit.count(2);
  f.at(t0, 500);
  CHECK(f.pit.count(2) == held);
  f.out(0x61, 0x01);
  f.clock.advance(ticks(10));
  CHECK(f.pit.count(2) == held - 10);
  f.program(2, 2, 100);
  const Nanos t1 = f.clock.now();
  f.at(t1, 30);
  f.out(0x61, 0x00);
  CHECK(f.pit.out(2));
  f.out(0x61, 0x01);
  CHECK(f.pit.count(2) == 100);  // reloaded on the rising edge
}

TEST_CASE("byte access modes: LSB only, MSB only, LSB then MSB") {
  Fixture f;
  f.out(0x43, 0x94);  // counter 2, LSB only, mode 2
  f.out(0x42, 0x40);
  CHECK(f.pit.count(2) == 0x40);
  CHECK(f.in(0x42) == 0x40);
  f.out(0x43, 0xa4);  // counter 2, MSB only, mode 2
  f.out(0x42, 0x12);
  CHECK(f.pit.count(2) == 0x1200);
  CHECK(f.in(0x42) == 0x12);
  f.program(1, 2, 0x3456);
  CHECK(f.read16(1) == 0x3456);
}

TEST_CASE("a count of zero means 65536 (10000 in BCD); BCD counts read as BCD") {
  Fixture f;
  f.program(0, 2, 0);
  CHECK(f.pit.counter(0).reload == 0x10000);
  f.program(1, 2, 0x1234, true);
  CHECK(f.pit.counter(1).reload == 1234);
  const Nanos t0 = f.clock.now();
  f.at(t0, 34);
  CHECK(f.read16(1) == 0x1200);
  f.program(1, 0, 0x0000, true);
  CHECK(f.pit.counter(1).reload == 10000);
}

TEST_CASE("the latch command freezes the count until both bytes are read") {
  Fixture f;
  f.program(0, 2, 5000);
  const Nanos t0 = f.clock.now();
  f.at(t0, 100);
  f.out(0x43, 0x00);  // latch counter 0
  f.at(t0, 200);
  f.out(0x43, 0x00);  // a second latch before the read is ignored
  CHECK(f.read16(0) == 4900);
  CHECK(f.read16(0) == 4800);  // live again
}

TEST_CASE("read-back latches status and count of several counters") {
  Fixture f;
  f.program(0, 2, 1000);
  f.out(0x43, 0xb6);  // counter 2: LSB/MSB, mode 3, binary; no count yet
  f.out(0x43, 0xc3 | 0x08);  // read-back count and status of counters 0 and 2
  CHECK(f.in(0x40) == 0xb4);  // status: OUT high, count loaded, LSB/MSB, mode 2
  CHECK(f.read16(0) == 1000);
  CHECK(f.in(0x42) == 0xf6);  // OUT high, null count, LSB/MSB, mode 3
  f.out(0x43, 0xe2);  // status only, counter 0
  CHECK(f.in(0x40) == 0xb4);
}

TEST_CASE("port 0x61: gate and speaker bits read back, refresh toggles") {
  Fixture f;
  f.out(0x61, 0x03);
  CHECK((f.in(0x61) & 0x0f) == 0x03);
  CHECK(f.pit.port_b() == 0x03);
  const uint8_t a = f.in(0x61) & 0x10;
  f.clock.advance(15'085);
  CHECK((f.in(0x61) & 0x10) != a);
}

TEST_CASE("a reset stops counter 0's interrupts") {
  Fixture f;
  f.program(0, 2, 100);
  f.pit.reset();
  f.clock.advance(ticks(1000));
  CHECK(f.pic.rises_on(0) == 0);
}

}  // namespace
}  // namespace kestrel::devices
