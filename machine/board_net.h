// SPDX-License-Identifier: MIT
// The board's network part: the NICs (e1000, virtio-net) on PCI slots 3, 4,
// ... in configuration order, and the host services (libslirp) the run loop
// polls between slices and waits on while the CPU halts.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "devices/device.h"
#include "devices/pci.h"
#include "machine/net_config.h"

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Network {
 public:
  /// The first PCI device number NICs take (QEMU's pc puts the first at 03).
  static constexpr unsigned kFirstSlot = 3;

  explicit Network(const NetConfig& config) : services_(config.services) {}
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  /// The NICs in configuration order (each also a Device for reset).
  const std::vector<std::unique_ptr<devices::PciFunction>>& nics() const { return nics_; }
  void add_nic(std::unique_ptr<devices::PciFunction> nic) { nics_.push_back(std::move(nic)); }
  void poll();
  /// Sleeps up to `timeout`, returning early when a service's socket is
  /// ready; false (nothing waited) when there are no services.
  bool wait(std::chrono::nanoseconds timeout);

 private:
  std::vector<std::unique_ptr<devices::PciFunction>> nics_;
  std::vector<NetService*> services_;
  std::vector<pollfd> fds_;
};

}  // namespace kestrel::machine
