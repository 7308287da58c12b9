// SPDX-License-Identifier: MIT
// The debug options (-gdb, -s, -S) as parsed; options_debug.cpp parses them.
#pragma once

#include <optional>
#include <string>

namespace kestrel::frontend {

struct DebugOptions {
  /// -gdb DEV (or -s, which is -gdb tcp::1234): where the gdbstub listens;
  /// "tcp::PORT" binds the loopback address, "tcp:ADDR:PORT" the one given.
  std::optional<std::string> gdb;
  /// -S: the CPU does not start until a debugger continues it.
  bool start_paused = false;
};

}  // namespace kestrel::frontend
