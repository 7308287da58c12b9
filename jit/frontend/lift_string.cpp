// SPDX-License-Identifier: MIT
// Native lowerings of the single (unprefixed) string moves MOVS, STOS and
// LODS on 386-and-later models (cpu/interp/string.cpp is the reference).
// REP forms, and the 8086/80286 whose index registers step before a
// faulting access, stay with the interpreter handler.
#include "jit/frontend/lift_forms.h"

#include <cstddef>

#include "cpu/state.h"

namespace kestrel::jit::frontend::lift {
namespace {

using ir::Op;
using ir::Value;

/// Whether the form may be lowered: no repeat prefix (its iterations,
/// yields and bulk runs are the handler's), and index registers that
/// change only once the accesses succeeded.
bool simple(const Lifter& l, const cpu::DecodedInsn& i) {
  return i.rep == cpu::kRepNone && !l.facts.eager_strings;
}

/// rSI or rDI as an offset of the address size.
Value index_reg(Lifter& l, const cpu::DecodedInsn& i, unsigned r) {
  return l.zext(l.b.emit(Op::kLdGpr, ir::kNone, ir::kNone, r), i.asize);
}

/// +size or -size by EFLAGS.DF.
Value step(Lifter& l, unsigned size) {
  ir::Block& b = l.b;
  const Value fl = b.emit(Op::kLdField, ir::kNone, ir::kNone, offsetof(cpu::CpuState, rflags));
  const Value df = b.emit(Op::kAnd, fl, b.konst(cpu::kDf));
  const Value down = b.konst(uint64_t(0) - size), up = b.konst(size);
  return b.select(df, down, up);
}

/// Moves the index register `r` one element, at the address size (16-bit
/// sizes keep the upper bits, 32-bit ones clear them, as exec::advance).
void advance(Lifter& l, const cpu::DecodedInsn& i, unsigned r, Value off, Value delta) {
  l.write_reg(i.asize, r, true, l.b.emit(Op::kAdd, off, delta));
}

bool movs(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  if (!simple(l, i)) return false;
  l.begin_mem();
  const Value si = index_reg(l, i, cpu::kRsi), di = index_reg(l, i, cpu::kRdi);
  const Value v = l.load(size, i.seg, si);
  l.store(size, cpu::kEs, di, v);
  const Value d = step(l, size);
  advance(l, i, cpu::kRsi, si, d);
  advance(l, i, cpu::kRdi, di, d);
  l.end_mem();
  return true;
}

bool stos(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  if (!simple(l, i)) return false;
  l.begin_mem();
  const Value di = index_reg(l, i, cpu::kRdi);
  l.store(size, cpu::kEs, di, l.read_reg(size, cpu::kRax, true));
  advance(l, i, cpu::kRdi, di, step(l, size));
  l.end_mem();
  return true;
}

bool lods(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  if (!simple(l, i)) return false;
  l.begin_mem();
  const Value si = index_reg(l, i, cpu::kRsi);
  const Value v = l.load(size, i.seg, si);
  l.write_reg(size, cpu::kRax, true, v);
  advance(l, i, cpu::kRsi, si, step(l, size));
  l.end_mem();
  return true;
}

}  // namespace

bool MOVSB_Yb_Xb(Lifter& l, const cpu::DecodedInsn& i) { return movs(l, i, 1); }
bool MOVSW_Yv_Xv(Lifter& l, const cpu::DecodedInsn& i) { return movs(l, i, i.osize); }
bool STOSB_Yb_AL(Lifter& l, const cpu::DecodedInsn& i) { return stos(l, i, 1); }
bool STOSW_Yv_rAX(Lifter& l, const cpu::DecodedInsn& i) { return stos(l, i, i.osize); }
bool LODSB_AL_Xb(Lifter& l, const cpu::DecodedInsn& i) { return lods(l, i, 1); }
bool LODSW_rAX_Xv(Lifter& l, const cpu::DecodedInsn& i) { return lods(l, i, i.osize); }

}  // namespace kestrel::jit::frontend::lift
