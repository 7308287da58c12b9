// SPDX-License-Identifier: MIT
// The channel's bus-master IDE engine (PIIX datasheet §2.7, SFF-8038i):
// the command, status and descriptor-table registers, and the walk of the
// physical region descriptor (PRD) table that moves a DMA command's data
// between the medium and guest RAM. A hostile table (wild addresses, no
// end-of-table mark, a table running off its 64 KiB page) ends the command
// with an error; nothing is touched outside guest RAM.
#include <algorithm>

#include "devices/ide/channel.h"

namespace kestrel::devices::ide {
namespace {

/// A region's byte count of 0 means 64 KiB (PIIX datasheet §2.7.3).
constexpr uint32_t kMaxRegion = 0x10000;
/// The descriptor table may not cross a 64 KiB boundary.
constexpr uint64_t kTablePage = 0x10000;
constexpr uint32_t kEndOfTable = 0x80000000u;

}  // namespace

uint32_t Channel::read_bm(unsigned reg, unsigned size) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned r = (reg + i) & 7;
    uint8_t b = 0;
    if (r == kBmCommand) b = bm_command_;
    else if (r == kBmStatus) b = bm_status_;
    else if (r >= kBmPrd) b = uint8_t(bm_prd_ >> (8 * (r - kBmPrd)));
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void Channel::write_bm(unsigned reg, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const unsigned r = (reg + i) & 7;
    const uint8_t b = uint8_t(value >> (8 * i));
    if (r == kBmCommand) {
      const bool was_started = bm_command_ & kBmStart;
      bm_command_ = b & (kBmStart | kBmToMemory);
      if ((b & kBmStart) && !was_started) {
        bm_status_ |= kBmActive;
        if (phase_ == Phase::kDmaIn || phase_ == Phase::kDmaOut) run_dma();
      } else if (!(b & kBmStart)) {
        bm_status_ &= uint8_t(~kBmActive);
      }
    } else if (r == kBmStatus) {
      const uint8_t w1c = b & (kBmError | kBmInterrupt);
      bm_status_ = uint8_t((bm_status_ & ~w1c & ~(kBmDrive0Dma | kBmDrive1Dma)) |
                           (b & (kBmDrive0Dma | kBmDrive1Dma)));
    } else if (r >= kBmPrd) {
      const unsigned shift = 8 * (r - kBmPrd);
      bm_prd_ = (bm_prd_ & ~(0xffu << shift)) | uint32_t(b) << shift;
      bm_prd_ &= ~3u;  // dword aligned
    }
  }
}

bool Channel::ram_range(uint64_t pa, uint64_t len) const {
  const uint64_t low = mem_.low_ram(), high = mem_.ram_size() - low;
  if (len == 0) return true;
  if (pa < low) return len <= low - pa;
  return pa >= mmu::Mmu::kHighRamBase && pa - mmu::Mmu::kHighRamBase < high &&
         len <= high - (pa - mmu::Mmu::kHighRamBase);
}

/// Moves `len` bytes of the command's data to or from guest RAM at `pa`.
/// False on a wild address or a medium error (told apart by dma_error_).
bool Channel::dma_chunk(uint64_t pa, uint32_t len) {
  if (!ram_range(pa, len)) {
    dma_medium_error_ = false;
    return false;
  }
  dma_buf_.resize(len);
  Drive& d = cur();
  if (!xfer_write_) {
    bool ok = true;
    if (xfer_.from_medium) {
      ok = d.medium && d.medium->read(xfer_.offset, dma_buf_);
    } else {
      std::copy_n(reply_.begin() + ptrdiff_t(xfer_.offset), len, dma_buf_.begin());
    }
    if (!ok) {
      dma_medium_error_ = true;
      return false;
    }
    // Through write_phys, so ROM and shadowed pages behave as for the CPU.
    for (uint32_t i = 0; i < len; i += 8) {
      const unsigned n = unsigned(std::min<uint32_t>(8, len - i));
      uint64_t v = 0;
      for (unsigned k = 0; k < n; ++k) v |= uint64_t(dma_buf_[i + k]) << (8 * k);
      mem_.write_phys(pa + i, v, n);
    }
  } else {
    mem_.copy_from_phys(pa, dma_buf_);
    if (!d.medium || !d.medium->write(xfer_.offset, dma_buf_)) {
      dma_medium_error_ = true;
      return false;
    }
  }
  xfer_.offset += len;
  xfer_.left -= len;
  return true;
}

void Channel::run_dma() {
  uint64_t entry = bm_prd_;
  const uint64_t table_end = (entry & ~(kTablePage - 1)) + kTablePage;
  bool ok = true, regions_left = false;
  dma_medium_error_ = false;
  while (ok) {
    if (entry + 8 > table_end || !ram_range(entry, 8)) {
      ok = false;  // no end-of-table mark before the page ends, or a wild table
      break;
    }
    uint64_t addr = mem_.read_phys(entry, 4) & ~1ull;
    const uint32_t word = uint32_t(mem_.read_phys(entry + 4, 4));
    uint32_t len = word & 0xfffe;
    if (len == 0) len = kMaxRegion;
    entry += 8;
    while (ok && len > 0 && xfer_.left > 0) {
      const uint32_t n = uint32_t(std::min<uint64_t>(len, xfer_.left));
      ok = dma_chunk(addr, n);
      addr += n, len -= n;
    }
    if (!ok) break;
    if (xfer_.left == 0) {
      // The table describes more memory than the command moved: the engine
      // stays active (PIIX datasheet table 2-10, interrupt=1 active=1).
      regions_left = len > 0 || !(word & kEndOfTable);
      break;
    }
    if (word & kEndOfTable) ok = false;  // the table is shorter than the transfer
  }
  dma_finished(ok, regions_left);
}

void Channel::dma_finished(bool ok, bool regions_left) {
  if (!(ok && regions_left)) bm_status_ &= uint8_t(~kBmActive);
  if (!ok && !dma_medium_error_) bm_status_ |= kBmError;
  const bool atapi = xfer_.atapi;
  xfer_ = {};
  if (ok) return atapi ? atapi_done() : complete();
  if (atapi) {
    return dma_medium_error_ ? atapi_error(kSenseMediumError, kAscUnrecoveredRead)
                             : atapi_error(kSenseIllegalRequest, kAscInvalidField);
  }
  abort_command(dma_medium_error_ ? kErUnc | kErAbrt : kErAbrt);
}

}  // namespace kestrel::devices::ide
