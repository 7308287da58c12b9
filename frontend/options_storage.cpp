// SPDX-License-Identifier: MIT
// Parsing of the storage options (-hda, -hdb, -hdc, -hdd, -cdrom, -drive, -snapshot).
#include "frontend/option_table.h"

namespace kestrel::frontend {

std::span<const OptionSpec> storage_options() { return {}; }

Problem apply_positional(Options&, std::string_view) {
  return "unexpected argument (disk images are not supported yet)";
}

}  // namespace kestrel::frontend
