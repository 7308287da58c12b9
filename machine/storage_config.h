// SPDX-License-Identifier: MIT
// What the board's storage section is configured with: the drives, each on
// a host backend the frontend opened (machine/disk_image.*) and keeps alive.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/block.h"

namespace kestrel::machine {

struct DriveConfig {
  enum class Interface : uint8_t { kIde, kVirtio };
  enum class Media : uint8_t { kDisk, kCdrom };
  /// The medium; nullptr for a CD-ROM drive with no disc.
  devices::BlockBackend* backend = nullptr;
  Interface interface = Interface::kIde;
  Media media = Media::kDisk;
  /// IDE: 0-3 = primary master, primary slave, secondary master, secondary
  /// slave (QEMU's index=); virtio: the order of the functions.
  unsigned index = 0;
};

struct StorageConfig {
  std::vector<DriveConfig> drives;
};

}  // namespace kestrel::machine
