// SPDX-License-Identifier: MIT
// PC system ports without a chip of their own: port 0x92 (system control
// port A: fast A20 gate and fast reset, as on PS/2 and every PC since), port
// 0x80 (the POST diagnostic port; the last byte is kept for the monitor) and
// the PC/AT coprocessor error latch (FERR# to IRQ 13, cleared by port 0xF0).
#pragma once

#include <cstdint>
#include <functional>

#include "devices/device.h"
#include "devices/irq.h"

namespace kestrel::devices {

inline constexpr uint16_t kSystemControlPortA = 0x92;
inline constexpr uint16_t kPostPort = 0x80;
inline constexpr uint16_t kFpuErrorPort = 0xf0;

class SystemPorts final : public Device {
 public:
  /// Bit 1 of port 0x92 changed.
  std::function<void(bool enabled)> on_a20;
  /// Bit 0 of port 0x92 went from 0 to 1.
  std::function<void()> on_reset;
  /// IRQ 13: the board connects it.
  IrqLine fpu_irq;

  /// The CPU asserted FERR#: latched on IRQ 13 until a write to port 0xF0.
  void raise_fpu_error() { fpu_irq.raise(); }

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  bool a20() const { return port_a_ & 0x02; }
  uint8_t post_code() const { return post_; }
  /// POST codes written so far (the monitor shows them).
  uint64_t post_writes() const { return post_writes_; }

 private:
  uint8_t port_a_ = 0;
  uint8_t post_ = 0;
  uint64_t post_writes_ = 0;
};

}  // namespace kestrel::devices
