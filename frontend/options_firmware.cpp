// SPDX-License-Identifier: MIT
// Parsing of the firmware options: -boot (QEMU's order/menu/reboot-timeout
// syntax, or the bare legacy order), -L, -debugcon and -firmware-log.
#include <charconv>

#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

/// QEMU's boot device letters: a-b floppy, c disk, d CD-ROM, n-p network.
bool is_boot_letter(char c) { return (c >= 'a' && c <= 'd') || (c >= 'n' && c <= 'p'); }

Problem parse_order(std::string_view order, std::string& out) {
  if (order.empty()) return "empty boot order (use letters such as c, d or n)";
  for (size_t i = 0; i < order.size(); ++i) {
    const char c = order[i];
    if (!is_boot_letter(c)) {
      return "invalid boot device '" + std::string(1, c) +
             "' (use a, b: floppy; c: disk; d: CD-ROM; n-p: network)";
    }
    if (order.substr(0, i).find(c) != std::string_view::npos) {
      return "boot device '" + std::string(1, c) + "' was given twice";
    }
  }
  out = std::string(order);
  return std::nullopt;
}

Problem parse_on_off(std::string_view name, std::string_view v, bool& out) {
  if (v == "on") out = true;
  else if (v == "off") out = false;
  else return std::string(name) + " must be on or off";
  return std::nullopt;
}

Problem parse_timeout(std::string_view v, int32_t& out) {
  int32_t ms = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  if (ec != std::errc{} || end != v.data() + v.size() || ms < -1 || ms > 65535) {
    return "reboot-timeout must be -1 (never) or 0-65535 milliseconds";
  }
  out = ms;
  return std::nullopt;
}

/// One key=value item of -boot.
Problem apply_boot_item(std::string_view item, FirmwareOptions& out) {
  const size_t eq = item.find('=');
  if (eq == std::string_view::npos) {
    return "unknown item '" + std::string(item) + "' (use order=, menu=, reboot-timeout=)";
  }
  const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
  if (key == "order") return parse_order(value, out.boot_order);
  if (key == "menu") return parse_on_off("menu", value, out.boot_menu);
  if (key == "reboot-timeout") return parse_timeout(value, out.reboot_timeout_ms);
  return "unknown item '" + std::string(key) + "' (use order=, menu=, reboot-timeout=)";
}

Problem apply_boot(Options& o, std::string_view arg) { return parse_boot(arg, o.firmware); }

Problem apply_firmware_dir(Options& o, std::string_view arg) {
  if (arg.empty()) return "empty directory name";
  o.firmware.firmware_dir = arg;
  return std::nullopt;
}

Problem apply_debugcon(Options& o, std::string_view arg) {
  return parse_debug_port(arg, false, o.firmware.debugcon);
}

Problem apply_firmware_log(Options& o, std::string_view arg) {
  return parse_debug_port(arg, true, o.firmware.firmware_log);
}

constexpr OptionSpec kFirmwareOptions[] = {
    {"boot", "[order=]DRIVES[,menu=on|off][,reboot-timeout=MS]", apply_boot,
     "boot order for the firmware (SeaBIOS): c disk, d CD-ROM, n\n"
     "network, a floppy (default cad); menu=on offers the boot menu;\n"
     "reboot-timeout: retry after MS when nothing boots (-1: never)"},
    {"L", "DIR", apply_firmware_dir,
     "without -bios and -kernel Kestrel boots SeaBIOS: look for its\n"
     "bios-256k.bin and vgabios-stdvga.bin in DIR, not /usr/share/seabios"},
    {"debugcon", "DEV", apply_debugcon,
     "port 0xE9's output to DEV: stdio (the default), file:PATH or none"},
    {"firmware-log", "DEV", apply_firmware_log,
     "the firmware's debug log (port 0x402, SeaBIOS's log) to DEV:\n"
     "file:PATH (or just PATH), stdio or none (the default)"},
};

}  // namespace

std::optional<std::string> parse_boot(std::string_view text, FirmwareOptions& out) {
  if (text.empty()) return "empty boot option (use e.g. c or order=dc,menu=on)";
  // QEMU's legacy form: the whole argument is the order.
  if (text.find('=') == std::string_view::npos) return parse_order(text, out.boot_order);
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (Problem why = apply_boot_item(item, out)) return why;
  }
  return std::nullopt;
}

std::optional<std::string> parse_debug_port(std::string_view text, bool bare_path,
                                            DebugPortSpec& out) {
  constexpr std::string_view kFile = "file:";
  DebugPortSpec spec;
  spec.arg = std::string(text);
  if (text == "stdio") {
    spec.kind = DebugPortSpec::kStdio;
  } else if (text == "none" || text == "null") {
    spec.kind = DebugPortSpec::kNone;
  } else if (text.starts_with(kFile)) {
    if (text.size() == kFile.size()) return "file: needs a path (file:PATH)";
    spec.kind = DebugPortSpec::kFile;
    spec.path = std::string(text.substr(kFile.size()));
  } else if (bare_path && !text.empty() && text.find(':') == std::string_view::npos) {
    spec.kind = DebugPortSpec::kFile;
    spec.path = std::string(text);
  } else {
    return bare_path ? "expected file:PATH, PATH, stdio or none"
                     : "expected stdio, file:PATH or none";
  }
  out = std::move(spec);
  return std::nullopt;
}

std::span<const OptionSpec> firmware_options() { return kFirmwareOptions; }

}  // namespace kestrel::frontend
