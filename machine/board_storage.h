// SPDX-License-Identifier: MIT
// The board's storage part. The PIIX IDE controller (PCI 00:01.1) with its
// disks and ATAPI CD-ROMs, and the virtio-blk functions (PCI slots after
// the NICs). The media are the frontend's (machine/disk_image.*).
#pragma once

#include <memory>
#include <vector>

#include "devices/ide/piix_ide.h"
#include "devices/virtio/virtio_blk.h"

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  devices::ide::PiixIde& ide() { return *ide_; }
  /// The virtio-blk functions in slot order.
  const std::vector<std::unique_ptr<devices::VirtioBlk>>& virtio() const { return virtio_; }

 private:
  friend class Board;
  std::unique_ptr<devices::ide::PiixIde> ide_;
  std::vector<std::unique_ptr<devices::VirtioBlk>> virtio_;
};

}  // namespace kestrel::machine
