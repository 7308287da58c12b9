// SPDX-License-Identifier: MIT
// A fake virtio driver for device tests: RAM behind an MMU, the function on
// PCI bus 0 with BAR4 mapped into it, and the guest's half of the split
// virtqueues (descriptor writes, available ring, used ring reads) done by
// hand, the way a driver would.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/pci.h"
#include "devices/virtio/virtio_pci.h"
#include "mmu/mmu.h"

namespace kestrel::devices::test {

inline constexpr uint64_t kGuestRam = 16u << 20;
inline constexpr uint64_t kBarBase = 0xfebf0000;
inline constexpr unsigned kSlot = 4;  ///< INTA# of slot 4 reaches PIRQ D

/// BARs straight into the MMU's physical map.
struct MmuSpaces final : PciSpaces {
  explicit MmuSpaces(mmu::Mmu& m) : mmu(m) {}
  void map_io(uint16_t, unsigned, Device&) override {}
  void unmap_io(uint16_t, unsigned, Device&) override {}
  void map_mmio(uint64_t base, uint64_t size, mmu::MmioHandler& h) override {
    mmu.add_mmio(base, size, h);
  }
  void unmap_mmio(uint64_t base, mmu::MmioHandler& h) override { mmu.remove_mmio(base, h); }
  mmu::Mmu& mmu;
};

struct PirqLevels final : IrqSink {
  void set_irq(unsigned pin, bool level) override { levels[pin & 3] = level; }
  bool levels[4] = {};
};

/// The guest's view of one split virtqueue it set up.
struct GuestQueue {
  unsigned index = 0;
  uint16_t size = 0;
  uint64_t desc = 0, avail = 0, used = 0;
  uint16_t avail_idx = 0;
};

struct UsedElem {
  uint32_t id = 0, len = 0;
};

class VirtioGuest {
 public:
  VirtioGuest() : mmu(kGuestRam, 32), bus(spaces) { bus.connect_pirq(pirqs); }

  /// Plugs `fn` at 00:04.0, places BAR4 at kBarBase, enables memory decoding.
  void plug(PciFunction& fn) {
    fn_ = &fn;
    bus.attach(kSlot, 0, fn);
    fn.config_write(kPciBar0 + 4 * kVirtioBar, uint32_t(kBarBase), 4);
    fn.config_write(kPciBar0 + 4 * kVirtioBar + 4, 0, 4);
    fn.config_write(kPciCommand, kPciCmdMemory | kPciCmdMaster, 2);
  }
  bool irq() const { return pirqs.levels[(kSlot + 1 - 2) & 3]; }

  // ---- BAR4 registers ----
  uint64_t rd(uint32_t off, unsigned size) { return mmu.read_phys(kBarBase + off, size); }
  void wr(uint32_t off, uint64_t v, unsigned size) { mmu.write_phys(kBarBase + off, v, size); }
  uint8_t status() { return uint8_t(rd(kVirtioDeviceStatus, 1)); }
  void set_status(uint8_t s) { wr(kVirtioDeviceStatus, s, 1); }
  uint64_t device_features() {
    wr(kVirtioDeviceFeatureSelect, 0, 4);
    uint64_t f = rd(kVirtioDeviceFeature, 4);
    wr(kVirtioDeviceFeatureSelect, 1, 4);
    return f | rd(kVirtioDeviceFeature, 4) << 32;
  }
  /// §3.1.1 steps 1-6; returns whether FEATURES_OK stuck.
  bool negotiate(uint64_t features) {
    set_status(0);
    set_status(kVirtioAcknowledge);
    set_status(kVirtioAcknowledge | kVirtioDriver);
    wr(kVirtioDriverFeatureSelect, 0, 4);
    wr(kVirtioDriverFeature, uint32_t(features), 4);
    wr(kVirtioDriverFeatureSelect, 1, 4);
    wr(kVirtioDriverFeature, uint32_t(features >> 32), 4);
    set_status(kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk);
    return status() & kVirtioFeaturesOk;
  }
  /// Lays queue `index` out at `base` (descriptors, then avail, then used
  /// on the next page) and enables it.
  GuestQueue setup_queue(unsigned index, uint16_t size, uint64_t base) {
    GuestQueue q{index, size, base, base + 16u * size, (base + 16u * size + 6 + 2u * size + 4095) & ~4095ull};
    for (uint64_t a = base; a < q.used + 6 + 8u * size; ++a) mmu.write_phys(a, 0, 1);
    wr(kVirtioQueueSelect, index, 2);
    wr(kVirtioQueueSize, size, 2);
    wr(kVirtioQueueDesc, q.desc, 8);
    wr(kVirtioQueueDriver, q.avail, 8);
    wr(kVirtioQueueDevice, q.used, 8);
    wr(kVirtioQueueEnable, 1, 2);
    return q;
  }
  void driver_ok() {
    set_status(kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk | kVirtioDriverOk);
  }

  // ---- the rings ----
  void set_desc(const GuestQueue& q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                uint16_t next = 0) {
    set_desc_at(q.desc + 16u * i, addr, len, flags, next);
  }
  /// A descriptor anywhere (an indirect table's entry).
  void set_desc_at(uint64_t at, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    mmu.write_phys(at, addr, 8);
    mmu.write_phys(at + 8, len, 4);
    mmu.write_phys(at + 12, flags, 2);
    mmu.write_phys(at + 14, next, 2);
  }
  /// Makes chain `head` available without notifying.
  void offer(GuestQueue& q, uint16_t head) {
    mmu.write_phys(q.avail + 4 + 2u * (q.avail_idx % q.size), head, 2);
    ++q.avail_idx;
    mmu.write_phys(q.avail + 2, q.avail_idx, 2);
  }
  void kick(const GuestQueue& q) {
    wr(kVirtioNotifyCfg + kVirtioNotifyMultiplier * q.index, q.index, 2);
  }
  void submit(GuestQueue& q, uint16_t head) {
    offer(q, head);
    kick(q);
  }
  uint16_t used_idx(const GuestQueue& q) { return uint16_t(mmu.read_phys(q.used + 2, 2)); }
  UsedElem used(const GuestQueue& q, uint16_t n) {
    const uint64_t e = q.used + 4 + 8u * (n % q.size);
    return {uint32_t(mmu.read_phys(e, 4)), uint32_t(mmu.read_phys(e + 4, 4))};
  }

  // ---- guest memory ----
  void fill(uint64_t pa, uint64_t len, uint8_t v) {
    for (uint64_t i = 0; i < len; ++i) mmu.write_phys(pa + i, v, 1);
  }
  void poke(uint64_t pa, const std::vector<uint8_t>& bytes) { mmu.load_phys(pa, bytes); }
  std::vector<uint8_t> peek(uint64_t pa, uint64_t len) {
    std::vector<uint8_t> out(len);
    mmu.copy_from_phys(pa, out);
    return out;
  }
  /// Whether every byte of [pa, pa + len) is still `v`.
  bool untouched(uint64_t pa, uint64_t len, uint8_t v) {
    for (uint64_t i = 0; i < len; ++i) {
      if (mmu.read_phys(pa + i, 1) != v) return false;
    }
    return true;
  }

  mmu::Mmu mmu;
  MmuSpaces spaces{mmu};
  PciBus bus;
  PirqLevels pirqs;

 private:
  PciFunction* fn_ = nullptr;
};

}  // namespace kestrel::devices::test
