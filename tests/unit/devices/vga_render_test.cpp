// SPDX-License-Identifier: MIT
// VGA rendering: a text cell drawn from a font the test loads into plane 2
// (as the BIOS does), the cursor, mode 13h pixels through the DAC, a VBE
// mode's LFB pixels, dirty tracking; and a Frame written as PNG and read
// back with libpng.
#include <png.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include <doctest/doctest.h>

#include "devices/vga/vga.h"
#include "frontend/screenshot.h"
#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct Rig {
  Rig() : vga(clock, 16u << 20) { vga.reset(); }
  void out(uint16_t port, uint8_t v) { vga.io_write(port, v, 1); }
  void seq(uint8_t i, uint8_t v) { out(0x3c4, i), out(0x3c5, v); }
  void gc(uint8_t i, uint8_t v) { out(0x3ce, i), out(0x3cf, v); }
  void crtc(uint8_t i, uint8_t v) { out(0x3d4, i), out(0x3d5, v); }
  void vbe(uint16_t i, uint16_t v) { vga.io_write(0x1ce, i, 2), vga.io_write(0x1cf, v, 2); }
  void wr(uint32_t off, uint8_t v) { vga.mmio_write(off, v, 1); }
  /// Loads glyph `ch` of the 8x16 font as the BIOS does: plane 2 alone,
  /// sequential addressing, window at 0xA0000.
  void load_glyph(uint8_t ch, const uint8_t (&rows)[16]) {
    seq(2, 0x04), seq(4, 0x06), gc(4, 0x02), gc(5, 0x00), gc(6, 0x04);
    for (unsigned y = 0; y < 16; ++y) wr(ch * 32u + y, rows[y]);
    seq(2, 0x03), seq(4, 0x02), gc(4, 0x00), gc(5, 0x10), gc(6, 0x0e);
  }
  test::ManualClock clock;
  Vga vga;
  Frame frame;
};

constexpr uint8_t kGlyph[16] = {0x00, 0x00, 0x18, 0x3c, 0x66, 0x66, 0x7e, 0x66,
                                0x66, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST_CASE("vga render: 80x25 text, 9-dot cells, glyph from plane 2 in its colours") {
  Rig r;
  r.load_glyph('A', kGlyph);
  r.wr(0x18000 + 2 * 81, 'A');   // row 1, column 1
  r.wr(0x18000 + 2 * 81 + 1, 0x1e);  // yellow on blue
  r.crtc(0x0a, 0x20);  // cursor off
  REQUIRE(r.vga.render(r.frame, false));
  CHECK(r.frame.width == 720);
  CHECK(r.frame.height == 400);
  const auto px = [&](unsigned x, unsigned y) { return r.frame.pixels[y * 720 + x]; };
  const unsigned x0 = 9, y0 = 16;
  CHECK(px(x0 + 3, y0 + 2) == 0xffff55);  // glyph row 2 = 0x18: columns 3, 4 set
  CHECK(px(x0 + 0, y0 + 2) == 0x0000aa);
  CHECK(px(x0 + 8, y0 + 6) == 0x0000aa);  // 9th column: background for 'A'
  CHECK(px(0, 0) == 0x000000);
  CHECK(r.vga.text_rows().at(1).at(1) == 'A');
  CHECK_FALSE(r.vga.render(r.frame, false));  // nothing changed
  CHECK(r.vga.render(r.frame, true));
}

TEST_CASE("vga render: the cursor blinks on the scheduler's timer") {
  Rig r;
  r.wr(0x18001, 0x07);
  r.crtc(0x0a, 14), r.crtc(0x0b, 15), r.crtc(0x0e, 0), r.crtc(0x0f, 0);
  r.vga.render(r.frame, true);
  CHECK(r.frame.pixels[15 * 720 + 2] == 0xaaaaaa);  // cursor line, light grey
  r.clock.advance(120'000'000);                     // one blink period
  CHECK(r.vga.render(r.frame, false));
  CHECK(r.frame.pixels[15 * 720 + 2] == 0x000000);
}

TEST_CASE("vga render: mode 13h, chain-4 bytes through the DAC") {
  Rig r;
  // Mode 13h's registers (IBM VGA reference), enough for the renderer.
  r.out(0x3c2, 0x63);
  r.seq(1, 0x01), r.seq(2, 0x0f), r.seq(4, 0x0e);
  r.crtc(0x11, 0x0e);  // unprotect
  r.crtc(0x01, 0x4f), r.crtc(0x09, 0x41), r.crtc(0x12, 0x8f), r.crtc(0x07, 0x1f);
  r.crtc(0x13, 0x28), r.crtc(0x14, 0x40), r.crtc(0x17, 0xa3);
  r.gc(5, 0x40), r.gc(6, 0x05);
  r.out(0x3c8, 200);
  r.out(0x3c9, 63), r.out(0x3c9, 0), r.out(0x3c9, 32);
  r.wr(320 * 10 + 7, 200);
  REQUIRE(r.vga.render(r.frame, true));
  CHECK(r.frame.width == 320);
  CHECK(r.frame.height == 200);
  CHECK(r.frame.pixels[320 * 10 + 7] == 0xff0082);
  CHECK(r.frame.pixels[320 * 10 + 8] == 0x000000);
  CHECK(r.vga.text_rows().empty());
}

TEST_CASE("vbe render: 800x600x32 and 16 bpp pixels from the LFB") {
  Rig r;
  r.vbe(kVbeXres, 800), r.vbe(kVbeYres, 600), r.vbe(kVbeBpp, 32);
  r.vbe(kVbeEnable, kVbeEnabled | kVbeLfb);
  r.vga.lfb_write((600 - 1) * 800 * 4 + 4 * 799, 0x00123456, 4);
  REQUIRE(r.vga.render(r.frame, false));
  CHECK(r.frame.width == 800);
  CHECK(r.frame.height == 600);
  CHECK(r.frame.pixels.back() == 0x123456);
  r.vga.lfb_write(800 * 600 * 4 + 8192, 1, 4);  // off screen: nothing to render
  CHECK_FALSE(r.vga.render(r.frame, false));
  r.vbe(kVbeEnable, 0);
  r.vbe(kVbeBpp, 16);
  r.vbe(kVbeEnable, kVbeEnabled | kVbeLfb);
  r.vga.lfb_write(2, 0xf800, 2);  // pixel 1: pure red in 5:6:5
  REQUIRE(r.vga.render(r.frame, false));
  CHECK(r.frame.pixels[1] == 0xff0000);
  CHECK(r.frame.pixels[0] == 0x000000);
}

TEST_CASE("screenshot: write_png writes the frame's size and pixels; errors are reported") {
  Frame f;
  f.width = 720;
  f.height = 400;
  f.pixels.assign(720 * 400, 0x102030);
  f.pixels[5] = 0xff8000;
  const std::string path =
      (std::filesystem::temp_directory_path() / "kestrel-vga-test.png").string();
  REQUIRE_FALSE(frontend::write_png(f, path));
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, path.c_str()));
  CHECK(image.width == 720);
  CHECK(image.height == 400);
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> rgb(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr));
  CHECK(rgb[15] == 0xff);
  CHECK(rgb[16] == 0x80);
  CHECK(rgb[0] == 0x10);
  std::remove(path.c_str());
  CHECK(frontend::write_png(Frame{}, path));
  CHECK(frontend::write_png(f, "/nonexistent-dir/x.png"));
}

}  // namespace
}  // namespace kestrel::devices
