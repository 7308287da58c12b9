// SPDX-License-Identifier: MIT
// Encoding of the table-loader commands. Layout (QEMU's
// hw/acpi/bios-linker-loader.c, SeaBIOS's romfile_loader.h): a 32-bit
// command, then per command: ALLOCATE file[56] align(4) zone(1);
// ADD_POINTER dest[56] src[56] offset(4) size(1); ADD_CHECKSUM file[56]
// offset(4) start(4) length(4); the rest of the 128 bytes is zero.
#include "machine/table_loader.h"

#include <stdexcept>
#include <string>

namespace kestrel::machine {
namespace {

enum Command : uint32_t { kAllocate = 1, kAddPointer = 2, kAddChecksum = 3 };

}  // namespace

size_t TableLoader::begin(uint32_t type) {
  const size_t at = bytes_.size();
  bytes_.resize(at + kLoaderCommandSize, 0);
  put_u32(at, type);
  return at;
}

void TableLoader::put_name(size_t at, std::string_view name) {
  // The name field must keep its terminating NUL.
  if (name.empty() || name.size() >= kLoaderNameSize) {
    throw std::invalid_argument("table-loader file name must be 1-55 bytes: " + std::string(name));
  }
  for (size_t i = 0; i < name.size(); ++i) bytes_[at + i] = uint8_t(name[i]);
}

void TableLoader::put_u32(size_t at, uint32_t v) {
  for (unsigned i = 0; i < 4; ++i) bytes_[at + i] = uint8_t(v >> (8 * i));
}

void TableLoader::allocate(std::string_view name, uint32_t align, LoaderZone zone) {
  const size_t at = begin(kAllocate);
  put_name(at + 4, name);
  put_u32(at + 4 + kLoaderNameSize, align);
  bytes_[at + 8 + kLoaderNameSize] = uint8_t(zone);
}

void TableLoader::add_pointer(std::string_view dest, std::string_view src, uint32_t offset,
                              uint8_t size) {
  const size_t at = begin(kAddPointer);
  put_name(at + 4, dest);
  put_name(at + 4 + kLoaderNameSize, src);
  put_u32(at + 4 + 2 * kLoaderNameSize, offset);
  bytes_[at + 8 + 2 * kLoaderNameSize] = size;
}

void TableLoader::add_checksum(std::string_view file, uint32_t offset, uint32_t start,
                               uint32_t length) {
  const size_t at = begin(kAddChecksum);
  put_name(at + 4, file);
  put_u32(at + 4 + kLoaderNameSize, offset);
  put_u32(at + 8 + kLoaderNameSize, start);
  put_u32(at + 12 + kLoaderNameSize, length);
}

}  // namespace kestrel::machine
