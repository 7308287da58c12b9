// SPDX-License-Identifier: MIT
// Rendering: the text modes (font from plane 2, 8/9-dot cells, cursor and
// blink), the 256-colour and 16-colour planar graphics modes, and the VBE
// modes at 8/15/16/24/32 bpp, each into a devices::Frame; and the text
// screen as characters. Geometry comes from the CRTC as the BIOS set it.
#include <algorithm>

#include "devices/vga/vga.h"

namespace kestrel::devices {
namespace {

constexpr unsigned kMaxCols = 160, kMaxRows = 100;
constexpr unsigned kMaxVgaWidth = 2048, kMaxVgaHeight = 1024;

constexpr uint32_t rgb(unsigned r, unsigned g, unsigned b) {
  return (uint32_t(r & 0xff) << 16) | (uint32_t(g & 0xff) << 8) | uint32_t(b & 0xff);
}
constexpr unsigned six_to_eight(unsigned v) { return ((v & 0x3f) << 2) | ((v & 0x3f) >> 4); }

void size_frame(Frame& out, unsigned width, unsigned height) {
  out.width = width;
  out.height = height;
  out.pixels.assign(size_t(width) * height, 0);
}

}  // namespace

unsigned Vga::vertical_display_end() const {
  return cr_[0x12] | ((cr_[7] & 0x02) << 7) | ((cr_[7] & 0x40) << 3);
}

unsigned Vga::line_compare() const {
  return cr_[0x18] | ((cr_[7] & 0x10) << 4) | ((cr_[9] & 0x40) << 3);
}

uint32_t Vga::dac_color(uint8_t index) const {
  const unsigned i = 3u * (index & dac_mask_);
  if (vbe_on() && (vbe_[kVbeEnable] & kVbe8BitDac)) return rgb(dac_[i], dac_[i + 1], dac_[i + 2]);
  return rgb(six_to_eight(dac_[i]), six_to_eight(dac_[i + 1]), six_to_eight(dac_[i + 2]));
}

uint32_t Vga::attr_color(uint8_t index) const {
  // Attribute controller: palette register, then colour select bits 7-6
  // (and 5-4 when mode control bit 7 asks) above the 6 or 4 palette bits.
  uint8_t v = ar_[index & 0xf] & 0x3f;
  if (ar_[0x10] & 0x80) v = uint8_t((v & 0x0f) | ((ar_[0x14] & 0x03) << 4));
  v = uint8_t(v | ((ar_[0x14] & 0x0c) << 4));
  return dac_color(v);
}

Vga::TextGeometry Vga::text_geometry() const {
  TextGeometry g;
  g.cols = std::min<unsigned>(cr_[1] + 1u, kMaxCols);
  g.char_height = (cr_[9] & 0x1f) + 1u;
  g.rows = std::min<unsigned>((vertical_display_end() + 1) / g.char_height, kMaxRows);
  g.char_width = (sr_[1] & 0x01) ? 8 : 9;
  g.double_width = (sr_[1] & 0x08) != 0;
  g.start = (uint32_t(cr_[0x0c]) << 8) | cr_[0x0d];
  g.pitch = uint32_t(cr_[0x13]) * 2;
  return g;
}

bool Vga::visible_change() const {
  if (regs_dirty_) return true;
  if (!any_page_dirty_) return false;
  // VGA modes show (or take their font from) all 256 KiB; a VBE mode only
  // its lines, so drawing off screen (double buffering) costs no render.
  uint64_t first = 0, end = kVgaPlanarBytes;
  if (vbe_on()) {
    first = vbe_start_;
    end = first + uint64_t(vbe_line_offset_) * vbe_[kVbeYres];
  }
  end = std::min<uint64_t>(end, vram_.size());
  for (uint64_t p = first >> kPageShift; p << kPageShift < end; ++p) {
    if (dirty_pages_[p]) return true;
  }
  return false;
}

bool Vga::render(Frame& out, bool force) {
  if (!live_) {
    // No blink timer runs headless: the phase comes from the time of the frame.
    const unsigned phase = unsigned(scheduler_.now() / kVgaBlinkPeriod);
    if (phase != blink_phase_ && !graphics_mode() && !vbe_on()) regs_dirty_ = true;
    blink_phase_ = phase;
  }
  if (!force && !visible_change()) {
    if (any_page_dirty_) std::fill(dirty_pages_.begin(), dirty_pages_.end(), 0);
    any_page_dirty_ = false;
    return false;
  }
  if (vbe_on()) {
    render_vbe(out);
  } else if (graphics_mode()) {
    render_graphics(out);
  } else {
    render_text(out);
  }
  if ((!vbe_on() && !(ar_index_ & 0x20)) || (!vbe_on() && (sr_[1] & 0x20))) {
    std::fill(out.pixels.begin(), out.pixels.end(), 0);  // screen off
  }
  regs_dirty_ = false;
  if (any_page_dirty_) std::fill(dirty_pages_.begin(), dirty_pages_.end(), 0);
  any_page_dirty_ = false;
  return true;
}

void Vga::render_text(Frame& out) {
  const TextGeometry g = text_geometry();
  const unsigned cell_w = g.char_width * (g.double_width ? 2 : 1);
  size_frame(out, g.cols * cell_w, g.rows * g.char_height);
  for (unsigned row = 0; row < g.rows; ++row) {
    for (unsigned col = 0; col < g.cols; ++col) {
      draw_cell(out, g, col, row, (g.start + row * g.pitch + col) & 0xffff);
    }
  }
}

void Vga::draw_cell(Frame& out, const TextGeometry& g, unsigned col, unsigned row,
                    uint32_t cell) {
  const uint8_t ch = vram_[4 * cell], attr = vram_[4 * cell + 1];
  // Character map select: map A for attribute bit 3 set, B for clear; each
  // map is 8 KiB of plane 2 at 0/16/32/48 KiB (+8 KiB for bit 2 of the map).
  const unsigned sel = (attr & 0x08) ? (((sr_[3] >> 5) & 1) | ((sr_[3] >> 1) & 6))
                                     : (((sr_[3] >> 4) & 1) | ((sr_[3] << 1) & 6));
  const uint32_t font = ((sel & 3) * 2 + (sel >> 2)) * 8192;
  uint8_t fg = attr & 0x0f, bg = attr >> 4;
  const bool blink_attr = (ar_[0x10] & 0x08) != 0;
  if (blink_attr) {
    bg &= 7;
    if ((attr & 0x80) && (blink_phase_ & 2)) fg = bg;
  }
  const uint32_t cursor = (uint32_t(cr_[0x0e]) << 8) | cr_[0x0f];
  const bool cursor_here = cell == (cursor & 0xffff) && !(cr_[0x0a] & 0x20) && !(blink_phase_ & 1);
  const unsigned cursor_top = cr_[0x0a] & 0x1f, cursor_bottom = cr_[0x0b] & 0x1f;
  const uint32_t fg_rgb = attr_color(fg), bg_rgb = attr_color(bg);
  // Line-graphics characters 0xC0-0xDF repeat their 8th column in the 9th.
  const bool line_graphics = (ar_[0x10] & 0x04) && ch >= 0xc0 && ch <= 0xdf;
  const unsigned scale = g.double_width ? 2 : 1;
  for (unsigned y = 0; y < g.char_height; ++y) {
    unsigned bits = vram_[4 * ((font + ch * 32u + y) & 0xffff) + 2];
    if (cursor_here && y >= cursor_top && y <= cursor_bottom) bits = 0xff;
    bits <<= 1;  // bit 0: the 9th column
    if (line_graphics || (cursor_here && y >= cursor_top && y <= cursor_bottom)) {
      bits |= (bits >> 1) & 1;
    }
    uint32_t* line = &out.pixels[size_t(row * g.char_height + y) * out.width +
                                 size_t(col) * g.char_width * scale];
    for (unsigned x = 0; x < g.char_width; ++x) {
      const uint32_t c = (bits & (0x100u >> x)) ? fg_rgb : bg_rgb;
      for (unsigned s = 0; s < scale; ++s) line[x * scale + s] = c;
    }
  }
}

void Vga::render_graphics(Frame& out) {
  const bool chunky = (gr_[5] & 0x40) != 0;  // 256 colours: a byte per pixel
  const unsigned cols = cr_[1] + 1u;
  const unsigned row_lines = ((cr_[9] & 0x1f) + 1u) * ((cr_[9] & 0x80) ? 2 : 1);
  const unsigned width = std::min(chunky ? cols * 4 : cols * 8, kMaxVgaWidth);
  const unsigned height = std::min((vertical_display_end() + 1) / row_lines, kMaxVgaHeight);
  size_frame(out, width, height);
  const uint32_t start = (uint32_t(cr_[0x0c]) << 8) | cr_[0x0d];
  const uint32_t pitch = uint32_t(cr_[0x13]) * 2;  // planar addresses per line
  const unsigned split = (line_compare() + 1) / row_lines;
  for (unsigned y = 0; y < height; ++y) {
    const uint32_t base = y >= split ? (y - split) * pitch : start + y * pitch;
    uint32_t* line = &out.pixels[size_t(y) * width];
    if (chunky) {
      for (unsigned x = 0; x < width; ++x) {
        line[x] = dac_color(vram_[(4 * base + x) & (kVgaPlanarBytes - 1)]);
      }
      continue;
    }
    for (unsigned x = 0; x < width; ++x) {
      const uint32_t a = 4 * ((base + x / 8) & 0xffff);
      const unsigned bit = 7 - (x & 7);
      unsigned index = 0;
      for (unsigned p = 0; p < 4; ++p) index |= ((vram_[a + p] >> bit) & 1u) << p;
      line[x] = attr_color(uint8_t(index & ar_[0x12] & 0x0f));
    }
  }
}

void Vga::render_vbe(Frame& out) {
  const unsigned width = vbe_[kVbeXres], height = vbe_[kVbeYres], bpp = vbe_[kVbeBpp];
  const unsigned bytes = (bpp + 7) / 8;
  size_frame(out, width, height);
  for (unsigned y = 0; y < height; ++y) {
    const uint64_t at = uint64_t(vbe_start_) + uint64_t(y) * vbe_line_offset_;
    if (at + uint64_t(width) * bytes > vram_.size()) break;  // past the memory: black
    const uint8_t* src = &vram_[at];
    uint32_t* line = &out.pixels[size_t(y) * width];
    for (unsigned x = 0; x < width; ++x, src += bytes) {
      switch (bpp) {
        case 8: line[x] = dac_color(src[0]); break;
        case 15: {
          const unsigned v = src[0] | (src[1] << 8);
          line[x] = rgb(((v >> 10) & 0x1f) * 255 / 31, ((v >> 5) & 0x1f) * 255 / 31,
                        (v & 0x1f) * 255 / 31);
          break;
        }
        case 16: {
          const unsigned v = src[0] | (src[1] << 8);
          line[x] = rgb(((v >> 11) & 0x1f) * 255 / 31, ((v >> 5) & 0x3f) * 255 / 63,
                        (v & 0x1f) * 255 / 31);
          break;
        }
        default: line[x] = rgb(src[2], src[1], src[0]); break;  // 24 and 32: B, G, R
      }
    }
  }
}

std::vector<std::string> Vga::text_rows() const {
  std::vector<std::string> rows;
  if (vbe_on() || graphics_mode()) return rows;
  const TextGeometry g = text_geometry();
  for (unsigned row = 0; row < g.rows; ++row) {
    std::string s(g.cols, ' ');
    for (unsigned col = 0; col < g.cols; ++col) {
      s[col] = char(vram_[4 * ((g.start + row * g.pitch + col) & 0xffff)]);
    }
    rows.push_back(std::move(s));
  }
  return rows;
}

}  // namespace kestrel::devices
