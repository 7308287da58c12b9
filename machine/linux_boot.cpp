// SPDX-License-Identifier: MIT
// Loading a bzImage: header checks, the memory plan (kernel at 1 MiB, its
// decompression area, the initrd at the top of the memory it may use), the
// zero page and the entry. Offsets are boot.rst's.
#include "machine/linux_boot.h"

#include <algorithm>
#include <cstring>

namespace kestrel::machine {
namespace {

constexpr uint32_t kHdrSMagic = 0x53726448;  // "HdrS"
constexpr size_t kSetupHeaderStart = 0x1f1;
constexpr size_t kSetupHeaderMax = 0x280;  // room for every header version so far
constexpr unsigned kE820Max = 128;
constexpr uint32_t kDefaultInitrdMax = 0x37ffffff;  // boot.rst, protocol < 2.03

// boot_params (zero page) fields outside the setup header.
constexpr uint64_t kBpScreenInfo = 0x000;
constexpr uint64_t kBpAcpiRsdp = 0x070;
constexpr uint64_t kBpE820Entries = 0x1e8;
constexpr uint64_t kBpE820Table = 0x2d0;
// Setup header fields the loader writes.
constexpr uint64_t kHdrVidMode = 0x1fa;
constexpr uint64_t kHdrTypeOfLoader = 0x210;
constexpr uint64_t kHdrLoadflags = 0x211;
constexpr uint64_t kHdrRamdiskImage = 0x218;
constexpr uint64_t kHdrRamdiskSize = 0x21c;
constexpr uint64_t kHdrHeapEnd = 0x224;
constexpr uint64_t kHdrCmdLinePtr = 0x228;

template <class T> T get(std::span<const uint8_t> b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

std::string version_text(uint16_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%02u", unsigned(v >> 8), unsigned(v & 0xff));
  return buf;
}

}  // namespace

bool is_linux_image(std::span<const uint8_t> image) {
  return get<uint16_t>(image, 0x1fe) == 0xaa55 && get<uint32_t>(image, 0x202) == kHdrSMagic;
}

std::optional<std::string> parse_linux_header(std::span<const uint8_t> image, LinuxHeader& h) {
  if (image.size() < kSetupHeaderMax) {
    return "truncated bzImage: " + std::to_string(image.size()) + " bytes, shorter than its header";
  }
  h.version = get<uint16_t>(image, 0x206);
  // 2.06 gives cmdline_size; 2.05 relocatable kernels; 2.03 initrd_addr_max.
  // Every bzImage since Linux 2.6.22 (2007) speaks 2.06 or later.
  if (h.version < kMinLinuxProtocol) {
    return "boot protocol " + version_text(h.version) + " is too old (2.06 or newer is needed)";
  }
  h.loadflags = get<uint8_t>(image, 0x211);
  if (!(h.loadflags & kLoadedHigh)) return "a zImage (loaded below 1 MiB) is not supported";
  h.setup_sects = get<uint8_t>(image, 0x1f1);
  if (h.setup_sects == 0) h.setup_sects = 4;
  h.syssize = get<uint32_t>(image, 0x1f4);
  h.code32_start = get<uint32_t>(image, 0x214);
  h.initrd_addr_max = get<uint32_t>(image, 0x22c);
  if (h.initrd_addr_max == 0) h.initrd_addr_max = kDefaultInitrdMax;
  h.kernel_alignment = get<uint32_t>(image, 0x230);
  h.relocatable = get<uint8_t>(image, 0x234) != 0;
  h.xloadflags = h.version >= 0x20c ? get<uint16_t>(image, 0x236) : 0;
  h.cmdline_size = get<uint32_t>(image, 0x238);
  h.pref_address = h.version >= 0x20a ? get<uint64_t>(image, 0x258) : kLinuxLoadAddress;
  h.init_size = h.version >= 0x20a ? get<uint32_t>(image, 0x260) : 0;
  h.header_end = std::min<size_t>(0x202 + get<uint8_t>(image, 0x201), kSetupHeaderMax);
  const uint64_t need = h.setup_bytes() + uint64_t{h.syssize} * 16;
  // syssize counts whole paragraphs, so the last one may be partial in the
  // file (memtest86+ 6.x images end 8 bytes short of it).
  if (h.syssize == 0 || image.size() + 15 < need) {
    return "truncated bzImage: " + std::to_string(image.size()) + " bytes, its header says " +
           std::to_string(need);
  }
  return std::nullopt;
}

LinuxKernel::LinuxKernel(const DirectBootConfig& config, std::vector<uint8_t> image,
                         std::vector<uint8_t> initrd)
    : config_(config), image_(std::move(image)), initrd_(std::move(initrd)) {
  const std::string kernel_what = "-kernel " + config_.kernel;
  if (auto why = parse_linux_header(image_, header_)) throw BootError(kernel_what, *why);
  if (config_.append.size() + 1 > std::min<uint64_t>(header_.cmdline_size + 1, kBootCmdlineMax)) {
    throw BootError("-append", "the command line is " + std::to_string(config_.append.size()) +
                                   " bytes; this kernel takes at most " +
                                   std::to_string(header_.cmdline_size));
  }
  const uint64_t top = low_ram_top(config_.ram_bytes);
  const uint64_t pm_size = image_.size() - header_.setup_bytes();
  // A relocatable kernel loaded below pref_address decompresses at
  // pref_address (its LOAD_PHYSICAL_ADDR); init_size counts from there.
  const uint64_t run_base = std::max<uint64_t>(header_.pref_address, kLinuxLoadAddress);
  plan_.kernel_end = std::max(kLinuxLoadAddress + pm_size, run_base + header_.init_size);
  if (plan_.kernel_end > top) {
    throw BootError(kernel_what, "the kernel needs " + mib(plan_.kernel_end) +
                                     " of RAM; -m gives " + mib(config_.ram_bytes));
  }
  if (!initrd_.empty()) {
    const uint64_t limit = std::min<uint64_t>(uint64_t{header_.initrd_addr_max} + 1, top);
    const uint64_t size = initrd_.size();
    const uint64_t addr = size <= limit ? (limit - size) & ~uint64_t{0xfff} : 0;
    if (size > limit || addr < plan_.kernel_end) {
      throw BootError("-initrd " + config_.initrd,
                      "too large for -m " + mib(config_.ram_bytes) + ": the initrd is " +
                          mib(size) + ", the kernel leaves " +
                          mib(limit > plan_.kernel_end ? limit - plan_.kernel_end : 0));
    }
    plan_.initrd_addr = addr;
  }
  plan_.entry64 = config_.long_mode && (header_.xloadflags & kXlfKernel64);
}

void LinuxKernel::write_boot_params(mmu::Mmu& mem, uint64_t rsdp) const {
  std::vector<uint8_t> bp(4096, 0);
  auto put = [&bp]<class T>(uint64_t off, T v) { std::memcpy(bp.data() + off, &v, sizeof v); };
  std::copy(image_.begin() + kSetupHeaderStart, image_.begin() + header_.header_end,
            bp.begin() + kSetupHeaderStart);
  // screen_info: an 80x25 text mode and no VGA type, so no console claims
  // a display the board does not have.
  put(kBpScreenInfo + 0x06, uint8_t{3});   // orig_video_mode
  put(kBpScreenInfo + 0x07, uint8_t{80});  // orig_video_cols
  put(kBpScreenInfo + 0x0e, uint8_t{25});  // orig_video_lines
  put(kBpScreenInfo + 0x10, uint16_t{16}); // orig_video_points
  put(kBpAcpiRsdp, rsdp);
  put(kHdrVidMode, uint16_t{0xffff});      // "normal"
  put(kHdrTypeOfLoader, uint8_t{0xff});    // undefined loader (boot.rst)
  put(kHdrLoadflags, uint8_t(header_.loadflags | kCanUseHeap));
  put(kHdrHeapEnd, uint16_t{0xfe00});
  put(kHdrCmdLinePtr, uint32_t(kBootCmdline));
  put(kHdrRamdiskImage, uint32_t(plan_.initrd_addr));
  put(kHdrRamdiskSize, uint32_t(initrd_.size()));
  const std::vector<E820Entry> map = e820_map(config_.ram_bytes);
  const unsigned n = std::min<unsigned>(unsigned(map.size()), kE820Max);
  put(kBpE820Entries, uint8_t(n));
  for (unsigned i = 0; i < n; ++i) {
    put(kBpE820Table + 20 * i, map[i].addr);
    put(kBpE820Table + 20 * i + 8, map[i].size);
    put(kBpE820Table + 20 * i + 16, map[i].type);
  }
  mem.load_phys(kBootParams, bp);
}

void LinuxKernel::load(cpu::Cpu& cpu, uint64_t rsdp) const {
  mmu::Mmu& mem = cpu.mem;
  const std::span<const uint8_t> image(image_);
  mem.load_phys(kLinuxLoadAddress, image.subspan(header_.setup_bytes()));
  if (!initrd_.empty()) mem.load_phys(plan_.initrd_addr, initrd_);
  std::vector<uint8_t> cmdline(config_.append.begin(), config_.append.end());
  cmdline.push_back(0);
  mem.load_phys(kBootCmdline, cmdline);
  write_boot_params(mem, rsdp);
  // boot.rst, "32-bit boot protocol" / "64-bit boot protocol": ESI/RSI
  // points at boot_params; EBP, EDI and EBX are zero.
  if (plan_.entry64) {
    enter_long64(cpu, kLinuxLoadAddress + 0x200);
  } else {
    // The kernel was loaded at 1 MiB, which is where code32_start points
    // unless a loader hook moved it; we have none.
    enter_flat32(cpu, uint32_t(kLinuxLoadAddress));
  }
  cpu.s.gpr[cpu::kRsi] = kBootParams;
}

}  // namespace kestrel::machine
