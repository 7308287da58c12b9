// SPDX-License-Identifier: MIT
// The net options (-netdev, -device, -nic, -object filter-dump) as parsed;
// options_net.cpp parses them, host_net.cpp opens the backends.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "machine/net_user.h"

namespace kestrel::frontend {

/// One `-netdev user,...` (or the backend half of a `-nic user,...`).
struct NetdevSpec {
  std::string id;
  std::string option;  ///< as typed, for messages
  machine::UserNetConfig user;
  std::string dump;    ///< dump=PATH: pcap of this link's traffic
};

/// One NIC: `-device MODEL,netdev=ID` or the NIC half of `-nic`.
struct NicSpec {
  enum class Model : uint8_t { kE1000, kVirtio };
  Model model = Model::kE1000;
  std::string netdev;
  std::optional<std::array<uint8_t, 6>> mac;
  std::string option;
};

/// `-object filter-dump,id=ID,netdev=NETDEV,file=PATH`.
struct DumpSpec {
  std::string netdev, file, option;
};

struct NetOptions {
  std::vector<NetdevSpec> netdevs;
  std::vector<NicSpec> nics;
  std::vector<DumpSpec> dumps;
};

}  // namespace kestrel::frontend
