// SPDX-License-Identifier: MIT
// Direct kernel boot without running a kernel: a synthetic bzImage and
// Multiboot images are loaded into a CPU and memory, and the zero page, the
// e820 map, the Multiboot information and the entry state are checked
// against the boot protocols; bad images give their one-line reasons.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/port_io.h"
#include "machine/direct_boot.h"
#include "machine/linux_boot.h"
#include "machine/multiboot.h"

namespace kestrel::machine {
namespace {

constexpr uint64_t kMiB = 1 << 20;

template <class T> void put(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

/// A bzImage header: 4 setup sectors, `pm_bytes` of protected-mode code.
std::vector<uint8_t> bzimage(size_t pm_bytes = 0x1000, uint16_t version = 0x20f) {
  std::vector<uint8_t> img(5 * 512 + pm_bytes, 0x90);
  img[0x1f1] = 4;
  put<uint32_t>(img, 0x1f4, uint32_t(pm_bytes / 16));
  put<uint16_t>(img, 0x1fe, 0xaa55);
  img[0x201] = 0x6a;  // header_end 0x26c
  put<uint32_t>(img, 0x202, 0x53726448);
  put<uint16_t>(img, 0x206, version);
  img[0x211] = 1;  // LOADED_HIGH
  put<uint32_t>(img, 0x214, 0x100000);
  put<uint32_t>(img, 0x22c, 0x7fffffff);
  put<uint32_t>(img, 0x230, 0x200000);
  img[0x234] = 1;
  put<uint16_t>(img, 0x236, kXlfKernel64);
  put<uint32_t>(img, 0x238, 2047);
  put<uint64_t>(img, 0x258, 0x1000000);
  put<uint32_t>(img, 0x260, 0x800000);
  return img;
}

struct NoPorts final : cpu::PortIo {
  uint32_t in(uint16_t, unsigned size) override { return size >= 4 ? ~0u : (1u << (8 * size)) - 1; }
  void out(uint16_t, uint32_t, unsigned) override {}
};

struct Rig {
  explicit Rig(uint64_t ram = 64 * kMiB)
      : mem(ram, 36), cpu(*cpu::find_cpu_model("max"), mem, ports) {
    cpu.reset();
  }
  uint32_t rd32(uint64_t pa) { return uint32_t(mem.read_phys(pa, 4)); }
  NoPorts ports;
  mmu::Mmu mem;
  cpu::Cpu cpu;
};

DirectBootConfig config(uint64_t ram = 64 * kMiB, bool long_mode = true) {
  return DirectBootConfig{"vmlinuz", "initrd.img", "console=ttyS0", ram, long_mode};
}

std::string reason_of(const DirectBootConfig& c, std::vector<uint8_t> img,
                      std::vector<uint8_t> initrd = {}) {
  try {
    LinuxKernel k(c, std::move(img), std::move(initrd));
  } catch (const BootError& e) {
    return e.reason();
  }
  return "";
}

TEST_CASE("direct_boot: the e820 map has the PC's holes") {
  const std::vector<E820Entry> small = e820_map(512 * kMiB);
  REQUIRE(small.size() == 5);
  CHECK(small[0].addr == 0);
  CHECK(small[0].size == 0x9fc00);
  CHECK(small[0].type == kE820Ram);
  CHECK(small[1].type == kE820Reserved);
  CHECK(small[2].addr == 0xe0000);
  CHECK(small[3].addr == kMiB);
  CHECK(small[3].addr + small[3].size == 512 * kMiB);
  CHECK(small[4].addr == 0xfffc0000);
  // 5 GiB: 3.5 GiB below the PCI hole, 1.5 GiB above 4 GiB.
  const std::vector<E820Entry> big = e820_map(5ull << 30);
  CHECK(big[3].addr + big[3].size == 0xe0000000);
  CHECK(big.back().addr == 1ull << 32);
  CHECK(big.back().size == (3ull << 29));
}

TEST_CASE("linux_boot: the header is parsed and checked") {
  LinuxHeader h;
  CHECK_FALSE(parse_linux_header(bzimage(), h));
  CHECK(h.setup_bytes() == 5 * 512);
  CHECK(h.version == 0x20f);
  CHECK(h.header_end == 0x26c);
  CHECK(h.pref_address == 0x1000000);
  std::vector<uint8_t> old = bzimage(0x1000, 0x205);
  CHECK(*parse_linux_header(old, h) == "boot protocol 2.05 is too old (2.06 or newer is needed)");
  std::vector<uint8_t> cut = bzimage(0x1000);
  cut.resize(cut.size() - 100);
  CHECK(*parse_linux_header(cut, h) ==
        "truncated bzImage: " + std::to_string(cut.size()) + " bytes, its header says " +
            std::to_string(cut.size() + 100));
  std::vector<uint8_t> zimage = bzimage();
  zimage[0x211] = 0;
  CHECK(*parse_linux_header(zimage, h) == "a zImage (loaded below 1 MiB) is not supported");
}

TEST_CASE("linux_boot: zero page, initrd at the top, and the 64-bit entry") {
  Rig rig;
  std::vector<uint8_t> initrd(3 * 4096 + 5, 0xab);
  LinuxKernel k(config(), bzimage(), initrd);
  CHECK(k.plan().entry64);
  CHECK(k.plan().kernel_end == 0x1800000);
  const uint64_t initrd_addr = (64 * kMiB - initrd.size()) & ~uint64_t{0xfff};
  CHECK(k.plan().initrd_addr == initrd_addr);
  k.load(rig.cpu, 0xe0000);
  // boot_params: the setup header copied, the loader's fields, e820, RSDP.
  CHECK(rig.rd32(kBootParams + 0x202) == 0x53726448);
  CHECK(rig.rd32(kBootParams + 0x218) == initrd_addr);
  CHECK(rig.rd32(kBootParams + 0x21c) == initrd.size());
  CHECK(rig.rd32(kBootParams + 0x228) == kBootCmdline);
  CHECK(rig.mem.read_phys(kBootParams + 0x210, 1) == 0xff);
  CHECK(rig.mem.read_phys(kBootParams + 0x211, 1) == (1 | kCanUseHeap));
  CHECK(rig.mem.read_phys(kBootParams + 0x070, 8) == 0xe0000);
  CHECK(rig.mem.read_phys(kBootParams + 0x1e8, 1) == 5);
  CHECK(rig.mem.read_phys(kBootParams + 0x2d0 + 3 * 20, 8) == kMiB);
  CHECK(rig.mem.read_phys(initrd_addr, 1) == 0xab);
  CHECK(rig.mem.read_phys(kBootCmdline, 8) == 0x3d656c6f736e6f63);  // "console="
  CHECK(rig.mem.read_phys(kLinuxLoadAddress, 1) == 0x90);
  // 64-bit mode at load address + 0x200, RSI = boot_params, paging on.
  CHECK(rig.cpu.long_mode64());
  CHECK(rig.cpu.s.rip == kLinuxLoadAddress + 0x200);
  CHECK(rig.cpu.s.gpr[cpu::kRsi] == kBootParams);
  CHECK(rig.cpu.s.seg[cpu::kCs].selector == 0x10);
  CHECK(rig.mem.translate(0xfffff000, mmu::Access::kRead) == 0xfffff000);
}

TEST_CASE("linux_boot: the 32-bit entry without long mode") {
  Rig rig;
  LinuxKernel k(config(64 * kMiB, false), bzimage(), {});
  CHECK_FALSE(k.plan().entry64);
  k.load(rig.cpu, 0);
  CHECK(rig.cpu.s.cr[0] == 0x11);
  CHECK(rig.cpu.s.rip == kLinuxLoadAddress);
  CHECK(rig.cpu.s.gpr[cpu::kRsi] == kBootParams);
  CHECK((rig.cpu.s.seg[cpu::kCs].attr & cpu::kAttrDb) != 0);
  CHECK(rig.cpu.s.seg[cpu::kDs].selector == 0x18);
  CHECK(rig.cpu.s.seg[cpu::kSs].limit == 0xffffffff);
  CHECK(rig.rd32(kBootParams + 0x218) == 0);  // no initrd
}

TEST_CASE("linux_boot: what does not fit is refused") {
  CHECK(reason_of(config(16 * kMiB), bzimage()) == "the kernel needs 24 MiB of RAM; -m gives 16 MiB");
  CHECK(reason_of(config(32 * kMiB), bzimage(), std::vector<uint8_t>(10 * kMiB)) ==
        "too large for -m 32 MiB: the initrd is 10 MiB, the kernel leaves 8 MiB");
  DirectBootConfig long_cmdline = config();
  long_cmdline.append = std::string(3000, 'x');
  CHECK(reason_of(long_cmdline, bzimage()) ==
        "the command line is 3000 bytes; this kernel takes at most 2047");
}

/// A Multiboot image with the a.out kludge: loads at 1 MiB, entry at +0x40.
std::vector<uint8_t> multiboot_aout(uint32_t flags = 0x10003) {
  std::vector<uint8_t> img(0x100, 0xf4);
  const size_t h = 0x20;
  put<uint32_t>(img, h, kMultibootMagic);
  put<uint32_t>(img, h + 4, flags);
  put<uint32_t>(img, h + 8, uint32_t(0) - kMultibootMagic - flags);
  put<uint32_t>(img, h + 12, 0x100000 + h);  // header_addr
  put<uint32_t>(img, h + 16, 0x100000);      // load_addr
  put<uint32_t>(img, h + 20, 0x100100);      // load_end_addr
  put<uint32_t>(img, h + 24, 0x102000);      // bss_end_addr
  put<uint32_t>(img, h + 28, 0x100040);      // entry
  return img;
}

TEST_CASE("multiboot: a.out kludge, information structure and entry state") {
  Rig rig;
  std::vector<uint8_t> img = multiboot_aout();
  CHECK(has_multiboot_header(img));
  rig.mem.write_phys(0x101000, 0x55, 1);  // bss must come back zeroed
  MultibootKernel k(config(), img, std::vector<uint8_t>(100, 0x5a));
  k.load(rig.cpu, 0);
  CHECK(rig.cpu.s.rip == 0x100040);
  CHECK(rig.cpu.s.gpr[cpu::kRax] == kMultibootBootloaderMagic);
  CHECK(rig.cpu.s.gpr[cpu::kRbx] == kBootParams);
  CHECK(rig.cpu.s.cr[0] == 0x11);
  CHECK(rig.mem.read_phys(0x101000, 1) == 0);
  const uint64_t mbi = kBootParams;
  CHECK(rig.rd32(mbi) == (0x1 | 0x4 | 0x8 | 0x40 | 0x200));
  CHECK(rig.rd32(mbi + 4) == 639);
  CHECK(rig.rd32(mbi + 8) == 63 * 1024);
  CHECK(rig.rd32(mbi + 20) == 1);
  const uint32_t mod = rig.rd32(mbi + 24);
  CHECK(rig.rd32(mod) == 0x102000);  // page-aligned after the bss
  CHECK(rig.rd32(mod + 4) == 0x102000 + 100);
  CHECK(rig.mem.read_phys(0x102000, 1) == 0x5a);
  CHECK(rig.rd32(mbi + 44) == 5 * 24);
  const uint32_t mmap = rig.rd32(mbi + 48);
  CHECK(rig.rd32(mmap) == 20);
  CHECK(rig.mem.read_phys(mmap + 24 + 4, 8) == 0x9fc00);  // second entry's base
  const uint32_t cmdline = rig.rd32(mbi + 16);
  CHECK(rig.mem.read_phys(cmdline, 8) == 0x3d656c6f736e6f63);
}

TEST_CASE("multiboot: ELF32 loading by program headers") {
  std::vector<uint8_t> img(0x2000, 0);
  put<uint32_t>(img, 0, 0x464c457f);
  img[4] = 1;  // ELFCLASS32
  img[5] = 1;  // little-endian
  put<uint16_t>(img, 18, 3);  // EM_386
  put<uint32_t>(img, 24, 0xc0100010);  // entry: virtual
  put<uint32_t>(img, 28, 52);           // e_phoff
  put<uint16_t>(img, 42, 32);
  put<uint16_t>(img, 44, 1);
  put<uint32_t>(img, 52, 1);            // PT_LOAD
  put<uint32_t>(img, 52 + 4, 0x1000);   // offset
  put<uint32_t>(img, 52 + 8, 0xc0100000);
  put<uint32_t>(img, 52 + 12, 0x100000);
  put<uint32_t>(img, 52 + 16, 0x1000);
  put<uint32_t>(img, 52 + 20, 0x3000);
  put<uint32_t>(img, 0x100, kMultibootMagic);
  put<uint32_t>(img, 0x104, 2);
  put<uint32_t>(img, 0x108, uint32_t(0) - kMultibootMagic - 2);
  img[0x1000] = 0xcc;
  MultibootLayout layout;
  REQUIRE_FALSE(plan_multiboot(img, 64 * kMiB, layout));
  CHECK(layout.entry == 0x100010);
  CHECK(layout.end == 0x103000);
  Rig rig;
  MultibootKernel(config(), img, {}).load(rig.cpu, 0);
  CHECK(rig.mem.read_phys(0x100000, 1) == 0xcc);
  CHECK(rig.cpu.s.rip == 0x100010);
}

TEST_CASE("multiboot: unsupported requirements and bad layouts") {
  MultibootLayout layout;
  CHECK(*plan_multiboot(multiboot_aout(0x10007), 64 * kMiB, layout) ==
        "the kernel requires Multiboot features this loader lacks (flags 0x4)");
  CHECK(*plan_multiboot(multiboot_aout(0x10003), 1 * kMiB, layout) ==
        "loads up to 0x102000, beyond the RAM below 4 GiB");
  std::vector<uint8_t> no_header(0x3000, 0);
  CHECK_FALSE(has_multiboot_header(no_header));
}

TEST_CASE("direct_boot: a file that is not a kernel") {
  const std::string path = "direct_boot_test_not_a_kernel.bin";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fputs("just some text, no kernel here\n", f);
  std::fclose(f);
  DirectBootConfig c = config();
  c.kernel = path;
  c.initrd = "";
  std::string why;
  try {
    open_kernel(c);
  } catch (const BootError& e) {
    why = e.subject() + ": " + e.reason();
  }
  std::remove(path.c_str());
  CHECK(why == "-kernel " + path + ": not a kernel (no Linux bzImage header and no Multiboot header)");
}

}  // namespace
}  // namespace kestrel::machine
