// SPDX-License-Identifier: MIT
// Specialised relative branches of 64-bit mode (see fast.h), and the
// pairs fused from a register CMP, TEST, SUB, ADD or AND and the Jcc that
// follows it.
#include <array>
#include <cstdint>
#include <type_traits>

#include "cpu/flags.h"
#include "cpu/interp/cc_table.h"
#include "cpu/interp/fast.h"
#include "cpu/interp/fast_alu.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

using F = isa::Form;

template <unsigned kCc> void jcc64(Cpu& cpu, const DecodedInsn& i) {
  if (test_cc(cpu.s, kCc)) fast_jump64(cpu, fast_next_rip(cpu, i) + i.imm);
}
/// JMP rel8 or rel32.
void jmp64(Cpu& cpu, const DecodedInsn& i) { fast_jump64(cpu, fast_next_rip(cpu, i) + i.imm); }

template <unsigned kCc> struct Jcc64 { static constexpr Handler fn = &jcc64<kCc>; };
constexpr std::array<Handler, 16> kJcc64 = cc_table<Jcc64>();

/// Jcc forms in condition-code order.
constexpr F kJccForms[2][16] = {
    {F::JO_Jb, F::JNO_Jb, F::JB_Jb, F::JAE_Jb, F::JE_Jb, F::JNE_Jb, F::JBE_Jb, F::JA_Jb, F::JS_Jb,
     F::JNS_Jb, F::JP_Jb, F::JNP_Jb, F::JL_Jb, F::JGE_Jb, F::JLE_Jb, F::JG_Jb},
    {F::JO_Jz, F::JNO_Jz, F::JB_Jz, F::JAE_Jz, F::JE_Jz, F::JNE_Jz, F::JBE_Jz, F::JA_Jz, F::JS_Jz,
     F::JNS_Jz, F::JP_Jz, F::JNP_Jz, F::JL_Jz, F::JGE_Jz, F::JLE_Jz, F::JG_Jz},
};

// ---- an arithmetic instruction fused with the Jcc after it ----
// The fused handler runs in the first instruction's place with both
// instructions' operands in the first one's DecodedInsn fields that a
// register form leaves unused (fuse()): the first operand's register in
// `base`, the second's in `index` or, for an immediate, sign-extended in
// `imm2`; the Jcc's length in `scale` and its offset in `disp`. The form
// and the fields the generic handler reads stay as decoded.

using fast::Op;
using fast::writes;

/// Register `n` at T's size (a byte register as ModRM names it).
template <class T> T reg_operand(const CpuState& s, const DecodedInsn& i, uint8_t n) {
  if constexpr (sizeof(T) == 1) return read_reg8(s, n, i.rex);
  else return read_gpr<T>(s, n);
}

/// Whether condition kCc holds after `r` = a op b, from the operands
/// (the flags record the handler leaves says the same, but would be read
/// back through memory).
template <Op kOp, class T, unsigned kCc> bool holds(T a, T b, T r) {
  using S = std::make_signed_t<T>;
  constexpr bool kSub = kOp == Op::kCmp || kOp == Op::kSub;
  bool cf = false, of = false;
  if constexpr (kSub) {
    cf = a < b;
    of = S((a ^ b) & (a ^ r)) < 0;
  } else if constexpr (kOp == Op::kAdd) {
    cf = r < a;
    of = S(~(a ^ b) & (a ^ r)) < 0;
  }
  const bool zf = r == 0, sf = S(r) < 0;
  bool v = false;
  switch (kCc >> 1) {
    case 0: v = of; break;
    case 1: v = cf; break;
    case 2: v = zf; break;
    case 3: v = cf || zf; break;
    case 4: v = sf; break;
    case 5: v = parity_even(r); break;
    case 6: v = kSub ? S(a) < S(b) : sf != of; break;
    default: v = kSub ? S(a) <= S(b) : zf || sf != of; break;
  }
  return v != bool(kCc & 1);
}

/// The first instruction as fast.cpp's handlers run it (fast_alu.h: its
/// result and flags record), then the branch: rIP past the Jcc (the
/// pair's DecodedInsn::next, as for one instruction), or the target, which
/// must be canonical (#GP(0) on the Jcc, with the first instruction done).
template <Op kOp, bool kImm, class T, unsigned kCc> void op_jcc(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  const T a = reg_operand<T>(s, i, i.base);
  const T b = kImm ? T(int64_t(int32_t(i.imm2))) : reg_operand<T>(s, i, i.index);
  const T r = fast::apply<kOp, T>(a, b);
  if constexpr (writes(kOp)) write_gpr<T>(s, i.base, r);
  fast::record<kOp, T>(s, r, b);
  if (holds<kOp, T, kCc>(a, b, r)) fast_jump64(cpu, fast_next_rip(cpu, i) + uint64_t(i.disp));
}
template <Op kOp, bool kImm, class T> struct OpJcc {
  template <unsigned kCc> struct Fn { static constexpr Handler fn = &op_jcc<kOp, kImm, T, kCc>; };
  static constexpr std::array<Handler, 16> table = cc_table<Fn>();
};

/// What fuse() takes as the first instruction: an instruction of `op` on
/// a register and a register or an immediate.
struct First {
  Op op;
  uint8_t a;    ///< first operand's register (byte registers as ModRM has them)
  uint8_t b;    ///< second operand's register, kNoReg for an immediate
  int32_t imm;  ///< the immediate, sign-extended to 32 bits
  unsigned size = 0;  ///< operand size in bytes (1, 4 or 8)
};

/// The handlers for `f`, in condition-code order; nullptr for a shape
/// without them (only compares and tests take a register or a byte).
template <Op kOp> const std::array<Handler, 16>* op_table(const First& f) {
  const bool imm = f.b == kNoReg;
  if (f.size == 8) return imm ? &OpJcc<kOp, true, uint64_t>::table : &OpJcc<kOp, false, uint64_t>::table;
  if (f.size == 4) return imm ? &OpJcc<kOp, true, uint32_t>::table : &OpJcc<kOp, false, uint32_t>::table;
  if constexpr (writes(kOp)) {
    return nullptr;
  } else {
    return imm ? &OpJcc<kOp, true, uint8_t>::table : &OpJcc<kOp, false, uint8_t>::table;
  }
}
const std::array<Handler, 16>* op_table(const First& f) {
  switch (f.op) {
    case Op::kCmp: return op_table<Op::kCmp>(f);
    case Op::kTest: return op_table<Op::kTest>(f);
    case Op::kSub: return f.b == kNoReg ? op_table<Op::kSub>(f) : nullptr;
    case Op::kAdd: return f.b == kNoReg ? op_table<Op::kAdd>(f) : nullptr;
    case Op::kAnd: return f.b == kNoReg ? op_table<Op::kAnd>(f) : nullptr;
    default: return nullptr;
  }
}

/// `i` as fuse() takes it, if it does: a register form (or one on AL/rAX)
/// at operand size 4 or 8, or a byte compare or test.
bool first_operands(const DecodedInsn& i, First& f) {
  bool registers = i.mod == 3;
  const int32_t ib = int8_t(i.imm), iz = int32_t(i.imm);
  switch (i.form) {
    case F::CMP_Ev_Gv: f = {Op::kCmp, i.rm, i.reg, 0}; break;
    case F::CMP_Gv_Ev: f = {Op::kCmp, i.reg, i.rm, 0}; break;
    case F::CMP_Ev_Ib: f = {Op::kCmp, i.rm, kNoReg, ib}; break;
    case F::CMP_Ev_Iz: f = {Op::kCmp, i.rm, kNoReg, iz}; break;
    case F::CMP_rAX_Iz: f = {Op::kCmp, kRax, kNoReg, iz}; registers = true; break;
    case F::TEST_Ev_Gv: f = {Op::kTest, i.rm, i.reg, 0}; break;
    case F::TEST_Ev_Iz_grp3:
    case F::TEST_Ev_Iz_alias: f = {Op::kTest, i.rm, kNoReg, iz}; break;
    case F::TEST_rAX_Iz: f = {Op::kTest, kRax, kNoReg, iz}; registers = true; break;
    case F::SUB_Ev_Ib: f = {Op::kSub, i.rm, kNoReg, ib}; break;
    case F::SUB_Ev_Iz: f = {Op::kSub, i.rm, kNoReg, iz}; break;
    case F::ADD_Ev_Ib: f = {Op::kAdd, i.rm, kNoReg, ib}; break;
    case F::ADD_Ev_Iz: f = {Op::kAdd, i.rm, kNoReg, iz}; break;
    case F::AND_Ev_Ib: f = {Op::kAnd, i.rm, kNoReg, ib}; break;
    case F::AND_Ev_Iz: f = {Op::kAnd, i.rm, kNoReg, iz}; break;
    case F::CMP_Eb_Gb: f = {Op::kCmp, i.rm, i.reg, 0, 1}; break;
    case F::CMP_Gb_Eb: f = {Op::kCmp, i.reg, i.rm, 0, 1}; break;
    case F::CMP_Eb_Ib: f = {Op::kCmp, i.rm, kNoReg, ib, 1}; break;
    case F::CMP_AL_Ib: f = {Op::kCmp, 0, kNoReg, ib, 1}; registers = true; break;
    case F::TEST_Eb_Gb: f = {Op::kTest, i.rm, i.reg, 0, 1}; break;
    case F::TEST_Eb_Ib_grp3:
    case F::TEST_Eb_Ib_alias: f = {Op::kTest, i.rm, kNoReg, ib, 1}; break;
    case F::TEST_AL_Ib: f = {Op::kTest, 0, kNoReg, ib, 1}; registers = true; break;
    default: return false;
  }
  if (f.size == 0) {
    if (i.osize != 4 && i.osize != 8) return false;
    f.size = i.osize;
  }
  return registers;
}

}  // namespace

Handler specialize_branch(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.osize != 8) return nullptr;
  if (i.form == F::JMP_Jb || i.form == F::JMP_Jz) return &jmp64;
  for (const auto& forms : kJccForms) {
    for (unsigned cc = 0; cc < 16; ++cc) {
      if (forms[cc] == i.form) return kJcc64[cc];
    }
  }
  return nullptr;
}

bool fuse(DecodedInsn& first, const DecodedInsn& jcc) {
  const unsigned cc = jcc.opcode & 0xf;
  if (jcc.handler != kJcc64[cc]) return false;  // not a specialised Jcc
  First f;
  if (!first_operands(first, f)) return false;
  const std::array<Handler, 16>* table = op_table(f);
  if (!table) return false;
  first.handler = (*table)[cc];
  first.quiet = true;
  first.base = f.a;
  first.index = f.b;
  first.imm2 = uint32_t(f.imm);
  first.scale = jcc.len;
  first.disp = int64_t(jcc.imm);
  return true;
}

}  // namespace kestrel::cpu::exec
