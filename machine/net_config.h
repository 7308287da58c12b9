// SPDX-License-Identifier: MIT
// What the board's network section is configured with: the NICs and the
// host backends (owned by the frontend) they are connected to, and the
// host-side services (libslirp instances) the run loop polls.
#pragma once

#include <poll.h>

#include <array>
#include <cstdint>
#include <vector>

#include "devices/net.h"

namespace kestrel::machine {

struct NicConfig {
  enum class Model : uint8_t { kE1000, kVirtio };
  Model model = Model::kE1000;
  std::array<uint8_t, 6> mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};  ///< QEMU's default
  devices::NetBackend* backend = nullptr;  ///< nullptr: link down, frames dropped
};

/// A host backend with sockets and timers of its own, serviced on the
/// machine thread between slices and waited on while the guest CPU halts.
class NetService {
 public:
  virtual ~NetService() = default;
  /// Handles ready sockets and due timers without blocking, and hands
  /// held frames to the NIC while it can receive.
  virtual void poll() = 0;
  /// Appends the descriptors whose readiness should wake a halted CPU.
  virtual void wait_fds(std::vector<pollfd>& fds) = 0;
};

struct NetConfig {
  std::vector<NicConfig> nics;
  std::vector<NetService*> services;  ///< owned by the frontend, like the backends
};

}  // namespace kestrel::machine
