// SPDX-License-Identifier: MIT
// Port access shared by the IN/OUT handlers (io.cpp) and INS/OUTS
// (string.cpp): the protected-mode I/O permission check in one place.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu::exec {

/// Raises #GP(0) when the current privilege may not access `size` bytes at
/// `port` (SDM 1 §19.5, "Protected-Mode I/O": CPL <= IOPL, else the TSS I/O
/// permission bit map; virtual-8086 mode always consults the bit map).
/// Real mode always may. An allowed access is then reported to the I/O
/// breakpoints (cpu/debug.h note_io_access).
void check_io_permission(Cpu& cpu, uint16_t port, unsigned size);

}  // namespace kestrel::cpu::exec
