// SPDX-License-Identifier: MIT
// The data the ATAPI CD-ROM returns: sense data and INQUIRY (SPC-3), READ
// CAPACITY, READ TOC formats 0 and 1, MODE SENSE(10) pages 01h and 2Ah,
// GET CONFIGURATION, GET EVENT STATUS NOTIFICATION and MECHANISM STATUS
// (MMC-3). One data track starting at LBA 0, as an ISO image has.
#include <algorithm>
#include <string_view>

#include "devices/ide/channel.h"

namespace kestrel::devices::ide {
namespace {

using Cdb = std::array<uint8_t, 12>;
using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8), b[at + 1] = uint8_t(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, v >> 16), put16(b, at + 2, v);
}
void put_text(Bytes& b, size_t at, size_t len, std::string_view text) {
  for (size_t i = 0; i < len; ++i) b[at + i] = uint8_t(i < text.size() ? text[i] : ' ');
}

/// A TOC address: an LBA, or MSF with the 2-second lead-in (MMC-3 §6.26.3).
void put_address(Bytes& b, size_t at, uint64_t lba, bool msf) {
  if (!msf) return put32(b, at, uint32_t(lba));
  lba += 150;
  b[at] = 0;
  b[at + 1] = uint8_t(std::min<uint64_t>(lba / (75 * 60), 255));
  b[at + 2] = uint8_t(lba / 75 % 60);
  b[at + 3] = uint8_t(lba % 75);
}

constexpr uint8_t kAdrControlData = 0x14;  // ADR 1 (position), data track
constexpr uint16_t kProfileCdRom = 0x0008;
/// Tray loading, eject and lock supported (MMC-3 mode page 2Ah byte 6).
constexpr uint8_t kMechanism = 0x29;

}  // namespace

Bytes Channel::request_sense() {
  Drive& d = cur();
  Bytes b(18, 0);
  b[0] = 0x70;  // current error, fixed format
  b[7] = 10;    // additional sense length
  if (d.unit_attention) {
    d.unit_attention = false;
    b[2] = kSenseUnitAttention, b[12] = kAscMediumChanged;
  } else {
    b[2] = d.sense_key, b[12] = d.asc, b[13] = d.ascq;
  }
  return b;
}

Bytes Channel::inquiry() const {
  Bytes b(36, 0);
  b[0] = 0x05;  // CD/DVD device
  b[1] = 0x80;  // removable
  b[3] = 0x21;  // ATAPI transport, response data format 1
  b[4] = 36 - 5;
  put_text(b, 8, 8, "KESTREL");
  put_text(b, 16, 16, "CD-ROM");
  put_text(b, 32, 4, "1.0");
  return b;
}

Bytes Channel::read_capacity() const {
  const uint64_t blocks = drives_[selected_].medium->size() / kCdBlockSize;
  Bytes b(8, 0);
  put32(b, 0, uint32_t(std::min<uint64_t>(blocks - 1, 0xffffffff)));
  put32(b, 4, kCdBlockSize);
  return b;
}

bool Channel::read_toc(const Cdb& cdb, Bytes& b) const {
  const bool msf = cdb[1] & 2;
  unsigned format = cdb[2] & 0x0f;
  if (format == 0) format = cdb[9] >> 6;  // the older place of the format (SFF-8020i)
  const uint64_t blocks = drives_[selected_].medium->size() / kCdBlockSize;
  const unsigned track = cdb[6];
  if (format == 0) {
    if (track > 1 && track != 0xaa) return false;
    const bool with_track1 = track <= 1;
    b.assign(4 + 8 * (with_track1 ? 2 : 1), 0);
    size_t at = 4;
    if (with_track1) {
      b[at + 1] = kAdrControlData, b[at + 2] = 1;
      put_address(b, at + 4, 0, msf);
      at += 8;
    }
    b[at + 1] = kAdrControlData, b[at + 2] = 0xaa;  // the lead-out
    put_address(b, at + 4, blocks, msf);
  } else if (format == 1) {
    // Multi-session information: one session whose first track starts at 0.
    b.assign(12, 0);
    b[5] = kAdrControlData, b[6] = 1;
    put_address(b, 8, 0, msf);
  } else {
    return false;
  }
  put16(b, 0, uint32_t(b.size() - 2));
  b[2] = b[3] = 1;  // first and last track or session
  return true;
}

bool Channel::mode_sense(const Cdb& cdb, Bytes& b) const {
  const unsigned control = cdb[2] >> 6, page = cdb[2] & 0x3f;
  if (control == 3) return false;  // saved values are not supported
  const Drive& d = drives_[selected_];
  b.assign(8, 0);
  b[2] = d.has_medium() ? 0x01 : d.tray_open ? 0x71 : 0x70;  // medium type
  if (page == 0x01 || page == 0x3f) {
    const Bytes recovery = {0x01, 0x06, 0, 5, 0, 0, 0, 0};  // read error recovery
    b.insert(b.end(), recovery.begin(), recovery.end());
  }
  if (page == 0x2a || page == 0x3f) {
    Bytes caps(20, 0);
    caps[0] = 0x2a, caps[1] = 0x12;
    caps[2] = 0x03;  // reads CD-R and CD-RW media
    caps[4] = 0x71;  // audio play, mode 2 form 1 and 2, multi-session
    caps[6] = uint8_t(kMechanism | (d.locked ? 0x02 : 0));
    put16(caps, 8, 706);   // maximum speed, kB/s (4x)
    put16(caps, 10, 256);  // volume levels
    put16(caps, 12, 512);  // buffer, KiB
    put16(caps, 14, 706);  // current speed
    b.insert(b.end(), caps.begin(), caps.end());
  }
  if (b.size() == 8) return false;  // a page this drive does not have
  put16(b, 0, uint32_t(b.size() - 2));
  return true;
}

Bytes Channel::get_configuration(const Cdb& cdb) const {
  const Drive& d = drives_[selected_];
  const bool medium = d.has_medium();
  const unsigned rt = cdb[1] & 3, start = uint32_t(cdb[2]) << 8 | cdb[3];
  struct Feature {
    uint16_t code;
    uint8_t flags;  // version << 2 | persistent << 1 | current
    Bytes data;
  };
  const Feature features[] = {
      {0x0000, 0x03, {0x00, uint8_t(kProfileCdRom), uint8_t(medium ? 1 : 0), 0}},  // profiles
      {0x0001, 0x07, {0, 0, 0, 2, 0x01, 0, 0, 0}},  // core: ATAPI, DBE
      {0x0003, 0x03, {kMechanism, 0, 0, 0}},        // removable medium
      {0x0010, uint8_t(medium ? 0x01 : 0x00), {0, 0, 0x08, 0x00, 0, 1, 0, 0}},  // random readable
      {0x001e, uint8_t(medium ? 0x01 : 0x00), {0, 0, 0, 0}},                    // CD read
  };
  Bytes b(8, 0);
  put16(b, 6, medium ? kProfileCdRom : 0);
  for (const Feature& f : features) {
    const bool wanted = rt == 2 ? f.code == start
                                : f.code >= start && (rt == 0 || (f.flags & 1));
    if (!wanted) continue;
    const size_t at = b.size();
    b.resize(at + 4 + f.data.size());
    put16(b, at, f.code);
    b[at + 2] = f.flags;
    b[at + 3] = uint8_t(f.data.size());
    std::copy(f.data.begin(), f.data.end(), b.begin() + ptrdiff_t(at + 4));
  }
  put32(b, 0, uint32_t(b.size() - 4));
  return b;
}

bool Channel::event_status(const Cdb& cdb, Bytes& b) {
  if (!(cdb[1] & 1)) return false;  // only polled operation (MMC-3 §6.5)
  Drive& d = cur();
  constexpr uint8_t kMediaClass = 0x10;
  if (!(cdb[4] & kMediaClass)) {
    b = {0, 2, 0x80, kMediaClass};  // no event available in the asked classes
    return true;
  }
  b.assign(8, 0);
  put16(b, 0, 6);
  b[2] = 0x04;  // media class
  b[3] = kMediaClass;
  b[4] = d.media_event ? 2 : 0;  // new media
  b[5] = uint8_t((d.has_medium() ? 0x02 : 0) | (d.tray_open ? 0x01 : 0));
  d.media_event = false;
  return true;
}

Bytes Channel::mechanism_status() const {
  Bytes b(8, 0);
  if (drives_[selected_].tray_open) b[1] = 0x10;  // door open
  return b;
}

}  // namespace kestrel::devices::ide
