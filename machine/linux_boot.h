// SPDX-License-Identifier: MIT
// The Linux x86 boot protocol for bzImage kernels (the kernel's
// Documentation/arch/x86/boot.rst): the setup header, the zero page
// (boot_params) with the e820 map, command line and initrd, and the 32-bit or
// 64-bit entry. The real-mode setup code is never run: like QEMU's -kernel,
// the loader does its job and enters the protected-mode kernel directly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "machine/direct_boot.h"

namespace kestrel::machine {

/// The setup header fields a loader reads (offsets in the file, boot.rst).
struct LinuxHeader {
  unsigned setup_sects = 0;      ///< 0x1F1; 0 means 4
  uint32_t syssize = 0;          ///< 0x1F4: protected-mode part in 16-byte paragraphs
  uint16_t version = 0;          ///< 0x206
  uint8_t loadflags = 0;         ///< 0x211
  uint32_t code32_start = 0;     ///< 0x214
  uint32_t initrd_addr_max = 0;  ///< 0x22C
  uint32_t kernel_alignment = 0; ///< 0x230
  bool relocatable = false;      ///< 0x234
  uint16_t xloadflags = 0;       ///< 0x236
  uint32_t cmdline_size = 0;     ///< 0x238
  uint64_t pref_address = 0;     ///< 0x258
  uint32_t init_size = 0;        ///< 0x260
  size_t header_end = 0;         ///< 0x202 + the byte at 0x201: end of the header to copy

  size_t setup_bytes() const { return (setup_sects + 1) * size_t{512}; }
};

inline constexpr uint8_t kLoadedHigh = 1u << 0;    ///< loadflags: bzImage, loads at 1 MiB
inline constexpr uint8_t kCanUseHeap = 1u << 7;    ///< loadflags: heap_end_ptr is valid
inline constexpr uint16_t kXlfKernel64 = 1u << 0;  ///< xloadflags: 64-bit entry at +0x200
inline constexpr uint16_t kMinLinuxProtocol = 0x206;
inline constexpr uint64_t kLinuxLoadAddress = 0x100000;

/// Whether `image` starts like a bzImage (boot_flag 0xAA55 and "HdrS").
bool is_linux_image(std::span<const uint8_t> image);

/// Parses and checks the setup header; returns why the image cannot boot.
std::optional<std::string> parse_linux_header(std::span<const uint8_t> image, LinuxHeader& h);

/// Where everything goes for one kernel, initrd and RAM size.
struct LinuxPlan {
  uint64_t kernel_end = 0;   ///< end of the memory the kernel decompresses into
  uint64_t initrd_addr = 0;
  bool entry64 = false;
};

/// A bzImage ready to be loaded at every reset.
class LinuxKernel final : public LoadedKernel {
 public:
  /// Throws BootError when the files do not fit `config.ram_bytes`.
  LinuxKernel(const DirectBootConfig& config, std::vector<uint8_t> image,
              std::vector<uint8_t> initrd);
  void load(cpu::Cpu& cpu, uint64_t rsdp) const override;
  const LinuxPlan& plan() const { return plan_; }

 private:
  void write_boot_params(mmu::Mmu& mem, uint64_t rsdp) const;

  DirectBootConfig config_;
  std::vector<uint8_t> image_;
  std::vector<uint8_t> initrd_;
  LinuxHeader header_;
  LinuxPlan plan_;
};

}  // namespace kestrel::machine
