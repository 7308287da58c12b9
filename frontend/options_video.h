// SPDX-License-Identifier: MIT
// The video options (-vga, screenshots from the command line) as parsed;
// options_video.cpp parses them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devices/scheduler.h"

namespace kestrel::frontend {

/// One -screenshot or -screentext: what to write, where, and when.
struct ScreenCapture {
  enum Kind : uint8_t { kPng, kText } kind = kPng;
  std::string path;
  /// Virtual time since power-on; nothing: when the run ends.
  std::optional<devices::Nanos> at;
  bool quit = false;  ///< end the run once written (`,quit`)
  std::string arg;  ///< the option's argument, for messages
};

struct VideoOptions {
  bool vga = true;  ///< -vga std (default) or none
  std::vector<ScreenCapture> captures;
};

/// Parses FILE[,at=SECONDS][,quit] (SECONDS: a decimal number, virtual time).
/// Returns why it is not usable, or nothing.
std::optional<std::string> parse_capture(std::string_view text, ScreenCapture& out);

}  // namespace kestrel::frontend
