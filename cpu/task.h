// SPDX-License-Identifier: MIT
// Hardware task switching (SDM 3A chapter 7): saving the outgoing task's
// state into its TSS, loading the incoming one, busy bits, NT and the
// back-link. Callers (far JMP/CALL, IRET with NT, task gates in the IDT)
// decide that a switch happens; this file performs it.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

/// Why a task switch happens; it decides busy bits, NT and the back-link
/// (SDM 3A §7.3, table 7-2).
enum class TaskSwitchReason : uint8_t { kJmp, kCall, kIret, kInterrupt };

/// Switches to the task whose TSS descriptor `selector` names (a task gate
/// has already been resolved by the caller). Raises #TS/#NP/#GP/#SS with
/// the SDM's error codes; state before the commit point is left untouched.
/// For kInterrupt with an error code, pushes it on the new task's stack.
void task_switch(Cpu& cpu, uint16_t selector, TaskSwitchReason reason,
                 bool has_error = false, uint32_t error = 0);

}  // namespace kestrel::cpu
