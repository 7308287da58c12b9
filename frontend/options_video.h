// SPDX-License-Identifier: MIT
// The video options (-vga, screenshots from the command line) as parsed; options_video.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct VideoOptions {};

}  // namespace kestrel::frontend
