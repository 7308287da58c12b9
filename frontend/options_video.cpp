// SPDX-License-Identifier: MIT
// Parsing of the video options: -vga, and -screenshot / -screentext, which
// write the guest's screen (PNG) or text screen (one line per row) at a
// moment of virtual time or when the run ends.
#include <charconv>
#include <cmath>

#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

/// A day of virtual time: later is surely a typing mistake.
constexpr double kMaxSeconds = 86400;

Problem apply_vga(Options& o, std::string_view arg) {
  if (arg == "std") o.video.vga = true;
  else if (arg == "none") o.video.vga = false;
  else return "unknown adapter '" + std::string(arg) + "' (use std or none)";
  return std::nullopt;
}

Problem apply_capture(Options& o, std::string_view arg, ScreenCapture::Kind kind) {
  ScreenCapture c;
  c.kind = kind;
  if (auto why = parse_capture(arg, c)) return why;
  o.video.captures.push_back(std::move(c));
  return std::nullopt;
}

Problem apply_screenshot(Options& o, std::string_view arg) {
  return apply_capture(o, arg, ScreenCapture::kPng);
}

Problem apply_screentext(Options& o, std::string_view arg) {
  return apply_capture(o, arg, ScreenCapture::kText);
}

constexpr std::array kVideoOptions = {
    OptionSpec{"vga", "std|none", apply_vga,
               "the display adapter: std (VGA with Bochs VBE, PCI 00:02.0,\n"
               "the default) or none"},
    OptionSpec{"screenshot", "FILE[,at=SECS][,quit]", apply_screenshot,
               "write the guest's screen to FILE as PNG after SECS seconds of\n"
               "virtual time (or when the run ends, if earlier or without at=);\n"
               "quit ends the run once it is written; may be repeated"},
    OptionSpec{"screentext", "FILE[,at=SECS][,quit]", apply_screentext,
               "write the guest's text screen to FILE, one line per row, as\n"
               "-screenshot does (nothing in graphics modes)"},
};

}  // namespace

std::optional<std::string> parse_capture(std::string_view text, ScreenCapture& out) {
  out.arg = std::string(text);
  const size_t comma = text.find(',');
  out.path = std::string(text.substr(0, comma));
  if (out.path.empty()) return "needs a file name";
  std::string_view rest = comma == std::string_view::npos ? "" : text.substr(comma + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(',');
    const std::string_view param = rest.substr(0, next);
    rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
    if (param == "quit") {
      out.quit = true;
      continue;
    }
    if (!param.starts_with("at=")) {
      return "unknown parameter '" + std::string(param) + "' (use at=SECONDS or quit)";
    }
    const std::string_view num = param.substr(3);
    double seconds = 0;
    const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), seconds);
    if (ec != std::errc{} || end != num.data() + num.size() || !std::isfinite(seconds) ||
        seconds < 0 || seconds > kMaxSeconds) {
      return "at=" + std::string(num) + " is not a time in seconds from 0 to 86400";
    }
    out.at = devices::Nanos(std::llround(seconds * 1e9));
  }
  if (out.quit && !out.at) return "quit needs at=SECONDS";
  return std::nullopt;
}

std::span<const OptionSpec> video_options() { return kVideoOptions; }

}  // namespace kestrel::frontend
