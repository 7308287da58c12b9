// SPDX-License-Identifier: MIT
// The VGA adapter with the Bochs VBE (DISPI) extensions, as QEMU's std VGA:
// the VGA register set, 256 KiB of planar memory behind the legacy window
// (0xA0000-0xBFFFF), the DISPI registers and the linear framebuffer, and
// the renderer that turns it all into a devices::Frame. The PCI function
// that exposes the framebuffer and registers as BARs is in vga_pci.h.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/display.h"
#include "devices/scheduler.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint64_t kVgaWindowBase = 0xa0000;
inline constexpr uint64_t kVgaWindowSize = 0x20000;
inline constexpr uint16_t kVgaPortFirst = 0x3b0;  ///< 0x3B0-0x3DF
inline constexpr unsigned kVgaPortCount = 0x30;
inline constexpr uint16_t kVbeIndexPort = 0x1ce;  ///< index; data at 0x1CF (and 0x1D0)
inline constexpr unsigned kVbePortCount = 3;
/// The planar memory the VGA part addresses: 4 planes of 64 KiB.
inline constexpr uint32_t kVgaPlanarBytes = 256 * 1024;

/// DISPI register indices (Bochs vbe.h, QEMU hw/display/vga.c).
enum VbeIndex : uint8_t {
  kVbeId = 0, kVbeXres, kVbeYres, kVbeBpp, kVbeEnable, kVbeBank, kVbeVirtWidth,
  kVbeVirtHeight, kVbeXOffset, kVbeYOffset, kVbeVideoMemory64k, kVbeRegCount,
};
enum VbeEnableBit : uint16_t {
  kVbeEnabled = 0x01, kVbeGetCaps = 0x02, kVbe8BitDac = 0x20, kVbeLfb = 0x40,
  kVbeNoClearMem = 0x80,
};
inline constexpr uint16_t kVbeId0 = 0xb0c0, kVbeId5 = 0xb0c5;
inline constexpr uint16_t kVbeMaxXres = 2560, kVbeMaxYres = 1600, kVbeMaxBpp = 32;

/// Cursor and character blink: the cursor toggles every 8 frames, text
/// every 16 (IBM VGA reference), at the 70 Hz of the text modes.
inline constexpr Nanos kVgaBlinkPeriod = 8'000'000'000ull / 70;

class Vga final : public Device, public mmu::MmioHandler, public DisplaySource {
 public:
  /// `vram_bytes` (a multiple of 64 KiB, at least 256 KiB) of video memory.
  /// The cursor and character blink follow the virtual time of `scheduler`:
  /// on a timer while a window shows the screen (set_live), else computed
  /// when a frame is rendered, so a headless machine has no timer armed
  /// (a halted guest with nothing else to wake it still ends the run).
  Vga(Scheduler& scheduler, uint32_t vram_bytes);
  void set_live(bool live);

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  /// The legacy window, offsets from 0xA0000.
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;

  /// The linear framebuffer (PCI BAR0), offsets into video memory.
  uint64_t lfb_read(uint64_t offset, unsigned size) const;
  void lfb_write(uint64_t offset, uint64_t value, unsigned size);
  /// QEMU's std VGA MMIO BAR (BAR2): VGA ports 0x3C0-0x3DF at 0x400, the
  /// DISPI registers at 0x500 (16-bit), QEMU's extended registers at 0x600.
  uint64_t regs_read(uint64_t offset, unsigned size);
  void regs_write(uint64_t offset, uint64_t value, unsigned size);

  bool render(Frame& out, bool force) override;
  std::vector<std::string> text_rows() const override;

  /// Writes an 8x16 font (16 bytes per character, up to 256 characters)
  /// into character map 0 of plane 2, as a BIOS mode set does; for guests
  /// started without a BIOS.
  void load_font(std::span<const uint8_t> font);

  uint32_t vram_size() const { return uint32_t(vram_.size()); }
  /// Whether anything may have changed on the screen since the last render.
  bool dirty() const { return regs_dirty_ || any_page_dirty_; }

 private:
  // ---- registers (vga_regs.cpp) ----
  uint8_t vga_read(uint16_t port);
  void vga_write(uint16_t port, uint8_t value);
  void attr_write(uint8_t value);
  bool mono_ports() const { return (misc_ & 1) == 0; }
  uint16_t vbe_read(unsigned index) const;
  void vbe_write(unsigned index, uint16_t value);
  void vbe_enable(uint16_t value);
  void vbe_update_line_offset();
  void blink_tick();

  // ---- memory (vga_memory.cpp) ----
  uint8_t window_read(uint32_t addr);
  void window_write(uint32_t addr, uint8_t value);
  /// Maps a window offset to a planar address; false outside the window the
  /// memory map select decodes.
  bool window_address(uint32_t& addr) const;
  void planar_write(uint32_t addr, uint8_t value);
  uint8_t planar_read(uint32_t addr);
  void mark_dirty(uint32_t vram_offset) {
    dirty_pages_[vram_offset >> kPageShift] = 1;
    any_page_dirty_ = true;
  }
  uint32_t latch_word(uint32_t addr) const;

  // ---- rendering (vga_render.cpp) ----
  struct TextGeometry {
    unsigned cols = 0, rows = 0, char_height = 16, char_width = 9;
    bool double_width = false;
    uint32_t start = 0, pitch = 0;  ///< in cells (planar addresses)
  };
  TextGeometry text_geometry() const;
  /// Whether a register or a written page of what the screen shows changed.
  bool visible_change() const;
  bool graphics_mode() const { return (gr_[6] & 1) != 0; }
  bool vbe_on() const { return (vbe_[kVbeEnable] & kVbeEnabled) != 0; }
  uint32_t dac_color(uint8_t index) const;
  uint32_t attr_color(uint8_t index) const;
  void render_text(Frame& out);
  void draw_cell(Frame& out, const TextGeometry& g, unsigned col, unsigned row, uint32_t cell);
  void render_graphics(Frame& out);
  void render_vbe(Frame& out);
  unsigned vertical_display_end() const;
  unsigned line_compare() const;

  static constexpr unsigned kPageShift = 12;
  Scheduler& scheduler_;
  Scheduler::TimerId blink_timer_;
  std::vector<uint8_t> vram_;  ///< planar address a, plane p at 4 * a + p
  std::vector<uint8_t> dirty_pages_;
  bool any_page_dirty_ = true;
  bool regs_dirty_ = true;

  uint8_t misc_ = 0, feature_ = 0, st01_ = 0;
  uint8_t sr_index_ = 0, cr_index_ = 0, gr_index_ = 0, ar_index_ = 0;
  bool ar_flip_ = false;  ///< false: the next 0x3C0 write is an index
  std::array<uint8_t, 8> sr_{};
  std::array<uint8_t, 0x20> cr_{};
  std::array<uint8_t, 16> gr_{};
  std::array<uint8_t, 0x15> ar_{};
  uint8_t dac_mask_ = 0xff, dac_read_index_ = 0, dac_write_index_ = 0, dac_sub_ = 0;
  bool dac_reading_ = false;
  std::array<uint8_t, 3> dac_latch_{};
  std::array<uint8_t, 256 * 3> dac_{};
  uint32_t latch_ = 0;
  unsigned blink_phase_ = 0;
  bool live_ = false;

  uint16_t vbe_index_ = 0;
  std::array<uint16_t, kVbeRegCount> vbe_{};
  uint32_t vbe_line_offset_ = 0;  ///< bytes per line of the virtual screen
  uint32_t vbe_start_ = 0;        ///< byte offset of the visible top-left pixel
  uint32_t bank_offset_ = 0;
};

}  // namespace kestrel::devices
