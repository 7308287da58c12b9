// SPDX-License-Identifier: MIT
// What the board's display section is configured with.
#pragma once

#include <cstdint>

namespace kestrel::machine {

struct DisplayConfig {
  bool vga = true;            ///< -vga none removes the adapter
  uint32_t vram_mib = 16;     ///< video memory (QEMU's std VGA default)
};

}  // namespace kestrel::machine
