// SPDX-License-Identifier: MIT
// Group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) by 1, CL and imm8, the 8086's
// undocumented SETMO/SETMOC in the /6 slot, and the 386's SHLD/SHRD.
// Shifts record their flags lazily (CcOp::kCfOf), rotates and the rest write
// them eagerly. Undefined flags follow what the 8086 and 80286 test vectors
// show where they are defined, and are otherwise documented below.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

/// Group 2 operations in ModRM.reg order (/6 is SAL, a copy of SHL on 186+).
enum class Rot : uint8_t { kRol, kRor, kRcl, kRcr, kShl, kShr, kSal, kSar };

template <class T> constexpr unsigned kWidth = 8 * sizeof(T);
template <class T> bool msb(T v) { return (v >> (kWidth<T> - 1)) & 1; }
/// v >> n and v << n that give 0 for n >= the width instead of UB.
template <class T> T shr(T v, unsigned n) { return n >= kWidth<T> ? T(0) : T(v >> n); }
template <class T> T shl(T v, unsigned n) { return n >= kWidth<T> ? T(0) : T(v << n); }

struct Shifted {
  uint64_t value;
  bool cf, of;
};

/// Rotate by a non-zero count. OF is the count-1 definition applied to the
/// result (SDM vol. 2 RCL/RCR/ROL/ROR); the 80286 vectors confirm it for
/// every count. RCL/RCR rotate through CF: a (width + 1)-bit ring.
template <class T> Shifted rotate(Rot op, T a, unsigned count, bool cf) {
  constexpr unsigned kN = kWidth<T>;
  T r = a;
  bool c = cf;
  switch (op) {
    case Rot::kRol: {
      const unsigned n = count % kN;
      r = T(shl(a, n) | shr(a, kN - n));
      c = r & 1;
      return {r, c, msb(r) != c};
    }
    case Rot::kRor: {
      const unsigned n = count % kN;
      r = T(shr(a, n) | shl(a, kN - n));
      c = msb(r);
      return {r, c, msb(r) != bool((r >> (kN - 2)) & 1)};
    }
    case Rot::kRcl: {
      const unsigned n = count % (kN + 1);
      if (n != 0) {
        r = T(shl(a, n) | shl(T(cf), n - 1) | shr(a, kN + 1 - n));
        c = (a >> (kN - n)) & 1;
      }
      return {r, c, msb(r) != c};
    }
    default: {  // kRcr
      const unsigned n = count % (kN + 1);
      if (n != 0) {
        r = T(shr(a, n) | shl(T(cf), kN - n) | shl(a, kN + 1 - n));
        c = (a >> (n - 1)) & 1;
      }
      return {r, c, msb(r) != bool((r >> (kN - 2)) & 1)};
    }
  }
}

/// Shift by a non-zero count, which may exceed the width on the 8086 (whose
/// microcode loops once per count) and, for bytes and words, on later CPUs
/// too: the bits shifted past the end are zeros (or sign copies for SAR).
/// OF is that of the last one-bit step: MSB(result) XOR CF for SHL, the
/// original MSB for a one-bit SHR (0 for longer ones), 0 for SAR.
template <class T> Shifted shift(Rot op, T a, unsigned count) {
  constexpr unsigned kN = kWidth<T>;
  switch (op) {
    case Rot::kShr: {
      const T r = shr(a, count);
      const bool c = count <= kN && ((a >> (count - 1)) & 1);
      return {r, c, count == 1 && msb(a)};
    }
    case Rot::kSar: {
      const unsigned n = count < kN ? count : kN - 1;
      const T fill = msb(a) ? T(~T(0)) : T(0);
      const T r = count < kN ? T(shr(a, n) | shl(fill, kN - n)) : fill;
      const bool c = count < kN ? ((a >> (n - 1)) & 1) : msb(a);
      return {r, c, false};
    }
    default: {  // kShl, kSal
      const T r = shl(a, count);
      const bool c = count <= kN && ((a >> (kN - count)) & 1);
      return {r, c, msb(r) != c};
    }
  }
}

template <class T> uint32_t szp(T r) {
  uint32_t f = 0;
  if (r == 0) f |= kZf;
  if (msb(r)) f |= kSf;
  if (parity_even(r)) f |= kPf;
  return f;
}

/// The count the CPU acts on: the 8086 uses all 8 bits; later CPUs mask
/// to 5 bits (6 for 64-bit operands), SDM vol. 2 SAL/SAR/SHL/SHR.
template <class T> unsigned effective_count(const Cpu& cpu, unsigned raw) {
  if (cpu.model->quirk(kQuirkUnmaskedShift)) return raw & 0xff;
  return raw & (sizeof(T) == 8 ? 0x3f : 0x1f);
}

/// A masked count of 0 changes no value and no flag, but the operand is
/// still read (and may fault), and a 32-bit register destination is still
/// written, which clears its upper half in 64-bit mode as every 32-bit
/// register write does (what Intel and AMD parts do; the SDM is silent).
template <class T> void count_zero(Cpu& cpu, const DecodedInsn& i) {
  const T v = read_e<T>(cpu, i);
  if (sizeof(T) == 4 && !i.is_mem()) write_e<T>(cpu, i, v);
}

/// Applies `kOp` to the E operand. Shifts set every arithmetic flag from
/// their result, so only rotates (which keep S, Z, A and P) read the old ones.
template <Rot kOp, class T> void group2(Cpu& cpu, const DecodedInsn& i, unsigned raw) {
  constexpr bool kRotate = kOp <= Rot::kRcr;
  const unsigned count = effective_count<T>(cpu, raw);
  if (count == 0) {
    count_zero<T>(cpu, i);
    return;
  }
  const uint32_t old = kRotate ? arith_flags(cpu.s) : 0;
  Shifted out{};
  modify_e<T>(cpu, i, [&](T a) {
    if constexpr (kRotate) out = rotate<T>(kOp, a, count, old & kCf);
    else out = shift<T>(kOp, a, count);
    return T(out.value);
  });
  if constexpr (!kRotate) {
    // S, Z and P from the result; AF is undefined, left clear.
    set_lazy(cpu.s, CcOp::kCfOf, sizeof(T), out.value, uint64_t(out.cf) | uint64_t(out.of) << 1);
    return;
  }
  uint32_t f = old & ~(kCf | kOf);  // rotates keep S, Z, A, P
  if (out.cf) f |= kCf;
  if (out.of) f |= kOf;
  write_arith_flags(cpu.s, f);
}

/// 8086 D0-D3 /6: SETMO (count 1) and SETMOC (count CL) set the operand to
/// all ones when the count is non-zero, with flags as OR with all ones
/// (S and P set, the rest clear); matched against the 8086 test vectors.
template <class T> void setmo(Cpu& cpu, const DecodedInsn& i, unsigned count) {
  if ((count & 0xff) == 0) {
    read_e<T>(cpu, i);
    return;
  }
  modify_e<T>(cpu, i, [](T) { return T(~T(0)); });
  write_arith_flags(cpu.s, kSf | kPf);
}

/// SHLD/SHRD (SDM vol. 2): dst shifted with bits from src filling in. A 16-bit
/// count above 16 has an undefined result; this shifts the 48-bit pattern
/// dst:src:dst, which is what Intel parts do. OF is the count-1 rule (sign
/// change) for every count, AF is left clear.
template <class T> void double_shift(Cpu& cpu, const DecodedInsn& i, unsigned raw, bool left) {
  constexpr unsigned kN = kWidth<T>;
  const unsigned count = raw & (sizeof(T) == 8 ? 0x3f : 0x1f);
  if (count == 0) {
    count_zero<T>(cpu, i);
    return;
  }
  const T src = read_g<T>(cpu, i);
  T r = 0;
  bool cf = false, of = false;
  modify_e<T>(cpu, i, [&](T d) {
    if constexpr (sizeof(T) == 2) {
      const uint64_t x = uint64_t(d) << 32 | uint64_t(src) << 16 | d;
      r = left ? T(x << count >> 32) : T(x >> count);
      cf = left ? (x >> (48 - count)) & 1 : (x >> (count - 1)) & 1;
    } else {
      r = left ? T(shl(d, count) | shr(src, kN - count)) : T(shr(d, count) | shl(src, kN - count));
      cf = left ? (d >> (kN - count)) & 1 : (d >> (count - 1)) & 1;
    }
    of = msb(r) != msb(d);
    return r;
  });
  uint32_t f = szp(r);
  if (cf) f |= kCf;
  if (of) f |= kOf;
  write_arith_flags(cpu.s, f);
}

uint8_t cl(const Cpu& cpu) { return uint8_t(cpu.s.gpr[kRcx]); }

template <Rot kOp> void eb(Cpu& c, const DecodedInsn& i, unsigned n) {
  group2<kOp, uint8_t>(c, i, n);
}
template <Rot kOp> void ev(Cpu& c, const DecodedInsn& i, unsigned n) {
  with_osize(i, [&]<class T>(T) { group2<kOp, T>(c, i, n); });
}

}  // namespace

void ROL_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kRol>(c, i, 1); }
void ROR_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kRor>(c, i, 1); }
void RCL_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcl>(c, i, 1); }
void RCR_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcr>(c, i, 1); }
void SHL_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kShl>(c, i, 1); }
void SHR_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kShr>(c, i, 1); }
void SAL_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kSal>(c, i, 1); }
void SAR_Eb_1(Cpu& c, const DecodedInsn& i) { eb<Rot::kSar>(c, i, 1); }
void ROL_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kRol>(c, i, 1); }
void ROR_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kRor>(c, i, 1); }
void RCL_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcl>(c, i, 1); }
void RCR_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcr>(c, i, 1); }
void SHL_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kShl>(c, i, 1); }
void SHR_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kShr>(c, i, 1); }
void SAL_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kSal>(c, i, 1); }
void SAR_Ev_1(Cpu& c, const DecodedInsn& i) { ev<Rot::kSar>(c, i, 1); }

void ROL_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kRol>(c, i, cl(c)); }
void ROR_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kRor>(c, i, cl(c)); }
void RCL_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcl>(c, i, cl(c)); }
void RCR_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcr>(c, i, cl(c)); }
void SHL_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kShl>(c, i, cl(c)); }
void SHR_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kShr>(c, i, cl(c)); }
void SAL_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kSal>(c, i, cl(c)); }
void SAR_Eb_CL(Cpu& c, const DecodedInsn& i) { eb<Rot::kSar>(c, i, cl(c)); }
void ROL_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kRol>(c, i, cl(c)); }
void ROR_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kRor>(c, i, cl(c)); }
void RCL_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcl>(c, i, cl(c)); }
void RCR_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcr>(c, i, cl(c)); }
void SHL_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kShl>(c, i, cl(c)); }
void SHR_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kShr>(c, i, cl(c)); }
void SAL_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kSal>(c, i, cl(c)); }
void SAR_Ev_CL(Cpu& c, const DecodedInsn& i) { ev<Rot::kSar>(c, i, cl(c)); }

void ROL_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kRol>(c, i, uint8_t(i.imm)); }
void ROR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kRor>(c, i, uint8_t(i.imm)); }
void RCL_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcl>(c, i, uint8_t(i.imm)); }
void RCR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kRcr>(c, i, uint8_t(i.imm)); }
void SHL_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kShl>(c, i, uint8_t(i.imm)); }
void SHR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kShr>(c, i, uint8_t(i.imm)); }
void SAL_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kSal>(c, i, uint8_t(i.imm)); }
void SAR_Eb_Ib(Cpu& c, const DecodedInsn& i) { eb<Rot::kSar>(c, i, uint8_t(i.imm)); }
void ROL_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kRol>(c, i, uint8_t(i.imm)); }
void ROR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kRor>(c, i, uint8_t(i.imm)); }
void RCL_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcl>(c, i, uint8_t(i.imm)); }
void RCR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kRcr>(c, i, uint8_t(i.imm)); }
void SHL_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kShl>(c, i, uint8_t(i.imm)); }
void SHR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kShr>(c, i, uint8_t(i.imm)); }
void SAL_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kSal>(c, i, uint8_t(i.imm)); }
void SAR_Ev_Ib(Cpu& c, const DecodedInsn& i) { ev<Rot::kSar>(c, i, uint8_t(i.imm)); }

void SETMO_Eb_1(Cpu& c, const DecodedInsn& i) { setmo<uint8_t>(c, i, 1); }
void SETMO_Ev_1(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { setmo<T>(c, i, 1); });
}
void SETMO_Eb_CL(Cpu& c, const DecodedInsn& i) { setmo<uint8_t>(c, i, cl(c)); }
void SETMO_Ev_CL(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { setmo<T>(c, i, cl(c)); });
}

void SHLD_Ev_Gv_Ib(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { double_shift<T>(c, i, uint8_t(i.imm), true); });
}
void SHLD_Ev_Gv_CL(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { double_shift<T>(c, i, cl(c), true); });
}
void SHRD_Ev_Gv_Ib(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { double_shift<T>(c, i, uint8_t(i.imm), false); });
}
void SHRD_Ev_Gv_CL(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { double_shift<T>(c, i, cl(c), false); });
}

}  // namespace kestrel::cpu::exec
