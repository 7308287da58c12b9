// SPDX-License-Identifier: MIT
// The firmware options (-bios default, -boot) as parsed; options_firmware.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct FirmwareOptions {};

}  // namespace kestrel::frontend
