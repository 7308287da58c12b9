// SPDX-License-Identifier: MIT
// The board's network part. The NICs (e1000, virtio-net) and the host backends they are connected to, polled by the run loop.
#pragma once

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Network {
 public:
  Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;
};

}  // namespace kestrel::machine
