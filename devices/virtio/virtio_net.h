// SPDX-License-Identifier: MIT
// virtio-net (virtio 1.0 §5.1) on the PCI transport: one receive and one
// transmit queue, the MAC and link status in the configuration, merged
// receive buffers and checksum offload (the device completes a transmitted
// frame's partial checksum before it leaves). The host end is a NetBackend.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "devices/net.h"
#include "devices/virtio/virtio_pci.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

/// Feature bits (§5.1.3).
enum VirtioNetFeature : unsigned {
  kVirtioNetFCsum = 0, kVirtioNetFGuestCsum = 1, kVirtioNetFMac = 5,
  kVirtioNetFMrgRxbuf = 15, kVirtioNetFStatus = 16,
};

/// virtio_net_hdr (§5.1.6): with VERSION_1 always 12 bytes, num_buffers
/// included.
inline constexpr unsigned kVirtioNetHdrSize = 12;
enum VirtioNetHdrFlag : uint8_t { kVirtioNetHdrNeedsCsum = 1, kVirtioNetHdrDataValid = 2 };
inline constexpr uint16_t kVirtioNetQueueSize = 256;
inline constexpr unsigned kVirtioNetRxQueue = 0, kVirtioNetTxQueue = 1;
/// The largest frame transmitted (no TSO is offered): more is dropped.
inline constexpr uint32_t kVirtioNetMaxFrame = 65535;

/// The virtio-net PCI function (1af4:1041, class 02 00 00); INTA#.
class VirtioNet final : public VirtioPciFunction, public devices::NetPeer {
 public:
  /// `backend` may be null (link down, frames dropped); otherwise the device
  /// attaches itself to it and it must outlive the device.
  VirtioNet(mmu::Mmu& mem, const std::array<uint8_t, 6>& mac, devices::NetBackend* backend);

  // ---- NetPeer ----
  bool can_receive() const override;
  void receive(std::span<const uint8_t> frame) override;

  /// Frames dropped since power-on (no buffer, malformed, too long).
  uint64_t dropped() const { return dropped_; }

 private:
  void queue_notify(unsigned n) override;
  void transmit();
  bool transmit_one(const VirtqChain& chain);
  bool receive_merged(std::span<const uint8_t> frame);
  bool receive_single(std::span<const uint8_t> frame);

  devices::NetBackend* backend_;
  std::vector<uint8_t> frame_;  ///< transmit staging buffer
  uint64_t dropped_ = 0;
};

}  // namespace kestrel::devices
