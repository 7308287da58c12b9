// SPDX-License-Identifier: MIT
// VGA memory as the CPU sees it: the legacy window with its memory map
// select, chain-4, odd/even and planar addressing, the latches, the four
// write modes and two read modes (IBM VGA Technical Reference, graphics
// controller), the VBE bank, and the linear framebuffer.
//
// Layout (as QEMU's): planar address a of plane p is video memory byte
// 4 * a + p, so chain-4 address a is byte a, and the VBE modes and banked
// window see video memory linearly. Odd/even address a is planar address
// a / 2 of plane a & 1.
#include "devices/vga/vga.h"

#include <algorithm>
#include <cstring>

namespace kestrel::devices {
namespace {

/// Each of the low 4 bits widened to a byte (one per plane).
constexpr uint32_t expand4(unsigned bits) {
  return ((bits & 1) ? 0x000000ffu : 0) | ((bits & 2) ? 0x0000ff00u : 0) |
         ((bits & 4) ? 0x00ff0000u : 0) | ((bits & 8) ? 0xff000000u : 0);
}

constexpr uint8_t rotate_right(uint8_t v, unsigned n) {
  n &= 7;
  return n == 0 ? v : uint8_t((v >> n) | (v << (8 - n)));
}

enum : uint8_t { kSr4OddEvenOff = 0x04, kSr4Chain4 = 0x08, kGr5OddEven = 0x10 };

}  // namespace

bool Vga::window_address(uint32_t& addr) const {
  switch ((gr_[6] >> 2) & 3) {
    case 0: return true;  // 0xA0000-0xBFFFF
    case 1:
      if (addr >= 0x10000) return false;
      addr += bank_offset_;  // the VBE bank moves the 64 KiB window
      return true;
    case 2:
      if (addr < 0x10000 || addr >= 0x18000) return false;
      addr -= 0x10000;
      return true;
    default:
      if (addr < 0x18000) return false;
      addr -= 0x18000;
      return true;
  }
}

uint32_t Vga::latch_word(uint32_t addr) const {
  uint32_t v;
  std::memcpy(&v, &vram_[4 * (addr & 0xffff)], 4);
  return v;
}

uint8_t Vga::window_read(uint32_t addr) {
  if (!window_address(addr)) return 0xff;
  if (sr_[4] & kSr4Chain4) return addr < vram_.size() ? vram_[addr] : 0xff;
  if (gr_[5] & kGr5OddEven) {
    // Read map select bit 1 picks the plane pair, address bit 0 the plane.
    const uint32_t plane = (gr_[4] & 2) | (addr & 1);
    return vram_[4 * ((addr >> 1) & 0xffff) + plane];
  }
  return planar_read(addr);
}

uint8_t Vga::planar_read(uint32_t addr) {
  latch_ = latch_word(addr);
  if (!(gr_[5] & 0x08)) return uint8_t(latch_ >> (8 * (gr_[4] & 3)));  // read mode 0
  // Read mode 1: a bit is set where every plane the colour don't care
  // register selects matches the colour compare register.
  uint32_t diff = (latch_ ^ expand4(gr_[2])) & expand4(gr_[7]);
  diff |= diff >> 16;
  diff |= diff >> 8;
  return uint8_t(~diff);
}

void Vga::window_write(uint32_t addr, uint8_t value) {
  if (!window_address(addr)) return;
  if (sr_[4] & kSr4Chain4) {
    if (addr < vram_.size() && (sr_[2] & (1u << (addr & 3)))) {
      vram_[addr] = value;
      mark_dirty(addr);
    }
    return;
  }
  if (!(sr_[4] & kSr4OddEvenOff)) {
    const uint32_t plane = addr & 1;
    if (sr_[2] & (1u << plane)) {
      const uint32_t at = 4 * ((addr >> 1) & 0xffff) + plane;
      vram_[at] = value;
      mark_dirty(at);
    }
    return;
  }
  planar_write(addr, value);
}

void Vga::planar_write(uint32_t addr, uint8_t value) {
  uint8_t bit_mask = gr_[8];
  uint32_t v = 0;
  switch (gr_[5] & 3) {
    case 0: {
      // Rotate, then planes with set/reset enabled take the set/reset bit.
      const uint32_t data = expand4(0xf) & (uint32_t(rotate_right(value, gr_[3])) * 0x01010101u);
      const uint32_t enable = expand4(gr_[1]);
      v = (data & ~enable) | (expand4(gr_[0]) & enable);
      break;
    }
    case 1: v = latch_, bit_mask = 0; break;  // the latches, whole
    case 2: v = expand4(value); break;
    default:
      bit_mask &= rotate_right(value, gr_[3]);
      v = expand4(gr_[0]);
      break;
  }
  if ((gr_[5] & 3) != 1) {
    switch ((gr_[3] >> 3) & 3) {  // function select
      case 1: v &= latch_; break;
      case 2: v |= latch_; break;
      case 3: v ^= latch_; break;
      default: break;
    }
    const uint32_t mask = uint32_t(bit_mask) * 0x01010101u;
    v = (v & mask) | (latch_ & ~mask);
  }
  const uint32_t plane_mask = expand4(sr_[2]);
  const uint32_t at = 4 * (addr & 0xffff);
  uint32_t old;
  std::memcpy(&old, &vram_[at], 4);
  const uint32_t now = (old & ~plane_mask) | (v & plane_mask);
  std::memcpy(&vram_[at], &now, 4);
  mark_dirty(at);
}

uint64_t Vga::mmio_read(uint64_t offset, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    v |= uint64_t(window_read(uint32_t((offset + i) & (kVgaWindowSize - 1)))) << (8 * i);
  }
  return v;
}

void Vga::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    window_write(uint32_t((offset + i) & (kVgaWindowSize - 1)), uint8_t(value >> (8 * i)));
  }
}

void Vga::load_font(std::span<const uint8_t> font) {
  const size_t glyphs = std::min<size_t>(font.size() / 16, 256);
  for (size_t ch = 0; ch < glyphs; ++ch) {
    for (size_t y = 0; y < 16; ++y) vram_[4 * (ch * 32 + y) + 2] = font[ch * 16 + y];
  }
  mark_dirty(0);
  regs_dirty_ = true;
}

uint64_t Vga::lfb_read(uint64_t offset, unsigned size) const {
  if (offset >= vram_.size() || size > 8 || vram_.size() - offset < size) return ~uint64_t{0};
  uint64_t v = 0;
  std::memcpy(&v, &vram_[offset], size);
  return v;
}

void Vga::lfb_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset >= vram_.size() || size > 8 || vram_.size() - offset < size) return;
  std::memcpy(&vram_[offset], &value, size);
  mark_dirty(uint32_t(offset));
  mark_dirty(uint32_t(offset + size - 1));
}

}  // namespace kestrel::devices
