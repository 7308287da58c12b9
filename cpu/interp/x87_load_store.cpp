// SPDX-License-Identifier: MIT
// x87 data transfer: FLD/FST/FSTP in every format, FILD/FIST/FISTP/FISTTP,
// FBLD/FBSTP, the constants, FXCH, FFREE, FFREEP and FCMOVcc, with the
// undocumented register aliases Intel processors execute (SDM 2 FLD, FST,
// FILD, FIST, FISTTP, FBLD, FBSTP, FLD1, FXCH, FFREE, FCMOVcc).
#include "cpu/flags.h"
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

using x87::Float80;
using x87::Operand;

/// Pushes `v` (with the exceptions its conversion raised) onto the stack.
void push_value(Cpu& cpu, Operand v, x87::Env env) {
  CpuState& s = cpu.s;
  if (push_overflows(s)) {
    if (!stack_fault(cpu, true)) x87::push(s, x87::kIndefinite);
    return;
  }
  // An unmasked denormal exception still loads the value (the operand is
  // exact); an unmasked invalid one does not.
  if (!env.unmasked(x87::kIe)) x87::push(s, v.v);
  x87::set_cc(s, x87::kSwC1, 0);
  x87::raise_flags(s, env.flags);
}

/// FLD m32fp/m64fp: SNaNs load quieted with invalid, denormals raise the
/// denormal exception (SDM 2 FLD).
void load_real(Cpu& cpu, const DecodedInsn& insn, Operand v) {
  fpu_pointers(cpu, insn);
  x87::Env env = x87::env_of(cpu.s);
  const x87::Class c = x87::classify(v.v);
  if (c == x87::Class::kSNaN) {
    env.flags |= x87::kIe;
    v.v = x87::quiet(v.v);
  }
  if (v.denormal) env.flags |= x87::kDe;
  push_value(cpu, v, env);
}

void load_exact(Cpu& cpu, const DecodedInsn& insn, Float80 v) {
  if (insn.is_mem()) fpu_pointers(cpu, insn);
  push_value(cpu, v, x87::env_of(cpu.s));
}

/// The constants of FLDPI & co. as the hardware holds them (66 bits,
/// here 128): rounded by FCW.RC, with no precision exception.
struct Constant {
  uint64_t hi, lo;
  int32_t exp;  ///< value = hi:lo × 2^(exp - 127)
};
constexpr Constant kL2T{0xd49a784bcd1b8afe, 0x492bf6ff4dafdb4d, 1};
constexpr Constant kL2E{0xb8aa3b295c17f0bb, 0xbe87fed0691d3e89, 0};
constexpr Constant kPi{0xc90fdaa22168c234, 0xc4c6628b80dc1cd1, 1};
constexpr Constant kLg2{0x9a209a84fbcff798, 0x8f8959ac0b7c9178, -2};
constexpr Constant kLn2{0xb17217f7d1cf79ab, 0xc9e3b39803f2f6af, -1};

void load_constant(Cpu& cpu, const DecodedInsn& insn, Constant k) {
  fpu_start(cpu, insn);
  x87::Env env = x87::env_of(cpu.s);
  const Float80 v = x87::round80(false, x87::u128(k.hi) << 64 | k.lo, k.exp - 127, env, 64);
  push_value(cpu, v, x87::env_of(cpu.s));
}

/// The store of a value to memory: `put` writes the converted value; the
/// pop happens only when the store did.
template <class Put> void store(Cpu& cpu, const DecodedInsn& insn, bool pop, Put&& put) {
  CpuState& s = cpu.s;
  x87::Env env = x87::env_of(s);
  const bool underflow = x87::empty(s, 0);
  bool done = true;
  if (underflow) {
    env.flags |= x87::kIe | x87::kSf;
    if (!(s.fcw & x87::kIe)) done = false;
    else put(x87::kIndefinite, env, done);
  } else {
    put(x87::st(s, 0), env, done);
  }
  fpu_pointers(cpu, insn);
  if (done && pop) x87::pop(s);
  fpu_finish(cpu, env);
}

void store_real(Cpu& cpu, const DecodedInsn& insn, bool pop, bool dbl) {
  fpu_start(cpu, insn);
  const uint64_t ea = fpu_ea(cpu, insn);
  store(cpu, insn, pop, [&](Float80 v, x87::Env& env, bool& done) {
    bool suppressed = false;
    const uint64_t bits = dbl ? x87::to_f64(v, env, suppressed) : x87::to_f32(v, env, suppressed);
    done = !suppressed && !env.aborts();
    if (!done) return;
    if (dbl) cpu.write<uint64_t>(insn.seg, ea, bits);
    else cpu.write<uint32_t>(insn.seg, ea, uint32_t(bits));
  });
}

void store_int(Cpu& cpu, const DecodedInsn& insn, unsigned bits, bool pop, bool truncate) {
  fpu_start(cpu, insn);
  const uint64_t ea = fpu_ea(cpu, insn);
  store(cpu, insn, pop, [&](Float80 v, x87::Env& env, bool& done) {
    const int64_t r = x87::to_int(v, bits, env, truncate);
    done = !env.aborts();
    if (!done) return;
    switch (bits) {
      case 16: cpu.write<uint16_t>(insn.seg, ea, uint16_t(r)); break;
      case 32: cpu.write<uint32_t>(insn.seg, ea, uint32_t(r)); break;
      default: cpu.write<uint64_t>(insn.seg, ea, uint64_t(r)); break;
    }
  });
}

/// FST/FSTP ST(i) and their aliases: a copy, no exceptions but underflow.
void store_reg(Cpu& cpu, const DecodedInsn& insn, bool pop) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  const unsigned i = insn.rm & 7;
  if (x87::empty(s, 0)) {
    if (stack_fault(cpu, false)) return;
    x87::set_st(s, i, x87::kIndefinite);
  } else {
    x87::set_st(s, i, x87::st(s, 0));
    x87::set_cc(s, x87::kSwC1, 0);
  }
  if (pop) x87::pop(s);
}

/// FXCH and its aliases. An empty register joins the exchange as the
/// indefinite under a masked stack fault.
void exchange(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  const unsigned i = insn.rm & 7;
  Float80 a = x87::st(s, 0), b = x87::st(s, i);
  if (x87::empty(s, 0) || x87::empty(s, i)) {
    if (stack_fault(cpu, false)) return;
    if (x87::empty(s, 0)) a = x87::kIndefinite;
    if (x87::empty(s, i)) b = x87::kIndefinite;
  } else {
    x87::set_cc(s, x87::kSwC1, 0);
  }
  x87::set_st(s, 0, b);
  x87::set_st(s, i, a);
}

/// FCMOVcc: ST(0) = ST(i) when the EFLAGS condition holds. A masked stack
/// underflow stores the indefinite whatever the condition; C1 changes
/// only then (as on the hardware measured).
void fcmov(Cpu& cpu, const DecodedInsn& insn, unsigned cc) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  const unsigned i = insn.rm & 7;
  if (x87::empty(s, 0) || x87::empty(s, i)) {
    if (!stack_fault(cpu, false)) x87::set_st(s, 0, x87::kIndefinite);
    return;
  }
  if (test_cc(s, cc)) x87::set_st(s, 0, x87::st(s, i));
}

}  // namespace

// ---- loads ----
void FLD_Md(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_real(cpu, insn, read_m32fp(cpu, insn));
}
void FLD_Mq(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_real(cpu, insn, read_m64fp(cpu, insn));
}
void FLD_Mt(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, read_m80(cpu, insn, fpu_ea(cpu, insn)));
}
void FLD_STi(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  CpuState& s = cpu.s;
  const unsigned i = insn.rm & 7;
  // An empty source is reported before a full stack.
  if (x87::empty(s, i)) {
    if (!stack_fault(cpu, false)) x87::push(s, x87::kIndefinite);
    return;
  }
  load_exact(cpu, insn, x87::st(s, i));
}
void FILD_Mw(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, read_mint(cpu, insn, 16));
}
void FILD_Md(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, read_mint(cpu, insn, 32));
}
void FILD_Mq(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, read_mint(cpu, insn, 64));
}
void FBLD_Mt(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  const uint64_t ea = fpu_ea(cpu, insn);
  uint8_t bcd[10];
  for (unsigned k = 0; k < 10; ++k) bcd[k] = cpu.read<uint8_t>(insn.seg, ea_plus(insn, ea, k));
  load_exact(cpu, insn, x87::from_bcd(bcd));
}

void FLD1(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, x87::kOne80);
}
void FLDZ(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  load_exact(cpu, insn, x87::kZero80);
}
void FLDL2T(Cpu& cpu, const DecodedInsn& insn) { load_constant(cpu, insn, kL2T); }
void FLDL2E(Cpu& cpu, const DecodedInsn& insn) { load_constant(cpu, insn, kL2E); }
void FLDPI(Cpu& cpu, const DecodedInsn& insn) { load_constant(cpu, insn, kPi); }
void FLDLG2(Cpu& cpu, const DecodedInsn& insn) { load_constant(cpu, insn, kLg2); }
void FLDLN2(Cpu& cpu, const DecodedInsn& insn) { load_constant(cpu, insn, kLn2); }

// ---- stores ----
void FST_Md(Cpu& cpu, const DecodedInsn& insn) { store_real(cpu, insn, false, false); }
void FSTP_Md(Cpu& cpu, const DecodedInsn& insn) { store_real(cpu, insn, true, false); }
void FST_Mq(Cpu& cpu, const DecodedInsn& insn) { store_real(cpu, insn, false, true); }
void FSTP_Mq(Cpu& cpu, const DecodedInsn& insn) { store_real(cpu, insn, true, true); }
void FSTP_Mt(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  const uint64_t ea = fpu_ea(cpu, insn);
  store(cpu, insn, true, [&](Float80 v, x87::Env&, bool&) { write_m80(cpu, insn, ea, v); });
}
void FIST_Mw(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 16, false, false); }
void FISTP_Mw(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 16, true, false); }
void FIST_Md(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 32, false, false); }
void FISTP_Md(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 32, true, false); }
void FISTP_Mq(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 64, true, false); }
void FISTTP_Mw(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 16, true, true); }
void FISTTP_Md(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 32, true, true); }
void FISTTP_Mq(Cpu& cpu, const DecodedInsn& insn) { store_int(cpu, insn, 64, true, true); }
void FBSTP_Mt(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  const uint64_t ea = fpu_ea(cpu, insn);
  store(cpu, insn, true, [&](Float80 v, x87::Env& env, bool& done) {
    uint8_t bcd[10];
    x87::to_bcd(v, env, bcd);
    done = !env.aborts();
    if (!done) return;
    for (unsigned k = 0; k < 10; ++k) cpu.write<uint8_t>(insn.seg, ea_plus(insn, ea, k), bcd[k]);
  });
}
void FST_STi(Cpu& cpu, const DecodedInsn& insn) { store_reg(cpu, insn, false); }
void FSTP_STi(Cpu& cpu, const DecodedInsn& insn) { store_reg(cpu, insn, true); }
void FSTP1_STi(Cpu& cpu, const DecodedInsn& insn) { store_reg(cpu, insn, true); }
void FSTP8_STi(Cpu& cpu, const DecodedInsn& insn) { store_reg(cpu, insn, true); }
void FSTP9_STi(Cpu& cpu, const DecodedInsn& insn) { store_reg(cpu, insn, true); }

// ---- register moves ----
void FXCH_STi(Cpu& cpu, const DecodedInsn& insn) { exchange(cpu, insn); }
void FXCH4_STi(Cpu& cpu, const DecodedInsn& insn) { exchange(cpu, insn); }
void FXCH7_STi(Cpu& cpu, const DecodedInsn& insn) { exchange(cpu, insn); }
// FFREE leaves C0-C3 undefined; C1 is cleared, as on the hardware measured.
void FFREE_STi(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  x87::set_tag(cpu.s, x87::phys(cpu.s, insn.rm & 7), x87::kTagEmpty);
  x87::set_cc(cpu.s, x87::kSwC1, 0);
}
// FFREEP: FFREE ST(i), then a pop (undocumented, DF C0+i).
void FFREEP_STi(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  x87::set_tag(cpu.s, x87::phys(cpu.s, insn.rm & 7), x87::kTagEmpty);
  x87::set_cc(cpu.s, x87::kSwC1, 0);
  x87::pop(cpu.s);
}

// The condition numbers are those of Jcc: B 2, E 4, BE 6, P 10, and +1 negated.
void FCMOVB_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x2); }
void FCMOVE_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x4); }
void FCMOVBE_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x6); }
void FCMOVU_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0xa); }
void FCMOVNB_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x3); }
void FCMOVNE_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x5); }
void FCMOVNBE_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0x7); }
void FCMOVNU_ST0_STi(Cpu& cpu, const DecodedInsn& insn) { fcmov(cpu, insn, 0xb); }

}  // namespace kestrel::cpu::exec
