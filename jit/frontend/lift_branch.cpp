// SPDX-License-Identifier: MIT
// Native lowerings of the indirect near branches: RET and RET imm16, JMP
// and CALL through a register or memory. The target is known only at run
// time, so the block ends in Op::kExitIndirect (the jump cache, not the
// dispatcher); cpu/interp/control.cpp (near_call, near_return) and
// operands.h (near_jump) are the reference for the order of checks.
#include <cstddef>

#include "cpu/state.h"
#include "jit/frontend/lift_forms.h"

namespace kestrel::jit::frontend::lift {
namespace {

using ir::Op;
using ir::Value;

/// near_jump's check: within the CS limit (keyed), or canonical in 64-bit
/// mode; #GP(0) on the branch itself. The 8086 has no limit.
void check_target(Lifter& l, Value target) {
  if (l.facts.seg_wrap) return;
  const uint64_t rule = l.facts.long64 ? ~uint64_t{0} : uint64_t{l.facts.cs_limit};
  l.b.emit(Op::kCheckBranch, target, ir::kNone, rule, l.ip);
}

/// rIP = `target` (already at the operand size), the instruction counted,
/// and the block leaves through the jump cache.
void exit_to(Lifter& l, Value target) {
  l.b.emit(Op::kStField, target, ir::kNone, offsetof(cpu::CpuState, rip));
  l.sync_icount(1);
  l.b.emit(Op::kExitIndirect, ir::kNone, ir::kNone, 1);  // imm 1: only rIP changed
  l.uncounted = uint32_t(-1);  // the driver's increment brings it back to 0
}

/// RET: pop the target, release `release` more bytes, check the target,
/// and only then commit SP (a fault leaves SP as it was).
bool ret(Lifter& l, const cpu::DecodedInsn& i, uint64_t release) {
  ir::Block& b = l.b;
  const unsigned ss = l.stack_size();
  l.begin_mem();
  const Value sp = l.zext(b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRsp), ss);
  const Value target = l.load(i.osize, cpu::kSs, sp);
  check_target(l, target);
  l.write_sp(l.zext(b.emit(Op::kAdd, sp, b.konst(i.osize + release)), ss));
  exit_to(l, target);
  return true;
}

/// The E operand of JMP/CALL Ev at the operand size (read before anything
/// is pushed, as read_target).
Value read_target(Lifter& l, const cpu::DecodedInsn& i) {
  l.begin_mem();  // icount exact for a fault of the read or of the check
  const Value addr = i.is_mem() ? l.ea(i) : ir::kNone;
  return l.read_e(i.osize, i, addr);
}

}  // namespace

bool RET(Lifter& l, const cpu::DecodedInsn& i) { return ret(l, i, 0); }
bool RET_Iw(Lifter& l, const cpu::DecodedInsn& i) { return ret(l, i, i.imm & 0xffff); }
bool RET_8086(Lifter& l, const cpu::DecodedInsn& i) { return ret(l, i, 0); }
bool RET_Iw_8086(Lifter& l, const cpu::DecodedInsn& i) { return ret(l, i, i.imm & 0xffff); }

bool JMP_Ev(Lifter& l, const cpu::DecodedInsn& i) {
  const Value target = read_target(l, i);
  check_target(l, target);
  exit_to(l, target);
  return true;
}

/// CALL Ev: the target is read and checked, then the return address is
/// pushed (near_call); a fault of the push reports the CALL itself.
bool CALL_Ev(Lifter& l, const cpu::DecodedInsn& i) {
  ir::Block& b = l.b;
  const Value target = read_target(l, i);
  check_target(l, target);
  const uint64_t mask = i.osize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i.osize)) - 1;
  const Value sp = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRsp);
  const Value nsp = l.zext(b.emit(Op::kSub, sp, b.konst(i.osize)), l.stack_size());
  l.store(i.osize, cpu::kSs, nsp, b.konst(l.next & mask));
  l.write_sp(nsp);
  exit_to(l, target);
  return true;
}

}  // namespace kestrel::jit::frontend::lift
