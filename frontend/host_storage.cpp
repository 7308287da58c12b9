// SPDX-License-Identifier: MIT
// The storage part of a run's host side (frontend/host_part.h): places the
// drives on IDE positions and virtio slots, opens and locks their images
// (machine/disk_image.h) and keeps them open while the machine runs.
#include <algorithm>
#include <array>

#include "frontend/host_part.h"
#include "machine/disk_image.h"

namespace kestrel::frontend {
namespace {

using Interface = machine::DriveConfig::Interface;
using Media = machine::DriveConfig::Media;
constexpr unsigned kIdePositions = 4;
constexpr std::array<const char*, kIdePositions> kIdeNames = {
    "primary master", "primary slave", "secondary master", "secondary slave"};

class StoragePart final : public HostPart {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig& config) override {
    std::vector<DriveSpec> drives = o.storage.drives;
    if (auto e = place_ide(drives)) return e;
    // virtio functions in index order, then in command-line order.
    std::stable_sort(drives.begin(), drives.end(), [](const DriveSpec& a, const DriveSpec& b) {
      if (a.interface != b.interface) return a.interface < b.interface;
      return a.interface == Interface::kVirtio && a.index.value_or(~0u) < b.index.value_or(~0u);
    });
    for (const DriveSpec& d : drives) {
      machine::DiskImageOptions opts;
      opts.cdrom = d.media == Media::kCdrom;
      opts.read_only = d.read_only || opts.cdrom;
      opts.snapshot = d.snapshot || o.storage.snapshot;
      machine::DiskImageResult r = machine::DiskImage::open(d.file, opts);
      if (!r.image) return Error{d.option, r.error};
      machine::DriveConfig drive;
      drive.backend = r.image.get();
      drive.interface = d.interface;
      drive.media = d.media;
      drive.index = d.index.value_or(0);
      config.storage.drives.push_back(drive);
      images_.push_back(std::move(r.image));
    }
    return std::nullopt;
  }

 private:
  /// Gives every IDE drive a position: the one asked for, or the first free
  /// one (as QEMU's -drive without index=).
  static std::optional<Error> place_ide(std::vector<DriveSpec>& drives) {
    std::array<const DriveSpec*, kIdePositions> taken{};
    for (DriveSpec& d : drives) {
      if (d.interface != Interface::kIde || !d.index) continue;
      if (const DriveSpec* other = taken[*d.index]) {
        return Error{d.option, std::string("the IDE ") + kIdeNames[*d.index] +
                                   " is already taken by " + other->option};
      }
      taken[*d.index] = &d;
    }
    for (DriveSpec& d : drives) {
      if (d.interface != Interface::kIde || d.index) continue;
      const auto free = std::find(taken.begin(), taken.end(), nullptr);
      if (free == taken.end()) return Error{d.option, "all four IDE positions are taken"};
      d.index = unsigned(free - taken.begin());
      *free = &d;
    }
    return std::nullopt;
  }

  std::vector<std::unique_ptr<machine::DiskImage>> images_;
};

}  // namespace

std::unique_ptr<HostPart> make_storage_part() { return std::make_unique<StoragePart>(); }

}  // namespace kestrel::frontend
