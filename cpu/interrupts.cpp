// SPDX-License-Identifier: MIT
// Event delivery: real-address mode through the interrupt vector table at
// IDTR.base; protected and virtual-8086 mode through IDT interrupt, trap
// and task gates with their privilege and stack switches (SDM 3A chapter
// 6, SDM 2 INT n); IA-32e mode through 64-bit gates with IST stacks;
// VME's redirection of INT n to the virtual-8086 IVT; and the double-fault
// rules for a fault raised while delivering another.
#include "cpu/interrupts.h"

#include "cpu/flags.h"
#include "cpu/interp/operands.h"
#include "cpu/segment.h"
#include "cpu/task.h"

namespace kestrel::cpu {
namespace {

/// FLAGS as an interrupt pushes them. Bits 12-15 are IOPL and NT on the 386
/// and later; the 8086 has no such bits and stores them as 1, the 286 forces
/// them to 0 in real mode.
uint16_t pushed_flags(const Cpu& cpu) {
  uint16_t f = uint16_t(read_flags(cpu.s));
  if (cpu.model->quirk(kQuirkFlagsHighSet)) {
    f |= 0xf000;
  } else if (cpu.model->quirk(kQuirkFlagsHighClearReal) && cpu.real_mode()) {
    f &= 0x0fff;
  }
  return f;
}

/// The 4-byte IVT entry of `vector` must lie inside the IDTR limit.
/// SDM 2 INT n, REAL-ADDRESS-MODE: #GP when it does not; the engine turns a
/// fault raised while delivering an exception into #DF. The 80286 reports
/// the same condition as interrupt 8 directly ("interrupt table limit too
/// small", 80286 PRM table 2-4); it has no separate step through #GP.
void check_ivt_limit(const Cpu& cpu, uint8_t vector) {
  if (uint32_t(vector) * 4 + 3 <= cpu.s.idtr.limit) return;
  if (!cpu.model->has(isa::f386)) raise(kVecDf, 0);
  raise(kVecGp, 0);
}

void deliver_real(Cpu& cpu, uint8_t vector) {
  check_ivt_limit(cpu, vector);
  const uint64_t entry = cpu.s.idtr.base + uint64_t(vector) * 4;
  const uint16_t new_ip = cpu.mem.read<uint16_t>(entry);
  const uint16_t new_cs = cpu.mem.read<uint16_t>(entry + 2);

  // Three word pushes; SP is committed only after all of them succeeded so
  // that a stack fault leaves it as it was.
  const uint64_t sp = exec::read_sp(cpu);
  const uint64_t mask = exec::addr_mask(exec::stack_size(cpu));
  const auto slot = [&](unsigned n) { return (sp - 2 * n) & mask; };
  cpu.write<uint16_t>(kSs, slot(1), pushed_flags(cpu));
  cpu.write<uint16_t>(kSs, slot(2), cpu.s.seg[kCs].selector);
  cpu.write<uint16_t>(kSs, slot(3), uint16_t(cpu.s.rip));
  exec::write_sp(cpu, slot(3));

  // SDM 2 INT n, REAL-ADDRESS-MODE clears IF, TF and AC.
  cpu.s.rflags &= ~uint64_t{kIf | kTf | kAc};
  cpu.load_real_segment(kCs, new_cs);
  cpu.s.rip = new_ip;
}

constexpr uint64_t kCr4Vme = 1u << 0;

/// Interrupt and trap gates have types 6, 7, 14 and 15.
bool is_int_or_trap_gate(const Descriptor& g) {
  return g.system() && (g.type() & 6) == 6;
}

/// EFLAGS after entering a handler through an interrupt or trap gate (SDM
/// 2 INT n: TF, VM, RF and NT clear; IF clear for an interrupt gate).
void enter_handler_flags(Cpu& cpu, bool trap_gate) {
  uint64_t clear = kTf | kVm | kRf | kNt;
  if (!trap_gate) clear |= kIf;
  cpu.s.rflags &= ~clear;
}

/// The stack frame of a gate: [GS FS DS ES (from virtual-8086 mode)]
/// [SS ESP (privilege change)] EFLAGS CS EIP [error code].
struct GateFrame {
  bool gate32;
  bool from_v86;
  bool stack_switch;
  bool has_error;
  uint32_t error;
};

void push_gate_frame(Cpu& cpu, StackFrame& f, const GateFrame& g) {
  const unsigned sz = g.gate32 ? 4 : 2;
  const CpuState& s = cpu.s;
  if (g.from_v86) {
    for (uint8_t seg : {kGs, kFs, kDs, kEs}) f.push(sz, s.seg[seg].selector);
  }
  if (g.stack_switch) {
    f.push(sz, s.seg[kSs].selector);
    f.push(sz, uint32_t(s.gpr[kRsp]));
  }
  f.push(sz, uint32_t(read_flags(s)));
  f.push(sz, s.seg[kCs].selector);
  f.push(sz, uint32_t(s.rip));
  if (g.has_error) f.push(sz, g.error);
}

/// SDM 2 INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT and
/// INTERRUPT-FROM-VIRTUAL-8086-MODE: the stack comes from the TSS.
void deliver_outward(Cpu& cpu, uint16_t cs_sel, const Descriptor& cs, uint32_t eip,
                     const GateFrame& g, bool trap_gate, uint32_t ext) {
  const unsigned new_cpl = cs.dpl();
  const StackPointer sp = tss_stack(cpu, new_cpl, ext);
  Descriptor ssd = check_stack_segment(cpu, sp.ss, new_cpl, kVecTs, ext);
  const SegmentCache ss_cache = make_cache(sp.ss, ssd);
  StackFrame f(cpu, ss_cache, sp.esp, sel_error(sp.ss) | ext, mmu::Priv::kSupervisor);
  push_gate_frame(cpu, f, g);
  if (eip > cs.limit()) raise(kVecGp, ext);
  // The accessed bits are the last memory writes; then the commit.
  set_accessed(cpu, sp.ss, ssd);
  Descriptor csd = cs;
  set_accessed(cpu, cs_sel, csd);
  cpu.s.seg[kSs] = make_cache(sp.ss, ssd);
  f.commit_sp(sp.esp);
  if (g.from_v86) {
    for (uint8_t seg : {kGs, kFs, kDs, kEs}) load_null_segment(cpu, seg, 0);
  }
  load_code_segment(cpu, cs_sel, csd, new_cpl);
  cpu.s.rip = eip;
  enter_handler_flags(cpu, trap_gate);
}

void deliver_through_gate(Cpu& cpu, const Descriptor& gate, uint32_t ext, bool has_error,
                          uint32_t error) {
  const bool gate32 = gate.type() & 8;
  const bool trap_gate = gate.type() & 1;
  const uint16_t cs_sel = gate.gate_selector();
  if (sel_error(cs_sel) == 0) raise(kVecGp, ext);
  const Descriptor cs = read_descriptor(cpu, cs_sel, kVecGp, ext);
  const uint32_t cs_err = sel_error(cs_sel) | ext;
  if (!cs.code() || cs.dpl() > cpu.s.cpl) raise(kVecGp, cs_err);
  if (!cs.present()) raise(kVecNp, cs_err);
  const uint32_t eip = gate.gate_offset(gate32);
  const bool v86 = cpu.v86();
  GateFrame g{gate32, false, false, has_error, error};
  if (!cs.conforming() && cs.dpl() < cpu.s.cpl) {
    // From virtual-8086 mode the handler must run at CPL 0.
    if (v86 && cs.dpl() != 0) raise(kVecGp, cs_err);
    g.from_v86 = v86;
    g.stack_switch = true;
    deliver_outward(cpu, cs_sel, cs, eip, g, trap_gate, ext);
    return;
  }
  if (v86) raise(kVecGp, cs_err);
  // INTRA-PRIVILEGE-LEVEL-INTERRUPT: the current stack.
  StackFrame f(cpu, cpu.s.seg[kSs], cpu.s.gpr[kRsp], ext, cpu.priv());
  push_gate_frame(cpu, f, g);
  if (eip > cs.limit()) raise(kVecGp, ext);
  f.commit_sp(cpu.s.gpr[kRsp]);
  load_code_segment(cpu, cs_sel, cs, cpu.s.cpl);
  cpu.s.rip = eip;
  enter_handler_flags(cpu, trap_gate);
}

/// SDM 2 INT n, PROTECTED-MODE: the IDT entry, then the gate.
void deliver_protected(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error,
                       uint32_t error) {
  const uint32_t ext = kind == EventKind::kSoftware ? 0 : 1;
  const uint32_t idt_err = uint32_t(vector) * 8 + 2 + ext;
  if (uint32_t(vector) * 8 + 7 > cpu.s.idtr.limit) raise(kVecGp, idt_err);
  Descriptor gate;
  gate.lo = sys_read<uint32_t>(cpu, cpu.s.idtr.base + vector * 8u);
  gate.hi = sys_read<uint32_t>(cpu, cpu.s.idtr.base + vector * 8u + 4);
  const bool task_gate = gate.system() && gate.type() == kSysTaskGate;
  // 32-bit gates exist from the 386 on.
  const bool gate_ok = (gate.type() & 8) == 0 || cpu.model->has(isa::f386);
  if (!(task_gate || is_int_or_trap_gate(gate)) || !gate_ok) raise(kVecGp, idt_err);
  if (kind == EventKind::kSoftware && gate.dpl() < cpu.s.cpl) raise(kVecGp, idt_err);
  if (!gate.present()) raise(kVecNp, idt_err);
  if (task_gate) {
    // A software interrupt reports EXT = 0 in the error code of a fault the
    // switch raises; that is the only difference between the switch of a
    // CALL and that of an interrupt without an error code.
    const auto why = kind == EventKind::kSoftware ? TaskSwitchReason::kCall
                                                  : TaskSwitchReason::kInterrupt;
    task_switch(cpu, gate.gate_selector(), why, has_error, error);
    return;
  }
  deliver_through_gate(cpu, gate, ext, has_error, error);
}

/// The target of a 64-bit interrupt or trap gate: a present 64-bit code
/// segment with DPL <= CPL (SDM 2 INT n, IA-32E-MODE).
Descriptor long_gate_target(Cpu& cpu, uint16_t cs_sel, uint32_t ext) {
  if (sel_error(cs_sel) == 0) raise(kVecGp, ext);
  const Descriptor cs = read_descriptor(cpu, cs_sel, kVecGp, ext);
  const uint32_t cs_err = sel_error(cs_sel) | ext;
  if (!cs.code() || cs.dpl() > cpu.s.cpl || !is_code64(cpu, cs) || bad_long_code(cpu, cs)) {
    raise(kVecGp, cs_err);
  }
  if (!cs.present()) raise(kVecNp, cs_err);
  return cs;
}

/// SDM 3A §6.14: the IDT holds 16-byte interrupt and trap gates; the frame
/// is always SS, RSP, RFLAGS, CS, RIP [, error code], 8 bytes each, on a
/// stack aligned to 16 bytes, from the TSS on a privilege change or from an
/// IST slot when the gate names one. Task gates do not exist.
void deliver_long(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error, uint32_t error) {
  const uint32_t ext = kind == EventKind::kSoftware ? 0 : 1;
  const uint32_t idt_err = uint32_t(vector) * 8 + 2 + ext;
  if (uint32_t(vector) * 16 + 15 > cpu.s.idtr.limit) raise(kVecGp, idt_err);
  const uint64_t at = cpu.s.idtr.base + vector * 16u;
  Descriptor gate;
  gate.lo = sys_read<uint32_t>(cpu, at);
  gate.hi = sys_read<uint32_t>(cpu, at + 4);
  const uint32_t upper = sys_read<uint32_t>(cpu, at + 8);
  const bool ok = gate.system() && (gate.type() == kSysIntGate64 || gate.type() == kSysTrapGate64);
  if (!ok) raise(kVecGp, idt_err);
  if (kind == EventKind::kSoftware && gate.dpl() < cpu.s.cpl) raise(kVecGp, idt_err);
  if (!gate.present()) raise(kVecNp, idt_err);
  const uint16_t cs_sel = gate.gate_selector();
  const Descriptor cs = long_gate_target(cpu, cs_sel, ext);
  const uint64_t rip = gate.gate_offset(true) | uint64_t(upper) << 32;
  if (!cpu.canonical(rip)) raise(kVecGp, ext);
  const unsigned ist = gate.hi & 7;
  const bool inward = !cs.conforming() && cs.dpl() < cpu.s.cpl;
  const unsigned new_cpl = inward ? cs.dpl() : cpu.s.cpl;
  // Compatibility mode's stack pointer is ESP, zero-extended.
  const uint64_t old_rsp = cpu.long_mode64() ? cpu.s.gpr[kRsp] : uint32_t(cpu.s.gpr[kRsp]);
  uint64_t rsp = old_rsp;
  if (inward || ist) {
    rsp = tss64_stack(cpu, new_cpl, ist, ext);
    if (!cpu.canonical(rsp)) raise(kVecSs, ext);
  }
  LongStack f(cpu, rsp & ~uint64_t{15}, ext,
              new_cpl == 3 ? mmu::Priv::kUser : mmu::Priv::kSupervisor);
  f.push(8, cpu.s.seg[kSs].selector);
  f.push(8, old_rsp);
  f.push(8, read_flags(cpu.s));
  f.push(8, cpu.s.seg[kCs].selector);
  f.push(8, cpu.s.rip);
  if (has_error) f.push(8, error);
  load_code_segment(cpu, cs_sel, cs, new_cpl);
  if (inward) load_null_stack64(cpu, new_cpl);
  cpu.s.gpr[kRsp] = f.rsp();
  cpu.s.rip = rip;
  enter_handler_flags(cpu, gate.type() & 1);
}

/// The bit for `vector` in the software interrupt redirection bit map,
/// the 32 bytes below the I/O permission bit map of a 32-bit TSS (SDM 3A
/// §20.3.3). A bit outside the TSS counts as set.
bool redirection_bit(Cpu& cpu, uint8_t vector) {
  const SegmentCache& tr = cpu.s.tr;
  if (!(tr.attr & 8) || tr.limit < 0x67) raise(kVecGp, 0);
  const uint32_t io_base = sys_read<uint16_t>(cpu, tr.base + 0x66);
  const uint32_t off = io_base - 32 + vector / 8u;
  if (io_base < 32 || off > tr.limit) raise(kVecGp, 0);
  return (sys_read<uint8_t>(cpu, tr.base + off) >> (vector & 7)) & 1;
}

/// SDM 3A §20.3.3, method 5: a virtual-8086 INT n redirected to the
/// virtual-8086 IVT at linear 0 with VME. With IOPL < 3 the image shows
/// VIF as IF and IOPL 3, and VIF is what gets cleared.
void deliver_v86_ivt(Cpu& cpu, uint8_t vector) {
  // The table is read like the virtual-8086 task's own memory.
  const uint16_t new_ip = cpu.mem.read<uint16_t>(vector * 4u, mmu::Priv::kUser);
  const uint16_t new_cs = cpu.mem.read<uint16_t>(vector * 4u + 2, mmu::Priv::kUser);
  const bool virt = iopl(cpu) < 3;
  uint16_t image = uint16_t(read_flags(cpu.s));
  if (virt) image = uint16_t((image & ~kIf) | (cpu.s.rflags & kVif ? uint32_t{kIf} : 0u) | kIopl);
  const uint64_t sp = exec::read_sp(cpu);
  const uint64_t mask = exec::addr_mask(exec::stack_size(cpu));
  const auto slot = [&](unsigned n) { return (sp - 2 * n) & mask; };
  cpu.write<uint16_t>(kSs, slot(1), image);
  cpu.write<uint16_t>(kSs, slot(2), cpu.s.seg[kCs].selector);
  cpu.write<uint16_t>(kSs, slot(3), uint16_t(cpu.s.rip));
  exec::write_sp(cpu, slot(3));
  cpu.s.rflags &= ~uint64_t{kTf | (virt ? kVif : kIf)};
  cpu.load_real_segment(kCs, new_cs);
  cpu.s.rip = new_ip;
}

}  // namespace

void deliver_event(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error,
                   uint32_t error) {
  if (cpu.real_mode()) {
    // Real mode pushes no error code (SDM 3A, 8086 emulation, "Interrupt and
    // Exception Handling").
    deliver_real(cpu, vector);
  } else if (cpu.long_mode()) {
    deliver_long(cpu, vector, kind, has_error, error);
  } else {
    deliver_protected(cpu, vector, kind, has_error, error);
  }
  // Any event taken ends a HLT; the return address already points past it.
  cpu.s.halted = false;
}

void deliver_software_int(Cpu& cpu, uint8_t vector) {
  if (cpu.v86()) {
    // SDM 3A §20.3.3, table 20-2: with VME a clear redirection bit sends
    // the interrupt to the virtual-8086 IVT; otherwise IOPL < 3 faults.
    if ((cpu.s.cr[4] & kCr4Vme) && !redirection_bit(cpu, vector)) {
      deliver_v86_ivt(cpu, vector);
      return;
    }
    if (iopl(cpu) != 3) raise(kVecGp, 0);
  }
  deliver_event(cpu, vector, EventKind::kSoftware);
}

namespace {

enum class FaultClass { kBenign, kContributory, kPageFault };

FaultClass fault_class(uint8_t vector) {
  switch (vector) {
    case kVecDe: case kVecTs: case kVecNp: case kVecSs: case kVecGp:
      return FaultClass::kContributory;
    case kVecPf:
      return FaultClass::kPageFault;
    default:
      return FaultClass::kBenign;
  }
}

/// SDM 3A §6.15, table 6-5: a contributory fault while delivering a
/// contributory one, or a page fault or contributory fault while
/// delivering a page fault, is a double fault; any other pair is handled
/// one after the other.
bool makes_double_fault(uint8_t first, uint8_t second) {
  const FaultClass a = fault_class(first), b = fault_class(second);
  if (a == FaultClass::kContributory) return b == FaultClass::kContributory;
  if (a == FaultClass::kPageFault) return b != FaultClass::kBenign;
  return false;
}

}  // namespace

void deliver_exception(Cpu& cpu, const GuestFault& f) {
  // Faults report the faulting instruction; the 8086 pushed the next one for #DE.
  if (!(f.vector == kVecDe && cpu.model->quirk(kQuirkDivFaultNextIp))) cpu.s.rip = cpu.insn_rip;
  // Fault-class exceptions push RF = 1, so that returning to the faulting
  // instruction does not hit its instruction breakpoint again (SDM 3A
  // §17.3.1.1). #DB, #BP and #OF raised here are traps or, for DR7.GD,
  // reported like the instruction-breakpoint fault, with RF as it is.
  if (!cpu.real_mode() && f.vector != kVecDb && f.vector != kVecBp && f.vector != kVecOf) {
    cpu.s.rflags |= kRf;
  }
  const uint64_t rip = cpu.s.rip;
  const uint64_t faulting = cpu.insn_rip;
  GuestFault cur = f;
  // Each round either delivers, escalates towards #DF, or (a benign first
  // event) moves on to the fault its delivery raised; the bound only
  // guards against a cycle of benign faults.
  for (unsigned round = 0; round < 8; ++round) {
    try {
      deliver_event(cpu, cur.vector, EventKind::kException, cur.has_error, cur.error);
      return;
    } catch (const GuestFault& g) {
      // A task gate whose switch committed before the fault moved insn_rip
      // to the new task, where the fault belongs (cpu/task.cpp).
      cpu.s.rip = cpu.insn_rip != faulting ? cpu.insn_rip : rip;
      // A contributory fault or page fault while delivering #DF: shutdown
      // (SDM 3A §6.15, interrupt 8). The 286 raises interrupt 8 itself for
      // a vector beyond the IDT limit; during #DF that is shutdown too.
      const bool escalates = g.vector == kVecDf || fault_class(g.vector) != FaultClass::kBenign;
      if (cur.vector == kVecDf && escalates) break;
      if (g.vector == kVecDf || makes_double_fault(cur.vector, g.vector)) {
        cur = GuestFault{kVecDf, true, 0};
      } else {
        cur = g;
      }
    }
  }
  cpu.s.pending |= kPendingReset;  // triple fault
}


}  // namespace kestrel::cpu
