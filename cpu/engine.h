// SPDX-License-Identifier: MIT
// The interface every execution engine (interpreter, JIT) offers the machine.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

enum class StopReason : uint8_t {
  kBudget,    ///< ran the requested number of instructions
  kHalted,    ///< HLT with interrupts that cannot wake it now
  kPending,   ///< CpuState::pending has a bit the machine must look at
  kShutdown,  ///< triple fault: the board resets or exits
  kDebug,     ///< a host debugger's breakpoint or watchpoint was hit (the gdbstub's)
};

class ExecEngine {
 public:
  virtual ~ExecEngine() = default;
  /// Runs until `max_insns` retire, the CPU halts, or a pending bit is set.
  virtual StopReason run(uint64_t max_insns) = 0;
  /// Runs one instruction (debuggers, conformance tests).
  virtual StopReason step() = 0;
  /// Drops every cached translation.
  virtual void flush() = 0;
};

}  // namespace kestrel::cpu
