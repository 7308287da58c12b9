// SPDX-License-Identifier: MIT
// The libpcap file format (the classic one, microsecond timestamps): a
// 24-byte file header, then a 16-byte record header before each frame.
#include "machine/pcap.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace kestrel::machine {
namespace {

constexpr uint32_t kPcapMagic = 0xa1b2c3d4;  // microsecond resolution
constexpr uint32_t kSnapLen = 65535;
constexpr uint32_t kLinkTypeEthernet = 1;

void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }  // the writer's byte order
void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace

std::unique_ptr<PcapTap> PcapTap::create(const std::string& path, devices::NetBackend* inner,
                                         std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = std::strerror(errno);
    return nullptr;
  }
  std::array<uint8_t, 24> h{};
  put32(&h[0], kPcapMagic);
  put16(&h[4], 2);  // version 2.4
  put16(&h[6], 4);
  put32(&h[16], kSnapLen);
  put32(&h[20], kLinkTypeEthernet);
  if (std::fwrite(h.data(), 1, h.size(), f) != h.size() || std::fflush(f) != 0) {
    error = std::strerror(errno);
    std::fclose(f);
    return nullptr;
  }
  std::unique_ptr<PcapTap> tap(new PcapTap(f, inner));
  if (inner) inner->attach(*tap);
  return tap;
}

PcapTap::~PcapTap() { std::fclose(file_); }

void PcapTap::attach(devices::NetPeer& peer) { peer_ = &peer; }

void PcapTap::send(std::span<const uint8_t> frame) {
  record(frame);
  if (inner_) inner_->send(frame);
}

void PcapTap::peer_ready() {
  if (inner_) inner_->peer_ready();
}

void PcapTap::receive(std::span<const uint8_t> frame) {
  record(frame);
  if (peer_) peer_->receive(frame);
}

// Each record is flushed, so the file is complete even if the run is killed.
void PcapTap::record(std::span<const uint8_t> frame) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const uint32_t len = uint32_t(frame.size());
  const uint32_t incl = std::min(len, kSnapLen);
  std::array<uint8_t, 16> h{};
  put32(&h[0], uint32_t(us / 1'000'000));
  put32(&h[4], uint32_t(us % 1'000'000));
  put32(&h[8], incl);
  put32(&h[12], len);
  std::fwrite(h.data(), 1, h.size(), file_);
  std::fwrite(frame.data(), 1, incl, file_);
  std::fflush(file_);
}

}  // namespace kestrel::machine
