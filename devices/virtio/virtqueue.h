// SPDX-License-Identifier: MIT
// Split virtqueues (virtio 1.0 §2.4): the device's side of the descriptor
// table, the available ring and the used ring, and the range-checked guest
// RAM access every virtio device does its DMA through. The transport
// (virtio_pci.*) owns the queue registers; devices pop chains and push them
// back used.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mmu/mmu.h"

namespace kestrel::devices {

/// Guest RAM as a virtio device may touch it: only whole ranges inside RAM
/// (below the PCI hole or above 4 GiB), never the legacy VGA/BIOS window
/// 0xA0000-0xFFFFF, never device registers. Everything goes through the
/// MMU's physical access.
class GuestRam {
 public:
  explicit GuestRam(mmu::Mmu& mem) : mem_(mem) {}
  /// Whether [pa, pa + len) lies in RAM; an empty range is valid.
  bool valid(uint64_t pa, uint64_t len) const;
  /// False (and nothing read or written) when the range is not valid.
  bool read(uint64_t pa, std::span<uint8_t> out) const;
  bool write(uint64_t pa, std::span<const uint8_t> in);
  /// Little-endian loads and stores of 2, 4 or 8 bytes, range-checked the
  /// same way; a load outside RAM returns false and leaves `v` alone.
  bool load16(uint64_t pa, uint16_t& v) const;
  bool load32(uint64_t pa, uint32_t& v) const;
  bool load64(uint64_t pa, uint64_t& v) const;
  bool store16(uint64_t pa, uint16_t v);
  bool store32(uint64_t pa, uint32_t v);

 private:
  mmu::Mmu& mem_;
};

/// One guest buffer of a chain: `len` bytes at guest physical `addr`,
/// already checked to lie in RAM.
struct VirtqBuffer {
  uint64_t addr = 0;
  uint32_t len = 0;
};

/// A descriptor chain taken from the available ring, its buffers split by
/// direction (device-readable ones first, as §2.4.4.2 requires).
struct VirtqChain {
  uint16_t head = 0;
  std::vector<VirtqBuffer> readable;
  std::vector<VirtqBuffer> writable;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;

  /// Copies readable bytes [offset, offset + out.size()) of the chain into
  /// `out`; returns how many bytes there were.
  size_t gather(const GuestRam& ram, uint64_t offset, std::span<uint8_t> out) const;
  /// Writes `data` to the writable bytes starting at `offset`; returns how
  /// many fitted.
  size_t scatter(GuestRam& ram, uint64_t offset, std::span<const uint8_t> data) const;
};

/// The descriptor flags and ring flags of §2.4.5 - §2.4.8.
enum VirtqFlag : uint16_t {
  kVirtqDescNext = 1, kVirtqDescWrite = 2, kVirtqDescIndirect = 4,
  kVirtqAvailNoInterrupt = 1,
};

class Virtqueue {
 public:
  /// The largest queue a device offers (queue_size's reset value).
  explicit Virtqueue(uint16_t max_size = 256) : max_size_(max_size) { reset(); }

  /// Back to the reset state: size = max, disabled, addresses 0.
  void reset();

  // ---- the registers the transport exposes (common configuration) ----
  uint16_t max_size() const { return max_size_; }
  uint16_t size() const { return size_; }
  /// Sizes that are not a power of two in 1..max are ignored (§2.4).
  void set_size(uint16_t size);
  bool enabled() const { return enabled_; }
  /// Enables the queue with the addresses set so far; false (the queue
  /// stays disabled) when they are misaligned or their rings leave RAM.
  bool enable(const GuestRam& ram);
  uint64_t desc_addr = 0, avail_addr = 0, used_addr = 0;

  // ---- the device's side ----
  enum class Pop : uint8_t {
    kEmpty,   ///< nothing available
    kChain,   ///< `chain` holds the next request
    kBroken,  ///< the guest broke the queue (bad index, loop, bad buffer...)
  };
  /// Takes the next available chain. Any malformed descriptor makes the
  /// queue broken: nothing more is popped until reset (the transport sets
  /// DEVICE_NEEDS_RESET).
  Pop pop(const GuestRam& ram, VirtqChain& chain);
  /// Chains the driver has made available and the device not taken yet
  /// (0 when disabled or broken).
  uint16_t pending(const GuestRam& ram) const;
  /// Gives back the last `n` popped chains (a frame that did not fit).
  void unpop(uint16_t n) { last_avail_ = uint16_t(last_avail_ - n); }
  /// Writes a used element for chain `head` with `written` bytes; the used
  /// index becomes visible at publish().
  void push(GuestRam& ram, uint16_t head, uint32_t written);
  /// Publishes the pushed elements; returns whether the driver wants an
  /// interrupt for them (VIRTQ_AVAIL_F_NO_INTERRUPT clear).
  bool publish(GuestRam& ram);
  bool broken() const { return broken_; }

 private:
  bool walk(const GuestRam& ram, uint16_t head, VirtqChain& chain);
  bool add_buffer(const GuestRam& ram, uint64_t addr, uint32_t len, uint16_t flags,
                  VirtqChain& chain);

  uint16_t max_size_;
  uint16_t size_ = 0;
  bool enabled_ = false;
  bool broken_ = false;
  uint16_t last_avail_ = 0;  ///< next available-ring slot to take
  uint16_t used_idx_ = 0;    ///< next used-ring slot to fill
  uint16_t published_ = 0;   ///< the used index the driver has seen
};

}  // namespace kestrel::devices
