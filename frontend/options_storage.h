// SPDX-License-Identifier: MIT
// The storage options (-hda, -hdb, -hdc, -hdd, -cdrom, -drive, -snapshot)
// as parsed; options_storage.cpp parses them and host_storage.cpp opens
// the images.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "machine/storage_config.h"

namespace kestrel::frontend {

/// One drive as the command line gave it.
struct DriveSpec {
  std::string file;
  machine::DriveConfig::Interface interface = machine::DriveConfig::Interface::kIde;
  machine::DriveConfig::Media media = machine::DriveConfig::Media::kDisk;
  /// IDE position 0-3 (-hda..-hdd, -cdrom = 2, index=); virtio: the order.
  std::optional<unsigned> index;
  bool read_only = false;
  bool snapshot = false;
  std::string option;  ///< the option and its argument, for messages
};

struct StorageOptions {
  std::vector<DriveSpec> drives;
  bool snapshot = false;  ///< -snapshot: every disk gets a temporary overlay
};

}  // namespace kestrel::frontend
