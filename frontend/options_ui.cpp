// SPDX-License-Identifier: MIT
// Parsing of the ui options (-display, -monitor).
#include <charconv>

#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

Problem apply_display(Options& o, std::string_view arg) {
  // QEMU takes sub-options after a comma; none of SDL's matter here.
  const std::string_view kind = arg.substr(0, arg.find(','));
  if (kind == "sdl") o.ui.display = DisplayKind::kSdl;
  else if (kind == "none") o.ui.display = DisplayKind::kNone;
  else return "unknown display '" + std::string(kind) + "' (use sdl or none)";
  return std::nullopt;
}

Problem apply_monitor(Options& o, std::string_view arg) {
  return parse_monitor(arg, o.ui.monitor);
}

constexpr OptionSpec kUiOptions[] = {
    {"display", "sdl|none", apply_display,
     "the guest's screen in a window (sdl) or nowhere (none); the\n"
     "default is a window when the host has a display and no -nographic"},
    {"monitor", "DEV", apply_monitor,
     "the monitor on DEV: stdio, none, or tcp:[HOST]:PORT,server[,nowait]\n"
     "(HOST defaults to 127.0.0.1)"},
};

/// The options after the address: server is required, nowait/wait=off optional.
Problem parse_tcp_flags(std::string_view flags, MonitorSpec& out) {
  bool server = false;
  while (!flags.empty()) {
    const size_t comma = flags.find(',');
    const std::string_view f = flags.substr(0, comma);
    flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
    if (f == "server" || f == "server=on") server = true;
    else if (f == "nowait" || f == "wait=off") out.wait = false;
    else if (f == "wait" || f == "wait=on") out.wait = true;
    else return "unknown option '" + std::string(f) + "'";
  }
  if (!server) return "only a listening monitor is supported: add ,server";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_monitor(std::string_view text, MonitorSpec& out) {
  out = MonitorSpec{};
  out.arg = std::string(text);
  if (text == "stdio") {
    out.kind = MonitorSpec::kStdio;
    return std::nullopt;
  }
  if (text == "none") return std::nullopt;
  if (text.substr(0, 4) != "tcp:") return "expected stdio, none or tcp:[HOST]:PORT,server";
  text.remove_prefix(4);
  const size_t comma = text.find(',');
  const std::string_view address = text.substr(0, comma);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return "expected tcp:[HOST]:PORT,server";
  out.kind = MonitorSpec::kTcp;
  out.host = std::string(address.substr(0, colon));
  if (out.host.empty()) out.host = "127.0.0.1";
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
    return "invalid port '" + std::string(port) + "'";
  }
  out.port = uint16_t(value);
  return parse_tcp_flags(comma == std::string_view::npos ? "" : text.substr(comma + 1), out);
}

std::span<const OptionSpec> ui_options() { return kUiOptions; }

}  // namespace kestrel::frontend
