// SPDX-License-Identifier: MIT
// The 8259A programmable interrupt controller pair of the PC/AT: master at
// 0x20/0x21, slave at 0xA0/0xA1 cascaded on master input 2, and the
// edge/level control registers (ELCR) at 0x4D0/0x4D1. Inputs are ISA IRQ
// 0-15; the output is INTR towards the CPU (or the local APIC's LINT0).
#pragma once

#include <cstdint>

#include "devices/device.h"
#include "devices/irq.h"

namespace kestrel::devices {

inline constexpr uint16_t kPicMasterPort = 0x20;
inline constexpr uint16_t kPicSlavePort = 0xa0;
inline constexpr uint16_t kElcrPort = 0x4d0;
inline constexpr unsigned kPicCascadeIrq = 2;

/// One 8259A (Intel 8259A data sheet, "Programming the 8259A").
struct Pic8259 {
  uint8_t irr = 0;          ///< interrupt request register
  uint8_t isr = 0;          ///< in-service register
  uint8_t imr = 0;          ///< interrupt mask register
  uint8_t elcr = 0;         ///< 1 = level-triggered input (PIIX ELCR)
  uint8_t lines = 0;        ///< the input pins' current levels
  uint8_t vector_base = 0;  ///< ICW2 & 0xF8
  uint8_t priority_add = 0; ///< the lowest-priority input is priority_add - 1
  uint8_t icw3 = 0;
  uint8_t init_step = 0;    ///< 0 = ready; 2-4: the next ICW expected
  bool icw4_needed = false;
  bool single = false;      ///< ICW1.SNGL
  bool level_mode = false;  ///< ICW1.LTIM: every input level-triggered
  bool auto_eoi = false;
  bool rotate_on_aeoi = false;
  bool special_mask = false;
  bool special_fully_nested = false;
  bool read_isr = false;    ///< OCW3 RR/RIS: which register a read of the command port returns
  bool poll = false;        ///< OCW3 P: the next read is a poll
};

class Pic final : public Device, public IrqSink, public InterruptSource {
 public:
  /// INT output: connected by the board to the CPU (or LAPIC LINT0).
  IrqLine intr;

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// ISA IRQ `pin` (0-15) is at `level`.
  void set_irq(unsigned pin, bool level) override;
  bool interrupt_pending() const override;
  uint8_t acknowledge() override;

  /// 0 = master, 1 = slave (tests, monitor).
  const Pic8259& chip(unsigned index) const { return chips_[index]; }

 private:
  void write_command(Pic8259& c, uint8_t v);
  void write_data(Pic8259& c, uint8_t v);
  void write_ocw2(Pic8259& c, uint8_t v);
  uint8_t read_poll(unsigned index);
  /// Highest-priority input of `c` that may interrupt now, or -1.
  int best_request(const Pic8259& c) const;
  /// Acknowledges input `irq` of chip `index`: ISR set, IRR cleared for edges.
  void ack_input(unsigned index, unsigned irq);
  void set_input(unsigned index, unsigned irq, bool level);
  /// Recomputes the cascade line and INTR after any change.
  void update();

  Pic8259 chips_[2];
};

}  // namespace kestrel::devices
