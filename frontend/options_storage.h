// SPDX-License-Identifier: MIT
// The storage options (-hda, -hdb, -hdc, -hdd, -cdrom, -drive, -snapshot) as parsed; options_storage.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct StorageOptions {};

}  // namespace kestrel::frontend
