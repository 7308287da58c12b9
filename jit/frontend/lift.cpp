// SPDX-License-Identifier: MIT
// The lowering driver: walks a decoded block, lowers each instruction with
// its lift::FORM when it has one and the shape allows, and otherwise emits
// a call of the interpreter handler; keeps rIP and icount exact at every
// call and exit (jit/frontend/lift.h).
#include "jit/frontend/lift.h"

#include <array>
#include <cstddef>

#include "cpu/isa/isa.h"
#include "cpu/state.h"
#include "jit/frontend/lift_forms.h"

namespace kestrel::jit::frontend {

using ir::Op;
using ir::Value;

namespace {

using LiftFn = bool (*)(Lifter&, const cpu::DecodedInsn&);

std::array<LiftFn, cpu::isa::kFormCount> make_table() {
  std::array<LiftFn, cpu::isa::kFormCount> t{};
#define LIFT(form) t[size_t(cpu::isa::Form::form)] = lift::form;
#include "jit/frontend/lifted.inc"
#undef LIFT
  return t;
}

const std::array<LiftFn, cpu::isa::kFormCount>& table() {
  static const std::array<LiftFn, cpu::isa::kFormCount> t = make_table();
  return t;
}

constexpr uint64_t kRipOff = offsetof(cpu::CpuState, rip);

}  // namespace

Value Lifter::zext(Value v, unsigned size) {
  return size == 8 ? v : b.emit(Op::kZext, v, ir::kNone, size);
}

Value Lifter::sext(Value v, unsigned size) {
  return size == 8 ? v : b.emit(Op::kSext, v, ir::kNone, size);
}

Value Lifter::read_reg(unsigned size, unsigned n, bool rex) {
  if (size == 1 && !rex && n >= 4 && n < 8) {
    const Value r = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, n - 4);
    return zext(b.emit(Op::kShr, r, ir::kNone, 8), 1);
  }
  return zext(b.emit(Op::kLdGpr, ir::kNone, ir::kNone, n), size);
}

/// 8- and 16-bit writes keep the other bits; 32-bit writes zero-extend
/// (as exec::write_gpr and write_reg8 do).
void Lifter::write_reg(unsigned size, unsigned n, bool rex, Value v) {
  if (size >= 4) {
    b.emit(Op::kStGpr, zext(v, size), ir::kNone, n);
    return;
  }
  unsigned shift = 0;
  if (size == 1 && !rex && n >= 4 && n < 8) {
    n -= 4;
    shift = 8;
  }
  const uint64_t mask = ((uint64_t{1} << (8 * size)) - 1) << shift;
  const Value old = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, n);
  const Value kept = b.emit(Op::kAnd, old, b.konst(~mask));
  Value part = zext(v, size);
  if (shift) part = b.emit(Op::kShl, part, ir::kNone, shift);
  b.emit(Op::kStGpr, b.emit(Op::kOr, kept, part), ir::kNone, n);
}

void Lifter::write_sp(Value sp) {
  const unsigned ss = stack_size();
  if (ss == 8) {
    b.emit(Op::kStGpr, sp, ir::kNone, cpu::kRsp);
    return;
  }
  if (ss == 2) {
    write_reg(2, cpu::kRsp, true, sp);
    return;
  }
  const Value old = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, cpu::kRsp);
  const Value high = b.emit(Op::kAnd, old, b.konst(~uint64_t{0xffffffff}));
  b.emit(Op::kStGpr, b.emit(Op::kOr, high, zext(sp, 4)), ir::kNone, cpu::kRsp);
}

void Lifter::set_lazy(cpu::CcOp op, unsigned size, Value dst, Value src, Value src2) {
  b.emit(Op::kStField32, b.konst(cpu::cc_op(op, size)), ir::kNone, offsetof(cpu::CpuState, cc_op));
  b.emit(Op::kStField, dst, ir::kNone, offsetof(cpu::CpuState, cc_dst));
  b.emit(Op::kStField, src, ir::kNone, offsetof(cpu::CpuState, cc_src));
  if (op == cpu::CcOp::kAdc || op == cpu::CcOp::kSbb) {
    b.emit(Op::kStField, src2, ir::kNone, offsetof(cpu::CpuState, cc_src2));
  }
  flags = {true, op, size, dst, src, src2};
}

void Lifter::set_eager(Value f) {
  constexpr uint64_t kOff = offsetof(cpu::CpuState, rflags);
  const Value kept = b.emit(Op::kAnd, b.emit(Op::kLdField, ir::kNone, ir::kNone, kOff),
                            b.konst(~uint64_t{cpu::kArithFlags}));
  b.emit(Op::kStField, b.emit(Op::kOr, kept, f), ir::kNone, kOff);
  b.emit(Op::kStField32, b.konst(0), ir::kNone, offsetof(cpu::CpuState, cc_op));
  flags = {true, cpu::CcOp::kEflags, 8, f, ir::kNone};
}

void Lifter::sync_icount(uint32_t extra) {
  if (uncounted + extra) b.emit(Op::kAddIcount, ir::kNone, ir::kNone, uncounted + extra);
  uncounted = 0;
}

Value Lifter::ea(const cpu::DecodedInsn& i) {
  Value e = b.konst(uint64_t(i.disp));
  if (i.base == cpu::kRipReg) e = b.emit(Op::kAdd, e, b.konst(next));
  else if (i.base != cpu::kNoReg) e = b.emit(Op::kAdd, e, b.emit(Op::kLdGpr, ir::kNone, ir::kNone, i.base));
  if (i.index != cpu::kNoReg) {
    const Value idx = b.emit(Op::kLdGpr, ir::kNone, ir::kNone, i.index);
    e = b.emit(Op::kAdd, e, i.scale ? b.emit(Op::kShl, idx, ir::kNone, i.scale) : idx);
  }
  return zext(e, i.asize);
}

Value Lifter::load(unsigned size, uint8_t seg, Value addr) {
  return b.emit(Op::kLoad, addr, ir::kNone, seg | size << 8, ip);
}

void Lifter::store(unsigned size, uint8_t seg, Value addr, Value v) {
  b.emit(Op::kStore, addr, v, seg | size << 8, ip);
}

Value Lifter::read_e(unsigned size, const cpu::DecodedInsn& i, Value addr) {
  if (!i.is_mem()) return read_reg(size, i.rm, i.rex != 0);
  return load(size, i.seg, addr);
}

void Lifter::write_e(unsigned size, const cpu::DecodedInsn& i, Value addr, Value v) {
  if (!i.is_mem()) write_reg(size, i.rm, i.rex != 0, v);
  else store(size, i.seg, addr, v);
}

void Lifter::begin_mem() { sync_icount(); }

void Lifter::end_mem() {
  sync_icount(1);
  b.emit(Op::kCheckStop, ir::kNone, ir::kNone, next);
  uncounted = uint32_t(-1);  // the driver's increment brings it back to 0
}

bool Lifter::target_ok(uint64_t target) const {
  if (facts.seg_wrap) return true;
  if (facts.long64) return uint64_t(int64_t(target << 16) >> 16) == target;
  return target <= facts.cs_limit;
}

void lift_block(ir::Block& b, const Facts& facts, uint64_t rip,
                const std::vector<cpu::DecodedInsn>& insns) {
  Lifter l{b, facts, 0, 0, 0, {}};
  b.guest_rip = rip;
  b.guest_insns = uint32_t(insns.size());
  b.long64 = facts.long64;
  b.inline_mem = !facts.seg_wrap;
  uint64_t ip = rip;
  bool ended = false;
  for (const cpu::DecodedInsn& insn : insns) {
    l.ip = ip;
    l.next = (ip + insn.len) & facts.ip_mask;
    const size_t mark = b.insts.size();
    const LiftFn fn = insn.form == cpu::isa::Form::kInvalid ? nullptr : table()[size_t(insn.form)];
    if (fn && fn(l, insn)) {
      ++l.uncounted;
    } else {
      b.insts.resize(mark);  // a lifter that declined may have emitted nothing useful
      // The handler runs under the interpreter's contract; it sets rIP,
      // insn_rip and icount itself, and leaves the block when control
      // does not fall through (Op::kCallInsn).
      l.sync_icount();
      b.emit(Op::kStField, b.konst(ip), ir::kNone, kRipOff);
      b.emit(Op::kCallInsn, ir::kNone, ir::kNone, reinterpret_cast<uintptr_t>(&insn), ip);
      l.flags.known = false;
    }
    ip = l.next;
    if (!b.insts.empty() && (b.insts.back().op == Op::kExit || b.insts.back().op == Op::kExitRip ||
                              b.insts.back().op == Op::kExitIndirect)) {
      ended = true;
      break;
    }
  }
  if (ended) return;
  l.sync_icount();
  // After an instruction that may change the mode (a_stop, a_serial) the
  // handler has set rIP and the next block must be looked up afresh.
  const cpu::DecodedInsn& last = insns.back();
  const uint16_t attrs = last.form == cpu::isa::Form::kInvalid ? uint16_t{cpu::isa::a_stop} : last.row().attrs;
  const bool called = b.insts.back().op == Op::kCallInsn;
  if (called && (attrs & (cpu::isa::a_stop | cpu::isa::a_serial))) {
    // The jump cache's key holds the mode, so the next block may be found
    // without the dispatcher (Op::kExitIndirect).
    b.emit(Op::kExitIndirect);
  } else {
    b.emit(Op::kExit, ir::kNone, ir::kNone, ip);
  }
}

}  // namespace kestrel::jit::frontend
