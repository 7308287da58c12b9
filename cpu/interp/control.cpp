// SPDX-License-Identifier: MIT
// Control transfer handlers: Jcc, JMP, CALL, RET, LOOP/JCXZ, INT/IRET, BOUND,
// ENTER/LEAVE and HLT. Far transfers and IRET in real and virtual-8086 mode
// are here; their protected-mode forms are far.cpp and event delivery
// itself is cpu/interrupts.cpp.
#include <type_traits>

#include "cpu/flags.h"
#include "cpu/interp/far.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/interrupts.h"

namespace kestrel::cpu::exec {
namespace {

/// Stack accesses through a private SP that is written back by commit() once
/// every access succeeded: an instruction that faults halfway leaves SP as
/// it was (the memory it already wrote lies below SP and is dead).
class StackCursor {
 public:
  explicit StackCursor(Cpu& cpu)
      : cpu_(cpu), mask_(addr_mask(stack_size(cpu))), sp_(read_sp(cpu)) {}

  template <class T> void push(T v) {
    sp_ = (sp_ - sizeof(T)) & mask_;
    cpu_.write<T>(kSs, sp_, v);
  }
  template <class T> T pop() {
    const T v = cpu_.read<T>(kSs, sp_);
    sp_ = (sp_ + sizeof(T)) & mask_;
    return v;
  }
  void push_sized(unsigned bytes, uint64_t v) {
    with_size(bytes, [&](auto t) { push<decltype(t)>(decltype(t)(v)); });
  }
  uint64_t pop_sized(unsigned bytes) {
    return with_size(bytes, [&](auto t) { return uint64_t(pop<decltype(t)>()); });
  }
  void release(uint64_t n) { sp_ = (sp_ + n) & mask_; }
  void reserve(uint64_t n) { sp_ = (sp_ - n) & mask_; }
  uint64_t sp() const { return sp_; }
  uint64_t mask() const { return mask_; }
  void commit() { write_sp(cpu_, sp_); }

 private:
  Cpu& cpu_;
  uint64_t mask_;
  uint64_t sp_;
};

/// Writes CX, ECX or RCX as the address size selects.
void write_count(CpuState& s, unsigned asize, uint64_t count) {
  with_size(asize, [&](auto t) { write_gpr<decltype(t)>(s, kRcx, decltype(t)(count)); });
}

void jcc(Cpu& cpu, const DecodedInsn& insn, unsigned cc) {
  if (test_cc(cpu.s, cc)) near_jump(cpu, cpu.s.rip + insn.imm, insn.osize);
}

/// LOOP, LOOPE, LOOPNE: decrement the count (no flags change) and branch
/// while it is not zero and, for LOOPE/LOOPNE, ZF is set/clear. The count is
/// written after the branch so that a #GP on the target leaves it intact.
enum class LoopCond { kAlways, kZf, kNotZf };
void loop(Cpu& cpu, const DecodedInsn& insn, LoopCond cond) {
  const uint64_t count = (cpu.s.gpr[kRcx] - 1) & addr_mask(insn.asize);
  bool take = count != 0;
  if (take && cond != LoopCond::kAlways) {
    const bool zf = arith_flags(cpu.s) & kZf;
    take = zf == (cond == LoopCond::kZf);
  }
  if (take) near_jump(cpu, cpu.s.rip + insn.imm, insn.osize);
  write_count(cpu.s, insn.asize, count);
}

/// The E operand of an indirect near branch.
uint64_t read_target(Cpu& cpu, const DecodedInsn& insn) {
  return with_osize(insn, [&](auto t) { return uint64_t(read_e<decltype(t)>(cpu, insn)); });
}

// Near CALL and RET are among the most frequent instructions: one
// instantiation per operand size keeps the stack access inline.
template <class T> void near_call_sized(Cpu& cpu, uint64_t target) {
  const uint64_t ret = cpu.s.rip;
  // The target is checked before anything is pushed; if the push faults the
  // engine restores rIP.
  near_jump(cpu, target, sizeof(T));
  StackCursor st(cpu);
  st.push<T>(T(ret));
  st.commit();
}

void near_call(Cpu& cpu, const DecodedInsn& insn, uint64_t target) {
  with_osize(insn, [&]<class T>(T) { near_call_sized<T>(cpu, target); });
}

template <class T> void near_return_sized(Cpu& cpu, uint64_t release) {
  StackCursor st(cpu);
  const uint64_t target = st.pop<T>();
  st.release(release);
  near_jump(cpu, target, sizeof(T));
  st.commit();
}

void near_return(Cpu& cpu, const DecodedInsn& insn, uint64_t release) {
  with_osize(insn, [&]<class T>(T) { near_return_sized<T>(cpu, release); });
}

// ---- far transfers ----
struct FarPointer {
  uint64_t offset;
  uint16_t selector;
};

/// Far transfers load CS as in real mode (base = selector << 4) in real and
/// virtual-8086 mode; protected mode goes through descriptors (far.cpp).
bool protected_segments(const Cpu& cpu) { return !cpu.real_mode() && !cpu.v86(); }

/// The 286 and later fault when the new IP lies beyond the CS limit
/// (SDM 2 JMP/CALL/RET far, real-address mode: #GP); the 8086 has no limit.
void check_far_target(const Cpu& cpu, uint64_t ip) {
  if (ip > cpu.s.seg[kCs].limit && !cpu.model->quirk(kQuirkSegWrap)) raise(kVecGp, 0);
}

void load_cs_ip(Cpu& cpu, FarPointer p) {
  cpu.load_real_segment(kCs, p.selector);
  cpu.s.rip = p.offset;
}

/// An m16:16 / m16:32 operand. The selector follows the offset at
/// (ea + osize) wrapped to the address size, as the 286 does: its manual
/// lists faults for pointers at FFFD and FFFF but not FFFE.
FarPointer read_far_pointer(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = effective_address(cpu, insn);
  const uint64_t offset =
      with_osize(insn, [&](auto t) { return uint64_t(cpu.read<decltype(t)>(insn.seg, ea)); });
  const uint64_t sel_ea = (ea + insn.osize) & addr_mask(insn.asize);
  return {offset, cpu.read<uint16_t>(insn.seg, sel_ea)};
}

FarPointer immediate_far_pointer(const DecodedInsn& insn) {
  return {insn.imm & addr_mask(insn.osize), uint16_t(insn.imm2)};
}

void far_jump(Cpu& cpu, FarPointer p) {
  if (protected_segments(cpu)) return far_jump_pm(cpu, p.selector, p.offset);
  check_far_target(cpu, p.offset);
  load_cs_ip(cpu, p);
}

void far_call(Cpu& cpu, const DecodedInsn& insn, FarPointer p) {
  if (protected_segments(cpu)) return far_call_pm(cpu, p.selector, p.offset, insn.osize);
  check_far_target(cpu, p.offset);
  StackCursor st(cpu);
  // With a 32-bit operand size CS is pushed zero-extended.
  st.push_sized(insn.osize, cpu.s.seg[kCs].selector);
  st.push_sized(insn.osize, cpu.s.rip);
  st.commit();
  load_cs_ip(cpu, p);
}

void far_return(Cpu& cpu, const DecodedInsn& insn, uint64_t release) {
  if (protected_segments(cpu)) return far_return_pm(cpu, insn.osize, release);
  StackCursor st(cpu);
  const uint64_t ip = st.pop_sized(insn.osize);
  const auto cs = uint16_t(st.pop_sized(insn.osize));
  check_far_target(cpu, ip);
  st.release(release);
  st.commit();
  load_cs_ip(cpu, {ip, cs});
}

/// The FLAGS bits a real-mode or virtual-8086 IRET loads (SDM 2 IRET:
/// 16-bit FLAGS[15:0]; 32-bit mask 257FD5h). The 8086 and 286 cannot change
/// bits 12-15 in real mode; AC and ID exist from the 486 on; IRET in
/// virtual-8086 mode leaves IOPL alone.
uint64_t iret_flags_mask(const Cpu& cpu, unsigned osize) {
  uint64_t m = osize == 2 ? 0x7fd5 : 0x257fd5;
  if (!cpu.model->has(isa::f386)) m &= 0x0fd5;
  if (!cpu.model->has(isa::f486)) m &= ~uint64_t{kAc | kId};
  if (cpu.v86()) m &= ~uint64_t{kIopl};
  return m;
}

/// Bits 12-15 as the model holds them: always 1 on the 8086, always 0 in
/// real mode on the 286.
void normalize_high_flags(Cpu& cpu) {
  if (cpu.model->quirk(kQuirkFlagsHighSet)) {
    cpu.s.rflags |= 0xf000;
  } else if (cpu.model->quirk(kQuirkFlagsHighClearReal) && cpu.real_mode()) {
    cpu.s.rflags &= ~uint64_t{0xf000};
  }
}

}  // namespace

// ---- Jcc ----
void JO_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x0); }
void JNO_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x1); }
void JB_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x2); }
void JAE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x3); }
void JE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x4); }
void JNE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x5); }
void JBE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x6); }
void JA_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x7); }
void JS_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x8); }
void JNS_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x9); }
void JP_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xa); }
void JNP_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xb); }
void JL_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xc); }
void JGE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xd); }
void JLE_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xe); }
void JG_Jb(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xf); }

void JO_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x0); }
void JNO_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x1); }
void JB_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x2); }
void JAE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x3); }
void JE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x4); }
void JNE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x5); }
void JBE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x6); }
void JA_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x7); }
void JS_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x8); }
void JNS_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x9); }
void JP_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xa); }
void JNP_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xb); }
void JL_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xc); }
void JGE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xd); }
void JLE_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xe); }
void JG_Jz(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xf); }

// The 8086 decodes 60-6F as 70-7F.
void JO_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x0); }
void JNO_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x1); }
void JB_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x2); }
void JAE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x3); }
void JE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x4); }
void JNE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x5); }
void JBE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x6); }
void JA_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x7); }
void JS_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x8); }
void JNS_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0x9); }
void JP_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xa); }
void JNP_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xb); }
void JL_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xc); }
void JGE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xd); }
void JLE_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xe); }
void JG_Jb_8086(Cpu& cpu, const DecodedInsn& insn) { jcc(cpu, insn, 0xf); }

// ---- LOOP, JCXZ ----
void LOOPNE_Jb(Cpu& cpu, const DecodedInsn& insn) { loop(cpu, insn, LoopCond::kNotZf); }
void LOOPE_Jb(Cpu& cpu, const DecodedInsn& insn) { loop(cpu, insn, LoopCond::kZf); }
void LOOP_Jb(Cpu& cpu, const DecodedInsn& insn) { loop(cpu, insn, LoopCond::kAlways); }
void JCXZ_Jb(Cpu& cpu, const DecodedInsn& insn) {
  if ((cpu.s.gpr[kRcx] & addr_mask(insn.asize)) == 0) {
    near_jump(cpu, cpu.s.rip + insn.imm, insn.osize);
  }
}

// ---- near JMP, CALL, RET ----
void JMP_Jb(Cpu& cpu, const DecodedInsn& insn) {
  near_jump(cpu, cpu.s.rip + insn.imm, insn.osize);
}
void JMP_Jz(Cpu& cpu, const DecodedInsn& insn) {
  near_jump(cpu, cpu.s.rip + insn.imm, insn.osize);
}
void JMP_Ev(Cpu& cpu, const DecodedInsn& insn) {
  near_jump(cpu, read_target(cpu, insn), insn.osize);
}
void CALL_Jz(Cpu& cpu, const DecodedInsn& insn) { near_call(cpu, insn, cpu.s.rip + insn.imm); }
void CALL_Ev(Cpu& cpu, const DecodedInsn& insn) { near_call(cpu, insn, read_target(cpu, insn)); }
void RET(Cpu& cpu, const DecodedInsn& insn) { near_return(cpu, insn, 0); }
void RET_Iw(Cpu& cpu, const DecodedInsn& insn) { near_return(cpu, insn, insn.imm & 0xffff); }
void RET_8086(Cpu& cpu, const DecodedInsn& insn) { near_return(cpu, insn, 0); }
void RET_Iw_8086(Cpu& cpu, const DecodedInsn& insn) { near_return(cpu, insn, insn.imm & 0xffff); }

// ---- far JMP, CALL, RET ----
void JMPF_Ap(Cpu& cpu, const DecodedInsn& insn) { far_jump(cpu, immediate_far_pointer(insn)); }
void JMPF_Mp(Cpu& cpu, const DecodedInsn& insn) { far_jump(cpu, read_far_pointer(cpu, insn)); }
void CALLF_Ap(Cpu& cpu, const DecodedInsn& insn) {
  far_call(cpu, insn, immediate_far_pointer(insn));
}
void CALLF_Mp(Cpu& cpu, const DecodedInsn& insn) {
  far_call(cpu, insn, read_far_pointer(cpu, insn));
}
void RETF(Cpu& cpu, const DecodedInsn& insn) { far_return(cpu, insn, 0); }
void RETF_Iw(Cpu& cpu, const DecodedInsn& insn) { far_return(cpu, insn, insn.imm & 0xffff); }
void RETF_8086(Cpu& cpu, const DecodedInsn& insn) { far_return(cpu, insn, 0); }
void RETF_Iw_8086(Cpu& cpu, const DecodedInsn& insn) { far_return(cpu, insn, insn.imm & 0xffff); }

// ---- software interrupts ----
// They are traps: rIP already points at the next instruction, which is what
// the handler's IRET returns to.
void INT_Ib(Cpu& cpu, const DecodedInsn& insn) {
  // SDM 2 INT n: in virtual-8086 mode with IOPL < 3, INT n (but not INT3,
  // INTO or INT1) faults to the monitor unless VME redirects it.
  deliver_software_int(cpu, uint8_t(insn.imm));
}
void INT3(Cpu& cpu, const DecodedInsn&) { deliver_event(cpu, kVecBp, EventKind::kSoftware); }
void INTO(Cpu& cpu, const DecodedInsn&) {
  if (arith_flags(cpu.s) & kOf) deliver_event(cpu, kVecOf, EventKind::kSoftware);
}
/// ICEBP is delivered like a hardware #DB: no IOPL check in virtual-8086
/// mode and no gate DPL check (SDM 2 INT n/INTO/INT3/INT1).
void INT1(Cpu& cpu, const DecodedInsn&) { deliver_event(cpu, kVecDb, EventKind::kException); }

/// SDM 3A §20.3: IRET in virtual-8086 mode with IOPL < 3 and CR4.VME, 16-bit
/// operand size: IF goes to VIF, IOPL and IF stay; #GP(0) when TF would be
/// set or VIP is pending with the popped IF set.
void iret_vme(Cpu& cpu) {
  StackCursor st(cpu);
  const uint64_t ip = st.pop_sized(2);
  const auto cs = uint16_t(st.pop_sized(2));
  const uint64_t flags = st.pop_sized(2);
  if ((flags & kTf) || ((cpu.s.rflags & kVip) && (flags & kIf))) raise(kVecGp, 0);
  check_far_target(cpu, ip);
  st.commit();
  load_cs_ip(cpu, {ip, cs});
  write_flags(cpu.s, flags, 0x7fd5 & ~uint64_t{kIf | kIopl});
  cpu.s.rflags = (cpu.s.rflags & ~uint64_t{kVif}) | (flags & kIf ? uint64_t{kVif} : 0);
}

void IRET(Cpu& cpu, const DecodedInsn& insn) {
  if (protected_segments(cpu)) return iret_pm(cpu, insn.osize);
  if (cpu.v86() && (cpu.s.rflags & kIopl) != kIopl) {
    // SDM 2 IRET: virtual-8086 mode with IOPL < 3 traps to the monitor.
    if (!(cpu.s.cr[4] & 1) || insn.osize != 2) raise(kVecGp, 0);
    return iret_vme(cpu);
  }
  StackCursor st(cpu);
  const uint64_t ip = st.pop_sized(insn.osize);
  const auto cs = uint16_t(st.pop_sized(insn.osize));
  const uint64_t flags = st.pop_sized(insn.osize);
  check_far_target(cpu, ip);
  st.commit();
  load_cs_ip(cpu, {ip, cs});
  write_flags(cpu.s, flags, iret_flags_mask(cpu, insn.osize));
  normalize_high_flags(cpu);
}

// ---- BOUND, ENTER, LEAVE, HLT ----
void BOUND_Gv_Ma(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = effective_address(cpu, insn);
  const uint64_t upper_ea = (ea + insn.osize) & addr_mask(insn.asize);
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    using S = std::make_signed_t<T>;
    const auto lower = S(cpu.read<T>(insn.seg, ea));
    const auto upper = S(cpu.read<T>(insn.seg, upper_ea));
    const auto index = S(read_g<T>(cpu, insn));
    if (index < lower || index > upper) raise(kVecBr);
  });
}

/// SDM 2 ENTER: push rBP, copy `level - 1` frame pointers from the old
/// frame, push the new frame pointer, then reserve `alloc` bytes. The
/// nesting level is taken modulo 32.
void ENTER_Iw_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t alloc = insn.imm & 0xffff;
  const unsigned level = insn.imm2 & 31;
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    StackCursor st(cpu);
    st.push<T>(T(cpu.s.gpr[kRbp]));
    const uint64_t frame = st.sp();
    if (level > 0) {
      uint64_t bp = cpu.s.gpr[kRbp] & st.mask();
      for (unsigned i = 1; i < level; ++i) {
        bp = (bp - sizeof(T)) & st.mask();
        st.push<T>(cpu.read<T>(kSs, bp));
      }
      st.push<T>(T(frame));
    }
    st.reserve(alloc);
    st.commit();
    write_gpr<T>(cpu.s, kRbp, T(frame));
  });
}

void LEAVE(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&](auto t) {
    using T = decltype(t);
    const uint64_t sp = cpu.s.gpr[kRbp] & addr_mask(stack_size(cpu));
    const T bp = cpu.read<T>(kSs, sp);
    write_sp(cpu, sp + sizeof(T));
    write_gpr<T>(cpu.s, kRbp, bp);
  });
}

/// The engine stops at a halted CPU and resumes it when an interrupt is
/// delivered. CPL > 0 (virtual-8086 mode included) faults.
void HLT(Cpu& cpu, const DecodedInsn&) {
  if (!cpu.real_mode() && (cpu.v86() || cpu.s.cpl != 0)) raise(kVecGp, 0);
  cpu.s.halted = true;
}

}  // namespace kestrel::cpu::exec
