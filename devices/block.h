// SPDX-License-Identifier: MIT
// What a storage device (IDE disk, ATAPI CD-ROM, virtio-blk) sees of its
// medium: a byte-addressed image of fixed size. The image formats, host
// files, -snapshot overlays and locking are machine/'s (disk_image.*);
// devices never open host files themselves.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace kestrel::devices {

class BlockBackend {
 public:
  virtual ~BlockBackend() = default;
  /// Size of the medium in bytes.
  virtual uint64_t size() const = 0;
  /// False for a read-only medium (a CD-ROM image, readonly=on): writes fail.
  virtual bool writable() const = 0;
  /// Reads `out.size()` bytes at `offset`; false on a host I/O error or a
  /// range outside the medium (the device reports a medium error, nothing
  /// is thrown).
  virtual bool read(uint64_t offset, std::span<uint8_t> out) = 0;
  virtual bool write(uint64_t offset, std::span<const uint8_t> data) = 0;
  /// Makes written data durable on the host (ATA FLUSH CACHE, virtio FLUSH).
  virtual bool flush() = 0;
  /// For messages and the monitor: the image's path or a description.
  virtual std::string name() const = 0;
};

}  // namespace kestrel::devices
