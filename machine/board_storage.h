// SPDX-License-Identifier: MIT
// The board's storage part. The PIIX IDE controller (PCI 00:01.1) with its disks and ATAPI CD-ROMs, and the virtio-blk functions.
#pragma once

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

}  // namespace kestrel::machine
