// SPDX-License-Identifier: MIT
// The 82540EM's transmit path: the descriptor ring, legacy and extended
// (context + data) descriptors, checksum insertion and TCP segmentation
// (SDM §3.3, §3.5, §3.6). Frames leave through the NetBackend.
#include <algorithm>

#include "devices/e1000.h"

namespace kestrel::devices {
namespace {

constexpr uint32_t kTctlEn = 1u << 1;
// Descriptor command bits (legacy CMD and extended DCMD share them).
constexpr uint8_t kCmdEop = 1u << 0, kCmdIcTse = 1u << 2, kCmdRs = 1u << 3,
                  kCmdRps = 1u << 4, kCmdIde = 1u << 7;
constexpr uint32_t kDext = 1u << 29;
constexpr uint8_t kTxDd = 1u << 0;
// Context TUCMD and data POPTS bits.
constexpr uint8_t kTucmdTcp = 1u << 0, kTucmdIp = 1u << 1;
constexpr uint8_t kPoptsIxsm = 1u << 0, kPoptsTxsm = 1u << 1;
constexpr uint8_t kTcpFin = 0x01, kTcpPsh = 0x08;

/// A gathered packet larger than this (TSO sends at most 64 KiB plus
/// headers) is dropped rather than buffered.
constexpr size_t kMaxPacket = 256 * 1024;
/// A TSO request that would make more frames than this is dropped.
constexpr size_t kMaxSegments = 4096;

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0] | p[1] << 8 | p[2] << 16) | uint32_t(p[3]) << 24;
}
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(be16(p)) << 16 | be16(p + 2); }
void put_be16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
void put_be32(uint8_t* p, uint32_t v) { put_be16(p, uint16_t(v >> 16)), put_be16(p + 2, uint16_t(v)); }

/// The Internet checksum (RFC 1071) of frame[start, end) plus `extra`,
/// stored at `at`; a range outside the frame leaves it unchanged.
void put_checksum(std::span<uint8_t> f, size_t start, size_t end, size_t at, uint32_t extra,
                  bool udp) {
  end = std::min(end, f.size());
  if (start >= end || at + 2 > f.size()) return;
  uint64_t sum = extra;
  for (size_t i = start; i + 1 < end; i += 2) sum += be16(&f[i]);
  if ((end - start) & 1) sum += uint32_t(f[end - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t result = uint16_t(~sum);
  if (udp && result == 0) result = 0xffff;  // RFC 768: zero means "no checksum"
  put_be16(&f[at], result);
}

}  // namespace

// Runs the ring from TDH to TDT (§3.4). A ring whose pointers lie outside
// it, or whose descriptors are not in RAM, stops; at most one lap is
// processed per call, so a guest cannot make it spin.
void E1000::process_tx() {
  if (in_tx_ || !(reg(kE1000Tctl) & kTctlEn)) return;
  const unsigned n = tx_ring_size();
  unsigned h = reg(kE1000Tdh);
  const unsigned t = reg(kE1000Tdt);
  if (n == 0 || h >= n || t >= n) return;
  in_tx_ = true;
  const uint64_t base = (uint64_t(reg(kE1000Tdbah)) << 32 | reg(kE1000Tdbal)) & ~uint64_t{15};
  bool reported = false, delayed = false;
  for (unsigned budget = n; h != t && budget > 0; --budget) {
    std::array<uint8_t, 16> d{};
    const uint64_t da = base + uint64_t(h) * 16;
    if (!dma_read(da, d)) break;
    const uint8_t cmd = d[11];
    const bool data = tx_descriptor(d);
    if (data && (cmd & (kCmdRs | kCmdRps))) {
      const uint8_t status = uint8_t(d[12] | kTxDd);
      dma_write(da + 12, std::span<const uint8_t>(&status, 1));
      reported = true;
      delayed |= (cmd & kCmdIde) != 0;
    }
    h = (h + 1) % n;
    reg(kE1000Tdh) = h;
  }
  in_tx_ = false;
  if (reported) {
    if (delayed) start_delay(false, kE1000Tidv, kE1000Tadv);
    else raise(kE1000IntTxdw);
  }
  if (h == t) raise(kE1000IntTxqe);
}

// One descriptor; false for a context descriptor (it has no status to
// report: Linux never sets RS on them, and §3.3.6 writes back only DD).
bool E1000::tx_descriptor(const std::array<uint8_t, 16>& d) {
  const uint32_t lower = le32(&d[8]);
  const bool dext = (lower & kDext) != 0;
  if (dext && ((lower >> 20) & 0xf) == 0) {
    load_context(d);
    return false;
  }
  uint64_t addr = 0;
  for (int i = 7; i >= 0; --i) addr = addr << 8 | d[i];
  const uint8_t cmd = uint8_t(lower >> 24);
  const size_t len = dext ? (lower & 0xfffff) : (lower & 0xffff);
  if (!pkt_.started) {
    pkt_.started = true;
    pkt_.tse = dext && (cmd & kCmdIcTse);
    pkt_.popts = dext ? d[13] : 0;
    pkt_.legacy_ic = !dext && (cmd & kCmdIcTse);
    pkt_.cso = d[10], pkt_.css = d[13];
  }
  if (len > 0 && !pkt_.overflow) {
    const size_t at = pkt_.data.size();
    if (at + len > kMaxPacket) {
      pkt_.overflow = true;
    } else {
      pkt_.data.resize(at + len);
      if (!dma_read(addr, std::span<uint8_t>(pkt_.data.data() + at, len))) pkt_.overflow = true;
    }
  }
  if (cmd & kCmdEop) finish_packet();
  return true;
}

// Context descriptor layout (§3.3.6): IPCSS, IPCSO, IPCSE, TUCSS, TUCSO,
// TUCSE, then PAYLEN/DTYP/TUCMD, STA, HDRLEN and MSS.
void E1000::load_context(const std::array<uint8_t, 16>& d) {
  ctx_.ipcss = d[0], ctx_.ipcso = d[1];
  ctx_.ipcse = uint16_t(d[2] | d[3] << 8);
  ctx_.tucss = d[4], ctx_.tucso = d[5];
  ctx_.tucse = uint16_t(d[6] | d[7] << 8);
  ctx_.paylen = le32(&d[8]) & 0xfffff;
  ctx_.tucmd = d[11];
  ctx_.hdrlen = d[13];
  ctx_.mss = uint16_t(d[14] | d[15] << 8);
}

void E1000::finish_packet() {
  std::vector<uint8_t>& f = pkt_.data;
  if (!pkt_.overflow && !f.empty()) {
    if (pkt_.tse) {
      segment_tso();
    } else if (pkt_.legacy_ic) {
      // Legacy checksum (§3.3.3): CSS to the end, stored at CSO.
      put_checksum(f, pkt_.css, f.size(), pkt_.cso, 0, false);
      transmit(f);
    } else {
      send_frame(f, pkt_.popts & kPoptsIxsm, pkt_.popts & kPoptsTxsm, false);
    }
  }
  f.clear();
  pkt_ = TxPacket{std::move(f)};
}

// Inserts the checksums the context asks for (IPCSE/TUCSE 0: to the end).
// Under TSO the IPv4 header checksum field is recomputed from zero and the
// TCP/UDP pseudo-header seed the driver left lacks the length (§3.6.2),
// which is added here per segment.
void E1000::send_frame(std::span<uint8_t> f, bool ip_sum, bool l4_sum, bool tso_fix) {
  if (ip_sum) {
    if (tso_fix && size_t(ctx_.ipcso) + 2 <= f.size()) f[ctx_.ipcso] = f[ctx_.ipcso + 1] = 0;
    put_checksum(f, ctx_.ipcss, ctx_.ipcse ? size_t(ctx_.ipcse) + 1 : f.size(), ctx_.ipcso, 0,
                 false);
  }
  if (l4_sum) {
    const size_t end = ctx_.tucse ? size_t(ctx_.tucse) + 1 : f.size();
    const uint32_t len = tso_fix && f.size() > ctx_.tucss ? uint32_t(f.size() - ctx_.tucss) : 0;
    put_checksum(f, ctx_.tucss, end, ctx_.tucso, len, !(ctx_.tucmd & kTucmdTcp));
  }
  transmit(f);
}

// TCP segmentation (§3.5): the HDRLEN header is repeated in front of each
// MSS-sized piece of payload; per frame the IPv4 total length and
// identification (or the IPv6 payload length), the TCP sequence number
// (FIN and PSH only on the last frame) or the UDP length, and the
// checksums are fixed up.
void E1000::segment_tso() {
  const std::vector<uint8_t>& p = pkt_.data;
  const size_t hdr = ctx_.hdrlen, mss = ctx_.mss;
  const bool tcp = ctx_.tucmd & kTucmdTcp, ipv4 = ctx_.tucmd & kTucmdIp;
  const size_t l4_min = tcp ? 20 : 8, l3_min = ipv4 ? 20 : 40;
  if (hdr == 0 || hdr > p.size() || mss == 0 || size_t(ctx_.ipcss) + l3_min > hdr ||
      size_t(ctx_.tucss) + l4_min > hdr || (p.size() - hdr) / mss >= kMaxSegments) {
    return;  // a context that cannot describe this packet: dropped
  }
  const size_t payload = p.size() - hdr;
  const uint16_t ip_id = be16(&p[ctx_.ipcss + 4]);
  const uint32_t seq = be32(&p[ctx_.tucss + 4]);
  std::vector<uint8_t> f;
  f.reserve(hdr + mss);
  size_t off = 0;
  for (unsigned i = 0; i == 0 || off < payload; ++i) {
    const size_t chunk = std::min(mss, payload - off);
    const bool last = off + chunk >= payload;
    f.assign(p.begin(), p.begin() + long(hdr));
    f.insert(f.end(), p.begin() + long(hdr + off), p.begin() + long(hdr + off + chunk));
    uint8_t* ip = &f[ctx_.ipcss];
    uint8_t* l4 = &f[ctx_.tucss];
    if (ipv4) {
      put_be16(ip + 2, uint16_t(f.size() - ctx_.ipcss));
      put_be16(ip + 4, uint16_t(ip_id + i));
    } else {
      put_be16(ip + 4, uint16_t(f.size() - ctx_.ipcss - 40));
    }
    if (tcp) {
      put_be32(l4 + 4, uint32_t(seq + off));
      if (!last) l4[13] &= uint8_t(~(kTcpFin | kTcpPsh));
    } else {
      put_be16(l4 + 4, uint16_t(f.size() - ctx_.tucss));
    }
    send_frame(f, ipv4 && (pkt_.popts & kPoptsIxsm), pkt_.popts & kPoptsTxsm, true);
    off += chunk;
  }
}

void E1000::transmit(std::span<const uint8_t> frame) {
  if (frame.size() < 14) return;
  ++reg(kE1000Gptc), ++reg(kE1000Tpt);
  reg(kE1000Gotcl) += uint32_t(frame.size());
  if (backend_) backend_->send(frame);
}

}  // namespace kestrel::devices
