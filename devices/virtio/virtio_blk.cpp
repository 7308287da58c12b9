// SPDX-License-Identifier: MIT
// virtio-blk requests (virtio 1.0 §5.2.6): a 16-byte header (type,
// reserved, sector) in the readable part of a chain, data, and a status
// byte as the chain's last writable byte. Data moves through a bounded
// staging buffer, so a guest's huge chain never means a huge allocation.
#include "devices/virtio/virtio_blk.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace kestrel::devices {
namespace {

constexpr uint16_t kVirtioTypeBlock = 2;
constexpr uint32_t kPciClassScsi = 0x010000;
constexpr uint64_t kSector = 512;
constexpr unsigned kHeaderSize = 16;
constexpr unsigned kIdBytes = 20;  ///< VIRTIO_BLK_ID_BYTES
constexpr size_t kChunk = 64 * 1024;
/// Config layout (§5.2.4): capacity, size_max, seg_max, geometry, blk_size.
constexpr unsigned kCfgCapacity = 0, kCfgSizeMax = 8, kCfgSegMax = 12, kCfgBlkSize = 20;
constexpr unsigned kConfigSize = 0x3c;  ///< up to num_queues and beyond, as QEMU's

uint64_t blk_features(const BlockBackend& backend) {
  uint64_t f = 1u << kVirtioBlkFSizeMax | 1u << kVirtioBlkFSegMax | 1u << kVirtioBlkFBlkSize |
               1u << kVirtioBlkFFlush;
  if (!backend.writable()) f |= 1u << kVirtioBlkFRo;
  return f;
}

void put_le(std::vector<uint8_t>& cfg, unsigned off, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) cfg[off + i] = uint8_t(v >> (8 * i));
}

uint64_t get_le(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

}  // namespace

VirtioBlk::VirtioBlk(mmu::Mmu& mem, BlockBackend& backend)
    : VirtioPciFunction(mem, kVirtioTypeBlock, kPciClassScsi, 1, kVirtioBlkQueueSize,
                        blk_features(backend), kConfigSize),
      backend_(backend) {
  put_le(config_, kCfgCapacity, backend.size() / kSector, 8);
  put_le(config_, kCfgSizeMax, kVirtioBlkSizeMax, 4);
  // Header and status take two descriptors of a chain no longer than the
  // queue (§2.4.5.3.1).
  put_le(config_, kCfgSegMax, kVirtioBlkQueueSize - 2, 4);
  put_le(config_, kCfgBlkSize, kSector, 4);
}

void VirtioBlk::queue_notify(unsigned n) {
  drain(queue(n), [this](VirtqChain& chain) { process(chain); });
}

// A chain without a whole header or without a status byte cannot be
// answered: it is returned used with nothing written (the driver sees a
// zero length) and counted as an I/O error.
void VirtioBlk::process(const VirtqChain& chain) {
  Virtqueue& q = queue(0);
  std::array<uint8_t, kHeaderSize> hdr{};
  if (chain.gather(ram(), 0, hdr) != hdr.size() || chain.writable_bytes == 0) {
    ++done_[kVirtioBlkIoErr];
    q.push(ram(), chain.head, 0);
    return;
  }
  const uint32_t type = uint32_t(get_le(hdr.data(), 4));
  const uint64_t sector = get_le(hdr.data() + 8, 8);
  uint64_t written = 0;
  const uint8_t status = execute(chain, type, sector, written);
  const std::array<uint8_t, 1> st{status};
  chain.scatter(ram(), chain.writable_bytes - 1, st);
  ++done_[status];
  q.push(ram(), chain.head, uint32_t(written + 1));
}

uint8_t VirtioBlk::execute(const VirtqChain& chain, uint32_t type, uint64_t sector,
                           uint64_t& written) {
  switch (type) {
    case kVirtioBlkIn:
      return read_sectors(chain, sector, written);
    case kVirtioBlkOut:
      return write_sectors(chain, sector);
    case kVirtioBlkFlush:
      return backend_.flush() ? kVirtioBlkOk : kVirtioBlkIoErr;
    case kVirtioBlkGetId:
      return get_id(chain, written);
    default:
      return kVirtioBlkUnsupp;
  }
}

// The range is checked whole before any byte moves: a request that runs
// off the end of the medium fails without a partial transfer.
namespace {
bool in_range(uint64_t sector, uint64_t bytes, uint64_t size) {
  if (bytes % kSector) return false;
  if (sector > size / kSector) return false;
  return bytes <= size - sector * kSector;
}
}  // namespace

uint8_t VirtioBlk::read_sectors(const VirtqChain& chain, uint64_t sector, uint64_t& written) {
  const uint64_t bytes = chain.writable_bytes - 1;
  if (!in_range(sector, bytes, backend_.size())) return kVirtioBlkIoErr;
  std::vector<uint8_t> buf(size_t(std::min<uint64_t>(bytes, kChunk)));
  for (uint64_t done = 0; done < bytes;) {
    const std::span<uint8_t> part(buf.data(), size_t(std::min<uint64_t>(bytes - done, kChunk)));
    if (!backend_.read(sector * kSector + done, part)) return kVirtioBlkIoErr;
    chain.scatter(ram(), done, part);
    done += part.size();
    written = done;
  }
  return kVirtioBlkOk;
}

uint8_t VirtioBlk::write_sectors(const VirtqChain& chain, uint64_t sector) {
  if (!backend_.writable()) return kVirtioBlkIoErr;
  const uint64_t bytes = chain.readable_bytes - kHeaderSize;
  if (!in_range(sector, bytes, backend_.size())) return kVirtioBlkIoErr;
  std::vector<uint8_t> buf(size_t(std::min<uint64_t>(bytes, kChunk)));
  for (uint64_t done = 0; done < bytes;) {
    const std::span<uint8_t> part(buf.data(), size_t(std::min<uint64_t>(bytes - done, kChunk)));
    chain.gather(ram(), kHeaderSize + done, part);
    if (!backend_.write(sector * kSector + done, part)) return kVirtioBlkIoErr;
    done += part.size();
  }
  return kVirtioBlkOk;
}

// The id is the backend's name's tail, NUL-padded to 20 bytes; a shorter
// buffer gets what fits (§5.2.6.1 leaves the string to the device).
uint8_t VirtioBlk::get_id(const VirtqChain& chain, uint64_t& written) {
  std::array<uint8_t, kIdBytes> id{};
  const std::string name = backend_.name();
  const size_t n = std::min<size_t>(name.size(), kIdBytes);
  std::copy(name.end() - ptrdiff_t(n), name.end(), id.begin());
  const uint64_t room = std::min<uint64_t>(chain.writable_bytes - 1, kIdBytes);
  written = chain.scatter(ram(), 0, std::span(id).first(size_t(room)));
  return kVirtioBlkOk;
}

}  // namespace kestrel::devices
