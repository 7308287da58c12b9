// SPDX-License-Identifier: MIT
// Native lowerings of the legacy-SSE moves, bitwise logic and compares: full
// 128-bit moves (Op::kLoadX/kStoreX), MOVSS/MOVSD, MOVD/MOVQ, PAND..PXOR,
// ANDPS..XORPD and PCMPEQB/W/D on 64-bit halves, PMOVMSKB, (U)COMISS/SD
// through a helper, with the checks, faults and their order of the
// handlers in cpu/interp/sse_*.cpp. Arithmetic is lift_sse_arith.cpp's.
#include "jit/frontend/lift_forms.h"
#include "jit/frontend/lift_sse.h"

#include <cstddef>

#include "cpu/state.h"

namespace kestrel::jit::frontend::lift {

namespace sse {

uint64_t xmm(unsigned n, unsigned half) { return offsetof(cpu::CpuState, vec) + 32 * n + 8 * half; }

ir::Value ld(Lifter& l, unsigned n, unsigned half) {
  return l.b.emit(ir::Op::kLdField, ir::kNone, ir::kNone, xmm(n, half));
}
void st(Lifter& l, unsigned n, unsigned half, ir::Value v) { l.b.emit(ir::Op::kStField, v, ir::kNone, xmm(n, half)); }

void check(Lifter& l) {
  for (size_t k = l.b.insts.size(); k-- > 0;) {
    const ir::Op op = l.b.insts[k].op;
    if (op == ir::Op::kSseCheck) return;
    if (op == ir::Op::kCallInsn) break;
  }
  l.sync_icount();
  l.b.emit(ir::Op::kSseCheck, ir::kNone, ir::kNone, 0, l.ip);
}

ir::Value mem_operand(Lifter& l, const cpu::DecodedInsn& i, bool align16) {
  l.begin_mem();
  check(l);
  const ir::Value addr = l.ea(i);
  if (align16) l.b.emit(ir::Op::kCheckAlign16, addr, ir::kNone, i.seg, l.ip);
  return addr;
}

}  // namespace sse

namespace {

using ir::Op;
using ir::Value;
using sse::check;
using sse::ld;
using sse::mem_operand;
using sse::st;
using sse::xmm;

uint64_t x_imm(const cpu::DecodedInsn& i, unsigned reg) { return i.seg | uint64_t(i.asize) << 8 | xmm(reg, 0) << 16; }

/// XMM `to` = XMM `from`, the register forms of the full moves.
void move_full(Lifter& l, unsigned from, unsigned to) {
  check(l);
  const Value lo = ld(l, from, 0), hi = ld(l, from, 1);
  st(l, to, 0, lo);
  st(l, to, 1, hi);
}

/// V = W (MOVUPS, MOVAPS, MOVDQU...): read_w, then write_v.
bool load_full(Lifter& l, const cpu::DecodedInsn& i, bool align16) {
  if (!i.is_mem()) {
    move_full(l, i.rm, i.reg);
    return true;
  }
  const Value addr = mem_operand(l, i, align16);
  l.b.emit(Op::kLoadX, addr, ir::kNone, x_imm(i, i.reg), l.ip);
  l.end_mem();
  return true;
}

/// W = V: write_w (nothing stored unless all 16 bytes can be).
bool store_full(Lifter& l, const cpu::DecodedInsn& i, bool align16) {
  if (!i.is_mem()) {
    move_full(l, i.reg, i.rm);
    return true;
  }
  const Value addr = mem_operand(l, i, align16);
  l.b.emit(Op::kStoreX, addr, ir::kNone, x_imm(i, i.reg), l.ip);
  l.end_mem();
  return true;
}

/// The register forms of MOVSS, MOVSD and MOVQ: the low `size` bytes of
/// XMM `from` into XMM `to`, whose upper quadword is zeroed when `zero`.
void move_low(Lifter& l, unsigned from, unsigned to, unsigned size, bool zero) {
  check(l);
  const Value v = ld(l, from, 0);
  if (size == 4) l.b.emit(Op::kStField32, v, ir::kNone, xmm(to, 0));
  else st(l, to, 0, v);
  if (zero) st(l, to, 1, l.b.konst(0));
}

/// The low `size` bytes of V replaced from a register, or V = the zero-
/// extended memory operand (MOVSS, MOVSD, MOVQ loads: `zero` forces the
/// upper quadword to 0 for a register source too).
bool load_low(Lifter& l, const cpu::DecodedInsn& i, unsigned size, bool zero) {
  if (!i.is_mem()) {
    move_low(l, i.rm, i.reg, size, zero);
    return true;
  }
  const Value addr = mem_operand(l, i, false);
  const Value v = l.load(size, i.seg, addr);
  st(l, i.reg, 0, v);
  st(l, i.reg, 1, l.b.konst(0));
  l.end_mem();
  return true;
}

/// The low `size` bytes of V to memory or into another register's low
/// bytes (MOVSS, MOVSD stores; MOVQ Wq,Vq zeroes the register's upper half).
bool store_low(Lifter& l, const cpu::DecodedInsn& i, unsigned size, bool zero) {
  if (!i.is_mem()) {
    move_low(l, i.reg, i.rm, size, zero);
    return true;
  }
  const Value addr = mem_operand(l, i, false);
  const Value v = ld(l, i.reg, 0);
  l.store(size, i.seg, addr, size == 4 ? l.zext(v, 4) : v);
  l.end_mem();
  return true;
}

/// MOVD/MOVQ xmm, r/m32/64: the rest of V is zeroed.
bool movd_to_xmm(Lifter& l, const cpu::DecodedInsn& i) {
  const unsigned size = (i.rex & 8) ? 8 : 4;
  const bool mem = i.is_mem();
  const Value addr = mem ? mem_operand(l, i, false) : ir::kNone;
  if (!mem) check(l);
  st(l, i.reg, 0, l.read_e(size, i, addr));
  st(l, i.reg, 1, l.b.konst(0));
  if (mem) l.end_mem();
  return true;
}

bool movd_from_xmm(Lifter& l, const cpu::DecodedInsn& i) {
  const unsigned size = (i.rex & 8) ? 8 : 4;
  const bool mem = i.is_mem();
  const Value addr = mem ? mem_operand(l, i, false) : ir::kNone;
  if (!mem) check(l);
  const Value v = ld(l, i.reg, 0);
  l.write_e(size, i, addr, size == 4 ? l.zext(v, 4) : v);
  if (mem) l.end_mem();
  return true;
}

enum class Logic { kAnd, kAndn, kOr, kXor, kEqB, kEqW, kEqD };

/// V = V op W on both quadwords (bitwise logic, PCMPEQB/W/D); a memory W
/// is 16 bytes, aligned (xmm_op).
bool logic(Lifter& l, const cpu::DecodedInsn& i, Logic op) {
  ir::Block& b = l.b;
  const bool mem = i.is_mem();
  Value src[2];
  if (mem) {
    const Value addr = mem_operand(l, i, true);
    src[0] = l.load(8, i.seg, addr);
    src[1] = l.load(8, i.seg, l.zext(b.emit(Op::kAdd, addr, b.konst(8)), i.asize));
  } else {
    check(l);
    src[0] = ld(l, i.rm, 0);
    src[1] = ld(l, i.rm, 1);
  }
  for (unsigned h = 0; h < 2; ++h) {
    Value d = ld(l, i.reg, h);
    switch (op) {
      case Logic::kAnd: d = b.emit(Op::kAnd, d, src[h]); break;
      case Logic::kAndn: d = b.emit(Op::kAnd, b.emit(Op::kXor, d, b.konst(~uint64_t{0})), src[h]); break;
      case Logic::kOr: d = b.emit(Op::kOr, d, src[h]); break;
      case Logic::kXor: d = b.emit(Op::kXor, d, src[h]); break;
      case Logic::kEqB: d = b.emit(Op::kLaneEq, d, src[h], 1); break;
      case Logic::kEqW: d = b.emit(Op::kLaneEq, d, src[h], 2); break;
      case Logic::kEqD: d = b.emit(Op::kLaneEq, d, src[h], 4); break;
    }
    st(l, i.reg, h, d);
  }
  if (mem) l.end_mem();
  return true;
}

/// PMOVMSKB r32, xmm: the sixteen byte sign bits, zero-extended into all
/// of the register (sse_move.cpp).
bool pmovmskb(Lifter& l, const cpu::DecodedInsn& i) {
  ir::Block& b = l.b;
  check(l);
  const Value lo = b.emit(Op::kSignBits8, ld(l, i.rm, 0));
  const Value hi = b.emit(Op::kSignBits8, ld(l, i.rm, 1));
  b.emit(Op::kStGpr, b.emit(Op::kOr, lo, b.emit(Op::kShl, hi, ir::kNone, 8)), ir::kNone, i.reg);
  return true;
}

/// (U)COMISS/SD: the compare through the sse::compare helper (MXCSR, #XM),
/// then ZF, PF, CF from it and O, S, A clear, written eagerly
/// (sse_fp_compare.cpp), so a following Jcc tests them inline.
bool compare(Lifter& l, const cpu::DecodedInsn& i, unsigned size, bool signalling) {
  const bool mem = i.is_mem();
  Value w;
  if (mem) {
    w = l.load(size, i.seg, mem_operand(l, i, false));
  } else {
    l.begin_mem();
    check(l);
    w = ld(l, i.rm, 0);
  }
  const Value f = l.b.emit(Op::kSseCompare, ld(l, i.reg, 0), w, size | unsigned(signalling) << 8, l.ip);
  l.set_eager(f);
  if (mem) l.end_mem();
  return true;
}

}  // namespace

bool MOVUPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, false); }
bool MOVUPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, false); }
bool MOVDQU_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, false); }
bool MOVAPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, true); }
bool MOVAPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, true); }
bool MOVDQA_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return load_full(l, i, true); }
bool MOVUPS_Wps_Vps(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, false); }
bool MOVUPD_Wpd_Vpd(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, false); }
bool MOVDQU_Wx_Vx(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, false); }
bool MOVAPS_Wps_Vps(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }
bool MOVAPD_Wpd_Vpd(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }
bool MOVDQA_Wx_Vx(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }
// Non-temporal stores: the hint is not architectural; the alignment rule is.
bool MOVNTPS_Mps_Vps(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }
bool MOVNTPD_Mpd_Vpd(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }
bool MOVNTDQ_Mx_Vx(Lifter& l, const cpu::DecodedInsn& i) { return store_full(l, i, true); }

bool MOVSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return load_low(l, i, 4, false); }
bool MOVSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return load_low(l, i, 8, false); }
bool MOVQ_Vq_Wq(Lifter& l, const cpu::DecodedInsn& i) { return load_low(l, i, 8, true); }
bool MOVSS_Wss_Vss(Lifter& l, const cpu::DecodedInsn& i) { return store_low(l, i, 4, false); }
bool MOVSD_Wsd_Vsd(Lifter& l, const cpu::DecodedInsn& i) { return store_low(l, i, 8, false); }
bool MOVQ_Wq_Vq(Lifter& l, const cpu::DecodedInsn& i) { return store_low(l, i, 8, true); }
bool MOVD_Vy_Ey(Lifter& l, const cpu::DecodedInsn& i) { return movd_to_xmm(l, i); }
bool MOVD_Ey_Vy(Lifter& l, const cpu::DecodedInsn& i) { return movd_from_xmm(l, i); }

bool PAND_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAnd); }
bool ANDPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAnd); }
bool ANDPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAnd); }
bool PANDN_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAndn); }
bool ANDNPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAndn); }
bool ANDNPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kAndn); }
bool POR_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kOr); }
bool ORPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kOr); }
bool ORPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kOr); }
bool PXOR_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kXor); }
bool XORPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kXor); }
bool XORPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kXor); }
bool PCMPEQB_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kEqB); }
bool PCMPEQW_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kEqW); }
bool PCMPEQD_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return logic(l, i, Logic::kEqD); }
bool PMOVMSKB_Gd_Ux(Lifter& l, const cpu::DecodedInsn& i) { return pmovmskb(l, i); }

bool UCOMISS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return compare(l, i, 4, false); }
bool UCOMISD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return compare(l, i, 8, false); }
bool COMISS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return compare(l, i, 4, true); }
bool COMISD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return compare(l, i, 8, true); }

}  // namespace kestrel::jit::frontend::lift
