// SPDX-License-Identifier: MIT
// Parsing of the firmware options (-bios default, -boot).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> firmware_options() { return {}; }

}  // namespace kestrel::frontend
