// SPDX-License-Identifier: MIT
// The key table: QEMU key name, USB HID usage (HID Usage Tables 1.12 §10,
// keyboard page) and PS/2 set 2 make code (frontend/keycodes.h).
#include "frontend/keycodes.h"

#include <array>

namespace kestrel::frontend {
namespace {

struct KeyRow {
  std::string_view name;
  uint16_t hid;
  uint8_t code;
  bool extended;
  PcKey::Special special = PcKey::kNone;
};

constexpr std::array kKeys = {
    KeyRow{"a", 0x04, 0x1c, false}, KeyRow{"b", 0x05, 0x32, false},
    KeyRow{"c", 0x06, 0x21, false}, KeyRow{"d", 0x07, 0x23, false},
    KeyRow{"e", 0x08, 0x24, false}, KeyRow{"f", 0x09, 0x2b, false},
    KeyRow{"g", 0x0a, 0x34, false}, KeyRow{"h", 0x0b, 0x33, false},
    KeyRow{"i", 0x0c, 0x43, false}, KeyRow{"j", 0x0d, 0x3b, false},
    KeyRow{"k", 0x0e, 0x42, false}, KeyRow{"l", 0x0f, 0x4b, false},
    KeyRow{"m", 0x10, 0x3a, false}, KeyRow{"n", 0x11, 0x31, false},
    KeyRow{"o", 0x12, 0x44, false}, KeyRow{"p", 0x13, 0x4d, false},
    KeyRow{"q", 0x14, 0x15, false}, KeyRow{"r", 0x15, 0x2d, false},
    KeyRow{"s", 0x16, 0x1b, false}, KeyRow{"t", 0x17, 0x2c, false},
    KeyRow{"u", 0x18, 0x3c, false}, KeyRow{"v", 0x19, 0x2a, false},
    KeyRow{"w", 0x1a, 0x1d, false}, KeyRow{"x", 0x1b, 0x22, false},
    KeyRow{"y", 0x1c, 0x35, false}, KeyRow{"z", 0x1d, 0x1a, false},
    KeyRow{"1", 0x1e, 0x16, false}, KeyRow{"2", 0x1f, 0x1e, false},
    KeyRow{"3", 0x20, 0x26, false}, KeyRow{"4", 0x21, 0x25, false},
    KeyRow{"5", 0x22, 0x2e, false}, KeyRow{"6", 0x23, 0x36, false},
    KeyRow{"7", 0x24, 0x3d, false}, KeyRow{"8", 0x25, 0x3e, false},
    KeyRow{"9", 0x26, 0x46, false}, KeyRow{"0", 0x27, 0x45, false},
    KeyRow{"ret", 0x28, 0x5a, false}, KeyRow{"esc", 0x29, 0x76, false},
    KeyRow{"backspace", 0x2a, 0x66, false}, KeyRow{"tab", 0x2b, 0x0d, false},
    KeyRow{"spc", 0x2c, 0x29, false}, KeyRow{"minus", 0x2d, 0x4e, false},
    KeyRow{"equal", 0x2e, 0x55, false}, KeyRow{"bracket_left", 0x2f, 0x54, false},
    KeyRow{"bracket_right", 0x30, 0x5b, false}, KeyRow{"backslash", 0x31, 0x5d, false},
    KeyRow{"semicolon", 0x33, 0x4c, false}, KeyRow{"apostrophe", 0x34, 0x52, false},
    KeyRow{"grave_accent", 0x35, 0x0e, false}, KeyRow{"comma", 0x36, 0x41, false},
    KeyRow{"dot", 0x37, 0x49, false}, KeyRow{"slash", 0x38, 0x4a, false},
    KeyRow{"caps_lock", 0x39, 0x58, false},
    KeyRow{"f1", 0x3a, 0x05, false}, KeyRow{"f2", 0x3b, 0x06, false},
    KeyRow{"f3", 0x3c, 0x04, false}, KeyRow{"f4", 0x3d, 0x0c, false},
    KeyRow{"f5", 0x3e, 0x03, false}, KeyRow{"f6", 0x3f, 0x0b, false},
    KeyRow{"f7", 0x40, 0x83, false}, KeyRow{"f8", 0x41, 0x0a, false},
    KeyRow{"f9", 0x42, 0x01, false}, KeyRow{"f10", 0x43, 0x09, false},
    KeyRow{"f11", 0x44, 0x78, false}, KeyRow{"f12", 0x45, 0x07, false},
    KeyRow{"print", 0x46, 0x7c, true, PcKey::kPrintScreen},
    KeyRow{"scroll_lock", 0x47, 0x7e, false},
    KeyRow{"pause", 0x48, 0x77, false, PcKey::kPause},
    KeyRow{"insert", 0x49, 0x70, true}, KeyRow{"home", 0x4a, 0x6c, true},
    KeyRow{"pgup", 0x4b, 0x7d, true}, KeyRow{"delete", 0x4c, 0x71, true},
    KeyRow{"end", 0x4d, 0x69, true}, KeyRow{"pgdn", 0x4e, 0x7a, true},
    KeyRow{"right", 0x4f, 0x74, true}, KeyRow{"left", 0x50, 0x6b, true},
    KeyRow{"down", 0x51, 0x72, true}, KeyRow{"up", 0x52, 0x75, true},
    KeyRow{"num_lock", 0x53, 0x77, false}, KeyRow{"kp_divide", 0x54, 0x4a, true},
    KeyRow{"kp_multiply", 0x55, 0x7c, false}, KeyRow{"kp_subtract", 0x56, 0x7b, false},
    KeyRow{"kp_add", 0x57, 0x79, false}, KeyRow{"kp_enter", 0x58, 0x5a, true},
    KeyRow{"kp_1", 0x59, 0x69, false}, KeyRow{"kp_2", 0x5a, 0x72, false},
    KeyRow{"kp_3", 0x5b, 0x7a, false}, KeyRow{"kp_4", 0x5c, 0x6b, false},
    KeyRow{"kp_5", 0x5d, 0x73, false}, KeyRow{"kp_6", 0x5e, 0x74, false},
    KeyRow{"kp_7", 0x5f, 0x6c, false}, KeyRow{"kp_8", 0x60, 0x75, false},
    KeyRow{"kp_9", 0x61, 0x7d, false}, KeyRow{"kp_0", 0x62, 0x70, false},
    KeyRow{"kp_decimal", 0x63, 0x71, false}, KeyRow{"less", 0x64, 0x61, false},
    KeyRow{"menu", 0x65, 0x2f, true},
    KeyRow{"ctrl", 0xe0, 0x14, false}, KeyRow{"shift", 0xe1, 0x12, false},
    KeyRow{"alt", 0xe2, 0x11, false}, KeyRow{"meta_l", 0xe3, 0x1f, true},
    KeyRow{"ctrl_r", 0xe4, 0x14, true}, KeyRow{"shift_r", 0xe5, 0x59, false},
    KeyRow{"alt_r", 0xe6, 0x11, true}, KeyRow{"meta_r", 0xe7, 0x27, true},
};

// QEMU's other spellings of the same keys.
struct Alias {
  std::string_view alias, name;
};
constexpr std::array kAliases = {
    Alias{"enter", "ret"}, Alias{"space", "spc"}, Alias{"sysrq", "print"},
    Alias{"asterisk", "kp_multiply"}, Alias{"altgr", "alt_r"}, Alias{"control", "ctrl"},
    Alias{"escape", "esc"}, Alias{"del", "delete"}, Alias{"ins", "insert"},
};

PcKey to_key(const KeyRow& r) { return PcKey{r.code, r.extended, r.special}; }

}  // namespace

std::optional<PcKey> key_from_hid(unsigned usage) {
  for (const KeyRow& r : kKeys) {
    if (r.hid == usage) return to_key(r);
  }
  return std::nullopt;
}

std::optional<PcKey> key_from_name(std::string_view name) {
  for (const Alias& a : kAliases) {
    if (a.alias == name) name = a.name;
  }
  for (const KeyRow& r : kKeys) {
    if (r.name == name) return to_key(r);
  }
  return std::nullopt;
}

std::vector<uint8_t> key_bytes(const PcKey& key, bool down) {
  switch (key.special) {
    case PcKey::kPause:
      // No break code: the make sequence holds both halves.
      if (!down) return {};
      return {0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77};
    case PcKey::kPrintScreen:
      // A fake left shift around the key, as a 101-key keyboard sends it.
      if (down) return {0xe0, 0x12, 0xe0, 0x7c};
      return {0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12};
    case PcKey::kNone:
      break;
  }
  std::vector<uint8_t> out;
  if (key.extended) out.push_back(0xe0);
  if (!down) out.push_back(0xf0);
  out.push_back(key.code);
  return out;
}

std::optional<std::string> parse_key_combo(std::string_view text, std::vector<PcKey>& keys) {
  keys.clear();
  if (text.empty()) return "no key given";
  while (true) {
    const size_t dash = text.find('-');
    // "minus" is spelled out, so every '-' separates keys.
    const std::string_view name = text.substr(0, dash);
    const std::optional<PcKey> key = key_from_name(name);
    if (!key) return "unknown key '" + std::string(name) + "'";
    keys.push_back(*key);
    if (dash == std::string_view::npos) break;
    text.remove_prefix(dash + 1);
  }
  if (keys.size() > 8) return "more than 8 keys at once";
  return std::nullopt;
}

}  // namespace kestrel::frontend
