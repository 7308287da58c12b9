// SPDX-License-Identifier: MIT
// ACPI PM1 registers and PM timer: byte-addressed so that any access width
// the guest picks works; status bits are write-one-to-clear (ACPI 6.4
// §4.8.3.1) and the timer's status follows its bit 23 (§4.8.3.3).
#include "devices/acpi_pm.h"

namespace kestrel::devices {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr unsigned kTimerStatusShift = 23;  // TMR_STS is set when bit 23 flips
constexpr uint16_t kSciSources = kPm1TimerBit | kPm1GlobalBit | kPm1PowerButtonBit | kPm1RtcBit;

}  // namespace

AcpiPm::AcpiPm(Scheduler& clock, uint16_t base)
    : clock_(clock), base_(base), overflow_timer_(clock.add_timer([this] {
        sample_timer_status();
        update_sci();
        arm_overflow();
      })) {
  reset();
}

void AcpiPm::reset() {
  status_ = 0;
  enable_ = 0;
  control_ = 0;
  timer_epoch_ = ticks() >> kTimerStatusShift;
  clock_.disarm(overflow_timer_);
  sci.lower();
}

uint64_t AcpiPm::ticks() const {
  return uint64_t((unsigned __int128)clock_.now() * kPmTimerHz / kNanosPerSecond);
}

uint32_t AcpiPm::timer() const { return uint32_t(ticks()) & kPmTimerMask; }

void AcpiPm::enable_acpi_mode() {
  control_ |= kPm1SciEnable;
  update_sci();
  arm_overflow();
}

void AcpiPm::press_power_button() {
  status_ |= kPm1PowerButtonBit;
  update_sci();
}

void AcpiPm::sample_timer_status() {
  const uint64_t epoch = ticks() >> kTimerStatusShift;
  if (epoch != timer_epoch_) status_ |= kPm1TimerBit;
  timer_epoch_ = epoch;
}

void AcpiPm::update_sci() {
  sample_timer_status();
  sci.set((control_ & kPm1SciEnable) && (status_ & enable_ & kSciSources));
}

void AcpiPm::arm_overflow() {
  if (!(control_ & kPm1SciEnable) || !(enable_ & kPm1TimerBit)) {
    clock_.disarm(overflow_timer_);
    return;
  }
  const uint64_t next = (timer_epoch_ + 1) << kTimerStatusShift;
  const uint64_t ns = uint64_t(((unsigned __int128)next * kNanosPerSecond + kPmTimerHz - 1) /
                               kPmTimerHz);
  clock_.arm(overflow_timer_, ns);
}

uint32_t AcpiPm::read_register(unsigned offset) {
  switch (offset & ~1u) {
    case kPm1StatusOffset:
      sample_timer_status();
      return status_;
    case kPm1EnableOffset:
      return enable_;
    case kPm1ControlOffset:
      return control_ & ~kPm1SleepEnable;  // SLP_EN is write-only
    case kPmTimerOffset:
    case kPmTimerOffset + 2:
      return timer();
    default:
      return 0xffff;
  }
}

uint32_t AcpiPm::io_read(uint16_t port, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned off = unsigned(port - base_) + i;
    // The timer is one 32-bit register; the others are 16 bits wide.
    const uint32_t reg = read_register(off);
    const unsigned shift = off >= kPmTimerOffset ? 8 * (off - kPmTimerOffset) : 8 * (off & 1);
    value |= ((reg >> shift) & 0xff) << (8 * i);
  }
  return value;
}

void AcpiPm::write_register(unsigned offset, uint32_t value, unsigned size) {
  (void)size;
  switch (offset) {
    case kPm1StatusOffset:
      sample_timer_status();
      status_ &= uint16_t(~value);
      break;
    case kPm1EnableOffset:
      enable_ = uint16_t(value);
      break;
    case kPm1ControlOffset:
      control_ = uint16_t(value & ~kPm1SleepEnable);
      if (value & kPm1SleepEnable) {
        const unsigned type = (value >> kPm1SleepTypeShift) & 7;
        // Only S5 is offered (_S5 in the DSDT); other sleep states are
        // ignored, as a PIIX4 with no _Sx of theirs would be.
        if (type == kSleepTypeS5 && on_power_off) on_power_off();
      }
      break;
    default:
      break;  // the timer is read-only
  }
  update_sci();
  arm_overflow();
}

void AcpiPm::io_write(uint16_t port, uint32_t value, unsigned size) {
  // Split into the 16-bit registers the access covers, merging the bytes
  // it does not write with the register's current value.
  const unsigned first = unsigned(port - base_);
  for (unsigned off = first & ~1u; off < first + size && off < kPmTimerOffset; off += 2) {
    uint32_t reg = off == kPm1StatusOffset ? 0 : read_register(off);
    for (unsigned b = 0; b < 2; ++b) {
      const unsigned at = off + b;
      if (at < first || at >= first + size) continue;
      const uint32_t byte = (value >> (8 * (at - first))) & 0xff;
      reg = (reg & ~(0xffu << (8 * b))) | (byte << (8 * b));
    }
    write_register(off, reg, size);
  }
}

}  // namespace kestrel::devices
