// SPDX-License-Identifier: MIT
// The machine-wide listings behind frontend/debug_commands.h: the memory
// map (info mtree), the PCI functions (info pci), the page mappings (info
// tlb).
#pragma once

#include <cstdint>
#include <string>

#include "machine/machine.h"

namespace kestrel::frontend {

std::string info_mtree(machine::Machine& m);
std::string info_pci(machine::Machine& m);
std::string info_tlb(machine::Machine& m);

}  // namespace kestrel::frontend
