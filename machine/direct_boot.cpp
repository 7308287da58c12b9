// SPDX-License-Identifier: MIT
// What every direct-boot format shares: reading the files, choosing the
// format, the e820 map, and putting the CPU in the mode the kernel's entry
// expects without running any firmware.
#include "machine/direct_boot.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cpu/flags.h"
#include "machine/linux_boot.h"
#include "machine/multiboot.h"

namespace kestrel::machine {
namespace {

constexpr uint64_t kCr0Pe = 1u << 0;
constexpr uint64_t kCr0Et = 1u << 4;
constexpr uint64_t kCr0Pg = 1u << 31;
constexpr uint64_t kCr4Pae = 1u << 5;
constexpr uint64_t kEferLme = 1u << 8;
constexpr uint64_t kEferLma = 1u << 10;

constexpr uint16_t kBootCs = 0x10;
constexpr uint16_t kBootDs = 0x18;
// Flat 4 GiB descriptors: code execute/read, data read/write, both G and
// present; the 64-bit code descriptor has L set and D clear.
constexpr uint64_t kGdtCode32 = 0x00cf9b000000ffff;
constexpr uint64_t kGdtCode64 = 0x00af9b000000ffff;
constexpr uint64_t kGdtData = 0x00cf93000000ffff;

cpu::SegmentCache flat_segment(uint16_t selector, uint64_t descriptor) {
  cpu::SegmentCache sc;
  sc.base = 0;
  sc.limit = 0xffffffff;
  sc.selector = selector;
  sc.attr = uint16_t((descriptor >> 40) & 0xf0ff);
  sc.lo = 0;
  sc.rights = (sc.attr & cpu::kAttrCode) ? cpu::kSegReadable
                                         : cpu::kSegReadable | cpu::kSegWritable;
  return sc;
}

/// The GDT, segment registers and the rest of the state both entries share.
void enter_flat(cpu::Cpu& cpu, uint64_t code_descriptor) {
  mmu::Mmu& mem = cpu.mem;
  const uint64_t gdt[4] = {0, 0, code_descriptor, kGdtData};
  mem.load_phys(kBootGdt, std::span(reinterpret_cast<const uint8_t*>(gdt), sizeof gdt));
  mem.set_a20(true);
  cpu::CpuState& s = cpu.s;
  s.gdtr = {kBootGdt, sizeof gdt - 1};
  s.idtr = {0, 0};
  for (unsigned i = 0; i < cpu::kSegCount; ++i) s.seg[i] = flat_segment(kBootDs, kGdtData);
  s.seg[cpu::kCs] = flat_segment(kBootCs, code_descriptor);
  cpu.set_cpl(0);
  cpu::write_flags(s, cpu::kFixed1, ~uint64_t{0});
  s.halted = false;
  for (uint64_t& r : s.gpr) r = 0;
  s.gpr[cpu::kRsp] = kBootGdt - 16;  // a small stack below the GDT, unused by Linux
}

}  // namespace

uint64_t low_ram_top(uint64_t ram_bytes) { return std::min(ram_bytes, kPciHoleStart); }

std::vector<E820Entry> e820_map(uint64_t ram_bytes) {
  std::vector<E820Entry> map;
  map.push_back({0, kBaseRamTop, kE820Ram});
  map.push_back({kBaseRamTop, 0xa0000 - kBaseRamTop, kE820Reserved});  // EBDA
  // The BIOS area holds the ACPI tables of a direct boot.
  map.push_back({kBiosAreaStart, kHighRamStart - kBiosAreaStart, kE820Reserved});
  const uint64_t low_top = low_ram_top(ram_bytes);
  if (low_top > kHighRamStart) map.push_back({kHighRamStart, low_top - kHighRamStart, kE820Ram});
  map.push_back({kHighFirmwareStart, k4GiB - kHighFirmwareStart, kE820Reserved});
  if (ram_bytes > low_top) map.push_back({k4GiB, ram_bytes - low_top, kE820Ram});
  return map;
}

void enter_flat32(cpu::Cpu& cpu, uint32_t eip) {
  enter_flat(cpu, kGdtCode32);
  cpu.load_paging(kCr0Pe | kCr0Et, 0, 0, 0, true);
  cpu.s.rip = eip;
}

void enter_long64(cpu::Cpu& cpu, uint64_t rip) {
  // PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB pages
  // mapping the low 4 GiB onto themselves (present, writable).
  constexpr uint64_t kPresentRw = 0x3;
  constexpr uint64_t kLargePage = 0x80;
  std::vector<uint64_t> tables(6 * 512, 0);
  tables[0] = (kBootPageTables + 0x1000) | kPresentRw;
  for (uint64_t i = 0; i < 4; ++i) {
    tables[512 + i] = (kBootPageTables + 0x2000 + i * 0x1000) | kPresentRw;
  }
  for (uint64_t i = 0; i < 4 * 512; ++i) {
    tables[1024 + i] = (i << 21) | kPresentRw | kLargePage;
  }
  cpu.mem.load_phys(kBootPageTables, std::span(reinterpret_cast<const uint8_t*>(tables.data()),
                                               tables.size() * sizeof(uint64_t)));
  enter_flat(cpu, kGdtCode64);
  cpu.load_paging(kCr0Pe | kCr0Et | kCr0Pg, kBootPageTables, kCr4Pae, kEferLme | kEferLma, true);
  cpu.s.rip = rip;
}

std::vector<uint8_t> read_boot_file(const std::string& path, const std::string& what,
                                    uint64_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw BootError(what, std::strerror(errno));
  std::vector<uint8_t> data;
  std::vector<uint8_t> buf(1 << 16);
  size_t n;
  // Bounded, so that a path naming an endless device still ends.
  while (data.size() <= max_bytes && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    data.insert(data.end(), buf.begin(), buf.begin() + n);
  }
  if (data.size() > max_bytes) {
    std::fclose(f);
    throw BootError(what, "larger than the guest's RAM (" + std::to_string(max_bytes >> 20) +
                              " MiB)");
  }
  const bool failed = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (failed) throw BootError(what, std::strerror(err));
  return data;
}

std::unique_ptr<LoadedKernel> open_kernel(const DirectBootConfig& config) {
  const std::string what = "-kernel " + config.kernel;
  std::vector<uint8_t> image = read_boot_file(config.kernel, what, config.ram_bytes);
  std::vector<uint8_t> initrd;
  if (!config.initrd.empty()) {
    initrd = read_boot_file(config.initrd, "-initrd " + config.initrd, config.ram_bytes);
  }
  if (image.empty()) throw BootError(what, "the file is empty");
  if (is_linux_image(image)) {
    return std::make_unique<LinuxKernel>(config, std::move(image), std::move(initrd));
  }
  if (has_multiboot_header(image)) {
    return std::make_unique<MultibootKernel>(config, std::move(image), std::move(initrd));
  }
  throw BootError(what, "not a kernel (no Linux bzImage header and no Multiboot header)");
}

}  // namespace kestrel::machine
