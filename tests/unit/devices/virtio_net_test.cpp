// SPDX-License-Identifier: MIT
// virtio-net driven by a fake guest: MAC and link status, transmit with
// checksum completion, receive into single and merged buffers, and the
// malformed cases (wrong-way buffers, short chains, frames that do not fit).
#include "devices/virtio/virtio_net.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/devices/virtio_guest.h"

namespace kestrel::devices {
namespace {

using test::GuestQueue;
using test::VirtioGuest;

constexpr uint64_t kVersion1 = uint64_t{1} << kVirtioFVersion1;
constexpr uint64_t kCsum = uint64_t{1} << kVirtioNetFCsum;
constexpr uint64_t kMrg = uint64_t{1} << kVirtioNetFMrgRxbuf;
constexpr uint64_t kRxBase = 0x100000, kTxBase = 0x110000;
constexpr uint64_t kBuf = 0x200000;
constexpr uint8_t kGuard = 0xa5;
constexpr std::array<uint8_t, 6> kMac{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

struct FakeBackend final : NetBackend {
  void attach(NetPeer& p) override { peer = &p; }
  void send(std::span<const uint8_t> f) override { sent.emplace_back(f.begin(), f.end()); }
  void peer_ready() override { ++ready; }
  NetPeer* peer = nullptr;
  std::vector<std::vector<uint8_t>> sent;
  int ready = 0;
};

struct Rig {
  Rig() : net(g.mmu, kMac, &backend) { g.plug(net); }
  void start(uint64_t features) {
    REQUIRE(g.negotiate(kVersion1 | features));
    rx = g.setup_queue(kVirtioNetRxQueue, 16, kRxBase);
    tx = g.setup_queue(kVirtioNetTxQueue, 16, kTxBase);
    g.driver_ok();
    REQUIRE(g.status() == 0x0f);
  }
  /// Posts `n` receive buffers of `len` bytes each at kBuf + i * 0x1000.
  void post_rx(unsigned n, uint32_t len) {
    for (unsigned i = 0; i < n; ++i) {
      const uint16_t d = uint16_t(rx.avail_idx % rx.size);
      g.set_desc(rx, d, kBuf + 0x1000u * d, len, kVirtqDescWrite);
      g.offer(rx, d);
    }
    g.kick(rx);
  }
  VirtioGuest g;
  FakeBackend backend;
  VirtioNet net;
  GuestQueue rx, tx;
};

// RFC 1071, the test's own: sum of big-endian words.
uint32_t sum16(const std::vector<uint8_t>& b, size_t from, size_t to, uint32_t sum = 0) {
  for (size_t i = from; i < to; i += 2) sum += uint32_t(b[i] << 8 | (i + 1 < to ? b[i + 1] : 0));
  return sum;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

/// An Ethernet + IPv4 + UDP frame with `payload` bytes; the UDP checksum
/// field holds the folded pseudo-header sum, as Linux leaves it for
/// CHECKSUM_PARTIAL.
std::vector<uint8_t> udp_frame(size_t payload) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload);
  f[12] = 0x08;  // IPv4
  f[14] = 0x45;
  const size_t ip_len = 20 + 8 + payload;
  f[16] = uint8_t(ip_len >> 8), f[17] = uint8_t(ip_len);
  f[22] = 64, f[23] = 17;  // TTL, UDP
  const uint8_t src[4] = {10, 0, 2, 15}, dst[4] = {10, 0, 2, 2};
  std::copy(src, src + 4, f.begin() + 26);
  std::copy(dst, dst + 4, f.begin() + 30);
  const size_t udp = 34, udp_len = 8 + payload;
  f[udp] = 0x30, f[udp + 1] = 0x39, f[udp + 2] = 0x00, f[udp + 3] = 0x35;
  f[udp + 4] = uint8_t(udp_len >> 8), f[udp + 5] = uint8_t(udp_len);
  for (size_t i = 0; i < payload; ++i) f[udp + 8 + i] = uint8_t(i * 13 + 1);
  const uint16_t pseudo = fold(sum16(f, 26, 34) + 17 + uint32_t(udp_len));
  f[udp + 6] = uint8_t(pseudo >> 8), f[udp + 7] = uint8_t(pseudo);
  return f;
}

std::vector<uint8_t> net_hdr(uint8_t flags, uint16_t csum_start, uint16_t csum_offset) {
  std::vector<uint8_t> h(kVirtioNetHdrSize);
  h[0] = flags;
  h[6] = uint8_t(csum_start), h[7] = uint8_t(csum_start >> 8);
  h[8] = uint8_t(csum_offset), h[9] = uint8_t(csum_offset >> 8);
  return h;
}

TEST_CASE("virtio-net: identity, MAC and link status") {
  Rig r;
  CHECK(r.net.config_read(kPciDeviceId, 2) == 0x1041);
  CHECK((r.net.config_read(kPciClassProg, 4) >> 8) == 0x0200);
  CHECK(r.backend.peer == &r.net);
  for (unsigned i = 0; i < 6; ++i) CHECK(r.g.rd(kVirtioDeviceCfg + i, 1) == kMac[i]);
  CHECK(r.g.rd(kVirtioDeviceCfg + 6, 2) == 1);  // VIRTIO_NET_S_LINK_UP
  CHECK(r.g.rd(kVirtioNumQueues, 2) == 2);
  const uint64_t f = r.g.device_features();
  for (unsigned bit : {kVirtioNetFCsum, kVirtioNetFGuestCsum, kVirtioNetFMac,
                       kVirtioNetFMrgRxbuf, kVirtioNetFStatus}) {
    CHECK(bool(f >> bit & 1));
  }
  VirtioGuest g2;
  VirtioNet down(g2.mmu, kMac, nullptr);
  g2.plug(down);
  CHECK(g2.rd(kVirtioDeviceCfg + 6, 2) == 0);
  CHECK_FALSE(down.can_receive());
}

TEST_CASE("virtio-net: transmit completes the partial checksum") {
  Rig r;
  r.start(kCsum);
  const std::vector<uint8_t> frame = udp_frame(101);  // odd length
  r.g.poke(kBuf, net_hdr(kVirtioNetHdrNeedsCsum, 34, 6));
  r.g.poke(kBuf + 0x100, std::vector<uint8_t>(frame.begin(), frame.begin() + 20));
  r.g.poke(kBuf + 0x800, std::vector<uint8_t>(frame.begin() + 20, frame.end()));
  r.g.set_desc(r.tx, 0, kBuf, kVirtioNetHdrSize, kVirtqDescNext, 1);
  r.g.set_desc(r.tx, 1, kBuf + 0x100, 20, kVirtqDescNext, 2);
  r.g.set_desc(r.tx, 2, kBuf + 0x800, uint32_t(frame.size() - 20), 0);
  r.g.submit(r.tx, 0);
  REQUIRE(r.backend.sent.size() == 1);
  const std::vector<uint8_t>& out = r.backend.sent[0];
  REQUIRE(out.size() == frame.size());
  CHECK(std::equal(out.begin(), out.begin() + 40, frame.begin()));
  CHECK(std::equal(out.begin() + 42, out.end(), frame.begin() + 42));
  // The checksum over pseudo-header + UDP header + data now verifies.
  const uint32_t pseudo = sum16(out, 26, 34) + 17 + uint32_t(out.size() - 34);
  CHECK(fold(sum16(out, 34, out.size(), pseudo)) == 0xffff);
  CHECK(r.g.used_idx(r.tx) == 1);
  CHECK(r.g.irq());
}

TEST_CASE("virtio-net: transmit without checksum offload passes the frame as is") {
  Rig r;
  r.start(0);
  std::vector<uint8_t> frame = udp_frame(20);
  std::vector<uint8_t> buf = net_hdr(0, 0, 0);
  buf.insert(buf.end(), frame.begin(), frame.end());
  r.g.poke(kBuf, buf);
  r.g.set_desc(r.tx, 0, kBuf, uint32_t(buf.size()), 0);
  r.g.submit(r.tx, 0);
  REQUIRE(r.backend.sent.size() == 1);
  CHECK(r.backend.sent[0] == frame);
}

TEST_CASE("virtio-net: malformed transmit chains are dropped and returned") {
  Rig r;
  r.start(kCsum);
  r.g.fill(kBuf, 0x100, 0);
  SUBCASE("device-writable buffer") {
    r.g.set_desc(r.tx, 0, kBuf, 64, kVirtqDescWrite);
  }
  SUBCASE("shorter than the header") { r.g.set_desc(r.tx, 0, kBuf, 8, 0); }
  SUBCASE("checksum field beyond the frame") {
    r.g.poke(kBuf, net_hdr(kVirtioNetHdrNeedsCsum, 40, 30));
    r.g.set_desc(r.tx, 0, kBuf, 64, 0);
  }
  SUBCASE("GSO never offered") {
    r.g.poke(kBuf, {0, 1});
    r.g.set_desc(r.tx, 0, kBuf, 64, 0);
  }
  r.g.submit(r.tx, 0);
  CHECK(r.backend.sent.empty());
  CHECK(r.net.dropped() == 1);
  CHECK(r.g.used_idx(r.tx) == 1);
  CHECK_FALSE(bool(r.g.status() & kVirtioNeedsReset));
}

TEST_CASE("virtio-net: receive into merged buffers") {
  Rig r;
  r.start(kMrg);
  CHECK_FALSE(r.net.can_receive());
  r.g.fill(kBuf, 0x10000, kGuard);
  const int ready = r.backend.ready;
  r.post_rx(4, 1000);
  CHECK(r.backend.ready == ready + 1);  // the kick told the backend
  CHECK(r.net.can_receive());
  std::vector<uint8_t> frame(2000);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = uint8_t(i * 3);
  r.net.receive(frame);
  REQUIRE(r.g.used_idx(r.rx) == 3);
  CHECK(r.g.used(r.rx, 0).len == 1000);
  CHECK(r.g.used(r.rx, 1).len == 1000);
  CHECK(r.g.used(r.rx, 2).len == 12);
  CHECK(r.g.mmu.read_phys(kBuf + 10, 2) == 3);  // num_buffers
  std::vector<uint8_t> got = r.g.peek(kBuf + 12, 988);
  const std::vector<uint8_t> b1 = r.g.peek(kBuf + 0x1000, 1000), b2 = r.g.peek(kBuf + 0x2000, 12);
  got.insert(got.end(), b1.begin(), b1.end());
  got.insert(got.end(), b2.begin(), b2.end());
  CHECK(got == frame);
  CHECK(r.g.untouched(kBuf + 0x2000 + 12, 0x1000 - 12, kGuard));
  CHECK(r.g.untouched(kBuf + 0x3000, 0x1000, kGuard));  // the fourth stays free
  CHECK(r.g.irq());
  // Not enough room left: the frame is dropped and the buffer kept.
  r.net.receive(frame);
  CHECK(r.g.used_idx(r.rx) == 3);
  CHECK(r.net.dropped() == 1);
  r.net.receive(std::vector<uint8_t>(60, 0x11));
  CHECK(r.g.used_idx(r.rx) == 4);
  CHECK(r.g.used(r.rx, 3).len == 72);
  CHECK(r.g.mmu.read_phys(kBuf + 0x3000 + 10, 2) == 1);
}

TEST_CASE("virtio-net: receive without merged buffers takes one chain per frame") {
  Rig r;
  r.start(0);
  r.g.fill(kBuf, 0x3000, kGuard);
  r.post_rx(2, 1526);
  const std::vector<uint8_t> frame(1514, 0x42);
  r.net.receive(frame);
  REQUIRE(r.g.used_idx(r.rx) == 1);
  CHECK(r.g.used(r.rx, 0).len == 1526);
  CHECK(r.g.peek(kBuf + 12, 1514) == frame);
  CHECK(r.g.untouched(kBuf + 1526, 0x1000 - 1526, kGuard));
  // Too big for a buffer: dropped, the buffer stays posted.
  r.net.receive(std::vector<uint8_t>(2000, 1));
  CHECK(r.g.used_idx(r.rx) == 1);
  CHECK(r.net.can_receive());
  CHECK(r.g.untouched(kBuf + 0x1000, 0x1000, kGuard));
}

TEST_CASE("virtio-net: device-readable receive buffers break the queue") {
  Rig r;
  r.start(kMrg);
  r.g.fill(kBuf, 0x1000, kGuard);
  r.g.set_desc(r.rx, 0, kBuf, 1000, 0);
  r.g.submit(r.rx, 0);
  r.net.receive(std::vector<uint8_t>(60, 0x11));
  CHECK(bool(r.g.status() & kVirtioNeedsReset));
  CHECK(r.g.untouched(kBuf, 0x1000, kGuard));
  CHECK_FALSE(r.net.can_receive());
}

}  // namespace
}  // namespace kestrel::devices
