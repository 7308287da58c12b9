// SPDX-License-Identifier: MIT
// Split virtqueue walking (virtio 1.0 §2.4) and the range-checked guest RAM
// access of the virtio devices. A guest may hand the device anything: every
// index, length and address is checked before it is used, and a malformed
// queue stops being served instead of being half-trusted.
#include "devices/virtio/virtqueue.h"

#include <algorithm>
#include <array>

namespace kestrel::devices {
namespace {

/// The legacy window (VGA memory, option ROMs, BIOS) below 1 MiB: RAM may
/// sit under it, but a device never does DMA there.
constexpr uint64_t kLegacyFirst = 0xa0000, kLegacyEnd = 0x100000;
constexpr uint64_t kDescSize = 16;

uint64_t le(std::span<const uint8_t> b) {
  uint64_t v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= uint64_t(b[i]) << (8 * i);
  return v;
}

template <size_t N> std::array<uint8_t, N> to_le(uint64_t v) {
  std::array<uint8_t, N> b{};
  for (size_t i = 0; i < N; ++i) b[i] = uint8_t(v >> (8 * i));
  return b;
}

// Ring sizes (§2.4): avail = flags, idx, ring[n], used_event; used = flags,
// idx, ring[n] of {id, len}, avail_event.
uint64_t avail_bytes(uint16_t n) { return 6 + 2 * uint64_t(n); }
uint64_t used_bytes(uint16_t n) { return 6 + 8 * uint64_t(n); }

}  // namespace

bool GuestRam::valid(uint64_t pa, uint64_t len) const {
  if (len == 0) return true;
  const uint64_t end = pa + len;
  if (end < pa) return false;
  const uint64_t low = mem_.low_ram(), high = mem_.ram_size() - low;
  if (end <= low) return end <= kLegacyFirst || pa >= kLegacyEnd;
  return pa >= mmu::Mmu::kHighRamBase && end - mmu::Mmu::kHighRamBase <= high;
}

bool GuestRam::read(uint64_t pa, std::span<uint8_t> out) const {
  if (!valid(pa, out.size())) return false;
  mem_.copy_from_phys(pa, out);
  return true;
}

bool GuestRam::write(uint64_t pa, std::span<const uint8_t> in) {
  if (!valid(pa, in.size())) return false;
  mem_.load_phys(pa, in);
  return true;
}

bool GuestRam::load16(uint64_t pa, uint16_t& v) const {
  std::array<uint8_t, 2> b{};
  if (!read(pa, b)) return false;
  v = uint16_t(le(b));
  return true;
}

bool GuestRam::load32(uint64_t pa, uint32_t& v) const {
  std::array<uint8_t, 4> b{};
  if (!read(pa, b)) return false;
  v = uint32_t(le(b));
  return true;
}

bool GuestRam::load64(uint64_t pa, uint64_t& v) const {
  std::array<uint8_t, 8> b{};
  if (!read(pa, b)) return false;
  v = le(b);
  return true;
}

bool GuestRam::store16(uint64_t pa, uint16_t v) { return write(pa, to_le<2>(v)); }
bool GuestRam::store32(uint64_t pa, uint32_t v) { return write(pa, to_le<4>(v)); }

size_t VirtqChain::gather(const GuestRam& ram, uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  for (const VirtqBuffer& b : readable) {
    if (done == out.size()) break;
    if (offset >= b.len) {
      offset -= b.len;
      continue;
    }
    const size_t n = size_t(std::min<uint64_t>(b.len - offset, out.size() - done));
    if (!ram.read(b.addr + offset, out.subspan(done, n))) break;
    done += n;
    offset = 0;
  }
  return done;
}

size_t VirtqChain::scatter(GuestRam& ram, uint64_t offset,
                           std::span<const uint8_t> data) const {
  size_t done = 0;
  for (const VirtqBuffer& b : writable) {
    if (done == data.size()) break;
    if (offset >= b.len) {
      offset -= b.len;
      continue;
    }
    const size_t n = size_t(std::min<uint64_t>(b.len - offset, data.size() - done));
    if (!ram.write(b.addr + offset, data.subspan(done, n))) break;
    done += n;
    offset = 0;
  }
  return done;
}

void Virtqueue::reset() {
  size_ = max_size_;
  enabled_ = broken_ = false;
  desc_addr = avail_addr = used_addr = 0;
  last_avail_ = used_idx_ = published_ = 0;
}

void Virtqueue::set_size(uint16_t size) {
  if (enabled_ || size == 0 || size > max_size_ || (size & (size - 1))) return;
  size_ = size;
}

// Alignment of the three areas: 16, 2 and 4 bytes (§2.4, table in 2.4.1).
bool Virtqueue::enable(const GuestRam& ram) {
  const bool aligned = desc_addr % 16 == 0 && avail_addr % 2 == 0 && used_addr % 4 == 0;
  if (!aligned || !ram.valid(desc_addr, kDescSize * size_) ||
      !ram.valid(avail_addr, avail_bytes(size_)) || !ram.valid(used_addr, used_bytes(size_))) {
    return false;
  }
  enabled_ = true;
  broken_ = false;
  last_avail_ = used_idx_ = published_ = 0;
  return true;
}

uint16_t Virtqueue::pending(const GuestRam& ram) const {
  uint16_t idx = 0;
  if (!enabled_ || broken_ || !ram.load16(avail_addr + 2, idx)) return 0;
  const uint16_t n = uint16_t(idx - last_avail_);
  return n > size_ ? 0 : n;
}

Virtqueue::Pop Virtqueue::pop(const GuestRam& ram, VirtqChain& chain) {
  if (broken_) return Pop::kBroken;
  if (!enabled_) return Pop::kEmpty;
  uint16_t idx = 0, head = 0;
  if (!ram.load16(avail_addr + 2, idx)) return broken_ = true, Pop::kBroken;
  if (idx == last_avail_) return Pop::kEmpty;
  // A driver cannot have more chains outstanding than the ring holds.
  if (uint16_t(idx - last_avail_) > size_) return broken_ = true, Pop::kBroken;
  if (!ram.load16(avail_addr + 4 + 2 * uint64_t(last_avail_ % size_), head)) {
    return broken_ = true, Pop::kBroken;
  }
  ++last_avail_;
  if (head >= size_ || !walk(ram, head, chain)) return broken_ = true, Pop::kBroken;
  return Pop::kChain;
}

// Walks the chain at `head`, following one level of indirection. The direct
// part and the indirect table may each hold at most size_ descriptors
// (§2.4.5.3.1: no chain longer than the queue; Linux counts the table's
// entries alone), which also ends any loop the guest built.
bool Virtqueue::walk(const GuestRam& ram, uint16_t head, VirtqChain& chain) {
  chain = VirtqChain{};
  chain.head = head;
  uint64_t table = desc_addr;
  uint32_t entries = size_;
  bool indirect = false;
  uint16_t i = head;
  for (unsigned count = 0;; ++count) {
    if (count >= size_ || i >= entries) return false;
    std::array<uint8_t, kDescSize> d{};
    if (!ram.read(table + kDescSize * i, d)) return false;
    const uint64_t addr = le(std::span(d).subspan(0, 8));
    const uint32_t len = uint32_t(le(std::span(d).subspan(8, 4)));
    const uint16_t flags = uint16_t(le(std::span(d).subspan(12, 2)));
    const uint16_t next = uint16_t(le(std::span(d).subspan(14, 2)));
    if (flags & kVirtqDescIndirect) {
      // §2.4.5.3.1: no indirect table inside one, none with NEXT, a whole
      // number of descriptors.
      if (indirect || (flags & kVirtqDescNext) || len == 0 || len % kDescSize ||
          !ram.valid(addr, len)) {
        return false;
      }
      indirect = true;
      table = addr;
      entries = len / kDescSize;
      i = 0;
      count = ~0u;  // the loop's ++count starts the table's own count at 0
      continue;
    }
    if (!add_buffer(ram, addr, len, flags, chain)) return false;
    if (!(flags & kVirtqDescNext)) return true;
    i = next;
  }
}

bool Virtqueue::add_buffer(const GuestRam& ram, uint64_t addr, uint32_t len, uint16_t flags,
                           VirtqChain& chain) {
  if (len == 0 || !ram.valid(addr, len)) return false;
  if (flags & kVirtqDescWrite) {
    chain.writable.push_back({addr, len});
    chain.writable_bytes += len;
    return true;
  }
  // §2.4.4.2: device-readable buffers come before device-writable ones.
  if (!chain.writable.empty()) return false;
  chain.readable.push_back({addr, len});
  chain.readable_bytes += len;
  return true;
}

void Virtqueue::push(GuestRam& ram, uint16_t head, uint32_t written) {
  if (!enabled_) return;
  const uint64_t slot = used_addr + 4 + 8 * uint64_t(used_idx_ % size_);
  ram.store32(slot, head);
  ram.store32(slot + 4, written);
  ++used_idx_;
}

bool Virtqueue::publish(GuestRam& ram) {
  if (!enabled_ || used_idx_ == published_) return false;
  ram.store16(used_addr + 2, used_idx_);
  published_ = used_idx_;
  uint16_t flags = 0;
  ram.load16(avail_addr, flags);
  return !(flags & kVirtqAvailNoInterrupt);
}

}  // namespace kestrel::devices
