// SPDX-License-Identifier: MIT
// The two ends of an Ethernet link: a NIC (e1000, virtio-net) as a
// NetPeer and the host side (user networking through libslirp, a capture
// tap) as a NetBackend. Frames are whole Ethernet frames without the FCS.
// Everything runs on the machine thread: the backend is polled by the run
// loop and delivers received frames from there.
#pragma once

#include <cstdint>
#include <span>

namespace kestrel::devices {

/// The NIC's side, as the backend sees it.
class NetPeer {
 public:
  virtual ~NetPeer() = default;
  /// Whether the guest has posted buffers for a frame now; while false the
  /// backend holds frames back (and drops them when its queue is full).
  virtual bool can_receive() const = 0;
  /// A frame from the network for the guest.
  virtual void receive(std::span<const uint8_t> frame) = 0;
};

/// The host's side, as the NIC sees it.
class NetBackend {
 public:
  virtual ~NetBackend() = default;
  /// Connects the NIC that receives this backend's frames (one per backend).
  virtual void attach(NetPeer& peer) = 0;
  /// A frame the guest transmitted.
  virtual void send(std::span<const uint8_t> frame) = 0;
  /// The NIC's receive buffers became available again: deliver held frames.
  virtual void peer_ready() = 0;
};

}  // namespace kestrel::devices
