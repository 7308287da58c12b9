// SPDX-License-Identifier: MIT
// Parsing of the net options (-netdev, -device, -nic).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> net_options() { return {}; }

}  // namespace kestrel::frontend
