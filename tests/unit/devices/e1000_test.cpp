// SPDX-License-Identifier: MIT
// The 82540EM: EEPROM (EERD and Microwire), PHY, transmit and receive rings,
// checksum offload, TCP segmentation, receive filters, ICR semantics and
// throttling, and rings a hostile guest points at nonsense.
#include "devices/e1000.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

constexpr uint64_t kRam = 16u << 20;
constexpr uint64_t kTxRing = 0x10000, kRxRing = 0x20000, kBuffers = 0x100000;
constexpr std::array<uint8_t, 6> kMac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct NoSpaces final : PciSpaces {
  void map_io(uint16_t, unsigned, Device&) override {}
  void unmap_io(uint16_t, unsigned, Device&) override {}
  void map_mmio(uint64_t, uint64_t, mmu::MmioHandler&) override {}
  void unmap_mmio(uint64_t, mmu::MmioHandler&) override {}
};

struct Pirqs final : IrqSink {
  void set_irq(unsigned pin, bool level) override { levels[pin & 3] = level; }
  bool levels[4] = {};
};

struct Wire final : NetBackend {
  void attach(NetPeer& p) override { peer = &p; }
  void send(std::span<const uint8_t> f) override { sent.emplace_back(f.begin(), f.end()); }
  void peer_ready() override { ++ready; }
  NetPeer* peer = nullptr;
  std::vector<std::vector<uint8_t>> sent;
  unsigned ready = 0;
};

struct Rig {
  Rig() : mmu(kRam, 32), bus(spaces), nic(mmu, clock, kMac, &wire) {
    bus.connect_pirq(pirqs);
    bus.attach(3, 0, nic);  // INTA# of slot 3 reaches PIRQ C
    nic.config_write(kPciCommand, kPciCmdMemory | kPciCmdMaster, 2);
  }
  uint32_t rd(uint32_t r) { return uint32_t(nic.mmio_read(r, 4)); }
  void wr(uint32_t r, uint32_t v) { nic.mmio_write(r, v, 4); }
  bool irq() const { return pirqs.levels[2]; }
  void put(uint64_t pa, std::span<const uint8_t> b) { mmu.load_phys(pa, b); }
  std::vector<uint8_t> get(uint64_t pa, size_t n) {
    std::vector<uint8_t> v(n);
    mmu.copy_from_phys(pa, v);
    return v;
  }
  void tx_ring(unsigned descs) {
    wr(kE1000Tdbal, uint32_t(kTxRing));
    wr(kE1000Tdbah, 0);
    wr(kE1000Tdlen, descs * 16);
    wr(kE1000Tdh, 0);
    wr(kE1000Tdt, 0);
    wr(kE1000Tctl, 2);
  }
  /// A raw 16-byte descriptor at slot `i` of the transmit ring.
  void tx_desc(unsigned i, uint64_t addr, uint32_t lower, uint32_t upper) {
    std::array<uint8_t, 16> d{};
    for (int b = 0; b < 8; ++b) d[b] = uint8_t(addr >> (8 * b));
    for (int b = 0; b < 4; ++b) d[8 + b] = uint8_t(lower >> (8 * b)), d[12 + b] = uint8_t(upper >> (8 * b));
    put(kTxRing + 16 * i, d);
  }
  void rx_ring(unsigned descs, unsigned posted) {
    for (unsigned i = 0; i < descs; ++i) {
      std::array<uint8_t, 16> d{};
      const uint64_t buf = kBuffers + 0x1000 * i;
      for (int b = 0; b < 8; ++b) d[b] = uint8_t(buf >> (8 * b));
      put(kRxRing + 16 * i, d);
    }
    wr(kE1000Rdbal, uint32_t(kRxRing));
    wr(kE1000Rdlen, descs * 16);
    wr(kE1000Rdh, 0);
    wr(kE1000Rdt, posted);
    wr(kE1000Rctl, 2 | 1u << 15);  // EN, BAM, 2 KiB buffers
  }
  test::ManualClock clock;
  mmu::Mmu mmu;
  NoSpaces spaces;
  PciBus bus;
  Pirqs pirqs;
  Wire wire;
  E1000 nic;
};

uint16_t be16(const std::vector<uint8_t>& f, size_t at) { return uint16_t(f[at] << 8 | f[at + 1]); }
uint32_t be32(const std::vector<uint8_t>& f, size_t at) {
  return uint32_t(be16(f, at)) << 16 | be16(f, at + 2);
}

/// Folded ones-complement sum; a correct checksummed range sums to 0xffff.
uint16_t ones_sum(const std::vector<uint8_t>& f, size_t start, size_t end, uint32_t extra = 0) {
  uint64_t s = extra;
  for (size_t i = start; i + 1 < end; i += 2) s += be16(f, i);
  if ((end - start) & 1) s += uint32_t(f[end - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

/// Ethernet + IPv4 (20) + TCP (20) headers followed by `payload` bytes.
std::vector<uint8_t> tcp_packet(size_t payload, uint8_t flags) {
  std::vector<uint8_t> p(54 + payload);
  for (int i = 0; i < 6; ++i) p[i] = 0xaa, p[6 + i] = kMac[i];
  p[12] = 0x08, p[13] = 0x00;
  p[14] = 0x45, p[22] = 64, p[23] = 6;  // version/IHL, TTL, TCP
  p[18] = 0x12, p[19] = 0x34;           // identification
  p[26] = 10, p[27] = 0, p[28] = 2, p[29] = 15;
  p[30] = 10, p[31] = 0, p[32] = 2, p[33] = 2;
  p[34] = 0x1f, p[35] = 0x90, p[36] = 0x30, p[37] = 0x39;  // ports
  p[38] = 0x00, p[39] = 0x00, p[40] = 0x10, p[41] = 0x00;  // seq 0x1000
  p[46] = 0x50, p[47] = flags;
  for (size_t i = 0; i < payload; ++i) p[54 + i] = uint8_t(i * 7);
  return p;
}

/// The TCP pseudo-header sum without the length, as Linux seeds for TSO.
uint16_t pseudo_seed(const std::vector<uint8_t>& p) {
  uint32_t s = be16(p, 26) + be16(p, 28) + be16(p, 30) + be16(p, 32) + 6;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

TEST_CASE("e1000: PCI identity, EEPROM checksum 0xBABA and the MAC through EERD") {
  Rig r;
  CHECK(r.nic.config_read(kPciVendorId, 4) == 0x100e8086);
  uint16_t sum = 0;
  for (uint16_t w : r.nic.eeprom()) sum = uint16_t(sum + w);
  CHECK(sum == 0xbaba);
  r.wr(kE1000Eerd, 1u << 8 | 1);
  const uint32_t v = r.rd(kE1000Eerd);
  CHECK((v & 0x10) != 0);
  CHECK((v >> 16) == 0x1200);  // word 1: bytes 2 and 3 of the MAC
  CHECK(r.rd(kE1000Ral) == 0x12005452);
  CHECK(r.rd(kE1000Rah) == (0x80000000u | 0x5634));
  CHECK((r.rd(kE1000Status) & 2) != 0);  // link up
}

TEST_CASE("e1000: Microwire EEPROM read by bit-banging EECD, as Linux does") {
  Rig r;
  auto clock_bit = [&](uint32_t base, bool di) {
    const uint32_t v = base | (di ? 4u : 0u);
    r.wr(kE1000Eecd, v);
    r.wr(kE1000Eecd, v | 1);  // SK up
    r.wr(kE1000Eecd, v);
  };
  r.wr(kE1000Eecd, 1u << 6);  // REQ
  REQUIRE((r.rd(kE1000Eecd) & (1u << 7)) != 0);  // GNT
  const uint32_t cs = 1u << 6 | 2;
  r.wr(kE1000Eecd, cs);
  const unsigned cmd = 0b110u << 6 | 2;  // READ word 2
  for (int b = 8; b >= 0; --b) clock_bit(cs, (cmd >> b) & 1);
  uint16_t word = 0;
  for (int i = 0; i < 16; ++i) {
    r.wr(kE1000Eecd, cs | 1);
    word = uint16_t(word << 1 | ((r.rd(kE1000Eecd) >> 3) & 1));
    r.wr(kE1000Eecd, cs);
  }
  CHECK(word == 0x5634);
}

TEST_CASE("e1000: MDIC reads the M88 PHY's ID and link status; other PHY addresses fail") {
  Rig r;
  r.wr(kE1000Mdic, 2u << 26 | 1u << 21 | 2u << 16);
  CHECK((r.rd(kE1000Mdic) & 0x1000ffff) == 0x10000141);
  r.wr(kE1000Mdic, 2u << 26 | 1u << 21 | 1u << 16);
  CHECK((r.rd(kE1000Mdic) & 0x4) != 0);
  r.wr(kE1000Mdic, 2u << 26 | 2u << 21 | 1u << 16);
  CHECK((r.rd(kE1000Mdic) & (1u << 30)) != 0);
}

TEST_CASE("e1000: a legacy transmit descriptor sends a frame, sets DD and raises TXDW") {
  Rig r;
  r.tx_ring(8);
  r.wr(kE1000Ims, kE1000IntTxdw);
  const std::vector<uint8_t> frame = tcp_packet(10, 0x18);
  r.put(kBuffers, frame);
  r.tx_desc(0, kBuffers, 0x0b000000u | uint32_t(frame.size()), 0);  // EOP IFCS RS
  r.wr(kE1000Tdt, 1);
  REQUIRE(r.wire.sent.size() == 1);
  CHECK(r.wire.sent[0] == frame);
  CHECK(r.rd(kE1000Tdh) == 1);
  CHECK((r.get(kTxRing + 12, 1)[0] & 1) == 1);
  CHECK(r.irq());
  const uint32_t icr = r.rd(kE1000Icr);
  CHECK((icr & kE1000IntTxdw) != 0);
  CHECK(r.rd(kE1000Icr) == 0);  // read to clear
  CHECK_FALSE(r.irq());
  CHECK(r.rd(kE1000Gptc) == 1);
  CHECK(r.rd(kE1000Gptc) == 0);  // statistics clear on read
}

TEST_CASE("e1000: ICS sets causes, IMC masks them, ICR writes clear them") {
  Rig r;
  r.wr(kE1000Ics, kE1000IntLsc);
  CHECK_FALSE(r.irq());  // masked
  r.wr(kE1000Ims, kE1000IntLsc);
  CHECK(r.irq());
  r.wr(kE1000Imc, kE1000IntLsc);
  CHECK_FALSE(r.irq());
  r.wr(kE1000Ims, kE1000IntLsc);
  r.wr(kE1000Icr, kE1000IntLsc);
  CHECK_FALSE(r.irq());
  CHECK(r.rd(kE1000Icr) == 0);
}

TEST_CASE("e1000: ITR holds a new interrupt back until the interval has passed") {
  Rig r;
  r.wr(kE1000Itr, 1000);  // 256 us
  r.wr(kE1000Ims, kE1000IntLsc);
  r.wr(kE1000Ics, kE1000IntLsc);
  CHECK(r.irq());
  r.rd(kE1000Icr);
  r.wr(kE1000Ics, kE1000IntLsc);
  CHECK_FALSE(r.irq());
  r.clock.advance(255'000);
  CHECK_FALSE(r.irq());
  r.clock.advance(1'000);
  CHECK(r.irq());
}

TEST_CASE("e1000: context + data descriptors insert the IPv4 and TCP checksums") {
  Rig r;
  r.tx_ring(8);
  std::vector<uint8_t> p = tcp_packet(101, 0x18);
  const uint16_t tcp_len = uint16_t(p.size() - 34);
  p[16] = uint8_t((p.size() - 14) >> 8), p[17] = uint8_t(p.size() - 14);
  const uint32_t seed = pseudo_seed(p) + tcp_len;
  p[50] = uint8_t((seed + (seed >> 16)) >> 8), p[51] = uint8_t(seed + (seed >> 16));
  r.put(kBuffers, p);
  // Context: IPCSS 14, IPCSO 24, IPCSE 33, TUCSS 34, TUCSO 50, TUCSE 0; TUCMD IP|TCP, DEXT.
  r.tx_desc(0, uint64_t(14 | 24 << 8 | 33u << 16) | uint64_t(34 | 50 << 8) << 32,
            1u << 29 | 0x03u << 24, 0);
  r.tx_desc(1, kBuffers, 1u << 29 | 1u << 20 | 0x0au << 24 | 40, 0x03u << 8);  // IXSM TXSM, no EOP
  r.tx_desc(2, kBuffers + 40, 1u << 29 | 1u << 20 | 0x0bu << 24 | uint32_t(p.size() - 40), 0);
  r.wr(kE1000Tdt, 3);
  REQUIRE(r.wire.sent.size() == 1);
  const std::vector<uint8_t>& f = r.wire.sent[0];
  CHECK(ones_sum(f, 14, 34) == 0xffff);
  CHECK(ones_sum(f, 34, f.size(), pseudo_seed(f) + tcp_len) == 0xffff);
}

TEST_CASE("e1000: TSO cuts MSS-sized frames with fixed lengths, ids, sequence numbers and checksums") {
  Rig r;
  r.tx_ring(16);
  const size_t payload = 2500, mss = 1000;
  std::vector<uint8_t> p = tcp_packet(payload, 0x19);  // ACK PSH FIN
  const uint16_t seed = pseudo_seed(p);
  p[50] = uint8_t(seed >> 8), p[51] = uint8_t(seed);
  r.put(kBuffers, p);
  const uint32_t paylen = uint32_t(payload);
  r.tx_desc(0, uint64_t(14 | 24 << 8 | 33u << 16) | uint64_t(34 | 50 << 8) << 32,
            1u << 29 | 0x27u << 24 | paylen, uint32_t(54u << 8 | mss << 16));  // TSE IP TCP
  r.tx_desc(1, kBuffers, 1u << 29 | 1u << 20 | 0x2fu << 24 | uint32_t(p.size()), 0x03u << 8);
  r.wr(kE1000Tdt, 2);
  REQUIRE(r.wire.sent.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const std::vector<uint8_t>& f = r.wire.sent[i];
    const size_t chunk = i < 2 ? mss : payload - 2 * mss;
    CHECK(f.size() == 54 + chunk);
    CHECK(be16(f, 16) == 40 + chunk);
    CHECK(be16(f, 18) == 0x1234 + i);
    CHECK(ones_sum(f, 14, 34) == 0xffff);
    CHECK(be32(f, 38) == 0x1000 + i * mss);
    CHECK((f[47] & 0x09) == (i == 2 ? 0x09 : 0));  // FIN and PSH only on the last
    CHECK(ones_sum(f, 34, f.size(), pseudo_seed(f) + uint32_t(f.size() - 34)) == 0xffff);
    CHECK(std::equal(f.begin() + 54, f.end(), p.begin() + long(54 + i * mss)));
  }
}

TEST_CASE("e1000: receive fills a descriptor with the frame plus FCS and raises RXT0") {
  Rig r;
  r.rx_ring(8, 7);
  r.wr(kE1000Ims, kE1000IntRxt0);
  CHECK(r.nic.can_receive());
  std::vector<uint8_t> f = tcp_packet(100, 0x10);
  std::copy(kMac.begin(), kMac.end(), f.begin());
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 1);
  const std::vector<uint8_t> d = r.get(kRxRing, 16);
  CHECK((d[8] | d[9] << 8) == f.size() + 4);
  CHECK((d[12] & 3) == 3);  // DD EOP
  CHECK(r.get(kBuffers, f.size()) == f);
  CHECK(r.irq());
  // Another unicast address is filtered; broadcast passes with BAM.
  std::fill(f.begin(), f.begin() + 6, 0x02);
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 1);
  std::fill(f.begin(), f.begin() + 6, 0xff);
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 2);
  // Multicast through the MTA hash (MO = 0: bits 47:36 of the address).
  std::array<uint8_t, 6> mc{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
  std::copy(mc.begin(), mc.end(), f.begin());
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 2);
  const unsigned hash = (mc[4] >> 4 | mc[5] << 4) & 0xfff;
  r.wr(kE1000Mta + 4 * (hash >> 5), 1u << (hash & 31));
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 3);
}

TEST_CASE("e1000: no posted buffers means no receive; posting them tells the backend") {
  Rig r;
  r.rx_ring(8, 0);
  CHECK_FALSE(r.nic.can_receive());
  const unsigned before = r.wire.ready;
  r.wr(kE1000Rdt, 4);
  CHECK(r.nic.can_receive());
  CHECK(r.wire.ready > before);
  r.wr(kE1000Rdlen, 0);
  CHECK_FALSE(r.nic.can_receive());
}

TEST_CASE("e1000: malformed transmit rings are ignored without touching memory outside RAM") {
  Rig r;
  r.tx_ring(8);
  const std::vector<uint8_t> frame = tcp_packet(10, 0x10);
  r.put(kBuffers, frame);
  r.wr(kE1000Tdt, 9);  // beyond the ring
  CHECK(r.wire.sent.empty());
  r.wr(kE1000Tdt, 0);
  // Buffer outside RAM, zero length, a huge length, an address near 2^64.
  r.tx_desc(0, 0xfff00000, 0x0b000000u | 64, 0);
  r.tx_desc(1, kBuffers, 0x0b000000u, 0);
  r.tx_desc(2, kBuffers, 1u << 29 | 1u << 20 | 0x0bu << 24 | 0xfffff, 0);
  r.tx_desc(3, ~uint64_t{0} - 8, 0x0b000000u | 64, 0);
  r.tx_desc(4, kBuffers, 0x0b000000u | uint32_t(frame.size()), 0);
  r.wr(kE1000Tdt, 5);
  REQUIRE(r.wire.sent.size() == 1);  // only the good one
  CHECK(r.wire.sent[0] == frame);
  CHECK(r.rd(kE1000Tdh) == 5);
  // A ring outside RAM stops; TDH stays.
  r.wr(kE1000Tdbal, 0xfff00000);
  r.wr(kE1000Tdt, 7);
  CHECK(r.rd(kE1000Tdh) == 5);
  // A ring of length 0 does nothing; a TSO context with MSS 0 drops.
  r.wr(kE1000Tdlen, 0);
  r.wr(kE1000Tdt, 1);
  CHECK(r.wire.sent.size() == 1);
}

TEST_CASE("e1000: a full lap of chained descriptors without EOP ends and sends nothing") {
  Rig r;
  r.tx_ring(8);
  for (unsigned i = 0; i < 8; ++i) r.tx_desc(i, kBuffers, 0x08000000u | 1000, 0);  // RS, no EOP
  r.wr(kE1000Tdh, 1);
  r.wr(kE1000Tdt, 0);  // seven descriptors, then the tail
  CHECK(r.rd(kE1000Tdh) == 0);
  CHECK(r.wire.sent.empty());
}

TEST_CASE("e1000: receive buffers outside RAM or in device memory are not written") {
  Rig r;
  r.rx_ring(8, 3);
  std::array<uint8_t, 16> d{};
  const uint64_t bad = 0xfec00000;  // the IOAPIC's window: not RAM
  for (int b = 0; b < 8; ++b) d[b] = uint8_t(bad >> (8 * b));
  r.put(kRxRing, d);
  std::vector<uint8_t> f = tcp_packet(20, 0x10);
  std::fill(f.begin(), f.begin() + 6, 0xff);
  r.nic.receive(f);
  CHECK(r.rd(kE1000Rdh) == 1);
  const std::vector<uint8_t> back = r.get(kRxRing, 16);
  CHECK((back[12] & 1) == 1);     // consumed
  CHECK(back[13] == 0x80);        // with an error
  r.wr(kE1000Rdbal, 0xffff0000);  // ring outside RAM: nothing happens
  r.nic.receive(f);
  // Bus mastering off: no DMA at all.
  r.nic.config_write(kPciCommand, kPciCmdMemory, 2);
  CHECK_FALSE(r.nic.can_receive());
}

TEST_CASE("e1000: CTRL.RST returns the registers to power-on and reloads the MAC") {
  Rig r;
  r.wr(kE1000Ims, 0xff);
  r.wr(kE1000Ral, 0);
  r.wr(kE1000Ctrl, 1u << 26);
  CHECK(r.nic.peek(kE1000Ims) == 0);
  CHECK(r.rd(kE1000Ral) == 0x12005452);
  CHECK((r.rd(kE1000Ctrl) & (1u << 26)) == 0);
}

}  // namespace
}  // namespace kestrel::devices
