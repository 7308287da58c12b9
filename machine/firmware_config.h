// SPDX-License-Identifier: MIT
// What the board's firmware section is configured with (SeaBIOS's inputs
// besides the ROM image itself, which is MachineConfig::firmware).
#pragma once

#include <cstdint>
#include <cstdio>
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
  /// -boot menu=on: the firmware offers its boot menu.
  bool boot_menu = false;
  /// -boot reboot-timeout: milliseconds the firmware waits before it reboots
  /// when nothing could boot; -1 waits for ever (QEMU's default).
  int32_t reboot_timeout_ms = -1;
  /// The firmware should put its screen on COM1 (no display: -nographic,
  /// -display none); a board without a VGA adapter does so anyway.
  bool serial_console = false;
  /// Where the firmware's debug port 0x402 writes go (SeaBIOS's log);
  /// nullptr: no device at 0x402. The frontend owns the file.
  std::FILE* log = nullptr;
};

}  // namespace kestrel::machine
