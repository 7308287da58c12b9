// SPDX-License-Identifier: MIT
// The protected-mode descriptor instructions: LLDT, LTR, SLDT, STR and the
// unprivileged probes LAR, LSL, VERR, VERW and ARPL (SDM 2). The probes
// report through ZF instead of faulting on a bad selector.
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/segment.h"

namespace kestrel::cpu::exec {
namespace {

void set_zf(CpuState& s, bool z) {
  write_arith_flags(s, (arith_flags(s) & ~uint32_t{kZf}) | (z ? uint32_t{kZf} : 0u));
}

void require_cpl0(const Cpu& cpu) {
  if (cpu.s.cpl != 0) raise(kVecGp, 0);
}

/// SLDT, STR: a register destination receives the selector zero-extended
/// to the operand size; memory receives 16 bits.
void store_selector(Cpu& cpu, const DecodedInsn& insn, uint16_t sel) {
  if (insn.is_mem()) {
    cpu.write<uint16_t>(insn.seg, effective_address(cpu, insn), sel);
    return;
  }
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.rm, decltype(t)(sel)); });
}

/// A system-table selector for LLDT/LTR: it must name the GDT.
Descriptor gdt_system_descriptor(Cpu& cpu, uint16_t sel) {
  if (sel & 4) raise(kVecGp, sel_error(sel));
  return read_descriptor(cpu, sel, kVecGp);
}

/// The descriptor a probe may look at: fetched and visible from CPL and
/// RPL (conforming code is visible from any level). False means ZF = 0.
bool probe(Cpu& cpu, uint16_t sel, Descriptor& d) {
  if (sel_error(sel) == 0 || !fetch_descriptor(cpu, sel, d)) return false;
  if (d.conforming()) return true;
  return d.dpl() >= cpu.s.cpl && d.dpl() >= (sel & 3u);
}

/// System types LAR accepts (SDM 2 LAR): TSSs, LDTs, call and
/// task gates; 32-bit ones from the 386 on.
bool lar_type_ok(const Cpu& cpu, const Descriptor& d) {
  if (!d.system()) return true;
  const unsigned t = d.type();
  if (t == kSysTss32 || t == kSysTss32Busy || t == kSysCallGate32) return cpu.model->has(isa::f386);
  return t >= kSysTss16 && t <= kSysTaskGate;
}

/// System types LSL accepts: TSSs and LDTs (segments with a limit).
bool lsl_type_ok(const Cpu& cpu, const Descriptor& d) {
  if (!d.system()) return true;
  const unsigned t = d.type();
  if (t == kSysTss32 || t == kSysTss32Busy) return cpu.model->has(isa::f386);
  return t == kSysTss16 || t == kSysLdt || t == kSysTss16Busy;
}

uint16_t source_selector(Cpu& cpu, const DecodedInsn& insn) { return read_e<uint16_t>(cpu, insn); }

}  // namespace

void SLDT_Ev(Cpu& cpu, const DecodedInsn& insn) {
  store_selector(cpu, insn, cpu.s.ldtr.selector);
}
void STR_Ev(Cpu& cpu, const DecodedInsn& insn) { store_selector(cpu, insn, cpu.s.tr.selector); }

/// SDM 2 LLDT: a null selector leaves the LDT unusable.
void LLDT_Ew(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const uint16_t sel = source_selector(cpu, insn);
  if (sel_error(sel) == 0) {
    cpu.s.ldtr.selector = sel;
    cpu.s.ldtr.attr = 0;
    cpu.s.ldtr.rights = 0;
    return;
  }
  const Descriptor d = gdt_system_descriptor(cpu, sel);
  if (!d.system() || d.type() != kSysLdt) raise(kVecGp, sel_error(sel));
  if (!d.present()) raise(kVecNp, sel_error(sel));
  cpu.s.ldtr = system_segment_cache(cpu, sel, d);
}

/// SDM 2 LTR: an available TSS, marked busy in its descriptor. IA-32e mode
/// knows only the 64-bit TSS (type 9, 16-byte descriptor; SDM 3A §8.7).
void LTR_Ew(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const uint16_t sel = source_selector(cpu, insn);
  if (sel_error(sel) == 0) raise(kVecGp, 0);
  Descriptor d = gdt_system_descriptor(cpu, sel);
  const bool tss = d.system() && ((d.type() == kSysTss16 && !cpu.long_mode()) ||
                                   (d.type() == kSysTss32 && cpu.model->has(isa::f386)));
  if (!tss) raise(kVecGp, sel_error(sel));
  if (!d.present()) raise(kVecNp, sel_error(sel));
  d.hi |= 2u << 8;  // busy
  // The upper half is checked before the busy bit is written.
  const SegmentCache tr = system_segment_cache(cpu, sel, d);
  sys_write<uint8_t>(cpu, cpu.s.gdtr.base + (sel & 0xfff8) + 5, uint8_t(d.hi >> 8));
  cpu.s.tr = tr;
}

void LAR_Gv_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t sel = source_selector(cpu, insn);
  Descriptor d;
  const bool ok = probe(cpu, sel, d) && lar_type_ok(cpu, d);
  set_zf(cpu.s, ok);
  if (!ok) return;
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    write_g<T>(cpu, insn, T(d.hi & (sizeof(T) == 2 ? 0xff00 : 0x00ffff00)));
  });
}

void LSL_Gv_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t sel = source_selector(cpu, insn);
  Descriptor d;
  const bool ok = probe(cpu, sel, d) && lsl_type_ok(cpu, d);
  set_zf(cpu.s, ok);
  if (!ok) return;
  with_osize(insn, [&](auto t) { write_g<decltype(t)>(cpu, insn, decltype(t)(d.limit())); });
}

void VERR_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t sel = source_selector(cpu, insn);
  Descriptor d;
  set_zf(cpu.s, probe(cpu, sel, d) && d.readable());
}

void VERW_Ew(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t sel = source_selector(cpu, insn);
  Descriptor d;
  set_zf(cpu.s, probe(cpu, sel, d) && d.writable());
}

/// SDM 2 ARPL: raise the destination's RPL to the source's.
void ARPL_Ew_Gw(Cpu& cpu, const DecodedInsn& insn) {
  const uint16_t src = read_g<uint16_t>(cpu, insn);
  bool changed = false;
  modify_e<uint16_t>(cpu, insn, [&](uint16_t dst) {
    if ((dst & 3) >= (src & 3)) return dst;
    changed = true;
    return uint16_t((dst & ~3u) | (src & 3u));
  });
  set_zf(cpu.s, changed);
}

}  // namespace kestrel::cpu::exec
