// SPDX-License-Identifier: MIT
// Delivering exceptions and interrupts to the guest: through the IVT in real
// mode, through the IDT and its gates in protected, virtual-8086 and IA-32e
// mode.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

enum class EventKind : uint8_t {
  kException,  ///< a fault or trap raised by an instruction (GuestFault)
  kSoftware,   ///< INT n, INT3, INTO (privilege checks differ in V86/PM)
  kExternal,   ///< a hardware interrupt from the interrupt controller or NMI
};

/// Transfers control to the handler of `vector` (s.rip already set by the
/// caller to the faulting or next instruction). Real mode: FLAGS, CS, IP
/// through the IVT. Protected and virtual-8086 mode: the IDT gate, with
/// its privilege checks, stack switch from the TSS, error code (16- or
/// 32-bit as the gate) and, from virtual-8086 mode, the data segment
/// registers; a task gate switches tasks. IA-32e mode: 16-byte gates, IST
/// stacks and a 64-bit frame with SS:RSP always pushed. Software interrupts (kSoftware)
/// are checked against the gate DPL and report EXT = 0; other kinds set
/// EXT in the error code of a fault raised during delivery. Throws
/// GuestFault when the delivery itself faults and changes nothing then;
/// deliver_exception applies the double-fault rules.
void deliver_event(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error = false,
                   uint32_t error = 0);

/// Delivers `f`, raised by the instruction at cpu.insn_rip: rIP goes back
/// to it (not for the 8086's #DE, which pushed the next one), faults push
/// RF = 1, and a fault raised while delivering follows the double-fault
/// rules (SDM 3A §6.15): it is delivered instead, or escalates to #DF, and
/// a contributory fault or #PF while delivering #DF is a triple fault,
/// which leaves kPendingReset set. Raises nothing.
void deliver_exception(Cpu& cpu, const GuestFault& f);

/// INT n (CD ib): event delivery after the virtual-8086 rules of SDM 3A
/// §20.3.3 (IOPL, and with CR4.VME the TSS redirection bit map).
void deliver_software_int(Cpu& cpu, uint8_t vector);

}  // namespace kestrel::cpu
