// SPDX-License-Identifier: MIT
// The board's port-I/O bus: a flat 64K-entry table from port number to the
// device that decodes it (DESIGN.md, "Devices and time"). The CPU sees it as
// a cpu::PortIo; the machine fills it while wiring devices.
#pragma once

#include <cstdint>
#include <memory>

#include "cpu/port_io.h"
#include "devices/device.h"

namespace kestrel::machine {

inline constexpr unsigned kPortCount = 0x10000;

class IoBus final : public cpu::PortIo {
 public:
  IoBus();

  /// Routes ports [first, first + count) to `device`. Claiming a port twice
  /// is a wiring bug and throws std::logic_error.
  void claim(uint16_t first, unsigned count, devices::Device& device);
  /// Leaves ports [first, first + count) unclaimed again.
  void release(uint16_t first, unsigned count);
  /// The device that decodes `port`, or nullptr.
  devices::Device* owner(uint16_t port) const { return table_[port]; }

  /// An access goes whole to the device that owns its first port; an
  /// unclaimed port reads as all ones and drops writes (open ISA bus).
  uint32_t in(uint16_t port, unsigned size) override;
  void out(uint16_t port, uint32_t value, unsigned size) override;

 private:
  std::unique_ptr<devices::Device*[]> table_;
};

}  // namespace kestrel::machine
