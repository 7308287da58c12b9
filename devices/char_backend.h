// SPDX-License-Identifier: MIT
// The host end of a serial port: where a UART's transmitted bytes go and
// where its received bytes come from (stdio, a file, nothing). The frontend
// makes backends; the UART only sees this interface.
#pragma once

#include <cstdint>
#include <optional>

namespace kestrel::devices {

class CharBackend {
 public:
  virtual ~CharBackend() = default;
  /// A byte the guest sent.
  virtual void write(uint8_t byte) = 0;
  /// The next byte for the guest, if the host has one now (never blocks).
  virtual std::optional<uint8_t> read() = 0;
  /// Host-side work on every round of the run loop, whether or not the
  /// device has room for a byte: a console's escape keys must work even
  /// when the guest does not read its port. The UART calls it from
  /// poll_input().
  virtual void poll() {}
};

}  // namespace kestrel::devices
