// SPDX-License-Identifier: MIT
// Screenshots: a devices::Frame written as a PNG file through libpng. The
// window's key, the monitor's screendump and the command line all use it.
#pragma once

#include <optional>
#include <string>

#include "devices/display.h"

namespace kestrel::frontend {

/// Writes `frame` to `path` as an 8-bit RGB PNG; returns why it could not
/// (an empty frame, a file that cannot be created), or nothing.
std::optional<std::string> write_png(const devices::Frame& frame, const std::string& path);

}  // namespace kestrel::frontend
