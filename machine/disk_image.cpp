// SPDX-License-Identifier: MIT
// Raw disk images on host files: opening and checking them, advisory
// locks, positioned I/O, and the -snapshot overlay (machine/disk_image.h).
#include "machine/disk_image.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kestrel::machine {
namespace {

constexpr uint64_t kSector = 512;
constexpr uint64_t kIsoBlock = 2048;
/// ECMA-119 §6.2: the volume descriptor set starts at logical sector 16.
constexpr uint64_t kIsoFirstDescriptor = 16;
/// How far to look for the primary descriptor before giving up.
constexpr unsigned kIsoMaxDescriptors = 32;

bool pread_all(int fd, uint8_t* out, size_t len, uint64_t offset) {
  while (len > 0) {
    const ssize_t n = ::pread(fd, out, len, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n, len -= size_t(n), offset += uint64_t(n);
  }
  return true;
}

bool pwrite_all(int fd, const uint8_t* data, size_t len, uint64_t offset) {
  while (len > 0) {
    const ssize_t n = ::pwrite(fd, data, len, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n, len -= size_t(n), offset += uint64_t(n);
  }
  return true;
}

/// Open-file-description locks conflict between two opens in one process
/// too, which is what catches `-hda x -hdb x`; flock() where OFD locks are
/// missing behaves the same way on Linux.
bool take_lock(int fd, bool exclusive) {
  struct flock fl {};
  fl.l_type = short(exclusive ? F_WRLCK : F_RDLCK);
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return true;
  if (errno != EINVAL) return false;
  return ::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0;
}

std::string errno_text(int e) { return std::strerror(e); }

/// The byte size of an opened regular file or block device, or why the
/// file cannot be an image.
std::string file_size(int fd, uint64_t& size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_text(errno);
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return errno_text(errno);
    size = bytes;
    return {};
  }
  if (!S_ISREG(st.st_mode)) return "not a regular file or block device";
  size = uint64_t(st.st_size);
  return {};
}

}  // namespace

std::string check_iso9660(int fd, uint64_t file_size) {
  std::array<uint8_t, kIsoBlock> d{};
  for (unsigned i = 0; i < kIsoMaxDescriptors; ++i) {
    const uint64_t at = (kIsoFirstDescriptor + i) * kIsoBlock;
    if (at + kIsoBlock > file_size || !pread_all(fd, d.data(), d.size(), at)) break;
    if (std::memcmp(&d[1], "CD001", 5) != 0) break;
    if (d[0] == 255) break;  // set terminator
    if (d[0] != 1) continue;
    // ECMA-119 §8.4.8/§8.4.12: both-byte-order fields, little-endian half first.
    const uint64_t blocks = uint64_t(d[80]) | uint64_t(d[81]) << 8 | uint64_t(d[82]) << 16 |
                            uint64_t(d[83]) << 24;
    const uint64_t block_size = uint64_t(d[128]) | uint64_t(d[129]) << 8;
    if (blocks * block_size > file_size) {
      return "truncated ISO 9660 image: the volume has " + std::to_string(blocks * block_size) +
             " bytes, the file " + std::to_string(file_size);
    }
    return {};
  }
  return "not an ISO 9660 image (no primary volume descriptor)";
}

DiskImageResult DiskImage::open(const std::string& path, const DiskImageOptions& options) {
  DiskImageOptions opts = options;
  if (opts.cdrom) opts.read_only = true;
  // A snapshot image is never written, so it is opened read-only too.
  const bool host_rw = !opts.read_only && !opts.snapshot;
  const int fd = ::open(path.c_str(), (host_rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return {nullptr, errno_text(errno)};
  auto fail = [&](const std::string& why) {
    ::close(fd);
    return DiskImageResult{nullptr, why};
  };
  uint64_t size = 0;
  if (std::string why = file_size(fd, size); !why.empty()) return fail(why);
  if (size == 0) return fail("the image is empty");
  if (opts.cdrom) {
    if (std::string why = check_iso9660(fd, size); !why.empty()) return fail(why);
  }
  if (!take_lock(fd, host_rw)) {
    return fail(host_rw ? "the image is already in use (opened for writing twice, by this or "
                          "another Kestrel?); use readonly=on or -snapshot"
                        : "the image is being written by another drive or Kestrel");
  }
  std::unique_ptr<DiskImage> image(new DiskImage(path, fd, size, opts));
  if (opts.snapshot && !opts.read_only && !image->open_overlay()) {
    return {nullptr, "cannot create the -snapshot overlay in $TMPDIR: " +
                         errno_text(errno)};
  }
  return {std::move(image), {}};
}

DiskImage::DiskImage(std::string path, int fd, uint64_t size, const DiskImageOptions& options)
    : path_(std::move(path)), fd_(fd), size_(size), options_(options) {}

DiskImage::~DiskImage() {
  if (overlay_fd_ >= 0) ::close(overlay_fd_);
  if (fd_ >= 0) ::close(fd_);
}

/// The overlay is a sparse temporary file unlinked at once, so it costs disk
/// space only for written sectors and vanishes however Kestrel ends.
bool DiskImage::open_overlay() {
  const char* dir = std::getenv("TMPDIR");
  std::string templ = std::string(dir && *dir ? dir : "/var/tmp") + "/kestrel-snapshot-XXXXXX";
  overlay_fd_ = ::mkostemp(templ.data(), O_CLOEXEC);
  if (overlay_fd_ < 0) return false;
  ::unlink(templ.c_str());
  if (::ftruncate(overlay_fd_, off_t(size_)) != 0) return false;
  dirty_.assign((size_ / kSector + 64) / 64, 0);
  return true;
}

bool DiskImage::read_sector(uint64_t sector, uint8_t* out) {
  const uint64_t at = sector * kSector;
  const size_t len = size_t(std::min(kSector, size_ - at));
  return pread_all(dirty(sector) ? overlay_fd_ : fd_, out, len, at);
}

bool DiskImage::read(uint64_t offset, std::span<uint8_t> out) {
  if (offset > size_ || out.size() > size_ - offset) return false;
  if (overlay_fd_ < 0) return pread_all(fd_, out.data(), out.size(), offset);
  // Runs of sectors from one file are read in one call.
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = offset + done;
    const bool from_overlay = dirty(at / kSector);
    uint64_t end = (at / kSector + 1) * kSector;
    while (end < offset + out.size() && dirty(end / kSector) == from_overlay) end += kSector;
    const size_t len = size_t(std::min<uint64_t>(end, offset + out.size()) - at);
    if (!pread_all(from_overlay ? overlay_fd_ : fd_, out.data() + done, len, at)) return false;
    done += len;
  }
  return true;
}

/// Part of a sector not yet in the overlay: the rest of it comes from the
/// image first, so the overlay always holds whole sectors.
bool DiskImage::write_partial(uint64_t sector, unsigned offset, std::span<const uint8_t> data) {
  std::array<uint8_t, kSector> buf{};
  if (!read_sector(sector, buf.data())) return false;
  std::memcpy(buf.data() + offset, data.data(), data.size());
  const size_t len = size_t(std::min(kSector, size_ - sector * kSector));
  if (!pwrite_all(overlay_fd_, buf.data(), len, sector * kSector)) return false;
  dirty_[sector / 64] |= uint64_t{1} << (sector % 64);
  return true;
}

bool DiskImage::write(uint64_t offset, std::span<const uint8_t> data) {
  if (options_.read_only) return false;
  if (offset > size_ || data.size() > size_ - offset) return false;
  if (overlay_fd_ < 0) return pwrite_all(fd_, data.data(), data.size(), offset);
  size_t done = 0;
  while (done < data.size()) {
    const uint64_t at = offset + done;
    const uint64_t sector = at / kSector;
    const unsigned in_sector = unsigned(at % kSector);
    const size_t len = size_t(std::min<uint64_t>(kSector - in_sector, data.size() - done));
    const auto piece = data.subspan(done, len);
    if (in_sector == 0 && (len == kSector || at + len == size_)) {
      if (!pwrite_all(overlay_fd_, piece.data(), len, at)) return false;
      dirty_[sector / 64] |= uint64_t{1} << (sector % 64);
    } else if (dirty(sector)) {
      if (!pwrite_all(overlay_fd_, piece.data(), len, at)) return false;
    } else if (!write_partial(sector, in_sector, piece)) {
      return false;
    }
    done += len;
  }
  return true;
}

bool DiskImage::flush() {
  // The overlay is thrown away at exit: nothing of it needs to be durable.
  if (overlay_fd_ >= 0 || options_.read_only) return true;
  return ::fdatasync(fd_) == 0;
}

}  // namespace kestrel::machine
