// SPDX-License-Identifier: MIT
// Parsing of the debug options (-gdb, -s, -S). The endpoint syntax is
// checked here; host_debug.cpp opens the socket.
#include <array>

#include "frontend/gdbstub/server.h"
#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

Problem apply_gdb(Options& o, std::string_view arg) {
  if (!gdbstub::parse_endpoint(arg)) {
    return "expected tcp::PORT or tcp:ADDRESS:PORT (a port from 0 to 65535)";
  }
  o.debug.gdb = std::string(arg);
  return std::nullopt;
}

Problem apply_s(Options& o, std::string_view) {
  o.debug.gdb = "tcp::1234";
  return std::nullopt;
}

Problem apply_big_s(Options& o, std::string_view) {
  o.debug.start_paused = true;
  return std::nullopt;
}

constexpr std::array kDebugOptions = {
    OptionSpec{"gdb", "DEV", apply_gdb,
               "wait for gdb on DEV: tcp::PORT (loopback) or tcp:ADDR:PORT"},
    OptionSpec{"s", "", apply_s, "shorthand for -gdb tcp::1234"},
    OptionSpec{"S", "", apply_big_s, "do not start the CPU until gdb (or the monitor) continues"},
};

}  // namespace

std::span<const OptionSpec> debug_options() { return kDebugOptions; }

}  // namespace kestrel::frontend
