// SPDX-License-Identifier: MIT
// The two-operand integer ALU (ADD OR ADC SBB AND SUB XOR CMP TEST) in every
// encoding, and INC, DEC, NEG, NOT. All of them leave their flags lazily
// (cpu/flags.h); shifts, multiplies and BCD adjusts live in their own files.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

/// Group-1 operations in ModRM.reg order (SDM vol. 2 table A-6), plus TEST.
enum class Alu : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

/// A result and the lazy-flags record that describes it.
template <class T> struct AluResult {
  T value;
  CcOp cc;
  T src;
  T src2;
};

template <class T> AluResult<T> compute(Alu op, T a, T b, bool carry) {
  const T c = carry ? 1 : 0;
  switch (op) {
    case Alu::kAdd: return {T(a + b), CcOp::kAdd, b, 0};
    case Alu::kAdc: return {T(a + b + c), CcOp::kAdc, b, c};
    case Alu::kSbb: return {T(a - b - c), CcOp::kSbb, b, c};
    case Alu::kSub:
    case Alu::kCmp: return {T(a - b), CcOp::kSub, b, 0};
    case Alu::kOr: return {T(a | b), CcOp::kLogic, 0, 0};
    case Alu::kXor: return {T(a ^ b), CcOp::kLogic, 0, 0};
    case Alu::kAnd:
    case Alu::kTest: return {T(a & b), CcOp::kLogic, 0, 0};
  }
  return {a, CcOp::kLogic, 0, 0};
}

constexpr bool writes_result(Alu op) { return op != Alu::kCmp && op != Alu::kTest; }
constexpr bool reads_carry(Alu op) { return op == Alu::kAdc || op == Alu::kSbb; }

template <class T> void commit_flags(CpuState& s, const AluResult<T>& r) {
  set_lazy(s, r.cc, sizeof(T), r.value, r.src, r.src2);
}

/// E op= b. Flags are recorded only after the write succeeded, so a faulting
/// store leaves the flags as they were.
template <Alu kOp, class T> void to_e(Cpu& cpu, const DecodedInsn& i, T b) {
  const bool carry = reads_carry(kOp) && carry_flag(cpu.s);
  AluResult<T> r;
  if constexpr (writes_result(kOp)) {
    modify_e<T>(cpu, i, [&](T a) {
      r = compute<T>(kOp, a, b, carry);
      return r.value;
    });
  } else {
    r = compute<T>(kOp, read_e<T>(cpu, i), b, carry);
  }
  commit_flags(cpu.s, r);
}

/// G op= E.
template <Alu kOp, class T> void to_g(Cpu& cpu, const DecodedInsn& i) {
  const bool carry = reads_carry(kOp) && carry_flag(cpu.s);
  const AluResult<T> r = compute<T>(kOp, read_g<T>(cpu, i), read_e<T>(cpu, i), carry);
  if constexpr (writes_result(kOp)) write_g<T>(cpu, i, r.value);
  commit_flags(cpu.s, r);
}

/// AL / rAX op= immediate.
template <Alu kOp, class T> void to_acc(Cpu& cpu, T b) {
  const bool carry = reads_carry(kOp) && carry_flag(cpu.s);
  const AluResult<T> r = compute<T>(kOp, T(cpu.s.gpr[kRax]), b, carry);
  if constexpr (writes_result(kOp)) write_gpr<T>(cpu.s, kRax, r.value);
  commit_flags(cpu.s, r);
}

// Immediates are sign-extended here from their encoded width, so these do
// not depend on how far the decoder extended them.
template <class T> T imm_b(const DecodedInsn& i) { return T(int64_t(int8_t(i.imm))); }
template <class T> T imm_z(const DecodedInsn& i) { return T(int64_t(int32_t(i.imm))); }

// One function per encoding shape; the handlers below pick the operation.
template <Alu kOp> void eb_gb(Cpu& c, const DecodedInsn& i) {
  to_e<kOp, uint8_t>(c, i, read_g<uint8_t>(c, i));
}
template <Alu kOp> void ev_gv(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { to_e<kOp, T>(c, i, read_g<T>(c, i)); });
}
template <Alu kOp> void gb_eb(Cpu& c, const DecodedInsn& i) { to_g<kOp, uint8_t>(c, i); }
template <Alu kOp> void gv_ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { to_g<kOp, T>(c, i); });
}
template <Alu kOp> void al_ib(Cpu& c, const DecodedInsn& i) {
  to_acc<kOp, uint8_t>(c, uint8_t(i.imm));
}
template <Alu kOp> void rax_iz(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { to_acc<kOp, T>(c, imm_z<T>(i)); });
}
template <Alu kOp> void eb_ib(Cpu& c, const DecodedInsn& i) {
  to_e<kOp, uint8_t>(c, i, uint8_t(i.imm));
}
template <Alu kOp> void ev_iz(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { to_e<kOp, T>(c, i, imm_z<T>(i)); });
}
template <Alu kOp> void ev_ib(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { to_e<kOp, T>(c, i, imm_b<T>(i)); });
}

/// INC/DEC keep CF: the lazy record carries the old CF in src.
template <class T> void inc_dec_e(Cpu& cpu, const DecodedInsn& i, bool inc) {
  const bool cf = carry_flag(cpu.s);
  T r = 0;
  modify_e<T>(cpu, i, [&](T a) { return r = T(inc ? a + 1 : a - 1); });
  set_lazy(cpu.s, inc ? CcOp::kInc : CcOp::kDec, sizeof(T), r, cf);
}

template <class T> void inc_dec_z(Cpu& cpu, const DecodedInsn& i, bool inc) {
  const bool cf = carry_flag(cpu.s);
  const T a = read_gpr<T>(cpu.s, i.reg);
  const T r = T(inc ? a + 1 : a - 1);
  write_gpr<T>(cpu.s, i.reg, r);
  set_lazy(cpu.s, inc ? CcOp::kInc : CcOp::kDec, sizeof(T), r, cf);
}

/// NEG is SUB from zero: the record (result, operand) decodes to CF = operand != 0.
template <class T> void neg_e(Cpu& cpu, const DecodedInsn& i) {
  T src = 0, r = 0;
  modify_e<T>(cpu, i, [&](T a) {
    src = a;
    return r = T(T(0) - a);
  });
  set_lazy(cpu.s, CcOp::kSub, sizeof(T), r, src);
}

template <class T> void not_e(Cpu& cpu, const DecodedInsn& i) {
  modify_e<T>(cpu, i, [](T a) { return T(~a); });
}

}  // namespace

// ADD
void ADD_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kAdd>(c, i); }
void ADD_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kAdd>(c, i); }
void ADD_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kAdd>(c, i); }
void ADD_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kAdd>(c, i); }
void ADD_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kAdd>(c, i); }
void ADD_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kAdd>(c, i); }
void ADD_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAdd>(c, i); }
void ADD_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kAdd>(c, i); }
void ADD_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAdd>(c, i); }
void ADD_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kAdd>(c, i); }

// OR
void OR_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kOr>(c, i); }
void OR_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kOr>(c, i); }
void OR_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kOr>(c, i); }
void OR_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kOr>(c, i); }
void OR_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kOr>(c, i); }
void OR_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kOr>(c, i); }
void OR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kOr>(c, i); }
void OR_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kOr>(c, i); }
void OR_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kOr>(c, i); }
void OR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kOr>(c, i); }

// ADC
void ADC_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kAdc>(c, i); }
void ADC_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kAdc>(c, i); }
void ADC_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kAdc>(c, i); }
void ADC_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kAdc>(c, i); }
void ADC_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kAdc>(c, i); }
void ADC_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kAdc>(c, i); }
void ADC_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAdc>(c, i); }
void ADC_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kAdc>(c, i); }
void ADC_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAdc>(c, i); }
void ADC_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kAdc>(c, i); }

// SBB
void SBB_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kSbb>(c, i); }
void SBB_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kSbb>(c, i); }
void SBB_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kSbb>(c, i); }
void SBB_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kSbb>(c, i); }
void SBB_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kSbb>(c, i); }
void SBB_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kSbb>(c, i); }
void SBB_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kSbb>(c, i); }
void SBB_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kSbb>(c, i); }
void SBB_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kSbb>(c, i); }
void SBB_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kSbb>(c, i); }

// AND
void AND_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kAnd>(c, i); }
void AND_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kAnd>(c, i); }
void AND_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kAnd>(c, i); }
void AND_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kAnd>(c, i); }
void AND_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kAnd>(c, i); }
void AND_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kAnd>(c, i); }
void AND_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAnd>(c, i); }
void AND_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kAnd>(c, i); }
void AND_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kAnd>(c, i); }
void AND_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kAnd>(c, i); }

// SUB
void SUB_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kSub>(c, i); }
void SUB_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kSub>(c, i); }
void SUB_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kSub>(c, i); }
void SUB_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kSub>(c, i); }
void SUB_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kSub>(c, i); }
void SUB_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kSub>(c, i); }
void SUB_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kSub>(c, i); }
void SUB_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kSub>(c, i); }
void SUB_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kSub>(c, i); }
void SUB_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kSub>(c, i); }

// XOR
void XOR_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kXor>(c, i); }
void XOR_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kXor>(c, i); }
void XOR_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kXor>(c, i); }
void XOR_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kXor>(c, i); }
void XOR_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kXor>(c, i); }
void XOR_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kXor>(c, i); }
void XOR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kXor>(c, i); }
void XOR_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kXor>(c, i); }
void XOR_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kXor>(c, i); }
void XOR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kXor>(c, i); }

// CMP
void CMP_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kCmp>(c, i); }
void CMP_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kCmp>(c, i); }
void CMP_Gb_Eb(Cpu& c, const DecodedInsn& i) { gb_eb<Alu::kCmp>(c, i); }
void CMP_Gv_Ev(Cpu& c, const DecodedInsn& i) { gv_ev<Alu::kCmp>(c, i); }
void CMP_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kCmp>(c, i); }
void CMP_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kCmp>(c, i); }
void CMP_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kCmp>(c, i); }
void CMP_Ev_Iz(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kCmp>(c, i); }
void CMP_Eb_Ib_82(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kCmp>(c, i); }
void CMP_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev_ib<Alu::kCmp>(c, i); }

// TEST (F6 /1 and F7 /1 are undocumented aliases of /0)
void TEST_Eb_Gb(Cpu& c, const DecodedInsn& i) { eb_gb<Alu::kTest>(c, i); }
void TEST_Ev_Gv(Cpu& c, const DecodedInsn& i) { ev_gv<Alu::kTest>(c, i); }
void TEST_AL_Ib(Cpu& c, const DecodedInsn& i) { al_ib<Alu::kTest>(c, i); }
void TEST_rAX_Iz(Cpu& c, const DecodedInsn& i) { rax_iz<Alu::kTest>(c, i); }
void TEST_Eb_Ib_grp3(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kTest>(c, i); }
void TEST_Eb_Ib_alias(Cpu& c, const DecodedInsn& i) { eb_ib<Alu::kTest>(c, i); }
void TEST_Ev_Iz_grp3(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kTest>(c, i); }
void TEST_Ev_Iz_alias(Cpu& c, const DecodedInsn& i) { ev_iz<Alu::kTest>(c, i); }

// INC, DEC, NEG, NOT
void INC_Zv(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { inc_dec_z<T>(c, i, true); });
}
void DEC_Zv(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { inc_dec_z<T>(c, i, false); });
}
void INC_Eb(Cpu& c, const DecodedInsn& i) { inc_dec_e<uint8_t>(c, i, true); }
void DEC_Eb(Cpu& c, const DecodedInsn& i) { inc_dec_e<uint8_t>(c, i, false); }
void INC_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { inc_dec_e<T>(c, i, true); });
}
void DEC_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { inc_dec_e<T>(c, i, false); });
}
void NEG_Eb(Cpu& c, const DecodedInsn& i) { neg_e<uint8_t>(c, i); }
void NEG_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { neg_e<T>(c, i); });
}
void NOT_Eb(Cpu& c, const DecodedInsn& i) { not_e<uint8_t>(c, i); }
void NOT_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { not_e<T>(c, i); });
}

}  // namespace kestrel::cpu::exec
