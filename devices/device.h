// SPDX-License-Identifier: MIT
// The base of every device: a power-on reset and the port-I/O entry points
// the machine's I/O bus calls. Wiring (which ports, which IRQ line) is the
// business of machine/; a device never knows its neighbours.
#pragma once

#include <cstdint>

namespace kestrel::devices {

/// All ones on the low `size` bytes: what an undriven ISA data bus reads.
constexpr uint32_t open_bus(unsigned size) {
  return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

class Device {
 public:
  virtual ~Device() = default;

  /// Returns the device to its power-on state.
  virtual void reset() = 0;

  /// A guest IN from a port the machine routed to this device; `size` is 1,
  /// 2 or 4 and `port` is the first port of the access. Devices without
  /// readable registers leave the bus floating.
  virtual uint32_t io_read(uint16_t port, unsigned size) {
    (void)port;
    return open_bus(size);
  }
  /// A guest OUT to a port the machine routed to this device.
  virtual void io_write(uint16_t port, uint32_t value, unsigned size) {
    (void)port, (void)value, (void)size;
  }
};

}  // namespace kestrel::devices
