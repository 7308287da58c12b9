// SPDX-License-Identifier: MIT
// The debug registers (SDM 3A chapter 17): DR0-DR3 breakpoint addresses,
// DR6 status and DR7 control semantics, matching of instruction, data and
// I/O breakpoints, and the DR6 bits the #DB handler sees. The engines call
// the hooks here; MOV DR's privilege and DR7.GD checks are in
// cpu/interp/system.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/cpu.h"

namespace kestrel::cpu {

/// DR6 bits (SDM 3A §17.2.3).
enum Dr6Bit : uint64_t {
  kDr6B0 = 1u << 0, kDr6Bd = 1u << 13, kDr6Bs = 1u << 14, kDr6Bt = 1u << 15,
};
/// DR6 bits that always read as one (4-11, 16-31; bit 12 reads as zero).
inline constexpr uint64_t kDr6Fixed1 = 0xffff0ff0;
/// DR7 bits (SDM 3A §17.2.4).
enum Dr7Bit : uint64_t { kDr7Le = 1u << 8, kDr7Ge = 1u << 9, kDr7Gd = 1u << 13 };

/// Writes DR0-DR3, DR6 or DR7 (`n` after the DR4/DR5 aliasing) with the
/// fixed bits applied, and refreshes the state derived from DR7.
void write_debug_register(Cpu& cpu, unsigned n, uint64_t value);

/// Recomputes CpuState::dbg_exec from DR7 and programs the MMU watches of
/// the enabled data breakpoints (R/W = 01b or 11b) from DR0-DR3 and DR7;
/// call after changing them other than through write_debug_register (task
/// switches, snapshot loads).
void update_debug_state(Cpu& cpu);

/// B0-B3 bits of the enabled execute breakpoints at linear address `lin`.
unsigned code_breakpoint_hits(const Cpu& cpu, uint64_t lin);

/// The instruction-start check, called by an engine when dbg_exec or RF is
/// set: RF suppresses breakpoints for this one instruction and is cleared;
/// otherwise a hit sets DR6.B0-B3 and returns true, and the engine raises a
/// #DB fault that does not set RF in the pushed EFLAGS (SDM 3A §17.3.1.1).
bool check_code_breakpoint(Cpu& cpu);

/// Data-breakpoint hook: an access of `size` bytes at linear `lin` that the
/// MMU's watches report (Cpu::watch_hit) while data breakpoints are armed.
/// Hits accumulate in CpuState::dbg_hits and become one #DB trap after the
/// instruction, or after the iteration of a repeated string instruction
/// (SDM 3A §17.3.1.2).
void note_data_access(Cpu& cpu, uint64_t lin, unsigned size, bool write);
/// I/O-breakpoint hook (DR7 R/W = 10b with CR4.DE) for IN/OUT/INS/OUTS.
void note_io_access(Cpu& cpu, uint16_t port, unsigned size);
/// Whether any data breakpoint (R/W = 01b or 11b) is enabled: the memory
/// path needs watching.
bool data_breakpoints_armed(const Cpu& cpu);

/// Sets DR6 for a #DB trap after an instruction: B0-B3 from the breakpoint
/// hits recorded, BS for a single-step trap; then clears the hits.
void set_trap_dr6(Cpu& cpu, bool single_step);

// ---- a host debugger's breakpoints (the gdbstub's), invisible to the guest ----

/// CpuState::dbg_exec bit saying host execution breakpoints are set (bits
/// 0-3 are DR0-DR3's), so the engines' one instruction-start test covers both.
inline constexpr uint8_t kDbgExecHost = 1u << 4;

/// Execution breakpoints at linear addresses that stop the engine before
/// the instruction runs (StopReason::kDebug) instead of raising #DB. The
/// debugger owns this and points Cpu::host_breakpoints at it.
struct HostBreakpoints {
  std::vector<uint64_t> linear;  ///< a handful; searched linearly
  /// Lets the next instruction checked run even if it is at `skip_linear`:
  /// resuming from a breakpoint steps over it once.
  bool skip_armed = false;
  uint64_t skip_linear = 0;
  /// Set when a host breakpoint or watchpoint stopped the engine; the
  /// engine reports StopReason::kDebug while it is set, the debugger clears it.
  bool stopped = false;
};

/// Adds or removes a host breakpoint and refreshes dbg_exec; false when
/// there was nothing to remove.
void add_host_breakpoint(Cpu& cpu, uint64_t lin);
bool remove_host_breakpoint(Cpu& cpu, uint64_t lin);
/// Re-derives dbg_exec's host bit (after a reset replaced CpuState).
void refresh_host_breakpoints(Cpu& cpu);

/// The instruction-start check for host breakpoints, called by an engine
/// when dbg_exec is set, before check_code_breakpoint: true means stop
/// before this instruction (HostBreakpoints::stopped is then set and
/// CpuState::pending has kPendingStop). Consumes a pending skip.
bool check_host_breakpoint(Cpu& cpu);

}  // namespace kestrel::cpu
