// SPDX-License-Identifier: MIT
// The firmware options as parsed (options_firmware.cpp): -boot, -L, and
// where the debug ports write (-debugcon for 0xE9, -firmware-log for 0x402).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kestrel::frontend {

/// A debug port's host end: -debugcon / -firmware-log DEV.
struct DebugPortSpec {
  enum Kind : uint8_t { kDefault, kStdio, kFile, kNone } kind = kDefault;
  std::string path;  ///< kFile
  std::string arg;   ///< the option's argument, for messages
};

struct FirmwareOptions {
  /// -boot order=...: boot device letters in order; empty: the default.
  std::string boot_order;
  bool boot_menu = false;
  /// -boot reboot-timeout=MS; -1 waits for ever.
  int32_t reboot_timeout_ms = -1;
  /// -L DIR: where bios-256k.bin and vgabios-stdvga.bin are looked for.
  std::string firmware_dir;
  DebugPortSpec debugcon;      ///< port 0xE9; by default standard output
  DebugPortSpec firmware_log;  ///< port 0x402; by default no device
};

/// Parses a QEMU -boot argument into `out` (the fields above); returns why
/// it is not usable, or nothing.
std::optional<std::string> parse_boot(std::string_view text, FirmwareOptions& out);

/// Parses file:PATH, stdio or none (a bare PATH is a file too when
/// `bare_path`); returns why it is not usable, or nothing.
std::optional<std::string> parse_debug_port(std::string_view text, bool bare_path,
                                            DebugPortSpec& out);

}  // namespace kestrel::frontend
