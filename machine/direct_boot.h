// SPDX-License-Identifier: MIT
// Direct kernel boot (-kernel/-initrd/-append, as QEMU's): reads the files
// once, tells a Linux bzImage from a Multiboot kernel, checks that they fit
// the machine, and at every reset puts them in RAM and starts the CPU at the
// kernel's entry. The formats live in linux_boot.* and multiboot.*; the
// physical layout both share (e820, the low-memory slots) is here.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpu/cpu.h"
#include "mmu/mmu.h"

namespace kestrel::machine {

/// A -kernel/-initrd/-append input that cannot be used; the frontend prints
/// it as "kestrel: error: <what>: <why>".
class BootError : public std::runtime_error {
 public:
  BootError(std::string what, std::string why)
      : std::runtime_error(what + ": " + why), what_(std::move(what)), why_(std::move(why)) {}
  const std::string& subject() const { return what_; }
  const std::string& reason() const { return why_; }

 private:
  std::string what_;
  std::string why_;
};

/// The PC's physical layout as a direct-booted kernel is told it (QEMU's
/// 'pc'): RAM below 640 KiB, the VGA and BIOS hole, RAM up to the PCI hole
/// at 3.5 GiB, the rest above 4 GiB.
inline constexpr uint64_t kBaseRamTop = 0x9fc00;  ///< 639 KiB; the EBDA's KiB follows
inline constexpr uint64_t kBiosAreaStart = 0xe0000;
inline constexpr uint64_t kHighRamStart = 0x100000;
inline constexpr uint64_t kPciHoleStart = 0xe0000000;
inline constexpr uint64_t kHighFirmwareStart = 0xfffc0000;
inline constexpr uint64_t k4GiB = uint64_t{1} << 32;

/// Low-memory slots used by the loaders (all below the 640 KiB line, out of
/// the kernel's way; Linux keeps the first MiB to itself anyway).
inline constexpr uint64_t kBootGdt = 0x6000;
inline constexpr uint64_t kBootParams = 0x7000;   ///< Linux zero page / Multiboot info
inline constexpr uint64_t kBootPageTables = 0x9000;  ///< 6 pages: PML4, PDPT, 4 PDs
inline constexpr uint64_t kBootCmdline = 0x20000;
inline constexpr uint64_t kBootCmdlineMax = 0x10000;
inline constexpr uint64_t kBootScratch = 0x30000;  ///< Multiboot module list and strings

enum E820Type : uint32_t { kE820Ram = 1, kE820Reserved = 2, kE820Acpi = 3 };

struct E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
};

/// The memory map for `ram_bytes` of RAM.
std::vector<E820Entry> e820_map(uint64_t ram_bytes);
/// End of the RAM below 4 GiB (exclusive).
uint64_t low_ram_top(uint64_t ram_bytes);

/// Puts the CPU in 32-bit protected mode with flat 4 GiB segments (CS 0x10,
/// data 0x18, from a GDT written at kBootGdt), interrupts off, at `eip`.
void enter_flat32(cpu::Cpu& cpu, uint32_t eip);
/// Puts the CPU in 64-bit mode with the low 4 GiB identity-mapped (2 MiB
/// pages at kBootPageTables), CS 0x10 a 64-bit code segment, at `rip`.
void enter_long64(cpu::Cpu& cpu, uint64_t rip);

class LoadedKernel {
 public:
  virtual ~LoadedKernel() = default;
  /// Writes the kernel, initrd and boot data to RAM and sets the CPU at the
  /// entry; `rsdp` is where the ACPI tables' root is (0: none).
  virtual void load(cpu::Cpu& cpu, uint64_t rsdp) const = 0;
};

struct DirectBootConfig {
  std::string kernel;  ///< path
  std::string initrd;  ///< path; empty for none
  std::string append;
  uint64_t ram_bytes;
  bool long_mode;  ///< the CPU model has long mode (picks Linux's 64-bit entry)
};

/// Reads and checks the files; throws BootError naming the file and why.
std::unique_ptr<LoadedKernel> open_kernel(const DirectBootConfig& config);

/// Reads a whole file of at most `max_bytes`, throwing BootError{what, why}
/// when it cannot.
std::vector<uint8_t> read_boot_file(const std::string& path, const std::string& what,
                                    uint64_t max_bytes);

}  // namespace kestrel::machine
