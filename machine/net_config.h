// SPDX-License-Identifier: MIT
// What the board's network section is configured with: the NICs and the
// host backends (owned by the frontend) they are connected to.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "devices/net.h"

namespace kestrel::machine {

struct NicConfig {
  enum class Model : uint8_t { kE1000, kVirtio };
  Model model = Model::kE1000;
  std::array<uint8_t, 6> mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};  ///< QEMU's default
  devices::NetBackend* backend = nullptr;  ///< nullptr: link down, frames dropped
};

struct NetConfig {
  std::vector<NicConfig> nics;
};

}  // namespace kestrel::machine
