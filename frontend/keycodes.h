// SPDX-License-Identifier: MIT
// PC keyboard scan codes (set 2, what a PS/2 keyboard sends) for the keys a
// host can press: looked up by USB HID usage (the window's SDL scancodes
// are HID usages) or by QEMU's key names (the monitor's sendkey). The
// 8042 turns them into set 1 itself when the guest asks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::frontend {

/// One key: its make code in set 2, with the E0 prefix when `extended`.
struct PcKey {
  uint8_t code = 0;
  bool extended = false;
  /// Print Screen and Pause send sequences of their own (see key_bytes).
  enum Special : uint8_t { kNone, kPrintScreen, kPause } special = kNone;
};

/// The key with USB HID usage `usage` (keyboard page 0x07), if a PC has it.
std::optional<PcKey> key_from_hid(unsigned usage);
/// The key QEMU's sendkey calls `name` ("a", "ret", "ctrl_r", "f1", "kp_5").
std::optional<PcKey> key_from_name(std::string_view name);

/// The bytes a PS/2 keyboard sends when `key` is pressed (`down`) or
/// released, in set 2: F0 before a break code, E0 before an extended
/// key's (IBM PS/2 Technical Reference, keyboard scan code set 2). Pause
/// sends its whole make-and-break sequence on press and nothing on release.
std::vector<uint8_t> key_bytes(const PcKey& key, bool down);

/// Parses a sendkey argument ("ctrl-alt-delete"): the keys in order, or
/// the reason it cannot.
std::optional<std::string> parse_key_combo(std::string_view text, std::vector<PcKey>& keys);

}  // namespace kestrel::frontend
