// SPDX-License-Identifier: MIT
// Loading a data or stack segment register from a selector, shared by MOV
// Sreg, POP Sreg and the far-pointer loads (LES/LDS/LSS/LFS/LGS), and the
// interrupt shadow MOV/POP Sreg leave. Far control transfers load CS
// through their own paths.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/segment.h"

namespace kestrel::cpu::exec {

/// Loads ES, SS, DS, FS or GS with `selector`. Raises before changing anything.
inline void load_data_segment(Cpu& cpu, uint8_t seg, uint16_t selector) {
  if (cpu.real_mode() || cpu.v86()) {
    // Real and virtual-8086 mode: base = selector << 4; the limit and
    // attributes keep what the descriptor cache holds (SDM 3A §20.1.1).
    cpu.load_real_segment(seg, selector);
    return;
  }
  load_data_segment_pm(cpu, seg, selector);
}

/// MOV Sreg and POP Sreg: the next instruction runs before any interrupt
/// or single-step trap, so that SS:SP can be loaded as a pair (SDM 3A
/// §6.8.3 names SS only). The 8086 does this after a load of any segment
/// register (8086 Family User's Manual; Ralf Brown's INT 01 notes).
inline void segment_load_shadow(Cpu& cpu, uint8_t seg) {
  if (seg == kSs || cpu.model->has(isa::fOnly8086)) cpu.s.inhibit_irq = kInhibitIrq | kInhibitTrap;
}

}  // namespace kestrel::cpu::exec
