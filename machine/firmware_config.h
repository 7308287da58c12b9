// SPDX-License-Identifier: MIT
// What the board's firmware section is configured with (SeaBIOS's inputs
// besides the ROM image itself, which is MachineConfig::firmware).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::machine {

struct FirmwareConfig {
  /// QEMU's -boot order: 'a' floppy, 'c' first hard disk, 'd' CD-ROM,
  /// 'n' network; empty: the firmware's default.
  std::string boot_order;
  /// The VGA BIOS option ROM (Debian's vgabios-stdvga.bin by default);
  /// empty: none.
  std::vector<uint8_t> vga_bios;
};

}  // namespace kestrel::machine
