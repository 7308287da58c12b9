// SPDX-License-Identifier: MIT
// The shared inspection commands (frontend/debug_commands.h).
#include "frontend/debug_commands.h"

namespace kestrel::frontend {

std::string run_debug_command(machine::Machine& m, std::string_view line) {
  (void)m;
  return "unknown command: " + std::string(line) + "\n";
}

}  // namespace kestrel::frontend
