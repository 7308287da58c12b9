// SPDX-License-Identifier: MIT
// The ui options (-display, -monitor) as parsed; options_ui.cpp parses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kestrel::frontend {

enum class DisplayKind : uint8_t {
  kDefault,  ///< no -display: a window when the host has a display and no -nographic
  kSdl,
  kNone,
};

/// Where the human monitor is (-monitor).
struct MonitorSpec {
  enum Kind : uint8_t { kNone, kStdio, kTcp } kind = kNone;
  std::string host;   ///< kTcp: the address to listen on (loopback when empty)
  uint16_t port = 0;  ///< kTcp
  bool wait = true;   ///< kTcp: wait for the first connection before the guest runs
  std::string arg;    ///< the -monitor argument, for messages
};

struct UiOptions {
  DisplayKind display = DisplayKind::kDefault;
  MonitorSpec monitor;
};

/// Parses a -monitor argument: stdio, none, or tcp:[HOST]:PORT,server[,nowait].
/// Returns why it is not usable, or nothing.
std::optional<std::string> parse_monitor(std::string_view text, MonitorSpec& out);

}  // namespace kestrel::frontend
