// SPDX-License-Identifier: MIT
// The ACPI PM registers at register level: the PM timer's rate and width,
// write-one-to-clear status, the SCI against SCI_EN and the enables, the
// timer-carry interrupt, and S5 power-off through SLP_TYP/SLP_EN.
#include "devices/acpi_pm.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

constexpr uint16_t kBase = 0x600;

class Line final : public IrqSink {
 public:
  void set_irq(unsigned pin, bool l) override {
    last_pin = pin;
    level = l;
  }
  unsigned last_pin = ~0u;
  bool level = false;
};

struct Fixture {
  test::ManualClock clock;
  AcpiPm pm{clock, kBase};
  Line sci;
  int power_offs = 0;
  Fixture() {
    pm.sci.connect(sci, 9);
    pm.on_power_off = [this] { ++power_offs; };
  }
  uint32_t in16(uint16_t off) { return pm.io_read(kBase + off, 2); }
  uint32_t in32(uint16_t off) { return pm.io_read(kBase + off, 4); }
  void out16(uint16_t off, uint32_t v) { pm.io_write(kBase + off, v, 2); }
};

TEST_CASE("acpi_pm: the PM timer counts at 3.579545 MHz and wraps at 24 bits") {
  Fixture f;
  CHECK(f.in32(kPmTimerOffset) == 0);
  f.clock.advance(1'000'000'000);  // one second
  CHECK(f.in32(kPmTimerOffset) == 3'579'545);
  f.clock.advance(1'000'000);  // one millisecond more: 3579.545 ticks
  CHECK(f.in32(kPmTimerOffset) == 3'579'545 + 3'579);
  // 2^24 ticks is about 4.687 s: the value wraps and stays below 2^24.
  f.clock.advance(4'000'000'000);
  const uint32_t t = f.in32(kPmTimerOffset);
  CHECK(t <= kPmTimerMask);
  CHECK(t == uint32_t(uint64_t(5'001'000'000) * 3'579'545 / 1'000'000'000) % (1u << 24));
  // Byte reads see the same register.
  CHECK(f.pm.io_read(kBase + kPmTimerOffset, 1) == (t & 0xff));
  CHECK(f.pm.io_read(kBase + kPmTimerOffset + 2, 1) == ((t >> 16) & 0xff));
}

TEST_CASE("acpi_pm: TMR_STS follows bit 23 and clears by writing one") {
  Fixture f;
  CHECK((f.in16(kPm1StatusOffset) & kPm1TimerBit) == 0);
  f.clock.advance(2'400'000'000);  // past 2^23 ticks (about 2.343 s)
  CHECK((f.in16(kPm1StatusOffset) & kPm1TimerBit) != 0);
  f.out16(kPm1StatusOffset, 0);  // writing zero clears nothing
  CHECK((f.in16(kPm1StatusOffset) & kPm1TimerBit) != 0);
  f.out16(kPm1StatusOffset, kPm1TimerBit);
  CHECK((f.in16(kPm1StatusOffset) & kPm1TimerBit) == 0);
}

TEST_CASE("acpi_pm: the SCI needs SCI_EN and an enabled status bit") {
  Fixture f;
  f.out16(kPm1EnableOffset, kPm1TimerBit);
  CHECK(f.in16(kPm1EnableOffset) == kPm1TimerBit);
  f.clock.advance(3'000'000'000);
  CHECK_FALSE(f.sci.level);  // no SCI_EN yet
  f.pm.enable_acpi_mode();
  CHECK((f.in16(kPm1ControlOffset) & kPm1SciEnable) != 0);
  CHECK(f.sci.level);
  CHECK(f.sci.last_pin == 9);
  f.out16(kPm1StatusOffset, kPm1TimerBit);
  CHECK_FALSE(f.sci.level);
  // The next carry of bit 23 raises it again from the timer queue.
  f.clock.advance(2'400'000'000);
  CHECK(f.sci.level);
  // Disabling the source drops the line.
  f.out16(kPm1EnableOffset, 0);
  CHECK_FALSE(f.sci.level);
}

TEST_CASE("acpi_pm: the power button raises PWRBTN_STS") {
  Fixture f;
  f.pm.enable_acpi_mode();
  f.pm.press_power_button();
  CHECK((f.in16(kPm1StatusOffset) & kPm1PowerButtonBit) != 0);
  CHECK_FALSE(f.sci.level);
  f.out16(kPm1EnableOffset, kPm1PowerButtonBit);
  CHECK(f.sci.level);
}

TEST_CASE("acpi_pm: SLP_EN with SLP_TYP S5 powers off; other types do not") {
  Fixture f;
  f.out16(kPm1ControlOffset, kPm1SciEnable | (5u << kPm1SleepTypeShift) | kPm1SleepEnable);
  CHECK(f.power_offs == 0);
  // SLP_EN reads as zero; SLP_TYP and SCI_EN stay.
  CHECK(f.in16(kPm1ControlOffset) == (kPm1SciEnable | (5u << kPm1SleepTypeShift)));
  // Linux writes SLP_TYP first, then SLP_EN in a second write.
  f.out16(kPm1ControlOffset, kPm1SciEnable | (kSleepTypeS5 << kPm1SleepTypeShift));
  CHECK(f.power_offs == 0);
  f.out16(kPm1ControlOffset, kPm1SciEnable | (kSleepTypeS5 << kPm1SleepTypeShift) | kPm1SleepEnable);
  CHECK(f.power_offs == 1);
  // A byte write of the high half alone works too.
  f.pm.io_write(kBase + kPm1ControlOffset + 1, kPm1SleepEnable >> 8, 1);
  CHECK(f.power_offs == 2);
  CHECK((f.in16(kPm1ControlOffset) & kPm1SciEnable) != 0);  // low byte kept
}

TEST_CASE("acpi_pm: reset clears the registers") {
  Fixture f;
  f.pm.enable_acpi_mode();
  f.out16(kPm1EnableOffset, 0xffff);
  f.pm.reset();
  CHECK(f.in16(kPm1EnableOffset) == 0);
  CHECK(f.in16(kPm1ControlOffset) == 0);
  CHECK_FALSE(f.sci.level);
}

}  // namespace
}  // namespace kestrel::devices
