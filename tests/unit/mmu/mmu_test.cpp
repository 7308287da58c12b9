// SPDX-License-Identifier: MIT
// The physical map and the linear fast/slow paths: RAM, ROM, unassigned
// space, the A20 gate and bus width, page-crossing accesses and code-page
// write detection.
#include "mmu/mmu.h"

#include <doctest/doctest.h>

#include <vector>

namespace kestrel::mmu {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

struct CodeWrites final : CodeWriteListener {
  void code_page_written(uint64_t page) override { pages.push_back(page); }
  std::vector<uint64_t> pages;
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7);
  return v;
}

TEST_CASE("RAM reads back what was written, at every width, little-endian") {
  Mmu m(kMiB, 32);
  CHECK(m.ram_size() == kMiB);
  CHECK(m.read<uint32_t>(0x1234) == 0);  // RAM starts zeroed
  m.write<uint32_t>(0x1000, 0xdeadbeef);
  CHECK(m.read<uint32_t>(0x1000) == 0xdeadbeef);
  CHECK(m.read<uint16_t>(0x1002) == 0xdead);
  CHECK(m.read<uint8_t>(0x1001) == 0xbe);
  m.write<uint8_t>(0x1003, 0x11);
  CHECK(m.read<uint32_t>(0x1000) == 0x11adbeef);
  m.write<uint64_t>(0x2000, 0x0123456789abcdefull);
  CHECK(m.read<uint64_t>(0x2000) == 0x0123456789abcdefull);
  CHECK(m.fetch<uint16_t>(0x2000) == 0xcdef);
  CHECK(m.read_phys(0x2004, 4) == 0x01234567);
  m.write_phys(0x2004, 0xcafe, 2);
  CHECK(m.read<uint32_t>(0x2004) == 0x0123cafe);
}

TEST_CASE("ROM reads its image, ignores guest writes and hides RAM beneath") {
  Mmu m(kMiB, 32);
  m.write<uint8_t>(0xf0010, 0x99);  // RAM there before the ROM is mapped
  const std::vector<uint8_t> image = pattern(0x10000, 3);
  m.add_rom(0xf0000, image);
  CHECK(m.read<uint8_t>(0xf0010) == image[0x10]);
  CHECK(m.read<uint32_t>(0xf0100) == uint32_t(image[0x100] | image[0x101] << 8 |
                                               image[0x102] << 16 | uint32_t(image[0x103]) << 24));
  m.write<uint8_t>(0xf0010, 0);
  m.write<uint32_t>(0xf0020, 0);
  m.write_phys(0xf0030, 0, 2);
  CHECK(m.read<uint8_t>(0xf0010) == image[0x10]);
  CHECK(m.read<uint8_t>(0xf0020) == image[0x20]);
  CHECK(m.read_phys(0xf0030, 1) == image[0x30]);
  CHECK(m.fetch<uint8_t>(0xffff0) == image[0xfff0]);
  // Loaders may still write it.
  const uint8_t patch[] = {0xea, 0x5b};
  m.load_phys(0xffff0, patch);
  CHECK(m.read<uint16_t>(0xffff0) == 0x5bea);
}

TEST_CASE("ROM above RAM, at the top of the 32-bit space") {
  Mmu m(kMiB, 32);
  const std::vector<uint8_t> image = pattern(0x10000, 9);
  m.add_rom(0xffff0000, image);
  CHECK(m.fetch<uint8_t>(0xfffffff0) == image[0xfff0]);
  CHECK(m.read<uint16_t>(0xfffffffe) == uint16_t(image[0xfffe] | image[0xffff] << 8));
}

TEST_CASE("unassigned addresses read all ones and drop writes") {
  Mmu m(kMiB, 32);
  CHECK(m.read<uint8_t>(0x200000) == 0xff);
  CHECK(m.read<uint32_t>(0x80000000) == 0xffffffffu);
  m.write<uint32_t>(0x200000, 0);
  CHECK(m.read<uint32_t>(0x200000) == 0xffffffffu);
  CHECK(m.read_phys(0x300000, 2) == 0xffff);
  // A read straddling the end of RAM: the RAM byte, then open bus.
  m.write<uint8_t>(kMiB - 1, 0x42);
  CHECK(m.read<uint16_t>(kMiB - 1) == 0xff42);
}

TEST_CASE("the A20 gate folds bit 20 away while it is off") {
  Mmu m(2 * kMiB, 32);
  m.write<uint8_t>(0x000005, 0x55);
  m.write<uint8_t>(0x100005, 0xaa);
  CHECK(m.a20());
  CHECK(m.read<uint8_t>(0x100005) == 0xaa);
  m.set_a20(false);
  CHECK(!m.a20());
  CHECK(m.read<uint8_t>(0x100005) == 0x55);  // FFFF:0015 wraps to 0:0005
  m.write<uint8_t>(0x100006, 0x66);
  CHECK(m.read<uint8_t>(0x000006) == 0x66);
  m.set_a20(true);
  CHECK(m.read<uint8_t>(0x100005) == 0xaa);
  CHECK(m.read<uint8_t>(0x100006) == 0x00);
}

TEST_CASE("a 20-bit bus always wraps at 1 MiB, as on the 8086") {
  Mmu m(kMiB, 20);
  m.write<uint8_t>(0x00000f, 0x77);
  CHECK(m.read<uint8_t>(0x10000f) == 0x77);  // FFFF:001F
  CHECK(m.translate(0x10fff0, Access::kRead) == 0x0fff0);
}

TEST_CASE("accesses that cross a page boundary see both pages") {
  Mmu m(kMiB, 32);
  m.write<uint32_t>(0x0ffe, 0x11223344);
  CHECK(m.read<uint8_t>(0x0ffe) == 0x44);
  CHECK(m.read<uint8_t>(0x0fff) == 0x33);
  CHECK(m.read<uint8_t>(0x1000) == 0x22);
  CHECK(m.read<uint8_t>(0x1001) == 0x11);
  CHECK(m.read<uint16_t>(0x0fff) == 0x2233);
  CHECK(m.read<uint32_t>(0x0ffe) == 0x11223344);
  m.write<uint64_t>(0x1ffc, 0x8877665544332211ull);
  CHECK(m.read<uint64_t>(0x1ffc) == 0x8877665544332211ull);
  CHECK(m.fetch<uint32_t>(0x1ffe) == 0x66554433);
  // From RAM into a ROM page.
  const std::vector<uint8_t> image(0x1000, 0xc3);
  m.add_rom(0xf0000, image);
  m.write<uint8_t>(0xeffff, 0x90);
  CHECK(m.read<uint16_t>(0xeffff) == 0xc390);
  m.write<uint16_t>(0xeffff, 0x1111);  // the ROM half is dropped
  CHECK(m.read<uint16_t>(0xeffff) == 0xc311);
}

TEST_CASE("RAM beyond the low limit moves to 4 GiB, leaving a hole below it") {
  // 12 KiB of RAM with the hole at 8 KiB: 0-1FFF low, the last 4 KiB at 4 GiB.
  Mmu m(0x3000, 40, 0x2000);
  CHECK(m.low_ram() == 0x2000);
  m.write_phys(0x1ffc, 0x11223344, 4);
  m.write_phys(Mmu::kHighRamBase, 0x55667788, 4);
  CHECK(m.read_phys(0x1ffc, 4) == 0x11223344);
  CHECK(m.read_phys(Mmu::kHighRamBase, 4) == 0x55667788);
  CHECK(m.read_phys(0x2000, 4) == 0xffffffff);                       // the hole
  CHECK(m.read_phys(Mmu::kHighRamBase + 0x1000, 1) == 0xff);          // past the end
  m.write_phys(0x2000, 0, 4);                                         // dropped
  CHECK(m.read_phys(Mmu::kHighRamBase, 4) == 0x55667788);
  // Decoded code above 4 GiB is tracked by its physical page.
  CodeWrites listener;
  m.set_code_listener(&listener);
  const uint64_t page = Mmu::kHighRamBase >> kPageBits;
  m.mark_code_page(page);
  CHECK(m.is_code_page(page));
  m.write_phys(Mmu::kHighRamBase + 8, 1, 1);
  CHECK(listener.pages == std::vector<uint64_t>{page});
  // Less RAM than the limit: all of it is low, nothing at 4 GiB.
  Mmu small(0x3000, 40, 0x4000);
  CHECK(small.low_ram() == 0x3000);
  CHECK(small.read_phys(Mmu::kHighRamBase, 1) == 0xff);
}

TEST_CASE("writes to a code page reach the listener once, then the page is plain RAM") {
  Mmu m(kMiB, 32);
  CodeWrites listener;
  m.set_code_listener(&listener);
  m.write<uint8_t>(0x2004, 1);  // the TLB now has a write fast path for page 2
  m.mark_code_page(2);
  CHECK(m.is_code_page(2));
  CHECK(!m.is_code_page(3));
  m.write<uint8_t>(0x3000, 1);  // another page: no news
  CHECK(listener.pages.empty());
  m.write<uint8_t>(0x2004, 2);  // the fast path must have been dropped
  CHECK(listener.pages == std::vector<uint64_t>{2});
  CHECK(!m.is_code_page(2));
  CHECK(m.read<uint8_t>(0x2004) == 2);
  m.write<uint8_t>(0x2005, 3);
  CHECK(listener.pages.size() == 1);
}

TEST_CASE("removing a listener that was replaced leaves its successor listening") {
  Mmu m(kMiB, 32);
  CodeWrites old_listener, new_listener;
  m.set_code_listener(&old_listener);
  m.set_code_listener(&new_listener);  // a new engine, made before the old one goes
  m.remove_code_listener(&old_listener);
  m.mark_code_page(2);
  m.write<uint8_t>(0x2000, 1);
  CHECK(old_listener.pages.empty());
  CHECK(new_listener.pages == std::vector<uint64_t>{2});
  m.remove_code_listener(&new_listener);
  m.mark_code_page(2);
  m.write<uint8_t>(0x2000, 2);  // nobody listens: no call
  CHECK(new_listener.pages.size() == 1);
}

TEST_CASE("code-page writes are seen through every path") {
  Mmu m(kMiB, 32);
  CodeWrites listener;
  m.set_code_listener(&listener);
  m.mark_code_page(4);
  m.write<uint16_t>(0x3fff, 0xffff);  // crosses into page 4
  CHECK(listener.pages == std::vector<uint64_t>{4});
  m.mark_code_page(5);
  m.write_phys(0x5000, 0, 4);
  m.mark_code_page(6);
  const uint8_t bytes[] = {1, 2, 3};
  m.load_phys(0x6100, bytes);
  CHECK(listener.pages == std::vector<uint64_t>{4, 5, 6});
  CHECK(m.read<uint8_t>(0x6102) == 3);
  m.mark_code_page(0x1000);  // beyond RAM: ignored
  CHECK(!m.is_code_page(0x1000));
}

TEST_CASE("block copies take RAM a page at a time and respect a ROM inside the range") {
  Mmu m(kMiB, 32);
  const std::vector<uint8_t> rom(0x800, 0xa5);
  m.add_rom(0x5400, rom);  // half a page of ROM in the middle of the copy
  const std::vector<uint8_t> data = pattern(0x3000, 3);
  m.load_phys(0x3800, data);  // loaders write through to the ROM image as well
  std::vector<uint8_t> back(data.size());
  m.copy_from_phys(0x3800, back);
  CHECK(back == data);
  m.write_phys(0x5400, 0, 4);  // a guest write to the ROM is dropped
  const uint64_t rom_word = uint64_t(data[0x1c00]) | uint64_t(data[0x1c01]) << 8 |
                            uint64_t(data[0x1c02]) << 16 | uint64_t(data[0x1c03]) << 24;
  CHECK(m.read_phys(0x5400, 4) == rom_word);
  // A word straddling the ROM's end reads ROM then RAM.
  const uint64_t straddle = uint64_t(data[0x23ff]) | uint64_t(data[0x2400]) << 8;
  CHECK(m.read_phys(0x5bff, 2) == straddle);
  // Past the end of RAM a copy reads all ones and a load drops the bytes.
  std::vector<uint8_t> edge(0x20);
  m.load_phys(kMiB - 0x10, pattern(0x20, 9));
  m.copy_from_phys(kMiB - 0x10, edge);
  CHECK(edge[0x0f] == pattern(0x20, 9)[0x0f]);
  CHECK(edge[0x10] == 0xff);
}

}  // namespace
}  // namespace kestrel::mmu
