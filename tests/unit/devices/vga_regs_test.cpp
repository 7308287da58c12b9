// SPDX-License-Identifier: MIT
// VGA register and memory semantics: the attribute flip-flop and 0x3DA,
// DAC auto-increment, the write modes, latches, read mode 1, odd/even and
// chain-4 addressing, the memory map select, and the DISPI registers and
// QEMU's MMIO BAR.
#include "devices/vga/vga.h"

#include <doctest/doctest.h>

#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct Rig {
  Rig() : vga(clock, 16u << 20) { vga.reset(); }
  void out(uint16_t port, uint8_t v) { vga.io_write(port, v, 1); }
  uint8_t in(uint16_t port) { return uint8_t(vga.io_read(port, 1)); }
  void seq(uint8_t i, uint8_t v) { out(0x3c4, i), out(0x3c5, v); }
  void gc(uint8_t i, uint8_t v) { out(0x3ce, i), out(0x3cf, v); }
  void vbe(uint16_t i, uint16_t v) { vga.io_write(0x1ce, i, 2), vga.io_write(0x1cf, v, 2); }
  uint16_t vbe_get(uint16_t i) {
    vga.io_write(0x1ce, i, 2);
    return uint16_t(vga.io_read(0x1cf, 2));
  }
  /// Planar mode, 64 KiB window at 0xA0000 (as mode 12h).
  void planar() {
    seq(4, 0x06);
    gc(5, 0x00);
    gc(6, 0x05);
  }
  uint8_t rd(uint32_t off) { return uint8_t(vga.mmio_read(off, 1)); }
  void wr(uint32_t off, uint8_t v) { vga.mmio_write(off, v, 1); }
  test::ManualClock clock;
  Vga vga;
};

TEST_CASE("vga: 0x3C0 alternates index and data; reading 0x3DA resets the flip-flop") {
  Rig r;
  r.in(0x3da);
  r.out(0x3c0, 0x01);  // index 1
  r.out(0x3c0, 0x2a);  // data
  r.out(0x3c0, 0x21);  // index again, palette source on
  CHECK(r.in(0x3c1) == 0x2a);
  r.out(0x3c0, 0x02);  // the flip-flop was at data: index 1 takes 0x02
  r.in(0x3da);         // back to index
  r.out(0x3c0, 0x22);
  r.out(0x3c0, 0x15);
  CHECK(r.in(0x3c0) == 0x22);
  CHECK(r.in(0x3c1) == 0x15);
  r.out(0x3c0, 0x21);
  CHECK(r.in(0x3c1) == 0x02);
}

TEST_CASE("vga: 0x3DA toggles retrace so polling loops end") {
  Rig r;
  const uint8_t a = r.in(0x3da), b = r.in(0x3da);
  CHECK(((a ^ b) & 0x08) == 0x08);
}

TEST_CASE("vga: the DAC auto-increments on writes and reads, colour by colour") {
  Rig r;
  r.out(0x3c8, 10);
  for (uint8_t v : {1, 2, 3, 4, 5, 6}) r.out(0x3c9, v);
  CHECK(r.in(0x3c8) == 12);
  r.out(0x3c7, 10);
  CHECK(r.in(0x3c7) == 0x03);
  for (uint8_t v : {1, 2, 3, 4, 5, 6}) CHECK(r.in(0x3c9) == v);
}

TEST_CASE("vga: write mode 0 with map mask, set/reset and the bit mask; latches") {
  Rig r;
  r.planar();
  r.seq(2, 0x0f);
  r.wr(0, 0xff);  // all planes 0xff
  r.seq(2, 0x05);
  r.gc(1, 0x01);  // set/reset enable on plane 0 ...
  r.gc(0, 0x00);  // ... with 0
  r.gc(8, 0xf0);  // bit mask: high nibble from data, low nibble from latches
  r.rd(0);        // load latches
  r.wr(0, 0x33);
  r.gc(8, 0xff);
  r.gc(1, 0x00);
  r.gc(4, 0); CHECK(r.rd(0) == 0x0f);  // plane 0: set/reset 0 in the high nibble
  r.gc(4, 1); CHECK(r.rd(0) == 0xff);  // plane 1 masked off by the map mask
  r.gc(4, 2); CHECK(r.rd(0) == 0x3f);  // plane 2: data 0x33 high nibble, latch low
  r.gc(4, 3); CHECK(r.rd(0) == 0xff);
}

TEST_CASE("vga: write mode 1 copies the latches; write mode 2 spreads colour bits; mode 3") {
  Rig r;
  r.planar();
  r.seq(2, 0x0f);
  r.gc(5, 0x02);  // write mode 2: bit p of the data fills plane p
  r.wr(5, 0x06);
  r.gc(5, 0x01);  // write mode 1
  r.rd(5);
  r.wr(9, 0x00);
  r.gc(5, 0x00);
  for (uint8_t p = 0; p < 4; ++p) {
    r.gc(4, p);
    CHECK(r.rd(9) == ((0x06 >> p) & 1 ? 0xff : 0x00));
  }
  r.gc(5, 0x03);  // write mode 3: set/reset colour through data & bit mask
  r.gc(0, 0x09);
  r.rd(20);  // latches: zero
  r.wr(20, 0x0f);
  r.gc(5, 0x00);
  r.gc(4, 0); CHECK(r.rd(20) == 0x0f);
  r.gc(4, 1); CHECK(r.rd(20) == 0x00);
  r.gc(4, 3); CHECK(r.rd(20) == 0x0f);
}

TEST_CASE("vga: read mode 1 compares colours; the XOR function") {
  Rig r;
  r.planar();
  r.seq(2, 0x0f);
  r.gc(5, 0x02);
  r.wr(0, 0x05);  // colour 5 in all 8 pixels
  r.gc(5, 0x0a);  // read mode 1, write mode 2
  r.gc(2, 0x05);
  r.gc(7, 0x0f);
  CHECK(r.rd(0) == 0xff);
  r.gc(2, 0x04);
  CHECK(r.rd(0) == 0x00);
  r.gc(7, 0x0e);  // plane 0 is "don't care"
  CHECK(r.rd(0) == 0xff);
  r.gc(5, 0x00);
  r.gc(3, 0x18);  // XOR with the latches
  r.rd(0);
  r.wr(0, 0xf0);
  r.gc(3, 0x00);
  r.gc(4, 0);
  CHECK(r.rd(0) == 0x0f);
}

TEST_CASE("vga: odd/even text memory at 0xB8000 and chain-4 at 0xA0000") {
  Rig r;  // power-on: mode 3
  r.wr(0x18000, 'K');
  r.wr(0x18001, 0x1e);
  CHECK(r.rd(0x18000) == 'K');
  CHECK(r.rd(0x18001) == 0x1e);
  CHECK(r.rd(0x00000) == 0xff);  // 0xA0000 is not decoded in mode 3
  CHECK(r.vga.text_rows().at(0).at(0) == 'K');
  r.seq(4, 0x0e);  // chain-4
  r.gc(5, 0x40);
  r.gc(6, 0x05);
  r.seq(2, 0x0f);
  r.wr(0x1234, 0x77);
  CHECK(r.rd(0x1234) == 0x77);
  CHECK(r.vga.lfb_read(0x1234, 1) == 0x77);
}

TEST_CASE("vbe: ID, capabilities, memory size, mode set, bank and LFB") {
  Rig r;
  CHECK(r.vbe_get(kVbeId) == kVbeId5);
  r.vbe(kVbeId, kVbeId0);
  CHECK(r.vbe_get(kVbeId) == kVbeId0);
  CHECK(r.vbe_get(kVbeVideoMemory64k) == 256);
  r.vbe(kVbeEnable, kVbeGetCaps);
  CHECK(r.vbe_get(kVbeXres) == kVbeMaxXres);
  CHECK(r.vbe_get(kVbeBpp) == 32);
  r.vbe(kVbeEnable, 0);
  r.vbe(kVbeXres, 640);
  r.vbe(kVbeYres, 480);
  r.vbe(kVbeBpp, 32);
  r.vbe(kVbeEnable, kVbeEnabled | kVbeLfb);
  CHECK(r.vbe_get(kVbeEnable) == (kVbeEnabled | kVbeLfb));
  CHECK(r.vbe_get(kVbeVirtWidth) == 640);
  CHECK(r.vbe_get(kVbeVirtHeight) == (16u << 20) / (640 * 4));
  r.vbe(kVbeXres, 800);  // fixed while enabled
  CHECK(r.vbe_get(kVbeXres) == 640);
  r.vbe(kVbeBank, 2);
  r.wr(0x10, 0x5a);  // banked window: 0xA0000 + 0x10 is video memory 0x20010
  CHECK(r.vga.lfb_read(0x20010, 1) == 0x5a);
  CHECK(r.vga.regs_read(0x500 + 2 * kVbeXres, 2) == 640);  // the MMIO BAR
  r.vga.regs_write(0x500 + 2 * kVbeBank, 1, 2);
  CHECK(r.vbe_get(kVbeBank) == 1);
  CHECK(r.vga.regs_read(0x600, 4) == 8);
}

TEST_CASE("vbe: a mode larger than video memory is refused") {
  test::ManualClock clock;
  Vga small(clock, 4u << 20);
  small.reset();
  const auto set = [&](uint16_t i, uint16_t v) {
    small.io_write(0x1ce, i, 2);
    small.io_write(0x1cf, v, 2);
  };
  set(kVbeXres, 1920);
  set(kVbeYres, 1080);
  set(kVbeBpp, 32);  // 8.3 MB > 4 MiB
  set(kVbeEnable, kVbeEnabled);
  small.io_write(0x1ce, kVbeEnable, 2);
  CHECK((small.io_read(0x1cf, 2) & kVbeEnabled) == 0);
  set(kVbeBpp, 8);  // 2 MB fits
  set(kVbeEnable, kVbeEnabled);
  CHECK((small.io_read(0x1cf, 2) & kVbeEnabled) != 0);
}

TEST_CASE("vga: the legacy window ignores accesses beyond video memory (hostile guest)") {
  Rig r;
  r.vga.lfb_write((16u << 20) - 2, 0x11223344, 4);  // crosses the end: dropped
  CHECK(r.vga.lfb_read((16u << 20) - 2, 4) == ~uint64_t{0});
  CHECK(r.vga.lfb_read(~uint64_t{0} - 1, 4) == ~uint64_t{0});
}

}  // namespace
}  // namespace kestrel::devices
