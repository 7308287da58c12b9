// SPDX-License-Identifier: MIT
// The ACPI fixed power-management registers of a PIIX4-style chipset: the
// PM1 event block (status and enable), the PM1 control block (SCI_EN,
// SLP_TYP/SLP_EN: S5 powers the machine off) and the 24-bit PM timer at
// 3.579545 MHz. The SCI is a level-triggered IrqLine the board connects.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace kestrel::devices {

/// Offsets from the PM base (the FADT's PM1a_EVT_BLK).
inline constexpr uint16_t kPm1StatusOffset = 0;
inline constexpr uint16_t kPm1EnableOffset = 2;
inline constexpr uint16_t kPm1ControlOffset = 4;
inline constexpr uint16_t kPmTimerOffset = 8;
inline constexpr unsigned kAcpiPmPortCount = 12;

/// PM1 status/enable bits (ACPI 6.4 §4.8.3.1).
inline constexpr uint16_t kPm1TimerBit = 1u << 0;
inline constexpr uint16_t kPm1GlobalBit = 1u << 5;
inline constexpr uint16_t kPm1PowerButtonBit = 1u << 8;
inline constexpr uint16_t kPm1RtcBit = 1u << 10;
inline constexpr uint16_t kPm1WakeBit = 1u << 15;
/// PM1 control bits (§4.8.3.2).
inline constexpr uint16_t kPm1SciEnable = 1u << 0;
inline constexpr uint16_t kPm1SleepEnable = 1u << 13;
inline constexpr unsigned kPm1SleepTypeShift = 10;
/// SLP_TYP that means S5 (soft off); the DSDT's _S5 package gives it.
inline constexpr uint16_t kSleepTypeS5 = 0;

inline constexpr uint64_t kPmTimerHz = 3'579'545;
inline constexpr uint32_t kPmTimerMask = 0xffffff;  ///< 24 bits (no TMR_VAL_EXT)

class AcpiPm final : public Device {
 public:
  /// `base` is the first port the board routes here.
  AcpiPm(Scheduler& clock, uint16_t base);

  /// The SCI: asserted while SCI_EN is set and an enabled status bit is.
  IrqLine sci;
  /// The guest entered S5: the board ends the run.
  std::function<void()> on_power_off;

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// Sets SCI_EN as firmware does when it hands the board to an ACPI OS.
  void enable_acpi_mode();
  /// The power button was pressed (the monitor's system_powerdown).
  void press_power_button();
  /// The PM timer's value now.
  uint32_t timer() const;

 private:
  uint32_t read_register(unsigned offset);
  void write_register(unsigned offset, uint32_t value, unsigned size);
  /// Folds carries of the timer's bit 23 into TMR_STS.
  void sample_timer_status();
  void update_sci();
  void arm_overflow();
  uint64_t ticks() const;

  Scheduler& clock_;
  uint16_t base_;
  Scheduler::TimerId overflow_timer_;
  uint16_t status_ = 0;
  uint16_t enable_ = 0;
  uint16_t control_ = 0;
  uint64_t timer_epoch_ = 0;  ///< ticks >> 23 when TMR_STS was last brought up to date
};

}  // namespace kestrel::devices
