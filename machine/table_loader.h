// SPDX-License-Identifier: MIT
// QEMU's ACPI table loader ("etc/table-loader"): a list of 128-byte
// commands telling firmware to allocate fw_cfg files in memory, patch
// pointers between them and fix checksums. SeaBIOS runs it to place the
// tables of machine/acpi_tables.h; the commands are built here.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kestrel::machine {

/// Where an allocated file may go: anywhere in high memory, or the
/// 0xF0000 segment (where an OS scans for the RSDP).
enum class LoaderZone : uint8_t { kHigh = 1, kFseg = 2 };

inline constexpr size_t kLoaderCommandSize = 128;
inline constexpr size_t kLoaderNameSize = 56;

/// The commands, little-endian, in the order firmware must run them.
class TableLoader {
 public:
  /// Firmware copies file `name` to memory aligned to `align` (a power of two).
  void allocate(std::string_view name, uint32_t align, LoaderZone zone);
  /// Adds the address of `src` to the `size`-byte field at `offset` in `dest`.
  void add_pointer(std::string_view dest, std::string_view src, uint32_t offset, uint8_t size);
  /// Makes the bytes [start, start + length) of `file` sum to zero by
  /// adjusting the byte at `offset`.
  void add_checksum(std::string_view file, uint32_t offset, uint32_t start, uint32_t length);
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  /// A zeroed command of `type`; returns its offset.
  size_t begin(uint32_t type);
  void put_name(size_t at, std::string_view name);
  void put_u32(size_t at, uint32_t v);

  std::vector<uint8_t> bytes_;
};

}  // namespace kestrel::machine
