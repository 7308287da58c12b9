// SPDX-License-Identifier: MIT
// virtio-net frames (virtio 1.0 §5.1.6): every buffer starts with a 12-byte
// virtio_net_hdr. Transmit completes a partial checksum the driver left
// (NEEDS_CSUM) before the frame goes to the backend; receive spreads a
// frame over as many buffers as it needs when MRG_RXBUF is negotiated and
// reports their number in num_buffers.
#include "devices/virtio/virtio_net.h"

#include <algorithm>
#include <array>

namespace kestrel::devices {
namespace {

constexpr uint16_t kVirtioTypeNet = 1;
constexpr uint32_t kPciClassEthernet = 0x020000;
/// Config layout (§5.1.4): mac, status, max_virtqueue_pairs.
constexpr unsigned kCfgMac = 0, kCfgStatus = 6, kConfigSize = 10;
constexpr uint16_t kLinkUp = 1;
/// virtio_net_hdr fields.
constexpr unsigned kHdrFlags = 0, kHdrGsoType = 1, kHdrCsumStart = 6, kHdrCsumOffset = 8,
                   kHdrNumBuffers = 10;
/// The most buffers one received frame may take (a 64 KiB frame in 1 KiB
/// buffers, with room).
constexpr unsigned kMaxMergedBuffers = 80;

constexpr uint64_t kNetFeatures =
    1u << kVirtioNetFCsum | 1u << kVirtioNetFGuestCsum | 1u << kVirtioNetFMac |
    1u << kVirtioNetFMrgRxbuf | 1u << kVirtioNetFStatus;

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

// RFC 1071 one's complement sum of `data` as big-endian 16-bit words.
uint16_t internet_checksum(std::span<const uint8_t> data) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += uint32_t(data[i] << 8 | data[i + 1]);
  if (data.size() & 1) sum += uint32_t(data.back() << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace

VirtioNet::VirtioNet(mmu::Mmu& mem, const std::array<uint8_t, 6>& mac, NetBackend* backend)
    : VirtioPciFunction(mem, kVirtioTypeNet, kPciClassEthernet, 2, kVirtioNetQueueSize,
                        kNetFeatures, kConfigSize),
      backend_(backend) {
  std::copy(mac.begin(), mac.end(), config_.begin() + kCfgMac);
  config_[kCfgStatus] = backend ? kLinkUp : 0;
  if (backend_) backend_->attach(*this);
}

void VirtioNet::queue_notify(unsigned n) {
  if (n == kVirtioNetTxQueue) {
    transmit();
  } else if (n == kVirtioNetRxQueue && backend_) {
    backend_->peer_ready();
  }
}

void VirtioNet::transmit() {
  Virtqueue& q = queue(kVirtioNetTxQueue);
  drain(q, [this, &q](VirtqChain& chain) {
    if (!transmit_one(chain)) ++dropped_;
    q.push(ram(), chain.head, 0);
  });
}

// Device-writable buffers in a transmit chain, a chain shorter than the
// header, GSO (never offered) or a checksum position outside the frame:
// the frame is dropped and the chain returned.
bool VirtioNet::transmit_one(const VirtqChain& chain) {
  if (!chain.writable.empty() || chain.readable_bytes < kVirtioNetHdrSize ||
      chain.readable_bytes - kVirtioNetHdrSize > kVirtioNetMaxFrame) {
    return false;
  }
  std::array<uint8_t, kVirtioNetHdrSize> hdr{};
  chain.gather(ram(), 0, hdr);
  if (hdr[kHdrGsoType] != 0) return false;
  frame_.resize(size_t(chain.readable_bytes - kVirtioNetHdrSize));
  chain.gather(ram(), kVirtioNetHdrSize, frame_);
  if (hdr[kHdrFlags] & kVirtioNetHdrNeedsCsum) {
    // §5.1.6.2: the field at csum_start + csum_offset holds the
    // pseudo-header sum; the checksum covers csum_start to the end.
    const size_t start = le16(&hdr[kHdrCsumStart]), field = start + le16(&hdr[kHdrCsumOffset]);
    if (field + 2 > frame_.size()) return false;
    const uint16_t sum = internet_checksum(std::span(frame_).subspan(start));
    frame_[field] = uint8_t(sum >> 8);
    frame_[field + 1] = uint8_t(sum);
  }
  if (!backend_) return false;
  backend_->send(frame_);
  return true;
}

bool VirtioNet::can_receive() const {
  return backend_ && driver_ok() && queue(kVirtioNetRxQueue).pending(ram()) > 0;
}

void VirtioNet::receive(std::span<const uint8_t> frame) {
  if (!backend_ || !driver_ok()) {
    ++dropped_;
    return;
  }
  const bool ok = negotiated(kVirtioNetFMrgRxbuf) ? receive_merged(frame) : receive_single(frame);
  if (!ok) ++dropped_;
  complete(queue(kVirtioNetRxQueue));
}

// Pops the next receive chain. False when none is left, or when the
// driver posted device-readable buffers (§5.1.6.3: receive buffers are
// device-writable), which breaks the queue: `broken` tells.
namespace {
bool next_rx_chain(Virtqueue& q, const GuestRam& ram, VirtqChain& chain, bool& broken) {
  const Virtqueue::Pop r = q.pop(ram, chain);
  broken = r == Virtqueue::Pop::kBroken || (r == Virtqueue::Pop::kChain && !chain.readable.empty());
  return r == Virtqueue::Pop::kChain && !broken;
}
}  // namespace

bool VirtioNet::receive_single(std::span<const uint8_t> frame) {
  Virtqueue& q = queue(kVirtioNetRxQueue);
  VirtqChain chain;
  bool broken = false;
  if (!next_rx_chain(q, ram(), chain, broken)) {
    if (broken) needs_reset();
    return false;
  }
  if (chain.writable_bytes < kVirtioNetHdrSize + frame.size()) {
    q.unpop(1);  // too small for this frame; a smaller one may fit later
    return false;
  }
  std::array<uint8_t, kVirtioNetHdrSize> hdr{};
  hdr[kHdrNumBuffers] = 1;
  chain.scatter(ram(), 0, hdr);
  chain.scatter(ram(), kVirtioNetHdrSize, frame);
  q.push(ram(), chain.head, uint32_t(kVirtioNetHdrSize + frame.size()));
  return true;
}

// §5.1.6.4.2: the header goes at the start of the first buffer, num_buffers
// says how many buffers the frame took; each is filled before the next.
bool VirtioNet::receive_merged(std::span<const uint8_t> frame) {
  Virtqueue& q = queue(kVirtioNetRxQueue);
  const uint64_t total = kVirtioNetHdrSize + frame.size();
  std::vector<VirtqChain> chains;
  uint64_t room = 0;
  bool broken = false;
  while (room < total && chains.size() < kMaxMergedBuffers) {
    VirtqChain c;
    if (!next_rx_chain(q, ram(), c, broken)) break;
    room += c.writable_bytes;
    chains.push_back(std::move(c));
  }
  if (room < total) {
    if (broken) needs_reset();
    q.unpop(uint16_t(chains.size()));
    return false;
  }
  std::vector<uint8_t> data(static_cast<size_t>(total));
  data[kHdrNumBuffers] = uint8_t(chains.size());
  data[kHdrNumBuffers + 1] = uint8_t(chains.size() >> 8);
  std::copy(frame.begin(), frame.end(), data.begin() + kVirtioNetHdrSize);
  uint64_t done = 0;
  for (const VirtqChain& c : chains) {
    const size_t n = size_t(std::min<uint64_t>(c.writable_bytes, total - done));
    c.scatter(ram(), 0, std::span(data).subspan(size_t(done), n));
    q.push(ram(), c.head, uint32_t(n));
    done += n;
  }
  return true;
}

}  // namespace kestrel::devices
