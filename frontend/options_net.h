// SPDX-License-Identifier: MIT
// The net options (-netdev, -device, -nic) as parsed; options_net.cpp parses them.
#pragma once

namespace kestrel::frontend {

struct NetOptions {};

}  // namespace kestrel::frontend
