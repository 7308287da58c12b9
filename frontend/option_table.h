// SPDX-License-Identifier: MIT
// The rows of the option table, shared by the files that parse one area's
// options each (options_<area>.cpp). options.cpp looks a word up in its own
// rows and then in each area's, and builds --help from all of them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "frontend/options.h"

namespace kestrel::frontend {

/// Why an option's argument is not usable; nothing when it is.
using Problem = std::optional<std::string>;
using ApplyOption = Problem (*)(Options&, std::string_view arg);

struct OptionSpec {
  std::string_view name;  ///< without the dash
  std::string_view arg;   ///< what the argument looks like; empty for flags
  ApplyOption apply;
  /// The --help text after the option and its argument; continuation lines
  /// start with a newline and are indented by options.cpp.
  std::string_view help = {};
};

// One table per area; each is in options_<area>.cpp.
std::span<const OptionSpec> firmware_options();
std::span<const OptionSpec> storage_options();
std::span<const OptionSpec> video_options();
std::span<const OptionSpec> ui_options();
std::span<const OptionSpec> net_options();
std::span<const OptionSpec> debug_options();

/// A word on the command line that is not an option (QEMU takes it as the
/// first hard disk image, -hda); options_storage.cpp.
Problem apply_positional(Options& o, std::string_view word);

}  // namespace kestrel::frontend
