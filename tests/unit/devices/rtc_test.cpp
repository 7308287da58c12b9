// SPDX-License-Identifier: MIT
// The MC146818 at register level: the time of day in BCD and binary, 12 and
// 24 hours, the update cycle and UIP, SET, the periodic, alarm and
// update-ended interrupts, register C, the NMI mask bit and the CMOS bytes.
#include "devices/rtc.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSecond = 1000 * kMs;
/// 2024-02-29 23:59:58 UTC, a Thursday.
constexpr int64_t kLeapEve = 1709251198;

struct Fixture {
  test::ManualClock clock;
  Rtc rtc{clock};
  test::PinRecorder pic;
  Fixture() {
    rtc.irq.connect(pic, 8);
    rtc.set_time(kLeapEve);
  }
  uint8_t read(uint8_t index) {
    rtc.io_write(0x70, index, 1);
    return uint8_t(rtc.io_read(0x71, 1));
  }
  void write(uint8_t index, uint8_t v) {
    rtc.io_write(0x70, index, 1);
    rtc.io_write(0x71, v, 1);
  }
};

TEST_CASE("the time of day reads in BCD, 24-hour, with the century") {
  Fixture f;
  CHECK(f.read(0x00) == 0x58);
  CHECK(f.read(0x02) == 0x59);
  CHECK(f.read(0x04) == 0x23);
  CHECK(f.read(0x06) == 0x05);  // Thursday (Sunday = 1)
  CHECK(f.read(0x07) == 0x29);
  CHECK(f.read(0x08) == 0x02);
  CHECK(f.read(0x09) == 0x24);
  CHECK(f.read(0x32) == 0x20);
  CHECK(f.read(0x0d) == 0x80);  // valid RAM and time
}

TEST_CASE("the clock advances with virtual time through the leap day") {
  Fixture f;
  f.clock.advance(2 * kSecond);
  CHECK(f.read(0x00) == 0x00);
  CHECK(f.read(0x04) == 0x00);
  CHECK(f.read(0x07) == 0x01);
  CHECK(f.read(0x08) == 0x03);  // March 1st: 2024 is a leap year
  CHECK(f.rtc.time() == kLeapEve + 2);
}

TEST_CASE("binary and 12-hour formats") {
  Fixture f;
  f.write(0x0b, 0x04);  // binary, 12-hour
  f.clock.advance(kSecond);
  CHECK(f.read(0x00) == 59);
  CHECK(f.read(0x04) == (0x80 | 11));  // 11 PM
  f.clock.advance(kSecond);
  CHECK(f.read(0x04) == 12);  // midnight is 12 AM
}

TEST_CASE("SET freezes the clock; clearing it starts from the written time") {
  Fixture f;
  f.write(0x0b, 0x82);  // SET, 24-hour BCD
  f.write(0x00, 0x30);
  f.write(0x02, 0x15);
  f.write(0x04, 0x08);
  f.clock.advance(5 * kSecond);
  CHECK(f.read(0x00) == 0x30);
  f.write(0x0b, 0x02);
  f.clock.advance(kSecond + kMs);
  CHECK(f.read(0x00) == 0x31);
  CHECK(f.read(0x02) == 0x15);
  CHECK(f.read(0x04) == 0x08);
}

TEST_CASE("UIP is set in the 2228 us before each update") {
  Fixture f;
  CHECK((f.read(0x0a) & 0x80) == 0);
  f.clock.advance(kSecond - 2 * kMs);
  CHECK((f.read(0x0a) & 0x80) != 0);
  f.clock.advance(2 * kMs);
  CHECK((f.read(0x0a) & 0x80) == 0);
  CHECK(f.read(0x00) == 0x59);
  CHECK((f.read(0x0a) & 0x7f) == 0x26);
}

TEST_CASE("update-ended interrupt once a second; register C read clears it") {
  Fixture f;
  f.write(0x0b, 0x12);  // UIE
  f.clock.advance(kSecond);
  CHECK(f.pic.level(8));
  CHECK((f.read(0x0c) & 0xb0) == 0x90);  // IRQF | UF (PF follows the rate)
  CHECK(!f.pic.level(8));
  CHECK((f.read(0x0c) & 0xb0) == 0x00);
  f.clock.advance(3 * kSecond);
  CHECK(f.pic.rises_on(8) == 2);  // still asserted from the second update
}

TEST_CASE("UF sets without UIE, with no interrupt") {
  Fixture f;
  f.clock.advance(kSecond);
  CHECK(f.read(0x0c) == 0x50);  // UF, and PF at the default 1024 Hz rate
  CHECK(f.pic.rises_on(8) == 0);
  f.write(0x0a, 0x20);
  f.clock.advance(kSecond);
  CHECK(f.read(0x0c) == 0x30);  // and AF: 00:00:00 matches the zeroed alarm
}

TEST_CASE("periodic interrupt at the rate register A selects") {
  Fixture f;
  f.write(0x0a, 0x26);  // 1024 Hz
  f.write(0x0b, 0x42);  // PIE
  unsigned irqs = 0;
  for (unsigned i = 0; i < 1024; ++i) {
    f.clock.advance(976'563);
    if (f.pic.level(8)) {
      ++irqs;
      CHECK((f.read(0x0c) & 0xc0) == 0xc0);
    }
  }
  CHECK(irqs >= 1023);
  CHECK(irqs <= 1024);
  f.write(0x0a, 0x20);  // rate 0: off
  f.read(0x0c);
  f.clock.advance(kSecond / 2);
  CHECK(!f.pic.level(8));
}

TEST_CASE("alarm interrupt when the time matches, with don't-care bytes") {
  Fixture f;
  f.write(0x01, 0x05);  // 00:00:05
  f.write(0x03, 0x00);
  f.write(0x05, 0x00);
  f.write(0x0b, 0x22);  // AIE
  f.clock.advance(6 * kSecond);
  CHECK(!f.pic.level(8));
  f.clock.advance(kSecond);  // 00:00:05
  CHECK(f.pic.level(8));
  CHECK((f.read(0x0c) & 0xa0) == 0xa0);
  f.write(0x01, 0xc0), f.write(0x03, 0xc0), f.write(0x05, 0xc0);  // every second
  f.clock.advance(kSecond);
  CHECK(f.pic.level(8));
}

TEST_CASE("the divider in reset stops the clock; the first update comes 500 ms after") {
  Fixture f;
  f.write(0x0a, 0x66);
  f.clock.advance(10 * kSecond);
  CHECK(f.read(0x00) == 0x58);
  f.write(0x0a, 0x26);
  f.clock.advance(499 * kMs);
  CHECK(f.read(0x00) == 0x58);
  f.clock.advance(2 * kMs);
  CHECK(f.read(0x00) == 0x59);
}

TEST_CASE("port 0x70 bit 7 masks NMI; CMOS bytes keep what is stored") {
  Fixture f;
  f.rtc.io_write(0x70, 0x8f, 1);
  CHECK(f.rtc.nmi_masked());
  f.rtc.io_write(0x71, 0x5a, 1);
  CHECK(f.rtc.cmos(0x0f) == 0x5a);
  f.rtc.io_write(0x70, 0x0f, 1);
  CHECK(!f.rtc.nmi_masked());
  f.rtc.set_cmos(0x34, 0x12);
  CHECK(f.read(0x34) == 0x12);
  f.rtc.reset();
  CHECK(f.read(0x34) == 0x12);  // battery-backed
}

TEST_CASE("a reset clears the interrupt enables and flags") {
  Fixture f;
  f.write(0x0b, 0x72);
  f.clock.advance(kSecond);
  CHECK(f.pic.level(8));
  f.rtc.reset();
  CHECK(!f.pic.level(8));
  CHECK(f.read(0x0b) == 0x02);
}

}  // namespace
}  // namespace kestrel::devices
