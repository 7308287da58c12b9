// SPDX-License-Identifier: MIT
// The debug part of a run's host side (frontend/host_part.h).
#include "frontend/host_part.h"

namespace kestrel::frontend {

std::unique_ptr<HostPart> make_debug_part() { return std::make_unique<HostPart>(); }

}  // namespace kestrel::frontend
