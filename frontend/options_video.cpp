// SPDX-License-Identifier: MIT
// Parsing of the video options (-vga, screenshots from the command line).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> video_options() { return {}; }

}  // namespace kestrel::frontend
