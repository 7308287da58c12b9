// SPDX-License-Identifier: MIT
// Loading a Multiboot v1 kernel (the Multiboot Specification 0.6.96, §3):
// finding the header, placing the image by its address fields or its ELF32
// program headers, and building the boot information the kernel gets in EBX.
#include "machine/multiboot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace kestrel::machine {
namespace {

constexpr uint32_t kFlagPageAlign = 1u << 0;  // modules on 4 KiB boundaries
constexpr uint32_t kFlagMemInfo = 1u << 1;    // mem_* and mmap wanted
constexpr uint32_t kFlagAoutKludge = 1u << 16;
constexpr uint32_t kSupportedRequired = kFlagPageAlign | kFlagMemInfo;

// Multiboot information (mbi) layout and flags, §3.3.
constexpr uint32_t kInfoMemory = 1u << 0;
constexpr uint32_t kInfoCmdline = 1u << 2;
constexpr uint32_t kInfoMods = 1u << 3;
constexpr uint32_t kInfoMmap = 1u << 6;
constexpr uint32_t kInfoLoaderName = 1u << 9;
constexpr uint64_t kModsOffset = 0x200;   // module list, after the 0x58-byte mbi
constexpr uint64_t kMmapOffset = 0x400;   // memory map
constexpr uint64_t kCmdlineMax = 0x8000;  // at kBootScratch
constexpr uint64_t kLoaderName = kBootScratch + 0x8000;
constexpr uint64_t kModuleString = kBootScratch + 0x9000;
constexpr uint64_t kModuleStringMax = 0x1000;

template <class T> T get(std::span<const uint8_t> b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

std::optional<size_t> find_header(std::span<const uint8_t> image) {
  const size_t limit = std::min(image.size(), kMultibootSearch);
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    const uint32_t magic = get<uint32_t>(image, off);
    if (magic != kMultibootMagic) continue;
    if (uint32_t(magic + get<uint32_t>(image, off + 4) + get<uint32_t>(image, off + 8)) == 0) {
      return off;
    }
  }
  return std::nullopt;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::string> plan_aout(std::span<const uint8_t> image, size_t hdr,
                                     MultibootLayout& layout) {
  if (hdr + 32 > image.size()) return "truncated Multiboot header";
  const uint32_t header_addr = get<uint32_t>(image, hdr + 12);
  const uint32_t load_addr = get<uint32_t>(image, hdr + 16);
  const uint32_t load_end = get<uint32_t>(image, hdr + 20);
  const uint32_t bss_end = get<uint32_t>(image, hdr + 24);
  if (header_addr < load_addr || header_addr - load_addr > hdr) {
    return "Multiboot header_addr and load_addr do not match the file";
  }
  const uint64_t offset = hdr - (header_addr - load_addr);
  const uint64_t size = load_end ? uint64_t(load_end) - load_addr : image.size() - offset;
  if (load_end && load_end < load_addr) return "Multiboot load_end_addr is below load_addr";
  if (offset + size > image.size()) return "truncated: the Multiboot header says it is longer";
  const uint64_t mem = bss_end ? std::max<uint64_t>(uint64_t(bss_end) - load_addr, size) : size;
  layout.segments.push_back({offset, size, load_addr, mem});
  layout.entry = get<uint32_t>(image, hdr + 28);
  return std::nullopt;
}

std::optional<std::string> plan_elf(std::span<const uint8_t> image, MultibootLayout& layout) {
  if (image.size() < 52 || get<uint32_t>(image, 0) != 0x464c457f) {
    return "the Multiboot header has no address fields and the file is not ELF";
  }
  if (image[4] != 1 || image[5] != 1 || get<uint16_t>(image, 18) != 3) {
    return "not a 32-bit little-endian i386 ELF file";
  }
  const uint32_t phoff = get<uint32_t>(image, 28);
  const uint16_t phentsize = get<uint16_t>(image, 42);
  const uint16_t phnum = get<uint16_t>(image, 44);
  const uint32_t entry = get<uint32_t>(image, 24);
  layout.entry = entry;
  for (unsigned i = 0; i < phnum; ++i) {
    const size_t ph = phoff + size_t{i} * phentsize;
    if (phentsize < 32 || ph + 32 > image.size()) return "truncated ELF program headers";
    if (get<uint32_t>(image, ph) != 1) continue;  // PT_LOAD only
    const uint32_t offset = get<uint32_t>(image, ph + 4);
    const uint32_t vaddr = get<uint32_t>(image, ph + 8);
    const uint32_t paddr = get<uint32_t>(image, ph + 12);
    const uint32_t filesz = get<uint32_t>(image, ph + 16);
    const uint32_t memsz = get<uint32_t>(image, ph + 20);
    if (uint64_t(offset) + filesz > image.size()) return "truncated ELF segment";
    layout.segments.push_back({offset, filesz, paddr, std::max(filesz, memsz)});
    // An entry given as a virtual address runs at the matching physical one.
    if (entry - vaddr < memsz) layout.entry = paddr + (entry - vaddr);
  }
  if (layout.segments.empty()) return "the ELF file has nothing to load";
  return std::nullopt;
}

}  // namespace

bool has_multiboot_header(std::span<const uint8_t> image) { return find_header(image).has_value(); }

std::optional<std::string> plan_multiboot(std::span<const uint8_t> image, uint64_t ram_top,
                                          MultibootLayout& layout) {
  const std::optional<size_t> hdr = find_header(image);
  if (!hdr) return "no Multiboot header in the first 8 KiB";
  const uint32_t flags = get<uint32_t>(image, *hdr + 4);
  if (const uint32_t missing = flags & 0xffff & ~kSupportedRequired) {
    return "the kernel requires Multiboot features this loader lacks (flags " + hex(missing) + ")";
  }
  auto why = (flags & kFlagAoutKludge) ? plan_aout(image, *hdr, layout) : plan_elf(image, layout);
  if (why) return why;
  for (const MultibootSegment& seg : layout.segments) {
    if (seg.addr < kHighRamStart) return "loads at " + hex(seg.addr) + ", below 1 MiB";
    if (seg.addr + seg.mem_size > ram_top) {
      return "loads up to " + hex(seg.addr + seg.mem_size) + ", beyond the RAM below 4 GiB";
    }
    layout.end = std::max(layout.end, seg.addr + seg.mem_size);
  }
  return std::nullopt;
}

MultibootKernel::MultibootKernel(const DirectBootConfig& config, std::vector<uint8_t> image,
                                 std::vector<uint8_t> module)
    : config_(config), image_(std::move(image)), module_(std::move(module)) {
  const uint64_t top = low_ram_top(config_.ram_bytes);
  if (auto why = plan_multiboot(image_, top, layout_)) {
    throw BootError("-kernel " + config_.kernel, *why);
  }
  if (config_.append.size() >= kCmdlineMax) {
    throw BootError("-append", "the command line is longer than " +
                                   std::to_string(kCmdlineMax - 1) + " bytes");
  }
  if (config_.initrd.size() >= kModuleStringMax) {
    throw BootError("-initrd " + config_.initrd, "the path is too long");
  }
  module_addr_ = (layout_.end + 0xfff) & ~uint64_t{0xfff};
  if (!module_.empty() && module_addr_ + module_.size() > top) {
    throw BootError("-initrd " + config_.initrd,
                    "too large for -m " + std::to_string(config_.ram_bytes >> 20) +
                        " MiB: it does not fit above the kernel");
  }
}

void MultibootKernel::write_info(mmu::Mmu& mem) const {
  std::vector<uint8_t> info(0x1000, 0);
  auto put = [&info]<class T>(uint64_t off, T v) { std::memcpy(info.data() + off, &v, sizeof v); };
  const uint64_t top = low_ram_top(config_.ram_bytes);
  uint32_t flags = kInfoMemory | kInfoCmdline | kInfoMmap | kInfoLoaderName;
  put(4, uint32_t(kBaseRamTop >> 10));                   // mem_lower, KiB
  put(8, uint32_t((top - kHighRamStart) >> 10));         // mem_upper, KiB above 1 MiB
  put(16, uint32_t(kBootScratch));                       // cmdline
  if (!module_.empty()) {
    flags |= kInfoMods;
    put(20, uint32_t{1});
    put(24, uint32_t(kBootParams + kModsOffset));
    put(kModsOffset + 0, uint32_t(module_addr_));
    put(kModsOffset + 4, uint32_t(module_addr_ + module_.size()));
    put(kModsOffset + 8, uint32_t(kModuleString));
  }
  const std::vector<E820Entry> map = e820_map(config_.ram_bytes);
  for (size_t i = 0; i < map.size(); ++i) {
    const uint64_t e = kMmapOffset + 24 * i;
    put(e, uint32_t{20});  // the size field does not count itself
    put(e + 4, map[i].addr);
    put(e + 12, map[i].size);
    put(e + 20, map[i].type);
  }
  put(44, uint32_t(24 * map.size()));                    // mmap_length
  put(48, uint32_t(kBootParams + kMmapOffset));          // mmap_addr
  put(64, uint32_t(kLoaderName));                        // boot_loader_name
  put(0, flags);
  mem.load_phys(kBootParams, info);
  auto put_string = [&mem](uint64_t addr, const std::string& s) {
    mem.load_phys(addr, std::span(reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1));
  };
  put_string(kBootScratch, config_.append);
  put_string(kLoaderName, "Kestrel");
  put_string(kModuleString, config_.initrd);
}

void MultibootKernel::load(cpu::Cpu& cpu, uint64_t rsdp) const {
  (void)rsdp;  // Multiboot v1 has no field for it; the tables are still in the BIOS area
  mmu::Mmu& mem = cpu.mem;
  const std::span<const uint8_t> image(image_);
  for (const MultibootSegment& seg : layout_.segments) {
    mem.load_phys(seg.addr, image.subspan(seg.file_offset, seg.file_size));
    const std::vector<uint8_t> zeros(seg.mem_size - seg.file_size, 0);
    mem.load_phys(seg.addr + seg.file_size, zeros);
  }
  if (!module_.empty()) mem.load_phys(module_addr_, module_);
  write_info(mem);
  // §3.2, machine state: EAX the magic, EBX the information's address,
  // flat 32-bit segments, paging off, interrupts off.
  enter_flat32(cpu, layout_.entry);
  cpu.s.gpr[cpu::kRax] = kMultibootBootloaderMagic;
  cpu.s.gpr[cpu::kRbx] = kBootParams;
}

}  // namespace kestrel::machine
