// SPDX-License-Identifier: MIT
// Parsing of the debug options (-gdb, -s, -S).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> debug_options() { return {}; }

}  // namespace kestrel::frontend
