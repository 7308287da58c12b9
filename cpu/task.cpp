// SPDX-License-Identifier: MIT
// Hardware task switching (SDM 3A §7.3): checks on the new TSS, saving the
// outgoing task into its TSS, busy bits, NT and the back-link (table 7-2),
// then loading the incoming task. Faults after the commit point belong to
// the new task: they report its first instruction.
#include "cpu/task.h"

#include "cpu/debug.h"
#include "cpu/flags.h"
#include "cpu/interp/operands.h"
#include "cpu/segment.h"

namespace kestrel::cpu {
namespace {

constexpr uint64_t kCr0Ts = 1u << 3;
constexpr uint32_t kBusyBit = 1u << 9;  // in Descriptor::hi (type bit 1)

/// A task's state as a TSS holds it, in either layout.
struct TaskImage {
  uint32_t cr3 = 0, eip = 0, eflags = 0;
  uint32_t gpr[8] = {};
  uint16_t sreg[kSegCount] = {};  ///< ES, CS, SS, DS, FS, GS (FS, GS: 32-bit only)
  uint16_t ldt = 0;
  bool trap = false;  ///< the T bit (32-bit TSS)
};

/// Offsets of the fields in a 32-bit and a 16-bit TSS (SDM 3A §7.2.1, §7.6).
struct TssLayout {
  bool is32;
  uint32_t eip, eflags, gpr, sreg, ldt, min_limit, save_limit;
  unsigned width() const { return is32 ? 4 : 2; }
};
constexpr TssLayout kTss32{true, 0x20, 0x24, 0x28, 0x48, 0x60, 0x67, 0x5f};
constexpr TssLayout kTss16{false, 0x0e, 0x10, 0x12, 0x22, 0x2a, 0x2b, 0x29};

const TssLayout& layout_of_type(unsigned type) { return type & 8 ? kTss32 : kTss16; }

uint32_t read_field(Cpu& cpu, uint64_t base, uint32_t off, unsigned width) {
  return width == 4 ? sys_read<uint32_t>(cpu, base + off) : sys_read<uint16_t>(cpu, base + off);
}
void write_field(Cpu& cpu, uint64_t base, uint32_t off, unsigned width, uint32_t v) {
  if (width == 4) sys_write<uint32_t>(cpu, base + off, v);
  else sys_write<uint16_t>(cpu, base + off, uint16_t(v));
}

TaskImage read_image(Cpu& cpu, uint64_t base, const TssLayout& l) {
  TaskImage t;
  const unsigned w = l.width();
  if (l.is32) t.cr3 = sys_read<uint32_t>(cpu, base + 0x1c);
  t.eip = read_field(cpu, base, l.eip, w);
  t.eflags = read_field(cpu, base, l.eflags, w);
  for (unsigned r = 0; r < 8; ++r) t.gpr[r] = read_field(cpu, base, l.gpr + w * r, w);
  const unsigned nseg = l.is32 ? kSegCount : 4;
  for (unsigned g = 0; g < nseg; ++g) t.sreg[g] = sys_read<uint16_t>(cpu, base + l.sreg + w * g);
  t.ldt = sys_read<uint16_t>(cpu, base + l.ldt);
  if (l.is32) t.trap = sys_read<uint16_t>(cpu, base + 0x64) & 1;
  return t;
}

/// Step 7: the outgoing task's registers into its TSS. A 16-bit TSS keeps
/// the low halves; the upper halves of the registers are the processor's.
void save_image(Cpu& cpu, uint64_t base, const TssLayout& l, uint32_t eflags) {
  const unsigned w = l.width();
  write_field(cpu, base, l.eip, w, uint32_t(cpu.s.rip));
  write_field(cpu, base, l.eflags, w, eflags);
  for (unsigned r = 0; r < 8; ++r) write_field(cpu, base, l.gpr + w * r, w, uint32_t(cpu.s.gpr[r]));
  const unsigned nseg = l.is32 ? kSegCount : 4;
  for (unsigned g = 0; g < nseg; ++g) {
    sys_write<uint16_t>(cpu, base + l.sreg + w * g, cpu.s.seg[g].selector);
  }
}

void set_busy(Cpu& cpu, uint16_t selector, bool busy) {
  const uint64_t addr = cpu.s.gdtr.base + (selector & 0xfff8) + 5;
  const uint8_t type = sys_read<uint8_t>(cpu, addr);
  sys_write<uint8_t>(cpu, addr, busy ? type | 2 : type & ~2);
}

/// Steps 1-3: the new TSS descriptor must be a TSS in the GDT, available
/// (busy for IRET), present and long enough. SDM 2 JMP, CALL, IRET, INT n.
Descriptor check_new_tss(Cpu& cpu, uint16_t selector, TaskSwitchReason reason, uint32_t ext) {
  const bool iret = reason == TaskSwitchReason::kIret;
  const uint8_t bad = iret ? kVecTs : kVecGp;
  const uint32_t err = sel_error(selector) | ext;
  Descriptor d;
  if ((selector & 4) || !fetch_descriptor(cpu, selector, d)) raise(bad, err);
  const unsigned t = d.type();
  const bool tss = d.system() && (t == kSysTss16 || t == kSysTss32 || t == kSysTss16Busy ||
                                  t == kSysTss32Busy);
  if (!tss || bool(t & 2) != iret) raise(bad, err);
  if (!d.present()) raise(kVecNp, err);
  if (d.limit() < layout_of_type(t).min_limit) raise(kVecTs, err);
  return d;
}

// ---- loading the new task's segments (after the commit point) ----

void load_ldt(Cpu& cpu, uint16_t selector) {
  SegmentCache& ldtr = cpu.s.ldtr;
  ldtr.selector = selector;
  if ((selector & 0xfffc) == 0) {
    ldtr.base = 0;
    ldtr.limit = 0;
    ldtr.attr = 0;
    return;
  }
  const uint32_t err = sel_error(selector);
  Descriptor d;
  if ((selector & 4) || !fetch_descriptor(cpu, selector, d)) raise(kVecTs, err);
  if (!d.system() || d.type() != kSysLdt || !d.present()) raise(kVecTs, err);
  ldtr.base = d.base();
  ldtr.limit = d.limit();
  ldtr.attr = d.attr();
}

/// Loads CS and makes its RPL the CPL (SDM 3A §7.3 step 12; #TS / #NP).
void load_task_cs(Cpu& cpu, uint16_t selector) {
  const uint32_t err = sel_error(selector);
  if (err == 0) raise(kVecTs, 0);
  Descriptor d = read_descriptor(cpu, selector, kVecTs);
  const unsigned rpl = selector & 3;
  if (!d.code()) raise(kVecTs, err);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) raise(kVecTs, err);
  if (!d.present()) raise(kVecNp, err);
  set_accessed(cpu, selector, d);
  cpu.s.seg[kCs] = make_cache(selector, d);
  cpu.set_cpl(rpl);
}

void load_task_ss(Cpu& cpu, uint16_t selector) {
  const uint32_t err = sel_error(selector);
  if (err == 0) raise(kVecTs, 0);
  Descriptor d = read_descriptor(cpu, selector, kVecTs);
  const unsigned cpl = cpu.s.cpl;
  if (!d.writable() || (selector & 3u) != cpl || d.dpl() != cpl) raise(kVecTs, err);
  if (!d.present()) raise(kVecSs, err);
  set_accessed(cpu, selector, d);
  cpu.s.seg[kSs] = make_cache(selector, d);
}

void load_task_data(Cpu& cpu, uint8_t seg, uint16_t selector) {
  const uint32_t err = sel_error(selector);
  if (err == 0) {
    load_null_segment(cpu, seg, selector);
    return;
  }
  Descriptor d = read_descriptor(cpu, selector, kVecTs);
  if (d.system() || !d.readable()) raise(kVecTs, err);
  if (!d.conforming() && ((selector & 3u) > d.dpl() || cpu.s.cpl > d.dpl())) raise(kVecTs, err);
  if (!d.present()) raise(kVecNp, err);
  set_accessed(cpu, selector, d);
  cpu.s.seg[seg] = make_cache(selector, d);
}

/// Step 12: LDTR first (the other selectors may be local), then CS, SS and
/// the data segments, each with its checks. In virtual-8086 mode the
/// selectors are paragraph numbers and the CPL is 3.
void load_task_segments(Cpu& cpu, const TaskImage& t) {
  // Until their descriptors are checked the registers hold the new
  // selectors, as the #TS handler would find them.
  for (unsigned g = 0; g < kSegCount; ++g) cpu.s.seg[g].selector = t.sreg[g];
  load_ldt(cpu, t.ldt);
  if (cpu.v86()) {
    for (unsigned g = 0; g < kSegCount; ++g) load_v86_segment(cpu, uint8_t(g), t.sreg[g]);
    cpu.set_cpl(3);
    return;
  }
  load_task_cs(cpu, t.sreg[kCs]);
  load_task_ss(cpu, t.sreg[kSs]);
  for (uint8_t g : {kEs, kDs, kFs, kGs}) load_task_data(cpu, g, t.sreg[g]);
}

/// Steps 10-11: TR, CR0.TS, CR3, the registers and EFLAGS of the new task.
void load_task_registers(Cpu& cpu, uint16_t selector, Descriptor d, const TaskImage& t,
                         const TssLayout& l, bool set_nt) {
  CpuState& s = cpu.s;
  d.hi |= kBusyBit;
  s.tr = make_cache(selector, d);
  // The PDBR field is read, never written back (SDM 3A §7.2.1), and only
  // with paging on.
  if (l.is32 && (s.cr[0] & (1u << 31))) {
    if (!cpu.load_paging(s.cr[0], t.cr3, s.cr[4], s.efer, true)) raise(kVecGp, 0);
  }
  s.cr[0] |= kCr0Ts;
  for (unsigned r = 0; r < 8; ++r) {
    if (l.is32) s.gpr[r] = t.gpr[r];
    else exec::write_gpr<uint16_t>(s, r, uint16_t(t.gpr[r]));
  }
  uint64_t flags = t.eflags;
  if (set_nt) flags |= kNt;
  // A 16-bit TSS holds FLAGS only: the upper EFLAGS bits (VM, RF, AC...)
  // clear. Bits the model lacks stay clear too.
  uint64_t valid = 0x3f7fd7;
  if (!cpu.model->has(isa::f486)) valid &= ~uint64_t{kAc | kId};
  if (!cpu.model->has(isa::fPentium)) valid &= ~uint64_t{kVif | kVip};
  write_flags(s, (flags & valid) | kFixed1, ~uint64_t{0});
  s.rip = t.eip;
}

/// The T bit and the local breakpoint enables (SDM 3A §17.2.4: L0-L3 and
/// LE are cleared on every task switch). `single_step`: the instruction
/// that switched ran with TF set.
void finish_debug_state(Cpu& cpu, bool trap, bool single_step) {
  cpu.s.dr[7] &= ~uint64_t{0x155};
  update_debug_state(cpu);
  if (trap) {
    // A #DB trap before the new task's first instruction (§17.3.1.5). The
    // raise skips the engine's single-step check, so the TF trap of the
    // same instruction is reported here, in the same #DB: DR6.BT and
    // DR6.BS together (§17.3.1.5, §6.9 class 4), with any data breakpoint
    // the switch hit.
    set_trap_dr6(cpu, single_step);
    cpu.s.dr[6] |= kDr6Bt;
    raise(kVecDb);
  }
}

}  // namespace

void task_switch(Cpu& cpu, uint16_t selector, TaskSwitchReason reason, bool has_error,
                 uint32_t error) {
  CpuState& s = cpu.s;
  const uint32_t ext = reason == TaskSwitchReason::kInterrupt ? 1 : 0;
  const Descriptor d = check_new_tss(cpu, selector, reason, ext);
  const TssLayout& nl = layout_of_type(d.type());
  const TssLayout& ol = layout_of_type(s.tr.attr & 0xf);
  // The outgoing TSS must hold the state saved into it (SDM 2 JMP: #TS).
  if (s.tr.limit < ol.save_limit) raise(kVecTs, sel_error(s.tr.selector) | ext);
  const TaskImage t = read_image(cpu, d.base(), nl);

  // Steps 5-9, table 7-2: busy bits, NT and the back-link.
  const bool nest = reason == TaskSwitchReason::kCall || reason == TaskSwitchReason::kInterrupt;
  uint32_t old_flags = uint32_t(read_flags(s));
  // JMP, CALL and IRET single-step into the new task; an event's delivery
  // has its own TF rules (cpu/interrupts.cpp).
  const bool single_step = reason != TaskSwitchReason::kInterrupt && (old_flags & kTf);
  if (reason == TaskSwitchReason::kIret) old_flags &= ~uint32_t{kNt};
  // The outgoing TSS is written first: if that faults, nothing has changed.
  save_image(cpu, s.tr.base, ol, old_flags);
  if (!nest) set_busy(cpu, s.tr.selector, false);
  if (nest) sys_write<uint16_t>(cpu, d.base(), s.tr.selector);
  if (reason != TaskSwitchReason::kIret) set_busy(cpu, selector, true);

  // Commit point: from here faults are the new task's, at its first instruction.
  load_task_registers(cpu, selector, d, t, nl, nest);
  cpu.insn_rip = s.rip;
  load_task_segments(cpu, t);
  if (s.rip > s.seg[kCs].limit) raise(kVecGp, 0);
  if (has_error) {
    if (nl.is32) exec::push<uint32_t>(cpu, error);
    else exec::push<uint16_t>(cpu, uint16_t(error));
  }
  finish_debug_state(cpu, t.trap, single_step);
}

}  // namespace kestrel::cpu
