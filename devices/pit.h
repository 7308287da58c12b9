// SPDX-License-Identifier: MIT
// The 8254 programmable interval timer at 0x40-0x43 (counter 0 drives IRQ 0,
// counter 2 the speaker) and the PC/AT system control port B at 0x61 (gate
// 2, speaker enable, OUT2 and the refresh toggle). Counters are computed
// from the virtual clock, not ticked: a read works out the count from now().
#pragma once

#include <cstdint>

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace kestrel::devices {

inline constexpr uint16_t kPitPort = 0x40;
inline constexpr uint16_t kPortB = 0x61;
/// The PC's PIT input clock: 14.31818 MHz / 12.
inline constexpr uint64_t kPitHz = 1'193'182;

/// One counter of the 8254 (Intel 8254 data sheet, order 231164). Its count
/// is not stored: it follows from the PIT ticks elapsed since `start`.
struct PitCounter {
  uint8_t mode = 0;          ///< 0-5
  uint8_t access = 3;        ///< RW bits: 1 LSB, 2 MSB, 3 LSB then MSB
  bool bcd = false;
  bool gate = true;
  bool out_low = false;      ///< OUT before counting starts (mode 0: low)
  uint32_t reload = 0x10000; ///< the initial count as ticks (0 means 65536, 10000 in BCD)
  bool counting = false;     ///< a count is loaded (and, modes 1 and 5, triggered)
  bool armed = false;        ///< modes 1 and 5: loaded, waiting for a gate edge
  bool paused = false;       ///< modes 0 and 4 with the gate low
  uint64_t start = 0;        ///< PIT tick at which counting began
  uint64_t paused_at = 0;    ///< ticks counted when the gate fell
  bool write_msb_next = false;
  uint8_t write_lsb = 0;
  bool read_msb_next = false;
  bool latched = false;      ///< a latched count waits to be read
  uint16_t latch = 0;
  bool status_latched = false;
  uint8_t status = 0;
  bool null_count = true;    ///< a count was written but not yet loaded
};


class Pit final : public Device {
 public:
  explicit Pit(Scheduler& clock);

  /// Counter 0's OUT: the board connects it to IRQ 0.
  IrqLine irq0;

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// OUT of counter `index` now.
  bool out(unsigned index) const;
  /// The count counter `index` would show now.
  uint16_t count(unsigned index) const;
  const PitCounter& counter(unsigned index) const { return counters_[index]; }
  /// Port B bits 0 and 1: gate 2 and speaker data enable.
  uint8_t port_b() const { return port_b_; }

 private:
  uint64_t tick_now() const;
  /// Ticks counter `index` has counted since it began (0 when idle).
  uint64_t elapsed(unsigned index) const;
  void write_control(uint8_t v);
  void write_counter(unsigned index, uint8_t v);
  uint8_t read_counter(unsigned index);
  void load(unsigned index, uint32_t value);
  void latch_count(unsigned index);
  void latch_status(unsigned index);
  void set_gate(unsigned index, bool gate);
  uint8_t read_port_b() const;
  /// Arms counter 0's timer for its next OUT transition.
  void schedule_irq0();
  void on_timer();

  Scheduler& clock_;
  Scheduler::TimerId timer_;
  PitCounter counters_[3];
  uint8_t port_b_ = 0;
};

}  // namespace kestrel::devices
