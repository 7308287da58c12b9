// SPDX-License-Identifier: MIT
// The ui options (-display, -monitor) as parsed; options_ui.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct UiOptions {};

}  // namespace kestrel::frontend
