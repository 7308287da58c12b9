// SPDX-License-Identifier: MIT
// The IDE channel's registers, resets, interrupts and PIO data phases
// (ATA8-APT §6 registers, §9 protocols). Commands are in ata_commands.cpp
// and atapi.cpp, DMA in bmdma.cpp.
#include "devices/ide/channel.h"

#include <algorithm>
#include <cstring>

namespace kestrel::devices::ide {
namespace {

enum CommandBlock : unsigned {
  kRegData = 0, kRegError = 1, kRegNsect = 2, kRegLbal = 3, kRegLbam = 4, kRegLbah = 5,
  kRegDevice = 6, kRegStatus = 7,
};

}  // namespace

Channel::Channel(mmu::Mmu& mem, unsigned index) : mem_(mem), index_(index) {}

void Channel::attach(unsigned unit, Drive::Kind kind, BlockBackend* medium) {
  Drive& d = drives_.at(unit & 1);
  d = Drive{};
  d.kind = kind;
  d.medium = medium;
  d.serial = "KST" + std::to_string(index_ * 2 + (unit & 1) + 1) + "000000000000";
  if (kind != Drive::Kind::kDisk || !medium) return;
  d.sectors = medium->size() / kSectorSize;
  d.heads = 16;
  d.spt = 63;
  d.cylinders = uint16_t(std::clamp<uint64_t>(d.sectors / (16 * 63), 1, 16383));
}

void Channel::change_medium(unsigned unit, BlockBackend* medium) {
  Drive& d = drives_.at(unit & 1);
  if (d.kind != Drive::Kind::kCdrom) return;
  d.medium = medium;
  d.tray_open = false;
  d.unit_attention = d.media_event = medium != nullptr;
}

void Channel::set_signature(Drive& d) {
  // ATA8-APT §9.12: the signature after a reset or EXECUTE DEVICE DIAGNOSTIC.
  nsect_ = lbal_ = 1;
  if (d.kind == Drive::Kind::kCdrom) {
    lbam_ = 0x14, lbah_ = 0xeb;
  } else {
    lbam_ = lbah_ = 0;
  }
  device_ = 0;
  error_ = 1;  // no error detected
}

void Channel::reset() {
  control_ = 0;
  bm_command_ = bm_status_ = 0;
  bm_prd_ = 0;
  for (Drive& d : drives_) {
    d.multiple = 0;
    d.xfer_mode = 0;
    d.write_cache = true;
    d.cur_cylinders = d.cylinders, d.cur_heads = d.heads, d.cur_spt = d.spt;
    d.sense_key = d.asc = d.ascq = 0;
    d.locked = false;
  }
  soft_reset();
}

void Channel::soft_reset() {
  phase_ = Phase::kIdle;
  xfer_ = {};
  buf_.clear();
  pos_ = 0;
  irq_pending_ = false;
  selected_ = 0;
  for (Drive& d : drives_) {
    // ATAPI devices leave DRDY clear after a reset (ATA8-APT §9.12).
    d.status = d.kind == Drive::Kind::kDisk ? kStDrdy | kStDsc : 0;
  }
  set_signature(drives_[0]);
  feature_ = hob_feature_ = hob_nsect_ = hob_lbal_ = hob_lbam_ = hob_lbah_ = 0;
  update_irq();
}

// ---- interrupts -------------------------------------------------------------

void Channel::raise_irq() {
  irq_pending_ = true;
  // PIIX: the bus-master interrupt bit follows the drive's INTRQ, DMA or not.
  bm_status_ |= kBmInterrupt;
  update_irq();
}

void Channel::update_irq() { irq.set(irq_pending_ && !(control_ & kCtlNien)); }

void Channel::complete(uint8_t status, bool interrupt) {
  phase_ = Phase::kIdle;
  cur().status = status;
  if (interrupt) raise_irq();
}

void Channel::abort_command(uint8_t error) {
  phase_ = Phase::kIdle;
  error_ = error;
  cur().status = kStDrdy | kStDsc | kStErr;
  raise_irq();
}

// ---- registers --------------------------------------------------------------

uint32_t Channel::read_command_block(unsigned reg, unsigned size) {
  // No drive drives the bus of an empty channel: it floats high.
  if (channel_empty()) return open_bus(size);
  if (reg == kRegData) return read_data(size);
  const bool hob = control_ & kCtlHob;
  const Drive& d = drives_[selected_];
  switch (reg) {
    case kRegError: return hob ? hob_feature_ : error_;
    case kRegNsect: return hob ? hob_nsect_ : nsect_;
    case kRegLbal: return hob ? hob_lbal_ : lbal_;
    case kRegLbam: return hob ? hob_lbam_ : lbam_;
    case kRegLbah: return hob ? hob_lbah_ : lbah_;
    case kRegDevice: return device_ | 0xa0;
    case kRegStatus:
      // Reading the status acknowledges INTRQ (ATA8-APT §6.2.9). An absent
      // device 1 reads as 0 beside a present device 0.
      if (!d.present()) return 0;
      irq_pending_ = false;
      update_irq();
      return d.status;
    default: return open_bus(size);
  }
}

void Channel::write_command_block(unsigned reg, uint32_t value, unsigned size) {
  if (reg == kRegData) return write_data(value, size);
  const uint8_t v = uint8_t(value);
  // A write to any command-block register clears HOB (ACS §6.2.4).
  control_ &= uint8_t(~kCtlHob);
  auto latch = [v](uint8_t& cur, uint8_t& hob) { hob = cur, cur = v; };
  switch (reg) {
    case kRegError: latch(feature_, hob_feature_); break;
    case kRegNsect: latch(nsect_, hob_nsect_); break;
    case kRegLbal: latch(lbal_, hob_lbal_); break;
    case kRegLbam: latch(lbam_, hob_lbam_); break;
    case kRegLbah: latch(lbah_, hob_lbah_); break;
    case kRegDevice:
      device_ = v;
      selected_ = (v & kDevSlave) ? 1 : 0;
      break;
    case kRegStatus: execute(v); break;
    default: break;
  }
}

uint8_t Channel::read_alt_status() const {
  if (channel_empty()) return 0xff;
  const Drive& d = drives_[selected_];
  return d.present() ? d.status : 0;
}

void Channel::write_control(uint8_t value) {
  const bool was_reset = control_ & kCtlSrst;
  control_ = value;
  if (value & kCtlSrst) {
    // While SRST is held the drives are busy; the reset ends when it drops.
    for (Drive& d : drives_) {
      if (d.present()) d.status = kStBsy;
    }
    phase_ = Phase::kIdle;
  } else if (was_reset) {
    soft_reset();
    control_ = value;
  }
  update_irq();
}

void Channel::execute(uint8_t command) {
  Drive& d = cur();
  // An absent device ignores commands; a busy one too (ATA8-APT §6.2.9).
  if (!d.present() || (d.status & kStBsy)) return;
  irq_pending_ = false;
  update_irq();
  phase_ = Phase::kIdle;
  error_ = 0;
  if (command == kCmdDiagnostic) return device_diagnostic();
  if (d.kind == Drive::Kind::kCdrom) {
    switch (command) {
      case kCmdPacket: return packet_command();
      case kCmdIdentifyPacket: return send_identify(identify_cdrom(d));
      case kCmdDeviceReset:
        set_signature(d);
        d.status = 0;
        return;
      case kCmdIdentify:
        // ATA8-APT §9.12: a packet device aborts IDENTIFY DEVICE with its
        // signature in place, which is how drivers tell it apart.
        set_signature(d);
        return abort_command();
      default: break;
    }
  }
  execute_ata(command);
}

void Channel::device_diagnostic() {
  set_signature(drives_[0]);
  for (Drive& d : drives_) {
    if (d.present()) d.status = d.kind == Drive::Kind::kDisk ? kStDrdy | kStDsc : 0;
  }
  selected_ = 0;
  raise_irq();
}

// ---- PIO data ---------------------------------------------------------------

void Channel::start_pio(Phase phase, const Transfer& t) {
  phase_ = phase;
  xfer_ = t;
  xfer_write_ = phase == Phase::kPioOut;
  first_block_ = true;
  next_block();
}

/// Opens the next DRQ block: data-in blocks are filled and announced with an
/// interrupt; data-out blocks interrupt except the first of an ATA command
/// (ATA8-APT §9.7/§9.8).
void Channel::next_block() {
  const size_t len = size_t(std::min<uint64_t>(xfer_.left, xfer_.block));
  buf_.assign(len, 0);
  pos_ = 0;
  if (!xfer_write_) {
    bool ok = true;
    if (xfer_.from_medium) {
      ok = cur().medium && cur().medium->read(xfer_.offset, buf_);
    } else {
      std::memcpy(buf_.data(), reply_.data() + xfer_.offset, len);
    }
    if (!ok) {
      if (xfer_.atapi) return atapi_error(kSenseMediumError, kAscUnrecoveredRead);
      return abort_command(kErUnc | kErAbrt);
    }
  }
  if (xfer_.atapi) {
    lbam_ = uint8_t(len), lbah_ = uint8_t(len >> 8);
    nsect_ = xfer_write_ ? 0 : kIrIo;
  }
  cur().status = kStDrdy | kStDsc | kStDrq;
  const bool first_out = xfer_write_ && !xfer_.atapi && first_block_;
  first_block_ = false;
  if (!first_out) raise_irq();
}

uint32_t Channel::read_data(unsigned size) {
  if (phase_ != Phase::kPioIn) return open_bus(size);
  uint32_t v = 0;
  for (unsigned i = 0; i < size && pos_ < buf_.size(); ++i) v |= uint32_t(buf_[pos_++]) << (8 * i);
  if (pos_ == buf_.size()) block_done();
  return v;
}

void Channel::write_data(uint32_t value, unsigned size) {
  if (phase_ != Phase::kPioOut && phase_ != Phase::kPacket) return;
  for (unsigned i = 0; i < size && pos_ < buf_.size(); ++i) buf_[pos_++] = uint8_t(value >> (8 * i));
  if (pos_ < buf_.size()) return;
  if (phase_ == Phase::kPacket) return execute_packet();
  block_done();
}

void Channel::block_done() {
  if (xfer_write_ && xfer_.from_medium) {
    Drive& d = cur();
    if (!d.medium || !d.medium->write(xfer_.offset, buf_)) return abort_command(kErAbrt);
  }
  xfer_.offset += buf_.size();
  xfer_.left -= buf_.size();
  if (xfer_.left > 0) return next_block();
  finish_transfer();
}

/// The end of a data phase: PIO data-in ATA commands end without an
/// interrupt, everything else with one (ATA8-APT §9.7, §9.11).
void Channel::finish_transfer() {
  buf_.clear();
  if (xfer_.atapi) return atapi_done();
  complete(kStDrdy | kStDsc, xfer_write_ || phase_ != Phase::kPioIn);
}

}  // namespace kestrel::devices::ide
