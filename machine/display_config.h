// SPDX-License-Identifier: MIT
// What the board's display section is configured with.
#pragma once

#include <cstdint>
#include <vector>

namespace kestrel::machine {

struct DisplayConfig {
  bool vga = true;            ///< -vga none removes the adapter
  uint32_t vram_mib = 16;     ///< video memory (QEMU's std VGA default)
  /// The VGA BIOS behind the adapter's PCI expansion ROM BAR (QEMU's
  /// romfile), run by SeaBIOS; empty: no ROM BAR.
  std::vector<uint8_t> vga_rom;
  /// An 8x16 font put into the adapter at every reset, for a kernel booted
  /// directly (no BIOS loads one); empty: none.
  std::vector<uint8_t> text_font;
};

}  // namespace kestrel::machine
