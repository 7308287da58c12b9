// SPDX-License-Identifier: MIT
// The virtio 1.0 PCI transport: configuration header and capabilities,
// the BAR4 structures (common configuration, ISR, device configuration,
// notify), feature negotiation and the device status state machine.
#include "devices/virtio/virtio_pci.h"

#include <algorithm>
#include <array>

namespace kestrel::devices {
namespace {

constexpr uint8_t kPciCapVendor = 0x09;
constexpr unsigned kPciSubsystemId = 0x2e;
constexpr uint16_t kNoVector = 0xffff;  ///< VIRTIO_MSI_NO_VECTOR: no MSI-X here

/// Replaces bytes [byte, byte + size) of `field` with `value` (accesses
/// narrower than a field, like the two dword halves of queue_desc).
template <class T> void merge(T& field, unsigned byte, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size && byte + i < sizeof(T); ++i) {
    const unsigned shift = 8 * (byte + i);
    field = T((field & ~(T(0xff) << shift)) | (T(uint8_t(value >> (8 * i))) << shift));
  }
}

template <class T> void put(std::array<uint8_t, kVirtioCommonCfgSize>& img, unsigned off, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i) img[off + i] = uint8_t(uint64_t(v) >> (8 * i));
}

}  // namespace

VirtioPciFunction::VirtioPciFunction(mmu::Mmu& mem, uint16_t type, uint32_t class_code,
                                     unsigned queues, uint16_t queue_size,
                                     uint64_t device_features, unsigned config_size)
    : PciFunction(PciId{kVirtioPciVendor, uint16_t(kVirtioPciDeviceBase + type), class_code,
                        1, false}),
      config_(config_size),
      ram_(mem),
      queues_(queues, Virtqueue(queue_size)),
      device_features_(device_features | uint64_t{1} << kVirtioFVersion1 |
                       uint64_t{1} << kVirtioFIndirectDesc) {
  init_config(kPciSubsystemVendor, 2, kVirtioPciVendor);
  init_config(kPciSubsystemId, 2, kVirtioPciSubsystemId);
  set_interrupt_pin(1);
  define_mem_bar(kVirtioBar, kVirtioBarSize, bar_, true);
  add_capabilities();
}

// virtio_pci_cap (§4.1.4): vendor id, next, cap_len, cfg_type, bar,
// padding, offset, length; the notify one adds notify_off_multiplier.
void VirtioPciFunction::add_capabilities() {
  struct Cap {
    VirtioCapType type;
    uint32_t offset, length;
  };
  std::array<Cap, 4> caps{{{kVirtioCapCommon, kVirtioCommonCfg, kVirtioCommonCfgSize},
                           {kVirtioCapIsr, kVirtioIsrCfg, 1},
                           {kVirtioCapDevice, kVirtioDeviceCfg, uint32_t(config_.size())},
                           {kVirtioCapNotify, kVirtioNotifyCfg,
                            uint32_t(kVirtioNotifyMultiplier * queues_.size())}}};
  for (const Cap& c : caps) {
    if (c.length == 0) continue;
    const unsigned len = c.type == kVirtioCapNotify ? 20 : 16;
    const unsigned off = add_capability(kPciCapVendor, len);
    init_config(off + 2, 1, len);
    init_config(off + 3, 1, c.type);
    init_config(off + 4, 1, kVirtioBar);
    init_config(off + 8, 4, c.offset);
    init_config(off + 12, 4, c.length);
    if (c.type == kVirtioCapNotify) init_config(off + 16, 4, kVirtioNotifyMultiplier);
  }
}

void VirtioPciFunction::reset() { pci_reset(); }

void VirtioPciFunction::pci_reset() {
  PciFunction::pci_reset();
  virtio_reset();
}

// §2.1.2 / §4.1.4.3.2: writing 0 to device_status resets the device: all
// negotiation and queue state goes, and the interrupt is withdrawn.
void VirtioPciFunction::virtio_reset() {
  for (Virtqueue& q : queues_) q.reset();
  driver_features_ = 0;
  device_feature_select_ = driver_feature_select_ = 0;
  queue_select_ = 0;
  status_ = 0;
  isr_ = 0;
  update_irq();
  device_reset();
}

uint64_t VirtioPciFunction::Bar::mmio_read(uint64_t offset, unsigned size) {
  const unsigned off = unsigned(offset % kVirtioRegionSize);
  switch (offset / kVirtioRegionSize * kVirtioRegionSize) {
    case kVirtioCommonCfg:
      return fn_.common_read(off, size);
    case kVirtioIsrCfg: {
      if (off != 0) return 0;
      // §4.1.4.5.1: reading the ISR clears it and deasserts INTx.
      const uint8_t v = fn_.isr_;
      fn_.isr_ = 0;
      fn_.update_irq();
      return v;
    }
    case kVirtioDeviceCfg: {
      uint64_t v = 0;
      for (unsigned i = 0; i < size && off + i < fn_.config_.size(); ++i) {
        v |= uint64_t(fn_.config_[off + i]) << (8 * i);
      }
      return v;
    }
    default:
      return 0;
  }
}

void VirtioPciFunction::Bar::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  const unsigned off = unsigned(offset % kVirtioRegionSize);
  switch (offset / kVirtioRegionSize * kVirtioRegionSize) {
    case kVirtioCommonCfg:
      fn_.common_write(off, uint32_t(value), std::min(size, 4u));
      if (size == 8) fn_.common_write(off + 4, uint32_t(value >> 32), 4);
      break;
    case kVirtioDeviceCfg:
      if (off < fn_.config_.size()) fn_.device_config_write(off, uint32_t(value), size);
      break;
    case kVirtioNotifyCfg: {
      // The queue is the one whose queue_notify_off (= its index) selects
      // this address; the value written is not needed (§4.1.4.4).
      const unsigned n = off / kVirtioNotifyMultiplier;
      if (n < fn_.queues_.size() && fn_.driver_ok() && fn_.queues_[n].enabled()) {
        fn_.queue_notify(n);
      }
      break;
    }
    default:
      break;
  }
}

uint32_t VirtioPciFunction::common_read(unsigned offset, unsigned size) {
  if (offset >= kVirtioCommonCfgSize) return 0;
  std::array<uint8_t, kVirtioCommonCfgSize> img{};
  const uint32_t feat = device_feature_select_ < 2
                            ? uint32_t(device_features_ >> (32 * device_feature_select_))
                            : 0;
  const uint32_t dfeat = driver_feature_select_ < 2
                             ? uint32_t(driver_features_ >> (32 * driver_feature_select_))
                             : 0;
  put(img, kVirtioDeviceFeatureSelect, device_feature_select_);
  put(img, kVirtioDeviceFeature, feat);
  put(img, kVirtioDriverFeatureSelect, driver_feature_select_);
  put(img, kVirtioDriverFeature, dfeat);
  put(img, kVirtioMsixConfig, kNoVector);
  put(img, kVirtioNumQueues, uint16_t(queues_.size()));
  put(img, kVirtioDeviceStatus, status_);
  put(img, kVirtioConfigGeneration, config_generation_);
  put(img, kVirtioQueueSelect, queue_select_);
  if (queue_select_ < queues_.size()) {
    const Virtqueue& q = queues_[queue_select_];
    put(img, kVirtioQueueSize, q.size());
    put(img, kVirtioQueueMsixVector, kNoVector);
    put(img, kVirtioQueueEnable, uint16_t(q.enabled()));
    put(img, kVirtioQueueNotifyOff, queue_select_);
    put(img, kVirtioQueueDesc, q.desc_addr);
    put(img, kVirtioQueueDriver, q.avail_addr);
    put(img, kVirtioQueueDevice, q.used_addr);
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < size && offset + i < img.size(); ++i) {
    v |= uint32_t(img[offset + i]) << (8 * i);
  }
  return v;
}

void VirtioPciFunction::common_write(unsigned offset, uint32_t value, unsigned size) {
  switch (offset) {
    case kVirtioDeviceFeatureSelect:
      merge(device_feature_select_, 0, value, size);
      break;
    case kVirtioDriverFeatureSelect:
      merge(driver_feature_select_, 0, value, size);
      break;
    case kVirtioDriverFeature:
      // Frozen once FEATURES_OK is set (§3.1.1 step 5).
      if (driver_feature_select_ < 2 && !(status_ & kVirtioFeaturesOk)) {
        merge(driver_features_, 4 * driver_feature_select_, value, size);
      }
      break;
    case kVirtioDeviceStatus:
      status_write(uint8_t(value));
      break;
    case kVirtioQueueSelect:
      merge(queue_select_, 0, value, size);
      break;
    default:
      if (offset >= kVirtioQueueSize && offset < kVirtioCommonCfgSize) {
        queue_write(offset, value, size);
      }
      break;
  }
}

void VirtioPciFunction::queue_write(unsigned offset, uint32_t value, unsigned size) {
  if (queue_select_ >= queues_.size()) return;
  Virtqueue& q = queues_[queue_select_];
  if (q.enabled()) return;  // §4.1.4.3.2: the driver sets a queue up before enabling it
  if (offset == kVirtioQueueSize) {
    q.set_size(uint16_t(value));
  } else if (offset == kVirtioQueueEnable) {
    if ((value & 1) && !q.enable(ram_)) needs_reset();
  } else if (offset >= kVirtioQueueDesc && offset < kVirtioQueueDriver) {
    merge(q.desc_addr, offset - kVirtioQueueDesc, value, size);
  } else if (offset >= kVirtioQueueDriver && offset < kVirtioQueueDevice) {
    merge(q.avail_addr, offset - kVirtioQueueDriver, value, size);
  } else if (offset >= kVirtioQueueDevice) {
    merge(q.used_addr, offset - kVirtioQueueDevice, value, size);
  }
}

// §2.1 and §3.1.1: FEATURES_OK sticks only if the driver's features are a
// subset of the device's and include VERSION_1 (no legacy drivers here);
// the driver re-reads the status to learn the verdict.
void VirtioPciFunction::status_write(uint8_t value) {
  if (value == 0) {
    virtio_reset();
    return;
  }
  const uint8_t old = status_;
  uint8_t now = uint8_t(value | (old & kVirtioNeedsReset));
  if ((now & kVirtioFeaturesOk) && !(old & kVirtioFeaturesOk)) {
    const bool subset = (driver_features_ & ~device_features_) == 0;
    if (!subset || !negotiated(kVirtioFVersion1)) now &= uint8_t(~kVirtioFeaturesOk);
  }
  // DRIVER_OK without accepted features means nothing to the device.
  if (!(now & kVirtioFeaturesOk)) now &= uint8_t(~kVirtioDriverOk);
  status_ = now;
  if ((now & kVirtioDriverOk) && !(old & kVirtioDriverOk)) {
    driver_ready();
    // Buffers made available before DRIVER_OK are served now (§3.1.1).
    for (unsigned n = 0; n < queues_.size() && driver_ok(); ++n) {
      if (queues_[n].enabled()) queue_notify(n);
    }
  }
}

void VirtioPciFunction::complete(Virtqueue& q) {
  if (!q.publish(ram_)) return;
  isr_ |= kVirtioIsrQueue;
  update_irq();
}

void VirtioPciFunction::config_changed() {
  ++config_generation_;
  if (!(status_ & kVirtioDriverOk)) return;
  isr_ |= kVirtioIsrConfig;
  update_irq();
}

void VirtioPciFunction::needs_reset() {
  if (status_ & kVirtioNeedsReset) return;
  status_ |= kVirtioNeedsReset;
  if (!(status_ & kVirtioDriverOk)) return;
  isr_ |= kVirtioIsrConfig;
  update_irq();
}

void VirtioPciFunction::update_irq() { set_intx(isr_ != 0); }

}  // namespace kestrel::devices
