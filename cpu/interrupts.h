// SPDX-License-Identifier: MIT
// Delivering exceptions and interrupts to the guest: through the IVT in real
// mode (and, with the protected-mode work, through the IDT and its gates).
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

enum class EventKind : uint8_t {
  kException,  ///< a fault or trap raised by an instruction (GuestFault)
  kSoftware,   ///< INT n, INT3, INTO (privilege checks differ in V86/PM)
  kExternal,   ///< a hardware interrupt from the interrupt controller or NMI
};

/// Transfers control to the handler of `vector`: pushes FLAGS, CS and IP
/// (the current s.rip, already set by the caller to the faulting or next
/// instruction), clears IF/TF (and AC/RF), loads CS:IP from the vector table.
/// Throws GuestFault when the delivery itself faults; the engine turns a
/// fault during delivery into #DF and a fault during #DF into shutdown.
void deliver_event(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error = false,
                   uint32_t error = 0);

}  // namespace kestrel::cpu
