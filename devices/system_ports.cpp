// SPDX-License-Identifier: MIT
// Ports 0x92, 0x80 and 0xF0.
#include "devices/system_ports.h"

namespace kestrel::devices {

void SystemPorts::reset() {
  port_a_ = 0;
  post_ = 0;
  post_writes_ = 0;
  fpu_irq.lower();
}

uint32_t SystemPorts::io_read(uint16_t port, unsigned size) {
  if (port == kSystemControlPortA) return port_a_;
  // Port 0x80 is write-only: reads float, as on QEMU's PC.
  return open_bus(size);
}

void SystemPorts::io_write(uint16_t port, uint32_t value, unsigned) {
  if (port == kFpuErrorPort) {
    fpu_irq.lower();
    return;
  }
  if (port == kPostPort) {
    post_ = uint8_t(value);
    ++post_writes_;
    return;
  }
  if (port != kSystemControlPortA) return;
  const uint8_t old = port_a_;
  // Bit 0 is the fast-reset trigger: it reads back as written (QEMU keeps
  // it too) and resets on the 0 -> 1 transition only.
  port_a_ = uint8_t(value) & 0x03;
  if ((old ^ port_a_) & 0x02 && on_a20) on_a20(port_a_ & 0x02);
  if (!(old & 0x01) && (port_a_ & 0x01) && on_reset) on_reset();
}

}  // namespace kestrel::devices
