// SPDX-License-Identifier: MIT
// Multiboot (version 1) kernels: the header in the first 8 KiB, loading by
// the header's address fields (the "a.out kludge") or by an ELF32 file's
// program headers, and the Multiboot information structure (memory sizes,
// memory map, command line, the -initrd file as module 0).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "machine/direct_boot.h"

namespace kestrel::machine {

inline constexpr uint32_t kMultibootMagic = 0x1badb002;
/// EAX at the kernel's entry.
inline constexpr uint32_t kMultibootBootloaderMagic = 0x2badb002;
inline constexpr size_t kMultibootSearch = 8192;

/// Whether the first 8 KiB hold a valid Multiboot header (magic + checksum).
bool has_multiboot_header(std::span<const uint8_t> image);

/// One piece of the kernel image to copy to memory, and its zeroed tail.
struct MultibootSegment {
  uint64_t file_offset;
  uint64_t file_size;
  uint64_t addr;
  uint64_t mem_size;
};

struct MultibootLayout {
  std::vector<MultibootSegment> segments;
  uint32_t entry = 0;
  uint64_t end = 0;  ///< highest byte the kernel occupies, exclusive
};

/// Works out where the image goes; returns why it cannot be loaded.
std::optional<std::string> plan_multiboot(std::span<const uint8_t> image, uint64_t ram_top,
                                          MultibootLayout& layout);

class MultibootKernel final : public LoadedKernel {
 public:
  /// Throws BootError when the image or the module cannot be loaded.
  MultibootKernel(const DirectBootConfig& config, std::vector<uint8_t> image,
                  std::vector<uint8_t> module);
  void load(cpu::Cpu& cpu, uint64_t rsdp) const override;

 private:
  void write_info(mmu::Mmu& mem) const;

  DirectBootConfig config_;
  std::vector<uint8_t> image_;
  std::vector<uint8_t> module_;
  MultibootLayout layout_;
  uint64_t module_addr_ = 0;
};

}  // namespace kestrel::machine
