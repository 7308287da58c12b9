// SPDX-License-Identifier: MIT
// Protected-mode far transfers: far JMP and CALL to code segments, call
// gates, task gates and TSSs, far RET and IRET within and across privilege
// levels and back to virtual-8086 mode, and in IA-32e mode between 64-bit
// and compatibility code through 64-bit call gates (SDM 2 JMP, CALL, RET,
// IRET; SDM 3A §5.8). control.cpp keeps the real and virtual-8086 forms.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu::exec {

/// Far JMP to `selector`:`offset` (offset already truncated to the operand size).
void far_jump_pm(Cpu& cpu, uint16_t selector, uint64_t offset);
/// Far CALL; `osize` is the width of the return address pushed without a gate.
void far_call_pm(Cpu& cpu, uint16_t selector, uint64_t offset, unsigned osize);
/// Far RET releasing `release` bytes of parameters.
void far_return_pm(Cpu& cpu, unsigned osize, uint64_t release);
/// IRET in protected mode (not virtual-8086 mode).
void iret_pm(Cpu& cpu, unsigned osize);

}  // namespace kestrel::cpu::exec
