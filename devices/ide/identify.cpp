// SPDX-License-Identifier: MIT
// IDENTIFY DEVICE and IDENTIFY PACKET DEVICE data (ACS §7.16, §7.17): the
// 256 words that tell firmware and drivers the geometry, the capacity in
// LBA28 and LBA48 terms, the transfer modes and the feature sets.
#include <algorithm>
#include <string_view>

#include "devices/ide/channel.h"

namespace kestrel::devices::ide {
namespace {

using Words = std::array<uint16_t, 256>;

/// ATA strings: two characters a word, the first in the high byte, padded
/// with spaces (ACS §3.3.10).
void put_string(Words& w, unsigned first, unsigned words, std::string_view text) {
  for (unsigned i = 0; i < words; ++i) {
    const char hi = 2 * i < text.size() ? text[2 * i] : ' ';
    const char lo = 2 * i + 1 < text.size() ? text[2 * i + 1] : ' ';
    w[first + i] = uint16_t(uint8_t(hi) << 8 | uint8_t(lo));
  }
}

/// The words every device has: strings, modes and their selection.
void put_common(Words& w, const Drive& d, std::string_view model) {
  put_string(w, 10, 10, d.serial);
  put_string(w, 23, 4, "1.0");
  put_string(w, 27, 20, model);
  w[53] = 0x0007;       // words 54-58, 64-70 and 88 are valid
  w[63] = 0x0007;       // multiword DMA 0-2 supported
  w[64] = 0x0003;       // PIO 3 and 4
  w[65] = w[66] = 120;  // DMA cycle times (ns)
  w[67] = w[68] = 120;  // PIO cycle times
  w[88] = 0x003f;       // Ultra DMA 0-5 supported
  const uint8_t mode = d.xfer_mode;
  if ((mode & 0xf8) == 0x20) w[63] |= uint16_t(0x100 << (mode & 7));
  if ((mode & 0xf8) == 0x40) w[88] |= uint16_t(0x100 << (mode & 7));
  // Hardware reset result, device 0 passed; an 80-wire cable (bit 13).
  w[93] = 0x6001;
}

}  // namespace

Words Channel::identify_disk(const Drive& d) const {
  Words w{};
  w[0] = 0x0040;  // fixed, not removable
  w[1] = d.cylinders;
  w[3] = d.heads;
  w[6] = d.spt;
  put_common(w, d, "KESTREL HARDDISK");
  w[47] = 0x8000 | kMaxMultiple;
  w[49] = 0x0b00;  // IORDY, LBA, DMA
  w[50] = 0x4000;
  w[51] = 0x0200;  // PIO timing mode 2 (obsolete field)
  w[54] = d.cur_cylinders;
  w[55] = d.cur_heads;
  w[56] = d.cur_spt;
  const uint64_t chs = uint64_t(d.cur_cylinders) * d.cur_heads * d.cur_spt;
  w[57] = uint16_t(chs), w[58] = uint16_t(chs >> 16);
  if (d.multiple) w[59] = uint16_t(0x100 | d.multiple);
  const uint64_t lba28 = std::min<uint64_t>(d.sectors, 0x0fffffff);
  w[60] = uint16_t(lba28), w[61] = uint16_t(lba28 >> 16);
  w[80] = 0x00f0;  // ATA/ATAPI-4 to -7
  // Supported and enabled: the write cache (82.5), FLUSH CACHE
  // (83.12), FLUSH CACHE EXT (83.13), the 48-bit address feature set (83.10).
  w[82] = 1u << 5;
  w[83] = 0x4000 | 1u << 13 | 1u << 12 | 1u << 10;
  w[84] = 0x4000;
  w[85] = d.write_cache ? 1u << 5 : 0;
  w[86] = 1u << 13 | 1u << 12 | 1u << 10;
  w[87] = 0x4000;
  for (unsigned i = 0; i < 4; ++i) w[100 + i] = uint16_t(d.sectors >> (16 * i));
  return w;
}

Words Channel::identify_cdrom(const Drive& d) const {
  Words w{};
  // ATAPI (10b), CD-ROM device type 05h, removable, DRQ within 50 us,
  // 12-byte packets (ACS §7.17.7.1).
  w[0] = 0x85c0;
  put_common(w, d, "KESTREL CD-ROM");
  w[49] = 0x0b00;  // IORDY, LBA, DMA
  w[80] = 0x00f0;
  w[82] = 1u << 4;  // the PACKET feature set
  w[83] = 0x4000;
  w[84] = 0x4000;
  w[85] = 1u << 4;
  w[87] = 0x4000;
  return w;
}

void Channel::send_identify(const Words& words) {
  reply_.resize(512);
  for (unsigned i = 0; i < 256; ++i) {
    reply_[2 * i] = uint8_t(words[i]);
    reply_[2 * i + 1] = uint8_t(words[i] >> 8);
  }
  Transfer t;
  t.left = t.block = 512;
  start_pio(Phase::kPioIn, t);
}

}  // namespace kestrel::devices::ide
