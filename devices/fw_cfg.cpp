// SPDX-License-Identifier: MIT
// The fw_cfg device: item storage, the port interface and DMA transfers.
// Layouts follow QEMU's docs/specs/fw_cfg.rst: the file directory and the
// DMA descriptor are big-endian, the numeric items little-endian.
#include "devices/fw_cfg.h"

#include <algorithm>
#include <stdexcept>

namespace kestrel::devices {
namespace {

constexpr uint16_t kWriteChannel = 0x4000;
constexpr std::string_view kSignature = "QEMU";
/// What the DMA register reads as, byte by byte from port 0x514.
constexpr std::string_view kDmaSignature = "QEMU CFG";
/// The directory entry: size (4), select (2), reserved (2), name (56).
constexpr size_t kDirEntrySize = 64;
/// The DMA descriptor: control (4), length (4), address (8), all big-endian.
constexpr uint64_t kDescriptorSize = 16;

void put_be(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = bytes; i-- > 0;) out.push_back(uint8_t(v >> (8 * i)));
}

std::vector<uint8_t> le_bytes(uint64_t v, unsigned bytes) {
  std::vector<uint8_t> out(bytes);
  for (unsigned i = 0; i < bytes; ++i) out[i] = uint8_t(v >> (8 * i));
  return out;
}

uint64_t be_value(const uint8_t* p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

FwCfg::FwCfg(mmu::Mmu& memory) : memory_(memory) {
  set_item(kFwCfgSignature, {kSignature.begin(), kSignature.end()});
  set_u32(kFwCfgId, kFwCfgTraditional | kFwCfgDma);
  rebuild_directory();
}

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> data) {
  items_[uint16_t(key & ~kWriteChannel)] = std::move(data);
}

void FwCfg::set_u16(uint16_t key, uint16_t v) { set_item(key, le_bytes(v, 2)); }
void FwCfg::set_u32(uint16_t key, uint32_t v) { set_item(key, le_bytes(v, 4)); }
void FwCfg::set_u64(uint16_t key, uint64_t v) { set_item(key, le_bytes(v, 8)); }

uint16_t FwCfg::add_file(std::string_view name, std::vector<uint8_t> data) {
  if (name.empty() || name.size() >= kFwCfgMaxName) {
    throw std::invalid_argument("fw_cfg file name must be 1-55 bytes: " + std::string(name));
  }
  auto it = files_.find(name);
  const uint16_t key = it != files_.end() ? it->second : next_file_key_++;
  files_.emplace(std::string(name), key);
  set_item(key, std::move(data));
  rebuild_directory();
  return key;
}

const std::vector<uint8_t>* FwCfg::item(uint16_t key) const {
  auto it = items_.find(uint16_t(key & ~kWriteChannel));
  return it == items_.end() ? nullptr : &it->second;
}

uint16_t FwCfg::file_key(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second;
}

// Entries sorted by name, as QEMU keeps them; the count leads, big-endian.
void FwCfg::rebuild_directory() {
  std::vector<uint8_t> dir;
  put_be(dir, files_.size(), 4);
  for (const auto& [name, key] : files_) {
    const size_t start = dir.size();
    put_be(dir, item(key)->size(), 4);
    put_be(dir, key, 2);
    put_be(dir, 0, 2);
    dir.insert(dir.end(), name.begin(), name.end());
    dir.resize(start + kDirEntrySize, 0);
  }
  items_[kFwCfgFileDir] = std::move(dir);
}

void FwCfg::reset() {
  select(kFwCfgSignature);
  dma_address_ = {};
}

void FwCfg::select(uint16_t key) {
  selected_ = uint16_t(key & ~kWriteChannel);
  offset_ = 0;
}

// An item without data, or past its end, reads as zeros (as QEMU's does).
uint8_t FwCfg::next_byte() {
  const std::vector<uint8_t>* data = item(selected_);
  if (!data || offset_ >= data->size()) return 0;
  return (*data)[offset_++];
}

uint32_t FwCfg::io_read(uint16_t port, unsigned size) {
  if (port == kFwCfgDataPort) {
    // The data port is a byte wide; a wider read takes the next bytes in
    // order, as a string of byte reads would.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint32_t(next_byte()) << (8 * i);
    return v;
  }
  if (port >= kFwCfgDmaPort && port + size <= kFwCfgDmaPort + 8u) {
    // The I/O bus carries the byte of the lowest port in the low bits.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
      v |= uint32_t(uint8_t(kDmaSignature[port - kFwCfgDmaPort + i])) << (8 * i);
    }
    return v;
  }
  return open_bus(size);  // the selector is write-only
}

void FwCfg::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port == kFwCfgSelectorPort && size >= 2) {
    select(uint16_t(value));
  } else if (port >= kFwCfgDmaPort && port + size <= kFwCfgDmaPort + 8u) {
    dma_register_write(port - kFwCfgDmaPort, value, size);
  }
  // Data-port writes are ignored, as in QEMU since 2.4; a byte write to the
  // selector is not a selection either (the register is 16 bits wide).
}

// The register is big-endian: the byte at the lowest port is the most
// significant, and the I/O bus carries the lowest port's byte in the low
// bits of an OUT (so a little-endian guest byte-swaps the address first).
// Writing its last byte (the low dword, at 0x518) starts the transfer,
// which completes before the OUT does; the address then reads as zero
// again, so a guest that only ever writes the low dword works.
void FwCfg::dma_register_write(unsigned offset, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) dma_address_[offset + i] = uint8_t(value >> (8 * i));
  if (offset + size != dma_address_.size()) return;
  const uint64_t descriptor = be_value(dma_address_.data(), 8);
  dma_address_ = {};
  run_dma(descriptor);
}

bool FwCfg::in_ram(uint64_t pa, uint64_t length) const {
  const uint64_t low = memory_.low_ram();
  const uint64_t high = memory_.ram_size() - low;
  if (pa < low) return length <= low - pa;
  constexpr uint64_t kHigh = mmu::Mmu::kHighRamBase;
  return pa >= kHigh && pa - kHigh < high && length <= high - (pa - kHigh);
}

void FwCfg::run_dma(uint64_t descriptor) {
  // A descriptor the device cannot read has nowhere to report to either:
  // the request is dropped (and counted).
  if (!in_ram(descriptor, kDescriptorSize)) {
    ++dma_errors_;
    return;
  }
  uint8_t raw[kDescriptorSize];
  memory_.copy_from_phys(descriptor, raw);
  const uint32_t control = uint32_t(be_value(raw, 4));
  const uint32_t length = uint32_t(be_value(raw + 4, 4));
  const uint64_t address = be_value(raw + 8, 8);
  const bool ok = dma_transfer(control, length, address);
  if (!ok) ++dma_errors_;
  // Completion: control reads 0, or just the error bit.
  const uint32_t status = ok ? 0u : uint32_t{kFwCfgDmaError};
  for (unsigned i = 0; i < 4; ++i) {
    memory_.write_phys(descriptor + i, (status >> (8 * (3 - i))) & 0xff, 1);
  }
}

bool FwCfg::dma_transfer(uint32_t control, uint32_t length, uint64_t address) {
  if (control & kFwCfgDmaSelect) select(uint16_t(control >> 16));
  // No item is writable: QEMU refuses writes to read-only items the same way.
  if (control & kFwCfgDmaWrite) return false;
  if (control & kFwCfgDmaRead) return dma_read(length, address);
  if (control & kFwCfgDmaSkip) {
    advance(length);
    return true;
  }
  return true;  // only a selection (or nothing)
}

// The destination must lie in RAM as a whole, so a wild address or length
// is refused before a byte moves. Past the item's end the device supplies
// zeros, as QEMU's does.
bool FwCfg::dma_read(uint32_t length, uint64_t address) {
  if (!in_ram(address, length)) return false;
  const std::vector<uint8_t>* data = item(selected_);
  const uint64_t size = data ? data->size() : 0;
  const uint64_t avail = offset_ < size ? size - offset_ : 0;
  const uint64_t copy = std::min<uint64_t>(avail, length);
  for (uint64_t i = 0; i < length; ++i) {
    const uint8_t b = i < copy ? (*data)[offset_ + i] : 0;
    memory_.write_phys(address + i, b, 1);
  }
  advance(length);
  return true;
}

// The offset stops at the item's end: everything beyond reads as zeros.
void FwCfg::advance(uint64_t length) {
  const std::vector<uint8_t>* data = item(selected_);
  const uint64_t size = data ? data->size() : 0;
  offset_ = std::min(size, offset_ + std::min(length, size));
}

}  // namespace kestrel::devices
