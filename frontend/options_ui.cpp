// SPDX-License-Identifier: MIT
// Parsing of the ui options (-display, -monitor).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> ui_options() { return {}; }

}  // namespace kestrel::frontend
