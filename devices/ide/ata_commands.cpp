// SPDX-License-Identifier: MIT
// The ATA command set of an IDE hard disk (ATA/ATAPI-8 ACS chapter 7):
// reads and writes by PIO, MULTIPLE and DMA in LBA28, LBA48 and CHS
// addressing, READ VERIFY, SET FEATURES, SET MULTIPLE, INITIALIZE DEVICE
// PARAMETERS, FLUSH CACHE and the power commands that need no work here.
#include <algorithm>

#include "devices/ide/channel.h"

namespace kestrel::devices::ide {

void Channel::execute_ata(uint8_t command) {
  Drive& d = cur();
  if (d.kind != Drive::Kind::kDisk) {
    // A packet device takes the general and power commands of ATA8-ACS
    // (§4.2, §4.6) besides its own; everything else aborts.
    switch (command) {
      case kCmdSetFeatures: return ata_set_features();
      case kCmdCheckPower:
        nsect_ = 0xff;
        return complete();
      case kCmdStandbyImm: case kCmdIdleImm: case kCmdStandby: case kCmdIdle: case kCmdSleep:
        return complete();
      default: return abort_command();
    }
  }
  switch (command) {
    case kCmdReadSectors: case kCmdReadSectorsNoRetry:
      return ata_rw(command, false, false, false, false);
    case kCmdReadSectorsExt: return ata_rw(command, true, false, false, false);
    case kCmdReadMultiple: return ata_rw(command, false, false, false, true);
    case kCmdReadMultipleExt: return ata_rw(command, true, false, false, true);
    case kCmdReadDma: case kCmdReadDmaNoRetry: return ata_rw(command, false, false, true, false);
    case kCmdReadDmaExt: return ata_rw(command, true, false, true, false);
    case kCmdWriteSectors: case kCmdWriteSectorsNoRetry:
      return ata_rw(command, false, true, false, false);
    case kCmdWriteSectorsExt: return ata_rw(command, true, true, false, false);
    case kCmdWriteMultiple: return ata_rw(command, false, true, false, true);
    case kCmdWriteMultipleExt: return ata_rw(command, true, true, false, true);
    case kCmdWriteDma: case kCmdWriteDmaNoRetry: return ata_rw(command, false, true, true, false);
    case kCmdWriteDmaExt: return ata_rw(command, true, true, true, false);
    case kCmdReadVerify: case kCmdReadVerifyNoRetry: return ata_verify(false);
    case kCmdReadVerifyExt: return ata_verify(true);
    case kCmdIdentify: return send_identify(identify_disk(d));
    case kCmdSetFeatures: return ata_set_features();
    case kCmdSetMultiple: return ata_set_multiple();
    case kCmdInitParams: return ata_init_params();
    case kCmdFlushCache: case kCmdFlushCacheExt: return ata_flush();
    case kCmdCheckPower:
      nsect_ = 0xff;  // active or idle
      return complete();
    case kCmdSeek: case kCmdStandbyImm: case kCmdIdleImm: case kCmdStandby: case kCmdIdle:
    case kCmdSleep:
      return complete();
    default:
      // RECALIBRATE is the whole 1xh range (ATA-4 and earlier).
      if ((command & 0xf0) == kCmdRecalibrate) return complete();
      return abort_command();  // NOP and anything unknown abort (ACS §7.17)
  }
}

/// The command's first sector and count from the task file. A zero count
/// means 256 (LBA28/CHS) or 65536 (LBA48). False (IDNF) when the address is
/// not on the disk.
bool Channel::ata_address(bool lba48, uint64_t& lba, uint64_t& count) {
  const Drive& d = drives_[selected_];
  if (lba48) {
    lba = uint64_t(hob_lbah_) << 40 | uint64_t(hob_lbam_) << 32 | uint64_t(hob_lbal_) << 24 |
          uint64_t(lbah_) << 16 | uint64_t(lbam_) << 8 | lbal_;
    count = uint64_t(hob_nsect_) << 8 | nsect_;
    if (count == 0) count = 65536;
  } else {
    count = nsect_ ? nsect_ : 256;
    if (device_ & kDevLba) {
      lba = uint64_t(device_ & 0x0f) << 24 | uint64_t(lbah_) << 16 | uint64_t(lbam_) << 8 | lbal_;
    } else {
      // CHS through the current translation (ACS §7.16, words 54-56).
      const uint64_t cyl = uint64_t(lbah_) << 8 | lbam_, head = device_ & 0x0f, sector = lbal_;
      if (sector == 0 || sector > d.cur_spt || head >= d.cur_heads || d.cur_spt == 0) return false;
      lba = (cyl * d.cur_heads + head) * d.cur_spt + sector - 1;
    }
  }
  return lba < d.sectors && count <= d.sectors - lba;
}

void Channel::ata_rw(uint8_t command, bool lba48, bool write, bool dma, bool multiple) {
  (void)command;
  Drive& d = cur();
  if (multiple && d.multiple == 0) return abort_command();
  uint64_t lba = 0, count = 0;
  if (!ata_address(lba48, lba, count)) return abort_command(kErIdnf | kErAbrt);
  if (write && !d.medium->writable()) return abort_command();
  Transfer t;
  t.from_medium = true;
  t.offset = lba * kSectorSize;
  t.left = count * kSectorSize;
  t.block = (multiple ? d.multiple : 1) * kSectorSize;
  if (dma) {
    xfer_ = t;
    xfer_write_ = write;
    phase_ = write ? Phase::kDmaOut : Phase::kDmaIn;
    d.status = kStDrdy | kStDsc | kStDrq;
    if (bm_command_ & kBmStart) run_dma();
    return;
  }
  start_pio(write ? Phase::kPioOut : Phase::kPioIn, t);
}

void Channel::ata_verify(bool lba48) {
  uint64_t lba = 0, count = 0;
  if (!ata_address(lba48, lba, count)) return abort_command(kErIdnf | kErAbrt);
  // Read the sectors for real so a host I/O error shows as UNC.
  std::vector<uint8_t> sector(kSectorSize);
  for (uint64_t i = 0; i < count; ++i) {
    if (!cur().medium->read((lba + i) * kSectorSize, sector)) return abort_command(kErUnc);
  }
  complete();
}

void Channel::ata_set_features() {
  Drive& d = cur();
  switch (feature_) {
    case 0x03: {  // set transfer mode (ACS §7.45.6): PIO 0-4, MWDMA 0-2, UDMA 0-5
      const uint8_t mode = nsect_, kind = mode & 0xf8, n = mode & 7;
      const bool ok = kind == 0x00 || (kind == 0x08 && n <= 4) || (kind == 0x20 && n <= 2) ||
                      (kind == 0x40 && n <= 5);
      if (!ok) return abort_command();
      d.xfer_mode = mode;
      return complete();
    }
    case 0x02: d.write_cache = true; return complete();
    case 0x82: d.write_cache = false; return complete();
    // Read look-ahead, reverting to defaults, 8-bit PIO off: nothing to do.
    case 0xaa: case 0x55: case 0x66: case 0xcc: case 0x81:
      return complete();
    default: return abort_command();
  }
}

void Channel::ata_set_multiple() {
  Drive& d = cur();
  const unsigned n = nsect_;
  // ACS §7.49: a power of two up to the maximum; 0 turns MULTIPLE off.
  if (n > kMaxMultiple || (n & (n - 1)) != 0) return abort_command();
  d.multiple = uint8_t(n);
  complete();
}

void Channel::ata_init_params() {
  Drive& d = cur();
  const unsigned spt = nsect_, heads = (device_ & 0x0f) + 1u;
  if (spt == 0) return abort_command();
  d.cur_spt = uint16_t(spt);
  d.cur_heads = uint16_t(heads);
  d.cur_cylinders = uint16_t(std::min<uint64_t>(d.sectors / (spt * heads), 65535));
  complete();
}

void Channel::ata_flush() {
  Drive& d = cur();
  if (d.medium->writable() && !d.medium->flush()) return abort_command();
  complete();
}

}  // namespace kestrel::devices::ide
