// SPDX-License-Identifier: MIT
// Packet capture: a NetBackend placed between a NIC and its backend that
// writes every frame in both directions to a libpcap file (LINKTYPE_ETHERNET,
// host-clock timestamps), readable by tcpdump, tshark and Wireshark.
#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "devices/net.h"

namespace kestrel::machine {

class PcapTap final : public devices::NetBackend, public devices::NetPeer {
 public:
  /// Opens (truncates) `path` and writes the file header; nullptr and
  /// `error` when it cannot. `inner` (may be null) carries the frames on.
  static std::unique_ptr<PcapTap> create(const std::string& path, devices::NetBackend* inner,
                                         std::string& error);
  ~PcapTap() override;

  // devices::NetBackend (the NIC's side)
  void attach(devices::NetPeer& peer) override;
  void send(std::span<const uint8_t> frame) override;
  void peer_ready() override;
  // devices::NetPeer (the inner backend's side)
  bool can_receive() const override { return peer_ && peer_->can_receive(); }
  void receive(std::span<const uint8_t> frame) override;

 private:
  PcapTap(std::FILE* f, devices::NetBackend* inner) : file_(f), inner_(inner) {}
  void record(std::span<const uint8_t> frame);

  std::FILE* file_;
  devices::NetBackend* inner_;
  devices::NetPeer* peer_ = nullptr;
};

}  // namespace kestrel::machine
