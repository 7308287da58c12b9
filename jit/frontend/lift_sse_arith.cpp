// SPDX-License-Identifier: MIT
// Native lowerings of the legacy-SSE arithmetic: ADD SUB MUL DIV MIN MAX
// SQRT in SS, SD, PS and PD forms and the CVT conversions through the
// interpreter's arithmetic in a helper (Op::kSseScalar, kSsePacked), and in
// IR the lane moves UNPCKL/HPD, PUNPCKL/HQDQ, PSHUFD, PADD/PSUB B-Q and
// PMULUDQ; operands, checks and their order as cpu/interp/sse_fp_*.cpp,
// sse_int_*.cpp do them.
#include "jit/frontend/lift_forms.h"
#include "jit/frontend/lift_sse.h"

namespace kestrel::jit::frontend::lift {
namespace {

using ir::Op;
using ir::SseOp;
using ir::Value;
using sse::check;
using sse::ld;
using sse::mem_operand;
using sse::st;
using sse::xmm;

uint64_t op_imm(SseOp op, unsigned size) { return uint64_t(op) | uint64_t(size) << 8; }

/// The scalar W operand: the low `size` bytes of XMM rm or memory (no
/// alignment rule), after the checks (read_w_scalar). Register forms bracket
/// the helper too (begin_mem) since it may fault.
Value scalar_w(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  if (i.is_mem()) return l.load(size, i.seg, mem_operand(l, i, false));
  l.begin_mem();
  check(l);
  return ld(l, i.rm, 0);
}

/// The low `size` bytes of V = the helper's result; the rest of V is kept.
void set_low(Lifter& l, unsigned reg, unsigned size, Value v) {
  if (size == 4) l.b.emit(Op::kStField32, v, ir::kNone, xmm(reg, 0));
  else st(l, reg, 0, v);
}

/// V[0] = op(V[0], W[0]) (sse_scalar, sse_scalar_unary; convert_scalar when
/// the result is `out` bytes of another type).
bool scalar(Lifter& l, const cpu::DecodedInsn& i, SseOp op, unsigned size, unsigned out) {
  const Value w = scalar_w(l, i, size);
  const Value r = l.b.emit(Op::kSseScalar, ld(l, i.reg, 0), w, op_imm(op, size), l.ip);
  set_low(l, i.reg, out, r);
  if (i.is_mem()) l.end_mem();
  return true;
}

/// CVTSI2SS/SD: V[0] = the doubleword (quadword with REX.W) Ey, converted.
bool from_gpr(Lifter& l, const cpu::DecodedInsn& i, unsigned size) {
  const bool mem = i.is_mem();
  const unsigned isize = (i.rex & 8) ? 8 : 4;
  const Value addr = mem ? mem_operand(l, i, false) : ir::kNone;
  if (!mem) {
    l.begin_mem();
    check(l);
  }
  const Value v = l.sext(l.read_e(isize, i, addr), isize);
  const Value r = l.b.emit(Op::kSseScalar, ld(l, i.reg, 0), v, op_imm(SseOp::kFromInt, size), l.ip);
  set_low(l, i.reg, size, r);
  if (mem) l.end_mem();
  return true;
}

/// CVT(T)SS2SI, CVT(T)SD2SI: Gy = W[0] as a doubleword (quadword with REX.W).
bool to_gpr(Lifter& l, const cpu::DecodedInsn& i, unsigned size, bool truncate) {
  const bool wide = (i.rex & 8) != 0;
  const SseOp op = truncate ? (wide ? SseOp::kTruncInt64 : SseOp::kTruncInt32)
                            : (wide ? SseOp::kToInt64 : SseOp::kToInt32);
  const Value w = scalar_w(l, i, size);
  const Value r = l.b.emit(Op::kSseScalar, w, w, op_imm(op, size), l.ip);
  l.write_reg(wide ? 8 : 4, i.reg, i.rex != 0, r);
  if (i.is_mem()) l.end_mem();
  return true;
}

/// W's quadwords: XMM rm, or 16 bytes of memory (16-byte aligned, as
/// read_w with Align::k16, low quadword first); with `low_only` an m64 or
/// the register's low quadword (read_w64), the high one 0.
void packed_w(Lifter& l, const cpu::DecodedInsn& i, bool low_only, Value w[2]) {
  ir::Block& b = l.b;
  if (!i.is_mem()) {
    check(l);
    w[0] = ld(l, i.rm, 0);
    w[1] = low_only ? b.konst(0) : ld(l, i.rm, 1);
    return;
  }
  const Value addr = mem_operand(l, i, !low_only);
  w[0] = l.load(8, i.seg, addr);
  w[1] = low_only ? b.konst(0) : l.load(8, i.seg, l.zext(b.emit(Op::kAdd, addr, b.konst(8)), i.asize));
}

/// V = op(V, W) lane by lane, or a packed conversion of W.
bool packed(Lifter& l, const cpu::DecodedInsn& i, SseOp op, unsigned size, bool low_only = false) {
  if (!i.is_mem()) l.begin_mem();  // the helper may fault: icount exact before it
  Value w[2];
  packed_w(l, i, low_only, w);
  l.b.emit(Op::kSsePacked, w[0], w[1], op_imm(op, size) | uint64_t(i.reg) << 16, l.ip);
  if (i.is_mem()) l.end_mem();
  return true;
}

enum class Lanes { kUnpackLo, kUnpackHi, kAddB, kAddW, kAddD, kAddQ, kSubB, kSubW, kSubD, kSubQ, kMulUdq };

/// V = op(V, W) on quadwords in IR (xmm_op: W 16-byte aligned in memory).
bool int_lanes(Lifter& l, const cpu::DecodedInsn& i, Lanes op) {
  ir::Block& b = l.b;
  Value w[2];
  packed_w(l, i, false, w);
  Value v[2] = {ld(l, i.reg, 0), ld(l, i.reg, 1)}, r[2];
  const auto each = [&](auto f) {
    for (unsigned h = 0; h < 2; ++h) r[h] = f(v[h], w[h]);
  };
  switch (op) {
    case Lanes::kUnpackLo: r[0] = v[0], r[1] = w[0]; break;
    case Lanes::kUnpackHi: r[0] = v[1], r[1] = w[1]; break;
    case Lanes::kAddB: each([&](Value x, Value y) { return b.emit(Op::kLaneAdd, x, y, 1); }); break;
    case Lanes::kAddW: each([&](Value x, Value y) { return b.emit(Op::kLaneAdd, x, y, 2); }); break;
    case Lanes::kAddD: each([&](Value x, Value y) { return b.emit(Op::kLaneAdd, x, y, 4); }); break;
    case Lanes::kAddQ: each([&](Value x, Value y) { return b.emit(Op::kAdd, x, y); }); break;
    case Lanes::kSubB: each([&](Value x, Value y) { return b.emit(Op::kLaneSub, x, y, 1); }); break;
    case Lanes::kSubW: each([&](Value x, Value y) { return b.emit(Op::kLaneSub, x, y, 2); }); break;
    case Lanes::kSubD: each([&](Value x, Value y) { return b.emit(Op::kLaneSub, x, y, 4); }); break;
    case Lanes::kSubQ: each([&](Value x, Value y) { return b.emit(Op::kSub, x, y); }); break;
    case Lanes::kMulUdq: each([&](Value x, Value y) { return b.emit(Op::kMul, l.zext(x, 4), l.zext(y, 4)); }); break;
  }
  st(l, i.reg, 0, r[0]);
  st(l, i.reg, 1, r[1]);
  if (i.is_mem()) l.end_mem();
  return true;
}

/// PSHUFD: doubleword k of V = doubleword (imm >> 2k) & 3 of W.
bool pshufd(Lifter& l, const cpu::DecodedInsn& i) {
  ir::Block& b = l.b;
  Value w[2];
  packed_w(l, i, false, w);
  const auto dword = [&](unsigned k) {
    const unsigned s = (unsigned(i.imm) >> (2 * k)) & 3;
    return l.zext(s & 1 ? b.emit(Op::kShr, w[s >> 1], ir::kNone, 32) : w[s >> 1], 4);
  };
  for (unsigned h = 0; h < 2; ++h) {
    st(l, i.reg, h, b.emit(Op::kOr, dword(2 * h), b.emit(Op::kShl, dword(2 * h + 1), ir::kNone, 32)));
  }
  if (i.is_mem()) l.end_mem();
  return true;
}

}  // namespace

bool ADDSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kAdd, 4, 4); }
bool ADDSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kAdd, 8, 8); }
bool SUBSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kSub, 4, 4); }
bool SUBSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kSub, 8, 8); }
bool MULSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMul, 4, 4); }
bool MULSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMul, 8, 8); }
bool DIVSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kDiv, 4, 4); }
bool DIVSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kDiv, 8, 8); }
bool MINSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMin, 4, 4); }
bool MINSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMin, 8, 8); }
bool MAXSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMax, 4, 4); }
bool MAXSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kMax, 8, 8); }
bool SQRTSS_Vss_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kSqrt, 4, 4); }
bool SQRTSD_Vsd_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kSqrt, 8, 8); }

bool ADDPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kAdd, 4); }
bool ADDPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kAdd, 8); }
bool SUBPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kSub, 4); }
bool SUBPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kSub, 8); }
bool MULPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMul, 4); }
bool MULPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMul, 8); }
bool DIVPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kDiv, 4); }
bool DIVPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kDiv, 8); }
bool MINPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMin, 4); }
bool MINPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMin, 8); }
bool MAXPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMax, 4); }
bool MAXPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kMax, 8); }
bool SQRTPS_Vps_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kSqrt, 4); }
bool SQRTPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kSqrt, 8); }

bool CVTSI2SS_Vss_Ey(Lifter& l, const cpu::DecodedInsn& i) { return from_gpr(l, i, 4); }
bool CVTSI2SD_Vsd_Ey(Lifter& l, const cpu::DecodedInsn& i) { return from_gpr(l, i, 8); }
bool CVTSS2SI_Gy_Wss(Lifter& l, const cpu::DecodedInsn& i) { return to_gpr(l, i, 4, false); }
bool CVTTSS2SI_Gy_Wss(Lifter& l, const cpu::DecodedInsn& i) { return to_gpr(l, i, 4, true); }
bool CVTSD2SI_Gy_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return to_gpr(l, i, 8, false); }
bool CVTTSD2SI_Gy_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return to_gpr(l, i, 8, true); }
bool CVTSS2SD_Vsd_Wss(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kWiden, 4, 8); }
bool CVTSD2SS_Vss_Wsd(Lifter& l, const cpu::DecodedInsn& i) { return scalar(l, i, SseOp::kNarrow, 8, 4); }
bool CVTDQ2PD_Vx_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtDq2Pd, 8, true); }
bool CVTPS2PD_Vpd_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtPs2Pd, 8, true); }
bool CVTPD2PS_Vps_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtPd2Ps, 8); }
bool CVTDQ2PS_Vps_Wdq(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtDq2Ps, 4); }
bool CVTPS2DQ_Vdq_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtPs2Dq, 4); }
bool CVTTPS2DQ_Vdq_Wps(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtTPs2Dq, 4); }
bool CVTPD2DQ_Vx_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtPd2Dq, 8); }
bool CVTTPD2DQ_Vx_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return packed(l, i, SseOp::kCvtTPd2Dq, 8); }

bool UNPCKLPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kUnpackLo); }
bool UNPCKHPD_Vpd_Wpd(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kUnpackHi); }
bool PUNPCKLQDQ_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kUnpackLo); }
bool PUNPCKHQDQ_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kUnpackHi); }
bool PADDB_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kAddB); }
bool PADDW_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kAddW); }
bool PADDD_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kAddD); }
bool PADDQ_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kAddQ); }
bool PSUBB_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kSubB); }
bool PSUBW_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kSubW); }
bool PSUBD_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kSubD); }
bool PSUBQ_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kSubQ); }
bool PMULUDQ_Vx_Wx(Lifter& l, const cpu::DecodedInsn& i) { return int_lanes(l, i, Lanes::kMulUdq); }
bool PSHUFD_Vx_Wx_Ib(Lifter& l, const cpu::DecodedInsn& i) { return pshufd(l, i); }

}  // namespace kestrel::jit::frontend::lift
