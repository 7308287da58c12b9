// SPDX-License-Identifier: MIT
// The ATAPI CD-ROM's packet protocol (ATA8-APT §9.10, §9.11): the PACKET
// command, its byte-count-limited PIO or DMA data phase, the check
// condition path with sense data, and the MMC-3 / SPC-3 commands that move
// data or change the drive's state. The replies' contents are built in
// atapi_replies.cpp.
#include <algorithm>

#include "devices/ide/channel.h"

namespace kestrel::devices::ide {
namespace {

using Cdb = std::array<uint8_t, 12>;

enum PacketOp : uint8_t {
  kOpTestUnitReady = 0x00, kOpRequestSense = 0x03, kOpInquiry = 0x12, kOpStartStop = 0x1b,
  kOpPreventAllow = 0x1e, kOpReadCapacity = 0x25, kOpRead10 = 0x28, kOpSeek10 = 0x2b,
  kOpReadToc = 0x43, kOpGetConfiguration = 0x46, kOpEventStatus = 0x4a, kOpModeSense10 = 0x5a,
  kOpRead12 = 0xa8, kOpSetSpeed = 0xbb, kOpMechanismStatus = 0xbd,
};

uint32_t be16(const Cdb& c, unsigned i) { return uint32_t(c[i]) << 8 | c[i + 1]; }
uint32_t be32(const Cdb& c, unsigned i) { return be16(c, i) << 16 | be16(c, i + 2); }

/// SPC-3 §5.6.1: these report no unit attention and keep it pending.
bool passes_unit_attention(uint8_t op) {
  return op == kOpInquiry || op == kOpRequestSense || op == kOpGetConfiguration ||
         op == kOpEventStatus;
}

}  // namespace

void Channel::packet_command() {
  packet_dma_ = feature_ & 1;
  // The byte count limit for PIO data (ATA8-APT §7.17.6.2): even, nonzero,
  // at most FFFEh; 0 is taken as the largest.
  unsigned limit = unsigned(lbah_) << 8 | lbam_;
  if (limit == 0 || limit > 0xfffe) limit = 0xfffe;
  if (limit > 1) limit &= ~1u;
  byte_limit_ = limit;
  phase_ = Phase::kPacket;
  buf_.assign(12, 0);
  pos_ = 0;
  nsect_ = kIrCoD;
  cur().status = kStDrdy | kStDsc | kStDrq;
}

void Channel::atapi_done() {
  Drive& d = cur();
  d.sense_key = d.asc = d.ascq = 0;
  phase_ = Phase::kIdle;
  nsect_ = kIrIo | kIrCoD;
  d.status = kStDrdy | kStDsc;
  raise_irq();
}

void Channel::atapi_error(uint8_t key, uint8_t asc, uint8_t ascq) {
  Drive& d = cur();
  d.sense_key = key, d.asc = asc, d.ascq = ascq;
  phase_ = Phase::kIdle;
  // The sense key goes in the error register's high nibble (ATA8-APT §7.17.6.1).
  error_ = uint8_t(key << 4 | kErAbrt);
  nsect_ = kIrIo | kIrCoD;
  d.status = kStDrdy | kStDsc | kStErr;
  raise_irq();
}

/// The reply of a command, cut to the allocation length the host gave.
/// Starts a transfer to the host: by bus-master DMA when the packet asked
/// for it (it runs once the engine is started), else by PIO.
void Channel::atapi_data_in(const Transfer& t) {
  if (packet_dma_) {
    xfer_ = t;
    xfer_write_ = false;
    phase_ = Phase::kDmaIn;
    cur().status = kStDrdy | kStDsc | kStDrq;
    if (bm_command_ & kBmStart) run_dma();
    return;
  }
  start_pio(Phase::kPioIn, t);
}

void Channel::atapi_reply(std::vector<uint8_t> reply, unsigned alloc) {
  reply_ = std::move(reply);
  if (reply_.size() > alloc) reply_.resize(alloc);
  if (reply_.empty()) return atapi_done();
  Transfer t;
  t.atapi = true;
  t.left = reply_.size();
  t.block = byte_limit_;
  atapi_data_in(t);
}

void Channel::atapi_read(uint64_t lba, uint64_t blocks) {
  const Drive& d = cur();
  const uint64_t capacity = d.medium->size() / kCdBlockSize;
  if (lba > capacity || blocks > capacity - lba) {
    return atapi_error(kSenseIllegalRequest, kAscLbaOutOfRange);
  }
  if (blocks == 0) return atapi_done();
  Transfer t;
  t.atapi = t.from_medium = true;
  t.offset = lba * kCdBlockSize;
  t.left = blocks * kCdBlockSize;
  // Whole blocks per DRQ when the limit allows it.
  t.block = byte_limit_ >= kCdBlockSize ? byte_limit_ / kCdBlockSize * kCdBlockSize : byte_limit_;
  atapi_data_in(t);
}

/// Commands that need a disc: a pending medium change is reported first
/// (UNIT ATTENTION), then a missing disc (NOT READY).
bool Channel::check_ready(const Cdb& cdb) {
  (void)cdb;
  Drive& d = cur();
  if (d.unit_attention) {
    d.unit_attention = false;
    atapi_error(kSenseUnitAttention, kAscMediumChanged);
    return false;
  }
  if (!d.has_medium()) {
    atapi_error(kSenseNotReady, kAscNoMedium, d.tray_open ? 2 : 1);
    return false;
  }
  return true;
}

void Channel::atapi_start_stop(const Cdb& cdb) {
  Drive& d = cur();
  const bool load_eject = cdb[4] & 2, start = cdb[4] & 1;
  if (load_eject && !start) {
    if (d.locked) return atapi_error(kSenseIllegalRequest, kAscRemovalPrevented, 2);
    d.tray_open = true;
  } else if (load_eject && start && d.tray_open) {
    d.tray_open = false;
    if (d.medium) d.unit_attention = d.media_event = true;
  }
  atapi_done();
}

void Channel::execute_packet() {
  Cdb cdb{};
  std::copy_n(buf_.begin(), cdb.size(), cdb.begin());
  buf_.clear();
  phase_ = Phase::kIdle;
  Drive& d = cur();
  const uint8_t op = cdb[0];
  if (d.unit_attention && !passes_unit_attention(op)) {
    d.unit_attention = false;
    return atapi_error(kSenseUnitAttention, kAscMediumChanged);
  }
  std::vector<uint8_t> out;
  switch (op) {
    case kOpTestUnitReady:
      if (check_ready(cdb)) atapi_done();
      return;
    case kOpRequestSense: return atapi_reply(request_sense(), cdb[4]);
    case kOpInquiry: return atapi_reply(inquiry(), be16(cdb, 3));
    case kOpStartStop: return atapi_start_stop(cdb);
    case kOpPreventAllow:
      d.locked = cdb[4] & 1;
      return atapi_done();
    case kOpReadCapacity:
      if (check_ready(cdb)) atapi_reply(read_capacity(), 8);
      return;
    case kOpRead10:
      if (check_ready(cdb)) atapi_read(be32(cdb, 2), be16(cdb, 7));
      return;
    case kOpRead12:
      if (check_ready(cdb)) atapi_read(be32(cdb, 2), be32(cdb, 6));
      return;
    case kOpSeek10: case kOpSetSpeed:
      if (op == kOpSetSpeed || check_ready(cdb)) atapi_done();
      return;
    case kOpReadToc:
      if (!check_ready(cdb)) return;
      if (!read_toc(cdb, out)) return atapi_error(kSenseIllegalRequest, kAscInvalidField);
      return atapi_reply(std::move(out), be16(cdb, 7));
    case kOpGetConfiguration: return atapi_reply(get_configuration(cdb), be16(cdb, 7));
    case kOpEventStatus:
      if (!event_status(cdb, out)) return atapi_error(kSenseIllegalRequest, kAscInvalidField);
      return atapi_reply(std::move(out), be16(cdb, 7));
    case kOpModeSense10:
      if (!mode_sense(cdb, out)) {
        const bool saved = (cdb[2] >> 6) == 3;
        return atapi_error(kSenseIllegalRequest, saved ? kAscSavingNotSupported : kAscInvalidField);
      }
      return atapi_reply(std::move(out), be16(cdb, 7));
    case kOpMechanismStatus: return atapi_reply(mechanism_status(), be16(cdb, 8));
    default: return atapi_error(kSenseIllegalRequest, kAscInvalidOpcode);
  }
}

}  // namespace kestrel::devices::ide
