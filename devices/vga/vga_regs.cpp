// SPDX-License-Identifier: MIT
// The VGA and DISPI registers: sequencer, CRTC, graphics controller,
// attribute controller with its index/data flip-flop, the DAC, the status
// registers, the Bochs VBE index/data ports and QEMU's MMIO BAR that mirrors
// them. Memory access is in vga_memory.cpp, rendering in vga_render.cpp.
#include <algorithm>

#include "devices/vga/vga.h"

namespace kestrel::devices {
namespace {

// The power-on state is BIOS mode 3 (80x25 colour text): VGA registers are
// undefined until a BIOS programs them, and a kernel booted directly (no
// BIOS) writes text to 0xB8000 expecting that mode. Values: IBM VGA
// Technical Reference, mode 3 parameter table.
constexpr std::array<uint8_t, 5> kMode3Seq = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr std::array<uint8_t, 0x19> kMode3Crtc = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
constexpr std::array<uint8_t, 0x15> kMode3Attr = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
    0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};
constexpr std::array<uint8_t, 9> kMode3Gc = {0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x10, 0x0e, 0x0f, 0xff};
constexpr uint8_t kMode3Misc = 0x67;

enum : uint8_t { kSt01DisplayDisabled = 0x01, kSt01Retrace = 0x08 };
/// CRTC 0x11 bit 7 write-protects registers 0-7 (except 7 bit 4).
constexpr uint8_t kCrtcProtect = 0x80;

}  // namespace

Vga::Vga(Scheduler& scheduler, uint32_t vram_bytes)
    : scheduler_(scheduler),
      blink_timer_(scheduler.add_timer([this] { blink_tick(); })),
      vram_(std::max<uint32_t>(vram_bytes & ~0xffffu, kVgaPlanarBytes)),
      dirty_pages_(vram_.size() >> kPageShift) {}

void Vga::reset() {
  std::fill(vram_.begin(), vram_.end(), 0);
  std::fill(dirty_pages_.begin(), dirty_pages_.end(), 1);
  any_page_dirty_ = regs_dirty_ = true;
  misc_ = kMode3Misc;
  feature_ = st01_ = 0;
  sr_index_ = cr_index_ = gr_index_ = 0;
  ar_index_ = 0x20;  // palette address source set: the screen shows
  ar_flip_ = false;
  sr_ = {}, cr_ = {}, gr_ = {}, ar_ = {};
  std::copy(kMode3Seq.begin(), kMode3Seq.end(), sr_.begin());
  std::copy(kMode3Crtc.begin(), kMode3Crtc.end(), cr_.begin());
  std::copy(kMode3Gc.begin(), kMode3Gc.end(), gr_.begin());
  ar_ = kMode3Attr;
  dac_mask_ = 0xff;
  dac_read_index_ = dac_write_index_ = dac_sub_ = 0;
  dac_reading_ = false;
  dac_.fill(0);
  // The EGA palette in DAC entries 0-63 (rgbRGB bits), as the BIOS loads it.
  for (unsigned i = 0; i < 64; ++i) {
    dac_[3 * i + 0] = uint8_t(((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15);
    dac_[3 * i + 1] = uint8_t(((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15);
    dac_[3 * i + 2] = uint8_t((i & 1) * 0x2a + ((i >> 3) & 1) * 0x15);
  }
  latch_ = 0;
  blink_phase_ = 0;
  vbe_index_ = 0;
  vbe_.fill(0);
  vbe_[kVbeId] = kVbeId5;
  vbe_[kVbeBpp] = 8;
  vbe_[kVbeVideoMemory64k] = uint16_t(vram_.size() >> 16);
  vbe_line_offset_ = vbe_start_ = bank_offset_ = 0;
  if (live_) scheduler_.arm(blink_timer_, scheduler_.now() + kVgaBlinkPeriod);
}

void Vga::set_live(bool live) {
  live_ = live;
  if (live) scheduler_.arm(blink_timer_, scheduler_.now() + kVgaBlinkPeriod);
  else scheduler_.disarm(blink_timer_);
}

void Vga::blink_tick() {
  ++blink_phase_;
  if (!graphics_mode() && !vbe_on()) regs_dirty_ = true;
  if (live_) scheduler_.arm(blink_timer_, scheduler_.now() + kVgaBlinkPeriod);
}

uint32_t Vga::io_read(uint16_t port, unsigned size) {
  if (port >= kVbeIndexPort && port < kVbeIndexPort + kVbePortCount) {
    if (port == kVbeIndexPort) return vbe_index_;
    return vbe_read(vbe_index_);
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint32_t(vga_read(uint16_t(port + i))) << (8 * i);
  return v;
}

void Vga::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port >= kVbeIndexPort && port < kVbeIndexPort + kVbePortCount) {
    if (port == kVbeIndexPort) {
      vbe_index_ = uint16_t(value);
      // A 16-bit write to the index port carries the data in its high byte
      // only for byte-wide buses; the Bochs BIOS uses separate words.
    } else {
      vbe_write(vbe_index_, uint16_t(value));
    }
    return;
  }
  // A word OUT to an index port writes the index and then the data (the
  // BIOS programs the sequencer, CRTC and graphics controller that way).
  for (unsigned i = 0; i < size; ++i) vga_write(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

uint8_t Vga::vga_read(uint16_t port) {
  // Ports of the other colour/mono set than misc output bit 0 chose float.
  if ((port >= 0x3b0 && port < 0x3c0 && !mono_ports()) ||
      (port >= 0x3d0 && port < 0x3e0 && mono_ports())) {
    return 0xff;
  }
  switch (port) {
    case 0x3c0: return ar_index_;
    case 0x3c1: return (ar_index_ & 0x1f) < ar_.size() ? ar_[ar_index_ & 0x1f] : 0;
    case 0x3c2: return 0x10;  // input status 0: switch sense
    case 0x3c4: return sr_index_;
    case 0x3c5: return sr_[sr_index_ & 7];
    case 0x3c6: return dac_mask_;
    case 0x3c7: return dac_reading_ ? 0x03 : 0x00;
    case 0x3c8: return dac_write_index_;
    case 0x3c9: {
      const uint8_t v = dac_[3 * dac_read_index_ + dac_sub_];
      if (++dac_sub_ == 3) dac_sub_ = 0, ++dac_read_index_;  // auto-increment
      return v;
    }
    case 0x3ca: return feature_;
    case 0x3cc: return misc_;
    case 0x3ce: return gr_index_;
    case 0x3cf: return gr_[gr_index_ & 0xf];
    case 0x3b4: case 0x3d4: return cr_index_;
    case 0x3b5: case 0x3d5: return cr_index_ < cr_.size() ? cr_[cr_index_] : 0;
    case 0x3ba: case 0x3da:
      // Software polls for retrace and for display enable; toggling both
      // lets either loop end. Reading resets the attribute flip-flop.
      st01_ ^= kSt01DisplayDisabled | kSt01Retrace;
      ar_flip_ = false;
      return st01_;
    default: return 0xff;
  }
}

void Vga::attr_write(uint8_t value) {
  if (!ar_flip_) {
    if ((value ^ ar_index_) & 0x20) regs_dirty_ = true;  // screen on or off
    ar_index_ = value & 0x3f;
  } else {
    const unsigned i = ar_index_ & 0x1f;
    if (i < ar_.size()) ar_[i] = value, regs_dirty_ = true;
  }
  ar_flip_ = !ar_flip_;
}

void Vga::vga_write(uint16_t port, uint8_t value) {
  if ((port >= 0x3b0 && port < 0x3c0 && !mono_ports()) ||
      (port >= 0x3d0 && port < 0x3e0 && mono_ports())) {
    return;
  }
  regs_dirty_ = true;
  switch (port) {
    case 0x3c0: attr_write(value); break;
    case 0x3c2: misc_ = value; break;
    case 0x3c4: sr_index_ = value & 7; break;
    case 0x3c5: sr_[sr_index_] = value; break;
    case 0x3c6: dac_mask_ = value; break;
    case 0x3c7: dac_read_index_ = value, dac_sub_ = 0, dac_reading_ = true; break;
    case 0x3c8: dac_write_index_ = value, dac_sub_ = 0, dac_reading_ = false; break;
    case 0x3c9:
      dac_latch_[dac_sub_] = value;
      if (++dac_sub_ == 3) {  // a colour is taken whole after its blue
        std::copy(dac_latch_.begin(), dac_latch_.end(), dac_.begin() + 3 * dac_write_index_);
        dac_sub_ = 0;
        ++dac_write_index_;
      }
      break;
    case 0x3ce: gr_index_ = value & 0xf; break;
    case 0x3cf: gr_[gr_index_] = value; break;
    case 0x3b4: case 0x3d4: cr_index_ = value; break;
    case 0x3b5: case 0x3d5:
      if (cr_index_ >= cr_.size()) break;
      if ((cr_[0x11] & kCrtcProtect) && cr_index_ <= 7) {
        if (cr_index_ == 7) cr_[7] = uint8_t((cr_[7] & ~0x10) | (value & 0x10));
        break;
      }
      cr_[cr_index_] = value;
      break;
    case 0x3ba: case 0x3da: feature_ = value; break;
    default: break;
  }
}

// ---- Bochs VBE (DISPI) ----

uint16_t Vga::vbe_read(unsigned index) const {
  if (index >= kVbeRegCount) return 0;
  if (vbe_[kVbeEnable] & kVbeGetCaps) {
    if (index == kVbeXres) return kVbeMaxXres;
    if (index == kVbeYres) return kVbeMaxYres;
    if (index == kVbeBpp) return kVbeMaxBpp;
  }
  return vbe_[index];
}

void Vga::vbe_update_line_offset() {
  const unsigned bytes = (vbe_[kVbeBpp] + 7u) / 8;
  vbe_line_offset_ = uint32_t(vbe_[kVbeVirtWidth]) * bytes;
  vbe_start_ = vbe_line_offset_ * vbe_[kVbeYOffset] + vbe_[kVbeXOffset] * bytes;
}

void Vga::vbe_enable(uint16_t value) {
  const bool was_on = vbe_on();
  vbe_[kVbeEnable] = value & (kVbeEnabled | kVbeGetCaps | kVbe8BitDac | kVbeLfb | kVbeNoClearMem);
  if (!(value & kVbeEnabled) || was_on) return;
  // A mode that does not fit the memory or the renderer's limits is
  // refused: the adapter stays in VGA mode.
  const uint32_t bpp = vbe_[kVbeBpp], xres = vbe_[kVbeXres], yres = vbe_[kVbeYres];
  const bool bpp_ok = bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
  if (!bpp_ok || xres == 0 || yres == 0 || xres > kVbeMaxXres || yres > kVbeMaxYres ||
      uint64_t(xres) * yres * ((bpp + 7) / 8) > vram_.size()) {
    vbe_[kVbeEnable] &= uint16_t(~kVbeEnabled);
    return;
  }
  vbe_[kVbeVirtWidth] = uint16_t(xres);
  vbe_[kVbeXOffset] = vbe_[kVbeYOffset] = 0;
  vbe_update_line_offset();
  vbe_[kVbeVirtHeight] = uint16_t(std::min<uint32_t>(vram_.size() / vbe_line_offset_, 0xffff));
  if (!(value & kVbeNoClearMem)) std::fill(vram_.begin(), vram_.end(), 0);
  // The VGA side as QEMU leaves it: graphics, chain-4 and a 64 KiB window
  // at 0xA0000, so the banked window addresses video memory linearly.
  gr_[6] = uint8_t((gr_[6] & ~0x0c) | 0x05);
  sr_[4] |= 0x08;
  gr_[5] = uint8_t((gr_[5] & ~0x60) | (bpp == 8 ? 0x40 : 0));
  ar_[0x10] |= 0x01;
}

void Vga::vbe_write(unsigned index, uint16_t value) {
  if (index >= kVbeRegCount) return;
  regs_dirty_ = true;
  switch (index) {
    case kVbeId:
      if (value >= kVbeId0 && value <= kVbeId5) vbe_[kVbeId] = value;
      break;
    case kVbeXres: case kVbeYres: case kVbeBpp:
      if (vbe_on()) break;  // the mode is fixed while enabled
      vbe_[index] = (index == kVbeBpp && value == 0) ? 8 : value;
      break;
    case kVbeBank: {
      const uint32_t banks = uint32_t(vram_.size() >> 16);
      vbe_[kVbeBank] = uint16_t(value % banks);
      bank_offset_ = uint32_t(vbe_[kVbeBank]) << 16;
      break;
    }
    case kVbeEnable: vbe_enable(value); break;
    case kVbeVirtWidth: {
      const unsigned bytes = (vbe_[kVbeBpp] + 7u) / 8;
      if (value < vbe_[kVbeXres] || value == 0) break;
      const uint32_t height = uint32_t(vram_.size() / (uint32_t(value) * bytes));
      if (height < vbe_[kVbeYres]) break;
      vbe_[kVbeVirtWidth] = value;
      vbe_[kVbeVirtHeight] = uint16_t(std::min<uint32_t>(height, 0xffff));
      vbe_update_line_offset();
      break;
    }
    case kVbeXOffset: case kVbeYOffset:
      vbe_[index] = value;
      vbe_update_line_offset();
      break;
    default: break;  // VIRT_HEIGHT follows VIRT_WIDTH; VIDEO_MEMORY_64K is read-only
  }
}

// ---- QEMU's MMIO BAR ----

namespace {
constexpr uint64_t kMmioVgaPorts = 0x400, kMmioDispi = 0x500, kMmioQext = 0x600;
constexpr uint32_t kQextSize = 8, kQextLittleEndian = 0x1e1e1e1e;
}  // namespace

uint64_t Vga::regs_read(uint64_t offset, unsigned size) {
  if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < kMmioVgaPorts + 0x20; ++i) {
      v |= uint64_t(vga_read(uint16_t(0x3c0 + offset - kMmioVgaPorts + i))) << (8 * i);
    }
    return v;
  }
  if (offset >= kMmioDispi && offset < kMmioDispi + 2 * kVbeRegCount) {
    return vbe_read(unsigned(offset - kMmioDispi) / 2);
  }
  if (offset == kMmioQext) return kQextSize;
  if (offset == kMmioQext + 4) return kQextLittleEndian;
  return 0;  // no EDID blob at 0: the driver falls back to its mode list
}

void Vga::regs_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20) {
    for (unsigned i = 0; i < size && offset + i < kMmioVgaPorts + 0x20; ++i) {
      vga_write(uint16_t(0x3c0 + offset - kMmioVgaPorts + i), uint8_t(value >> (8 * i)));
    }
  } else if (offset >= kMmioDispi && offset < kMmioDispi + 2 * kVbeRegCount) {
    vbe_write(unsigned(offset - kMmioDispi) / 2, uint16_t(value));
  }
  // The endianness register accepts only little-endian here; writes ignored.
}

}  // namespace kestrel::devices
