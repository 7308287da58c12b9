// SPDX-License-Identifier: MIT
// The CPU's view of port I/O: one interface, implemented by the board's I/O
// bus (machine/) or by a test fixture. The CPU never sees a device.
#pragma once

#include <cstdint>

namespace kestrel::cpu {

class PortIo {
 public:
  virtual ~PortIo() = default;
  /// Reads `size` (1, 2 or 4) bytes from `port`.
  virtual uint32_t in(uint16_t port, unsigned size) = 0;
  virtual void out(uint16_t port, uint32_t value, unsigned size) = 0;
};

/// A bus with nothing on it: reads return all ones, writes vanish.
class OpenBus final : public PortIo {
 public:
  uint32_t in(uint16_t, unsigned size) override {
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
  }
  void out(uint16_t, uint32_t, unsigned) override {}
};

}  // namespace kestrel::cpu
