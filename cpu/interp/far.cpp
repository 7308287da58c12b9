// SPDX-License-Identifier: MIT
// Protected-mode far JMP, CALL, RET and IRET: every check of the SDM 2
// pseudo-code in its order, call gates with stack switch and parameter
// copy, task gates and TSSs (through cpu/task.h), returns to outer levels
// and to virtual-8086 mode, and the IA-32e forms (64-bit call gates,
// transfers between 64-bit and compatibility code, IRETQ). Nothing changes
// before the last check passed.
#include "cpu/interp/far.h"

#include "cpu/flags.h"
#include "cpu/interp/operands.h"
#include "cpu/segment.h"
#include "cpu/task.h"

namespace kestrel::cpu::exec {
namespace {

/// A code segment reached directly by JMP or CALL (SDM 2 JMP:
/// CONFORMING/NONCONFORMING-CODE-SEGMENT).
void check_direct_code(const Cpu& cpu, uint16_t sel, const Descriptor& d) {
  const uint32_t err = sel_error(sel);
  const unsigned cpl = cpu.s.cpl;
  if (d.conforming() ? d.dpl() > cpl : ((sel & 3u) > cpl || d.dpl() != cpl)) {
    raise(kVecGp, err);
  }
  if (!d.present()) raise(kVecNp, err);
}

/// A call gate, task gate or TSS named by JMP or CALL: DPL >= CPL and
/// DPL >= RPL, present.
void check_gate_access(const Cpu& cpu, uint16_t sel, const Descriptor& g) {
  if (g.dpl() < cpu.s.cpl || (sel & 3u) > g.dpl()) raise(kVecGp, sel_error(sel));
  if (!g.present()) raise(kVecNp, sel_error(sel));
}

/// The code segment a call gate names: SDM 2 CALL, CALL-GATE. For JMP a
/// non-conforming target must have DPL = CPL.
Descriptor gate_target(Cpu& cpu, uint16_t cs_sel, bool jmp) {
  if (sel_error(cs_sel) == 0) raise(kVecGp, 0);
  const Descriptor cs = read_descriptor(cpu, cs_sel, kVecGp);
  const unsigned cpl = cpu.s.cpl;
  bool bad = !cs.code() || cs.dpl() > cpl;
  if (jmp && cs.code() && !cs.conforming() && cs.dpl() != cpl) bad = true;
  if (bad) raise(kVecGp, sel_error(cs_sel));
  if (!cs.present()) raise(kVecNp, sel_error(cs_sel));
  return cs;
}

enum class Kind { kCode, kCallGate, kTask, kBad };

Kind classify(const Cpu& cpu, const Descriptor& d) {
  if (d.code()) return Kind::kCode;
  if (!d.system()) return Kind::kBad;
  // IA-32e mode has 64-bit call gates and no task switching (SDM 3A §7.7).
  if (cpu.long_mode()) return d.type() == kSysCallGate64 ? Kind::kCallGate : Kind::kBad;
  const bool has386 = cpu.model->has(isa::f386);
  switch (d.type()) {
    case kSysCallGate16: return Kind::kCallGate;
    case kSysCallGate32: return has386 ? Kind::kCallGate : Kind::kBad;
    case kSysTaskGate:
    case kSysTss16: return Kind::kTask;
    case kSysTss32: return has386 ? Kind::kTask : Kind::kBad;
    default: return Kind::kBad;  // busy TSSs, LDTs, interrupt gates
  }
}

/// JMP or CALL to a task gate or an available TSS.
void far_task(Cpu& cpu, uint16_t sel, const Descriptor& d, TaskSwitchReason why) {
  check_gate_access(cpu, sel, d);
  const uint16_t tss = d.type() == kSysTaskGate ? d.gate_selector() : sel;
  task_switch(cpu, tss, why);
}

Descriptor checked_target(Cpu& cpu, uint16_t sel) {
  if (sel_error(sel) == 0) raise(kVecGp, 0);
  return read_descriptor(cpu, sel, kVecGp);
}

/// SDM 2 CALL, MORE-PRIVILEGE: new stack from the TSS, old SS:ESP and
/// `params` parameters copied onto it, then the return address.
void call_gate_inward(Cpu& cpu, const Descriptor& gate, uint16_t cs_sel, const Descriptor& cs) {
  const unsigned new_cpl = cs.dpl();
  const bool gate32 = gate.type() == kSysCallGate32;
  const unsigned sz = gate32 ? 4 : 2;
  const StackPointer sp = tss_stack(cpu, new_cpl, 0);
  Descriptor ssd = check_stack_segment(cpu, sp.ss, new_cpl, kVecTs);
  StackFrame f(cpu, make_cache(sp.ss, ssd), sp.esp, sel_error(sp.ss), mmu::Priv::kSupervisor);
  f.push(sz, cpu.s.seg[kSs].selector);
  f.push(sz, uint32_t(cpu.s.gpr[kRsp]));
  const uint64_t old_sp = read_sp(cpu);
  const uint64_t old_mask = addr_mask(stack_size(cpu));
  for (unsigned i = gate.gate_params(); i-- > 0;) {
    const uint64_t at = (old_sp + i * sz) & old_mask;
    f.push(sz, sz == 4 ? cpu.read<uint32_t>(kSs, at) : cpu.read<uint16_t>(kSs, at));
  }
  f.push(sz, cpu.s.seg[kCs].selector);
  f.push(sz, uint32_t(cpu.s.rip));
  const uint32_t eip = gate.gate_offset(gate32);
  if (eip > cs.limit()) raise(kVecGp, 0);
  set_accessed(cpu, sp.ss, ssd);
  Descriptor csd = cs;
  set_accessed(cpu, cs_sel, csd);
  cpu.s.seg[kSs] = make_cache(sp.ss, ssd);
  f.commit_sp(sp.esp);
  load_code_segment(cpu, cs_sel, csd, new_cpl);
  cpu.s.rip = eip;
}

/// Same-privilege far CALL: push CS:EIP (`sz` bytes each), then load CS.
void call_same_level(Cpu& cpu, uint16_t cs_sel, const Descriptor& cs, uint64_t eip,
                     unsigned sz) {
  StackFrame f(cpu, cpu.s.seg[kSs], cpu.s.gpr[kRsp], 0, cpu.priv());
  f.push(sz, cpu.s.seg[kCs].selector);
  f.push(sz, uint32_t(cpu.s.rip));
  if (eip > cs.limit()) raise(kVecGp, 0);
  f.commit_sp(cpu.s.gpr[kRsp]);
  load_code_segment(cpu, cs_sel, cs, cpu.s.cpl);
  cpu.s.rip = eip;
}

/// The checks on the CS popped by RET or IRET (SDM 2 RET, IRET).
Descriptor check_return_cs(Cpu& cpu, uint16_t sel) {
  if (sel_error(sel) == 0) raise(kVecGp, 0);
  const Descriptor d = read_descriptor(cpu, sel, kVecGp);
  const unsigned rpl = sel & 3u;
  const uint32_t err = sel_error(sel);
  if (!d.code() || rpl < cpu.s.cpl) raise(kVecGp, err);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) raise(kVecGp, err);
  if (!d.present()) raise(kVecNp, err);
  return d;
}

uint64_t pop_at(Cpu& cpu, uint64_t sp, unsigned osize) {
  const uint64_t at = sp & addr_mask(stack_size(cpu));
  if (osize == 8) return cpu.read<uint64_t>(kSs, at);
  return osize == 4 ? cpu.read<uint32_t>(kSs, at) : cpu.read<uint16_t>(kSs, at);
}

/// The outer stack of a return to a less privileged level; `at` is the
/// offset of the saved ESP.
struct OuterStack {
  uint16_t ss;
  uint64_t sp;
  Descriptor d;
};
OuterStack read_outer_stack(Cpu& cpu, uint64_t at, unsigned osize, unsigned rpl) {
  OuterStack o;
  o.sp = pop_at(cpu, at, osize);
  o.ss = uint16_t(pop_at(cpu, at + osize, osize));
  o.d = check_stack_segment(cpu, o.ss, rpl, kVecGp);
  return o;
}

/// Loads the outer stack; its accessed bit was set before the commit.
void load_outer_stack(Cpu& cpu, const OuterStack& o, uint64_t release) {
  cpu.s.seg[kSs] = make_cache(o.ss, o.d);
  if (cpu.s.seg[kSs].attr & kAttrDb) cpu.s.gpr[kRsp] = uint32_t(o.sp + release);
  else write_sp(cpu, o.sp + release);
}

/// SDM 2 IRET: the EFLAGS bits a protected-mode IRET may load at `cpl`.
uint64_t iret_pm_mask(const Cpu& cpu, unsigned osize, unsigned cpl) {
  uint64_t m = kCf | kPf | kAf | kZf | kSf | kTf | kDf | kOf | kNt;
  if (osize == 4) {
    m |= kRf;
    if (cpu.model->has(isa::f486)) m |= kAc | kId;
    if (cpl == 0) m |= kVif | kVip;
  }
  if (cpl <= iopl(cpu)) m |= kIf;
  if (cpl == 0) m |= kIopl;
  return m;
}

/// SDM 2 IRET, RETURN-TO-VIRTUAL-8086-MODE (from CPL 0, 32-bit frame).
void iret_to_v86(Cpu& cpu, uint64_t sp, uint64_t eip, uint16_t cs, uint64_t flags) {
  uint16_t sel[6];
  const uint64_t esp = pop_at(cpu, sp + 12, 4);
  const uint8_t order[5] = {kSs, kEs, kDs, kFs, kGs};
  for (unsigned i = 0; i < 5; ++i) sel[order[i]] = uint16_t(pop_at(cpu, sp + 16 + 4 * i, 4));
  sel[kCs] = cs;
  write_flags(cpu.s, flags, 0x3f7fd5);
  for (uint8_t seg = 0; seg < kSegCount; ++seg) load_v86_segment(cpu, seg, sel[seg]);
  cpu.s.gpr[kRsp] = uint32_t(esp);
  cpu.s.rip = eip & 0xffff;
  cpu.set_cpl(3);
}

// ---- IA-32e mode (SDM 3A §5.8.3.1, §6.14.3; SDM 2 CALL, RET, IRET) ----

/// The new rIP of a transfer to `cs`: canonical for 64-bit code, within the
/// limit for compatibility and legacy code; #GP(0) otherwise.
void check_target_ip(const Cpu& cpu, const Descriptor& cs, uint64_t ip) {
  if (is_code64(cpu, cs) ? !cpu.canonical(ip) : ip > cs.limit()) raise(kVecGp, 0);
}

/// Sets rSP as a stack of `width` bytes sees it (the width before a
/// transfer that may change the mode).
void set_sp(Cpu& cpu, uint64_t sp, unsigned width) {
  const uint64_t m = addr_mask(width);
  cpu.s.gpr[kRsp] = (cpu.s.gpr[kRsp] & ~m) | (sp & m);
}

mmu::Priv priv_of(unsigned cpl) { return cpl == 3 ? mmu::Priv::kUser : mmu::Priv::kSupervisor; }

/// A far CALL to a code segment in IA-32e mode: 64-bit mode pushes CS and
/// rIP with the operand size on the flat stack; compatibility mode as
/// protected mode does.
void call_code_long(Cpu& cpu, uint16_t sel, const Descriptor& cs, uint64_t ip, unsigned osize) {
  if (bad_long_code(cpu, cs)) raise(kVecGp, sel_error(sel));
  if (!cpu.long_mode64()) {
    if (is_code64(cpu, cs) && !cpu.canonical(ip)) raise(kVecGp, 0);
    if (!is_code64(cpu, cs)) return call_same_level(cpu, sel, cs, ip, osize == 2 ? 2 : 4);
    StackFrame f(cpu, cpu.s.seg[kSs], cpu.s.gpr[kRsp], 0, cpu.priv());
    f.push(osize == 2 ? 2 : 4, cpu.s.seg[kCs].selector);
    f.push(osize == 2 ? 2 : 4, uint32_t(cpu.s.rip));
    f.commit_sp(cpu.s.gpr[kRsp]);
    load_code_segment(cpu, sel, cs, cpu.s.cpl);
    cpu.s.rip = ip;
    return;
  }
  check_target_ip(cpu, cs, ip);
  LongStack f(cpu, cpu.s.gpr[kRsp], 0, cpu.priv());
  f.push(osize, cpu.s.seg[kCs].selector);
  f.push(osize, cpu.s.rip);
  cpu.s.gpr[kRsp] = f.rsp();
  load_code_segment(cpu, sel, cs, cpu.s.cpl);
  cpu.s.rip = ip;
}

/// JMP or CALL through a 16-byte call gate. Its target is 64-bit code; a
/// CALL to a more privileged level takes RSP from the 64-bit TSS and
/// copies no parameters; every slot pushed is 8 bytes.
void call_gate_long(Cpu& cpu, uint16_t sel, const Descriptor& gate, bool call) {
  check_gate_access(cpu, sel, gate);
  const uint64_t rip = gate.gate_offset(true) | uint64_t(read_descriptor_upper(cpu, sel)) << 32;
  const uint16_t cs_sel = gate.gate_selector();
  const Descriptor cs = gate_target(cpu, cs_sel, !call);
  if (!is_code64(cpu, cs) || bad_long_code(cpu, cs)) raise(kVecGp, sel_error(cs_sel));
  if (!cpu.canonical(rip)) raise(kVecGp, 0);
  if (!call) {
    load_code_segment(cpu, cs_sel, cs, cpu.s.cpl);
    cpu.s.rip = rip;
    return;
  }
  const bool inward = !cs.conforming() && cs.dpl() < cpu.s.cpl;
  const unsigned new_cpl = inward ? cs.dpl() : cpu.s.cpl;
  const uint64_t old_rsp = cpu.long_mode64() ? cpu.s.gpr[kRsp] : uint32_t(cpu.s.gpr[kRsp]);
  uint64_t rsp = old_rsp;
  if (inward) {
    rsp = tss64_stack(cpu, new_cpl, 0, 0);
    if (!cpu.canonical(rsp)) raise(kVecSs, 0);
  }
  LongStack f(cpu, rsp, 0, priv_of(new_cpl));
  if (inward) {
    f.push(8, cpu.s.seg[kSs].selector);
    f.push(8, old_rsp);
  }
  f.push(8, cpu.s.seg[kCs].selector);
  f.push(8, cpu.s.rip);
  load_code_segment(cpu, cs_sel, cs, new_cpl);
  if (inward) load_null_stack64(cpu, new_cpl);
  cpu.s.gpr[kRsp] = f.rsp();
  cpu.s.rip = rip;
}

/// The SS popped by RET or IRET in IA-32e mode: a null selector is allowed
/// for a return to 64-bit code at CPL 0-2 (SDM 2 IRET, RET).
struct LongStackSeg {
  uint16_t ss;
  uint64_t sp;
  bool null;
  Descriptor d;
};
LongStackSeg read_long_stack(Cpu& cpu, uint64_t at, unsigned osize, unsigned rpl, bool code64) {
  LongStackSeg o{};
  o.sp = pop_at(cpu, at, osize);
  o.ss = uint16_t(pop_at(cpu, at + osize, osize));
  o.null = sel_error(o.ss) == 0;
  if (o.null) {
    if (!code64 || rpl == 3) raise(kVecGp, 0);
    if ((o.ss & 3u) != rpl) raise(kVecGp, 0);
    return o;
  }
  o.d = check_stack_segment(cpu, o.ss, rpl, kVecGp);
  return o;
}

void load_long_stack(Cpu& cpu, const LongStackSeg& o, unsigned cpl, uint64_t release) {
  if (o.null) load_null_stack64(cpu, cpl);
  else cpu.s.seg[kSs] = make_cache(o.ss, o.d);
  const uint64_t sp = o.sp + release;
  if (cpu.long_mode64()) cpu.s.gpr[kRsp] = sp;
  else if (cpu.s.seg[kSs].attr & kAttrDb) cpu.s.gpr[kRsp] = uint32_t(sp);
  else write_sp(cpu, sp);
}

void far_return_long(Cpu& cpu, unsigned osize, uint64_t release) {
  const unsigned width = stack_size(cpu);
  const uint64_t sp = read_sp(cpu);
  const uint64_t ip = pop_at(cpu, sp, osize);
  const auto cs_sel = uint16_t(pop_at(cpu, sp + osize, osize));
  const Descriptor cs = check_return_cs(cpu, cs_sel);
  if (bad_long_code(cpu, cs)) raise(kVecGp, sel_error(cs_sel));
  const unsigned rpl = cs_sel & 3u;
  if (rpl > cpu.s.cpl) {
    LongStackSeg o = read_long_stack(cpu, sp + 2 * osize + release, osize, rpl, is_code64(cpu, cs));
    check_target_ip(cpu, cs, ip);
    if (!o.null) set_accessed(cpu, o.ss, o.d);
    load_code_segment(cpu, cs_sel, cs, rpl);
    cpu.s.rip = ip;
    load_long_stack(cpu, o, rpl, release);
    null_outer_segments(cpu);
    return;
  }
  check_target_ip(cpu, cs, ip);
  load_code_segment(cpu, cs_sel, cs, rpl);
  cpu.s.rip = ip;
  set_sp(cpu, sp + 2 * osize + release, width);
}

/// IRET in IA-32e mode: no task return (NT = 1 is #GP(0)); 64-bit mode
/// always pops SS:RSP, compatibility mode only on a privilege change.
void iret_long(Cpu& cpu, unsigned osize) {
  if (cpu.s.rflags & kNt) raise(kVecGp, 0);
  const unsigned width = stack_size(cpu);
  const uint64_t sp = read_sp(cpu);
  const uint64_t ip = pop_at(cpu, sp, osize);
  const auto cs_sel = uint16_t(pop_at(cpu, sp + osize, osize));
  const uint64_t flags = pop_at(cpu, sp + 2 * osize, osize);
  const Descriptor cs = check_return_cs(cpu, cs_sel);
  if (bad_long_code(cpu, cs)) raise(kVecGp, sel_error(cs_sel));
  const unsigned rpl = cs_sel & 3u;
  const unsigned old_cpl = cpu.s.cpl;
  const bool outer = rpl > old_cpl;
  const bool pops_stack = cpu.long_mode64() || outer;
  LongStackSeg o{};
  if (pops_stack) o = read_long_stack(cpu, sp + 3 * osize, osize, rpl, is_code64(cpu, cs));
  check_target_ip(cpu, cs, ip);
  if (pops_stack && !o.null) set_accessed(cpu, o.ss, o.d);
  write_flags(cpu.s, flags, iret_pm_mask(cpu, osize == 8 ? 4 : osize, old_cpl));
  load_code_segment(cpu, cs_sel, cs, rpl);
  cpu.s.rip = ip;
  if (pops_stack) load_long_stack(cpu, o, rpl, 0);
  else set_sp(cpu, sp + 3 * osize, width);
  if (outer) null_outer_segments(cpu);
}

}  // namespace

void far_jump_pm(Cpu& cpu, uint16_t sel, uint64_t offset) {
  const Descriptor d = checked_target(cpu, sel);
  switch (classify(cpu, d)) {
    case Kind::kCode:
      check_direct_code(cpu, sel, d);
      if (bad_long_code(cpu, d)) raise(kVecGp, sel_error(sel));
      check_target_ip(cpu, d, offset);
      load_code_segment(cpu, sel, d, cpu.s.cpl);
      cpu.s.rip = offset;
      return;
    case Kind::kCallGate: {
      if (cpu.long_mode()) return call_gate_long(cpu, sel, d, false);
      check_gate_access(cpu, sel, d);
      const uint16_t cs_sel = d.gate_selector();
      const Descriptor cs = gate_target(cpu, cs_sel, true);
      const uint32_t eip = d.gate_offset(d.type() == kSysCallGate32);
      if (eip > cs.limit()) raise(kVecGp, 0);
      load_code_segment(cpu, cs_sel, cs, cpu.s.cpl);
      cpu.s.rip = eip;
      return;
    }
    case Kind::kTask: far_task(cpu, sel, d, TaskSwitchReason::kJmp); return;
    case Kind::kBad: raise(kVecGp, sel_error(sel));
  }
}

void far_call_pm(Cpu& cpu, uint16_t sel, uint64_t offset, unsigned osize) {
  const Descriptor d = checked_target(cpu, sel);
  switch (classify(cpu, d)) {
    case Kind::kCode:
      check_direct_code(cpu, sel, d);
      if (cpu.long_mode()) return call_code_long(cpu, sel, d, offset, osize);
      call_same_level(cpu, sel, d, offset, osize == 2 ? 2 : 4);
      return;
    case Kind::kCallGate: {
      if (cpu.long_mode()) return call_gate_long(cpu, sel, d, true);
      check_gate_access(cpu, sel, d);
      const uint16_t cs_sel = d.gate_selector();
      const Descriptor cs = gate_target(cpu, cs_sel, false);
      if (!cs.conforming() && cs.dpl() < cpu.s.cpl) {
        call_gate_inward(cpu, d, cs_sel, cs);
        return;
      }
      const bool gate32 = d.type() == kSysCallGate32;
      call_same_level(cpu, cs_sel, cs, d.gate_offset(gate32), gate32 ? 4 : 2);
      return;
    }
    case Kind::kTask: far_task(cpu, sel, d, TaskSwitchReason::kCall); return;
    case Kind::kBad: raise(kVecGp, sel_error(sel));
  }
}

void far_return_pm(Cpu& cpu, unsigned osize, uint64_t release) {
  if (cpu.long_mode()) return far_return_long(cpu, osize, release);
  const uint64_t sp = read_sp(cpu);
  const uint64_t eip = pop_at(cpu, sp, osize);
  const auto cs_sel = uint16_t(pop_at(cpu, sp + osize, osize));
  const Descriptor cs = check_return_cs(cpu, cs_sel);
  const unsigned rpl = cs_sel & 3u;
  if (rpl > cpu.s.cpl) {
    // RETURN-TO-OUTER-PRIVILEGE-LEVEL.
    OuterStack o = read_outer_stack(cpu, sp + 2 * osize + release, osize, rpl);
    if (eip > cs.limit()) raise(kVecGp, 0);
    set_accessed(cpu, o.ss, o.d);
    load_code_segment(cpu, cs_sel, cs, rpl);
    cpu.s.rip = eip;
    load_outer_stack(cpu, o, release);
    null_outer_segments(cpu);
    return;
  }
  if (eip > cs.limit()) raise(kVecGp, 0);
  load_code_segment(cpu, cs_sel, cs, rpl);
  cpu.s.rip = eip;
  write_sp(cpu, sp + 2 * osize + release);
}

void iret_pm(Cpu& cpu, unsigned osize) {
  if (cpu.long_mode()) return iret_long(cpu, osize);
  if (cpu.s.rflags & kNt) {
    // A nested task returns through the back link of its TSS.
    const auto link = sys_read<uint16_t>(cpu, cpu.s.tr.base);
    task_switch(cpu, link, TaskSwitchReason::kIret);
    return;
  }
  const uint64_t sp = read_sp(cpu);
  const uint64_t eip = pop_at(cpu, sp, osize);
  const auto cs_sel = uint16_t(pop_at(cpu, sp + osize, osize));
  const uint64_t flags = pop_at(cpu, sp + 2 * osize, osize);
  if (osize == 4 && (flags & kVm) && cpu.s.cpl == 0) {
    iret_to_v86(cpu, sp, eip, cs_sel, flags);
    return;
  }
  const Descriptor cs = check_return_cs(cpu, cs_sel);
  const unsigned rpl = cs_sel & 3u;
  const unsigned old_cpl = cpu.s.cpl;
  const uint64_t mask = iret_pm_mask(cpu, osize, old_cpl);
  if (rpl > old_cpl) {
    OuterStack o = read_outer_stack(cpu, sp + 3 * osize, osize, rpl);
    if (eip > cs.limit()) raise(kVecGp, 0);
    set_accessed(cpu, o.ss, o.d);
    write_flags(cpu.s, flags, mask);
    load_code_segment(cpu, cs_sel, cs, rpl);
    cpu.s.rip = eip;
    load_outer_stack(cpu, o, 0);
    null_outer_segments(cpu);
    return;
  }
  if (eip > cs.limit()) raise(kVecGp, 0);
  write_flags(cpu.s, flags, mask);
  load_code_segment(cpu, cs_sel, cs, rpl);
  cpu.s.rip = eip;
  write_sp(cpu, sp + 3 * osize);
}

}  // namespace kestrel::cpu::exec
