// SPDX-License-Identifier: MIT
// The virtio 1.0 PCI transport (virtio 1.0 §4.1), modern only: the PCI
// identity, the vendor capabilities that locate the common, notify, ISR and
// device-specific configuration structures in one 64-bit memory BAR (BAR4,
// as QEMU lays it out), feature negotiation, the device status state
// machine, queue registers and the INTx interrupt with its read-to-clear
// ISR. Device types (virtio_blk.*, virtio_net.*) derive from it.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/device.h"
#include "devices/pci.h"
#include "devices/virtio/virtqueue.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint16_t kVirtioPciVendor = 0x1af4;
/// Modern device ids are 0x1040 + the virtio device type (§4.1.2.1).
inline constexpr uint16_t kVirtioPciDeviceBase = 0x1040;
inline constexpr uint16_t kVirtioPciSubsystemId = 0x1100;  ///< QEMU's
inline constexpr unsigned kVirtioBar = 4;
inline constexpr uint64_t kVirtioBarSize = 0x4000;

/// Where the structures lie in BAR4 (QEMU's layout, one page each).
enum VirtioBarRegion : uint32_t {
  kVirtioCommonCfg = 0x0000, kVirtioIsrCfg = 0x1000, kVirtioDeviceCfg = 0x2000,
  kVirtioNotifyCfg = 0x3000, kVirtioRegionSize = 0x1000,
};
inline constexpr uint32_t kVirtioNotifyMultiplier = 4;

/// virtio_pci_common_cfg offsets (§4.1.4.3).
enum VirtioCommonReg : uint8_t {
  kVirtioDeviceFeatureSelect = 0x00, kVirtioDeviceFeature = 0x04,
  kVirtioDriverFeatureSelect = 0x08, kVirtioDriverFeature = 0x0c,
  kVirtioMsixConfig = 0x10, kVirtioNumQueues = 0x12, kVirtioDeviceStatus = 0x14,
  kVirtioConfigGeneration = 0x15, kVirtioQueueSelect = 0x16, kVirtioQueueSize = 0x18,
  kVirtioQueueMsixVector = 0x1a, kVirtioQueueEnable = 0x1c, kVirtioQueueNotifyOff = 0x1e,
  kVirtioQueueDesc = 0x20, kVirtioQueueDriver = 0x28, kVirtioQueueDevice = 0x30,
  kVirtioCommonCfgSize = 0x38,
};

/// Device status bits (§2.1).
enum VirtioStatus : uint8_t {
  kVirtioAcknowledge = 1, kVirtioDriver = 2, kVirtioDriverOk = 4, kVirtioFeaturesOk = 8,
  kVirtioNeedsReset = 0x40, kVirtioFailed = 0x80,
};

/// ISR bits (§4.1.4.5).
enum VirtioIsr : uint8_t { kVirtioIsrQueue = 1, kVirtioIsrConfig = 2 };

/// Feature bits of the transport (§6).
inline constexpr unsigned kVirtioFIndirectDesc = 28;
inline constexpr unsigned kVirtioFVersion1 = 32;

/// The PCI capability types (§4.1.4).
enum VirtioCapType : uint8_t {
  kVirtioCapCommon = 1, kVirtioCapNotify = 2, kVirtioCapIsr = 3, kVirtioCapDevice = 4,
};

class VirtioPciFunction : public Device, public PciFunction {
 public:
  /// Device and PCI reset: the virtio state back to power-on.
  void reset() override;
  void pci_reset() override;

  // ---- observers (tests, monitor) ----
  uint8_t status() const { return status_; }
  uint64_t driver_features() const { return driver_features_; }
  uint8_t isr() const { return isr_; }

 protected:
  /// `type`: the virtio device id (1 net, 2 block); `class_code`: the PCI
  /// class; `device_features` must include VERSION_1; `config_size`: bytes
  /// of the device-specific structure (config_ below).
  VirtioPciFunction(mmu::Mmu& mem, uint16_t type, uint32_t class_code, unsigned queues,
                    uint16_t queue_size, uint64_t device_features, unsigned config_size);

  /// The driver wrote queue `n`'s notify register.
  virtual void queue_notify(unsigned n) = 0;
  /// The device-type state goes back to power-on (status written 0, reset).
  virtual void device_reset() {}
  /// DRIVER_OK was set.
  virtual void driver_ready() {}
  /// A driver write to the device-specific structure (most are read-only).
  virtual void device_config_write(unsigned offset, uint32_t value, unsigned size) {
    (void)offset, (void)value, (void)size;
  }

  bool driver_ok() const { return (status_ & kVirtioDriverOk) && !(status_ & kVirtioNeedsReset); }
  bool negotiated(unsigned bit) const { return driver_features_ >> bit & 1; }
  Virtqueue& queue(unsigned n) { return queues_[n]; }
  const Virtqueue& queue(unsigned n) const { return queues_[n]; }
  GuestRam& ram() { return ram_; }
  const GuestRam& ram() const { return ram_; }
  /// Publishes queue `q`'s used elements and raises the queue interrupt
  /// when the driver wants one.
  void complete(Virtqueue& q);
  /// Hands every available chain of `q` to `handle`, then complete(q); a
  /// broken queue stops the walk with needs_reset().
  template <class Handle> void drain(Virtqueue& q, Handle&& handle) {
    VirtqChain chain;
    for (;;) {
      const Virtqueue::Pop r = q.pop(ram(), chain);
      if (r == Virtqueue::Pop::kEmpty) break;
      if (r == Virtqueue::Pop::kBroken) {
        needs_reset();
        break;
      }
      handle(chain);
    }
    complete(q);
  }
  /// The device-specific structure changed: new generation, config interrupt.
  void config_changed();
  /// The device hit an error it cannot go on from (a broken queue):
  /// DEVICE_NEEDS_RESET and a config interrupt (§2.1.2).
  void needs_reset();
  /// The device-specific structure, little-endian; subclasses fill it.
  std::vector<uint8_t> config_;

 private:
  class Bar final : public mmu::MmioHandler {
   public:
    explicit Bar(VirtioPciFunction& fn) : fn_(fn) {}
    uint64_t mmio_read(uint64_t offset, unsigned size) override;
    void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;

   private:
    VirtioPciFunction& fn_;
  };
  void add_capabilities();
  uint32_t common_read(unsigned offset, unsigned size);
  void common_write(unsigned offset, uint32_t value, unsigned size);
  void queue_write(unsigned offset, uint32_t value, unsigned size);
  void status_write(uint8_t value);
  void virtio_reset();
  void update_irq();

  GuestRam ram_;
  Bar bar_{*this};
  std::vector<Virtqueue> queues_;
  uint64_t device_features_;
  uint64_t driver_features_ = 0;
  uint32_t device_feature_select_ = 0, driver_feature_select_ = 0;
  uint16_t queue_select_ = 0;
  uint8_t status_ = 0;
  uint8_t config_generation_ = 0;
  uint8_t isr_ = 0;
};

}  // namespace kestrel::devices
