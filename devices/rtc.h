// SPDX-License-Identifier: MIT
// The MC146818 real-time clock and its CMOS memory at 0x70/0x71 (IRQ 8):
// time of day kept from virtual time, registers A-D, periodic, alarm and
// update-ended interrupts, and the NMI mask bit of port 0x70. What the CMOS
// holds (memory sizes, equipment) is set by the board through set_cmos().
#pragma once

#include <array>
#include <cstdint>

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace kestrel::devices {

inline constexpr uint16_t kRtcPort = 0x70;
inline constexpr unsigned kCmosSize = 128;

/// CMOS register numbers the board and guests use.
enum CmosIndex : uint8_t {
  kCmosSeconds = 0x00, kCmosSecondsAlarm = 0x01, kCmosMinutes = 0x02,
  kCmosMinutesAlarm = 0x03, kCmosHours = 0x04, kCmosHoursAlarm = 0x05,
  kCmosWeekday = 0x06, kCmosDay = 0x07, kCmosMonth = 0x08, kCmosYear = 0x09,
  kCmosRegA = 0x0a, kCmosRegB = 0x0b, kCmosRegC = 0x0c, kCmosRegD = 0x0d,
  kCmosShutdown = 0x0f, kCmosFloppy = 0x10, kCmosEquipment = 0x14,
  kCmosBaseMemLo = 0x15, kCmosBaseMemHi = 0x16, kCmosExtMemLo = 0x17,
  kCmosExtMemHi = 0x18, kCmosExtMem2Lo = 0x30, kCmosExtMem2Hi = 0x31,
  kCmosCentury = 0x32, kCmosMem16MLo = 0x34, kCmosMem16MHi = 0x35,
  kCmosHighMemLo = 0x5b, kCmosHighMemMid = 0x5c, kCmosHighMemHi = 0x5d,
};

class Rtc final : public Device {
 public:
  explicit Rtc(Scheduler& clock);

  /// IRQ 8: the board connects it.
  IrqLine irq;

  /// Registers to their RESET-pin state; the CMOS memory and the time survive.
  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// Sets the time of day to `unix_seconds` (UTC) at the current virtual time.
  void set_time(int64_t unix_seconds);
  /// The time of day now, in seconds since 1970 (UTC).
  int64_t time() const;
  uint8_t cmos(unsigned index) const { return ram_[index % kCmosSize]; }
  /// Stores a CMOS byte (not the clock registers 0x00-0x0D).
  void set_cmos(unsigned index, uint8_t value) { ram_[index % kCmosSize] = value; }
  /// Port 0x70 bit 7: NMI disabled.
  bool nmi_masked() const { return nmi_masked_; }

 private:
  uint8_t read_register(uint8_t index);
  void write_register(uint8_t index, uint8_t v);
  uint8_t encode(unsigned value) const;
  unsigned decode(uint8_t v) const;
  uint8_t encode_hours(unsigned hours) const;
  unsigned decode_hours(uint8_t v) const;
  /// The clock registers (and the century byte) from a time of day.
  void store_time(int64_t t);
  /// The time of day the clock registers hold.
  int64_t load_time() const;
  bool alarm_matches(int64_t t) const;
  /// The divider runs and SET is clear: the time of day advances.
  bool running() const;
  /// Brings seconds_ up to the current virtual time, setting UF (and AF
  /// for an alarm passed on the way).
  void advance();
  void raise_flags(uint8_t flags);
  /// Recomputes IRQF and the IRQ line from register C and the enables.
  void update_irq();
  /// The periodic-interrupt period (register A rate), 0 when off.
  Nanos period() const;
  void schedule();
  void on_periodic();
  void on_update();

  Scheduler& clock_;
  Scheduler::TimerId periodic_timer_;
  Scheduler::TimerId update_timer_;
  std::array<uint8_t, kCmosSize> ram_{};
  uint8_t index_ = 0;
  bool nmi_masked_ = false;
  int64_t seconds_ = 0;      ///< the time of day at second_start_
  Nanos second_start_ = 0;   ///< virtual time when the current second began
  Nanos periodic_next_ = 0;  ///< next periodic-interrupt deadline
  Nanos last_c_read_ = 0;    ///< for PF with the periodic interrupt off
};

}  // namespace kestrel::devices
