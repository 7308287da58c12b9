// SPDX-License-Identifier: MIT
// The storage part of a run's host side (frontend/host_part.h).
#include "frontend/host_part.h"

namespace kestrel::frontend {

std::unique_ptr<HostPart> make_storage_part() { return std::make_unique<HostPart>(); }

}  // namespace kestrel::frontend
