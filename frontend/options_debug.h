// SPDX-License-Identifier: MIT
// The debug options (-gdb, -s, -S) as parsed; options_debug.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct DebugOptions {};

}  // namespace kestrel::frontend
