// SPDX-License-Identifier: MIT
// Host files behind the guest's disks and CD-ROMs: raw images opened with an
// advisory lock (so no image is written by two drives or two Kestrels), the
// -snapshot overlay that keeps the image unchanged, and the checks that turn
// a broken image into one error at startup. Devices see a BlockBackend.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "devices/block.h"

namespace kestrel::machine {

struct DiskImageOptions {
  bool read_only = false;  ///< readonly=on, or any CD-ROM
  bool snapshot = false;   ///< writes go to a temporary overlay (-snapshot)
  bool cdrom = false;      ///< the file must be an ISO 9660 image
};

class DiskImage;

/// An opened image, or why it could not be opened (one line).
struct DiskImageResult {
  std::unique_ptr<DiskImage> image;
  std::string error;
};

class DiskImage final : public devices::BlockBackend {
 public:
  /// Opens `path`. A writable image takes an exclusive lock, a read-only or
  /// snapshot one a shared lock; a conflict is an error, and nothing is
  /// ever written by a failed open.
  static DiskImageResult open(const std::string& path, const DiskImageOptions& options);
  ~DiskImage() override;
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;

  uint64_t size() const override { return size_; }
  bool writable() const override { return !options_.read_only; }
  bool read(uint64_t offset, std::span<uint8_t> out) override;
  bool write(uint64_t offset, std::span<const uint8_t> data) override;
  bool flush() override;
  std::string name() const override { return path_; }

 private:
  DiskImage(std::string path, int fd, uint64_t size, const DiskImageOptions& options);
  bool open_overlay();
  bool read_sector(uint64_t sector, uint8_t* out);
  bool write_partial(uint64_t sector, unsigned offset, std::span<const uint8_t> data);
  bool dirty(uint64_t sector) const { return (dirty_[sector / 64] >> (sector % 64)) & 1; }

  std::string path_;
  int fd_ = -1;
  int overlay_fd_ = -1;  ///< -snapshot: an unlinked sparse temporary file
  uint64_t size_ = 0;
  DiskImageOptions options_;
  std::vector<uint64_t> dirty_;  ///< -snapshot: sectors held by the overlay
};

/// Checks an ISO 9660 image (ECMA-119 §8.4): a primary volume descriptor
/// from sector 16 on, and a volume no larger than the file. Returns why not.
std::string check_iso9660(int fd, uint64_t file_size);

}  // namespace kestrel::machine
