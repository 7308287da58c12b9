// SPDX-License-Identifier: MIT
// virtio-blk (virtio 1.0 §5.2) on the PCI transport: one request queue,
// IN/OUT/FLUSH/GET_ID requests completed synchronously on the notify, the
// medium a BlockBackend the machine opened. Capacity, segment limits and
// the block size are in the device configuration.
#pragma once

#include <cstdint>
#include <span>

#include "devices/block.h"
#include "devices/virtio/virtio_pci.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

/// Request types and status values (§5.2.6).
enum VirtioBlkType : uint32_t {
  kVirtioBlkIn = 0, kVirtioBlkOut = 1, kVirtioBlkFlush = 4, kVirtioBlkGetId = 8,
};
enum VirtioBlkStatus : uint8_t { kVirtioBlkOk = 0, kVirtioBlkIoErr = 1, kVirtioBlkUnsupp = 2 };

/// Feature bits (§5.2.3).
enum VirtioBlkFeature : unsigned {
  kVirtioBlkFSizeMax = 1, kVirtioBlkFSegMax = 2, kVirtioBlkFRo = 5, kVirtioBlkFBlkSize = 6,
  kVirtioBlkFFlush = 9,
};

inline constexpr uint16_t kVirtioBlkQueueSize = 256;
inline constexpr uint32_t kVirtioBlkSizeMax = 1u << 20;

/// The virtio-blk PCI function (1af4:1042, class 01 00 00). Plug it into the
/// PCI bus; its interrupt is INTA#.
class VirtioBlk final : public VirtioPciFunction {
 public:
  /// `backend` stays owned by the caller and must outlive the device.
  VirtioBlk(mmu::Mmu& mem, devices::BlockBackend& backend);

  /// Requests completed with each status since power-on (tests).
  uint64_t requests(VirtioBlkStatus s) const { return done_[s]; }

 private:
  void queue_notify(unsigned n) override;
  void process(const VirtqChain& chain);
  uint8_t execute(const VirtqChain& chain, uint32_t type, uint64_t sector,
                  uint64_t& written);
  uint8_t read_sectors(const VirtqChain& chain, uint64_t sector, uint64_t& written);
  uint8_t write_sectors(const VirtqChain& chain, uint64_t sector);
  uint8_t get_id(const VirtqChain& chain, uint64_t& written);

  devices::BlockBackend& backend_;
  uint64_t done_[3] = {};
};

}  // namespace kestrel::devices
