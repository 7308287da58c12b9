// SPDX-License-Identifier: MIT
// MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV, with the
// 8086's divide-overflow and REP-prefix quirks. Wide products and dividends
// are built from 64-bit halves so the interpreter needs no 128-bit type.
#include <bit>
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

/// A double-width value as two halves of the operand type's width.
struct Wide {
  uint64_t lo, hi;
};

constexpr unsigned kBits64 = 64;

/// Unsigned a * b of `bits` each, as two `bits`-wide halves.
Wide mul_u(uint64_t a, uint64_t b, unsigned bits) {
  if (bits < kBits64) {
    const uint64_t p = a * b;
    return {p & ((uint64_t{1} << bits) - 1), p >> bits};
  }
  const uint64_t a0 = uint32_t(a), a1 = a >> 32, b0 = uint32_t(b), b1 = b >> 32;
  const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const uint64_t mid = (p00 >> 32) + uint32_t(p01) + uint32_t(p10);
  return {(mid << 32) | uint32_t(p00), p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32)};
}

/// Two's complement negation of a double-width value.
Wide neg_wide(Wide w, unsigned bits) {
  const uint64_t m = bits < kBits64 ? (uint64_t{1} << bits) - 1 : ~uint64_t{0};
  const uint64_t lo = (~w.lo + 1) & m;
  return {lo, (~w.hi + (lo == 0 ? 1 : 0)) & m};
}

template <class T> constexpr T sign_bit() { return T(T(1) << (8 * sizeof(T) - 1)); }
template <class T> bool negative(T v) { return (v & sign_bit<T>()) != 0; }
template <class T> T abs_u(T v) { return negative(v) ? T(T(0) - v) : v; }

/// Signed a * b: the magnitude product, negated when the signs differ.
template <class T> Wide mul_s(T a, T b) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const Wide p = mul_u(abs_u(a), abs_u(b), kBits);
  return negative(a) != negative(b) ? neg_wide(p, kBits) : p;
}

/// Flags after a multiply. `hi` is the high half and `lo` the low half;
/// CF = OF = the high half is not the (sign or zero) extension of the low.
/// The 8086 leaves S, Z, P and A from its last microcode ALU step, which
/// adds the low half's sign bit (IMUL) or zero (MUL) to the high half;
/// matched against the 8086 test vectors. Later CPUs: S, Z, P from the low
/// half, A clear (all undefined, SDM vol. 2 MUL/IMUL), as a kCfOf record.
template <class T> void mul_flags(Cpu& cpu, T lo, T hi, bool is_signed) {
  const T ext = is_signed && negative(lo) ? T(~T(0)) : T(0);
  const bool wide = hi != ext;
  if (!cpu.model->quirk(kQuirkMul8086Flags)) {
    set_lazy(cpu.s, CcOp::kCfOf, sizeof(T), lo, wide ? 3 : 0);
    return;
  }
  uint32_t f = wide ? kCf | kOf : 0;
  const T add = is_signed && negative(lo) ? 1 : 0;
  const T basis = T(hi + add);
  if (add && (hi & 0xf) == 0xf) f |= kAf;
  if (basis == 0) f |= kZf;
  if (negative(basis)) f |= kSf;
  if (parity_even(basis)) f |= kPf;
  write_arith_flags(cpu.s, f);
}

/// The 8086 negates the result of IMUL and IDIV behind a REP/REPNE prefix:
/// the microcode reuses the prefix's flag as its sign-fixup flag. The IDIV
/// case is in the 8086 test vectors; the IMUL case is not, and follows the
/// published analyses of the 8086 microcode.
bool rep_negates(const Cpu& cpu, const DecodedInsn& i) {
  return i.rep != kRepNone && cpu.model->quirk(kQuirkRepIdivNegate);
}

/// MUL/IMUL with an implicit accumulator: AX = AL * E, or rDX:rAX = rAX * E.
template <class T> void mul_acc(Cpu& cpu, const DecodedInsn& i, bool is_signed) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const T src = read_e<T>(cpu, i);
  const T a = T(cpu.s.gpr[kRax]);
  Wide p = is_signed ? mul_s<T>(a, src) : mul_u(a, src, kBits);
  if (is_signed && rep_negates(cpu, i)) p = neg_wide(p, kBits);
  if constexpr (sizeof(T) == 1) {
    write_gpr<uint16_t>(cpu.s, kRax, uint16_t(p.hi << 8 | p.lo));
  } else {
    write_gpr<T>(cpu.s, kRax, T(p.lo));
    write_gpr<T>(cpu.s, kRdx, T(p.hi));
  }
  mul_flags<T>(cpu, T(p.lo), T(p.hi), is_signed);
}

/// G = a * b, truncated (two- and three-operand IMUL).
template <class T> void imul_to_g(Cpu& cpu, const DecodedInsn& i, T a, T b) {
  const Wide p = mul_s<T>(a, b);
  write_g<T>(cpu, i, T(p.lo));
  mul_flags<T>(cpu, T(p.lo), T(p.hi), true);
}

/// Unsigned (hi:lo) / d with hi < d, so the quotient fits in 64 bits:
/// schoolbook division in 32-bit digits with the divisor normalised, each
/// quotient digit estimated from the divisor's top digit and corrected
/// down at most twice (Knuth, TAOCP vol. 2 §4.3.1, algorithm D).
void div_u128(Wide n, uint64_t d, uint64_t& q, uint64_t& r) {
  if (n.hi == 0) {
    q = n.lo / d;
    r = n.lo % d;
    return;
  }
  const int s = std::countl_zero(d);  // d > n.hi >= 1
  d <<= s;
  const uint64_t top = s ? n.hi << s | n.lo >> (64 - s) : n.hi;
  const uint64_t low = n.lo << s;
  const uint64_t d1 = d >> 32, d0 = uint32_t(d);
  // One quotient digit of (rem:next) / d, rem < d; `rem` becomes the remainder.
  const auto digit = [&](uint64_t& rem, uint64_t next) {
    uint64_t qd = rem / d1, rhat = rem % d1;
    while (qd >> 32 || qd * d0 > (rhat << 32 | next)) {
      --qd;
      rhat += d1;
      if (rhat >> 32) break;
    }
    // The true remainder is below d < 2^64: arithmetic modulo 2^64 gives it.
    rem = (rem << 32 | next) - qd * d;
    return qd;
  };
  uint64_t rem = top;
  const uint64_t q1 = digit(rem, low >> 32);
  const uint64_t q0 = digit(rem, uint32_t(low));
  q = q1 << 32 | q0;
  r = rem >> s;
}

/// Unsigned division of a double-width dividend; false on overflow.
bool div_wide(Wide n, uint64_t d, unsigned bits, uint64_t& q, uint64_t& r) {
  if (n.hi >= d) return false;  // quotient would not fit in `bits`
  if (bits < kBits64) {
    const uint64_t dividend = n.hi << bits | n.lo;
    q = dividend / d;
    r = dividend % d;
  } else {
    div_u128(n, d, q, r);
  }
  return true;
}

/// The dividend: AX for byte division, else rDX:rAX.
template <class T> Wide dividend(const Cpu& cpu) {
  if constexpr (sizeof(T) == 1) {
    return {cpu.s.gpr[kRax] & 0xff, (cpu.s.gpr[kRax] >> 8) & 0xff};
  } else {
    return {T(cpu.s.gpr[kRax]), T(cpu.s.gpr[kRdx])};
  }
}

template <class T> void store_div(Cpu& cpu, T q, T r) {
  if constexpr (sizeof(T) == 1) {
    write_gpr<uint16_t>(cpu.s, kRax, uint16_t(r << 8 | q));
  } else {
    write_gpr<T>(cpu.s, kRax, q);
    write_gpr<T>(cpu.s, kRdx, r);
  }
}

template <class T> void div_acc(Cpu& cpu, const DecodedInsn& i) {
  const T d = read_e<T>(cpu, i);
  uint64_t q = 0, r = 0;
  if (d == 0 || !div_wide(dividend<T>(cpu), d, 8 * sizeof(T), q, r)) raise(kVecDe);
  store_div<T>(cpu, T(q), T(r));
}

/// Signed division of the dividend `n` by `d` (non-zero): quotient and
/// remainder, or false when the quotient is out of range. The quotient is
/// negative when the signs differ, the remainder takes the dividend's sign.
/// The 8086 also rejects exactly -2^(n-1), since its microcode checks the
/// magnitude against 2^(n-1) - 1.
template <class T> bool idiv_core(const Cpu& cpu, const DecodedInsn& i, Wide n, T d, T& qs, T& rs) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const bool n_neg = negative(T(n.hi));
  if (n_neg) n = neg_wide(n, kBits);
  uint64_t q = 0, r = 0;
  if (!div_wide(n, abs_u(d), kBits, q, r)) return false;
  bool q_neg = n_neg != negative(d);
  if (rep_negates(cpu, i)) q_neg = !q_neg;
  const uint64_t limit = uint64_t(sign_bit<T>());
  const bool min_faults = cpu.model->quirk(kQuirkIdivMinFaults);
  if (q > limit || (q == limit && (!q_neg || min_faults))) return false;
  qs = q_neg ? T(T(0) - T(q)) : T(q);
  rs = n_neg ? T(T(0) - T(r)) : T(r);
  return true;
}

/// The 80286 and 80386 miss some byte IDIV overflows: their range check
/// ignores bit 14 of the dividend's magnitude, and the division loop keeps
/// an 8-bit partial remainder. The net effect, matched exhaustively against
/// that model and against the 80286 test vectors: when the quotient
/// overflows but AX ^ 4000h divides to exactly -128, that quotient and its
/// remainder are stored instead of raising #DE.
bool misses_byte_idiv_overflow(const Cpu& cpu) {
  return !cpu.model->quirk(kQuirkIdivMinFaults) && cpu.model->has(isa::f286) &&
         !cpu.model->has(isa::f486);
}

template <class T> void idiv_acc(Cpu& cpu, const DecodedInsn& i) {
  const T d = read_e<T>(cpu, i);
  if (d == 0) raise(kVecDe);
  const Wide n = dividend<T>(cpu);
  T q = 0, r = 0;
  if (!idiv_core<T>(cpu, i, n, d, q, r)) {
    bool stored = false;
    if constexpr (sizeof(T) == 1) {
      stored = misses_byte_idiv_overflow(cpu) && idiv_core<T>(cpu, i, {n.lo, n.hi ^ 0x40}, d, q, r) &&
               q == 0x80;
    }
    if (!stored) raise(kVecDe);
  }
  store_div<T>(cpu, q, r);
}

template <class T> T imm_b(const DecodedInsn& i) { return T(int64_t(int8_t(i.imm))); }
template <class T> T imm_z(const DecodedInsn& i) { return T(int64_t(int32_t(i.imm))); }

}  // namespace

// Flags after DIV/IDIV are undefined (SDM vol. 2 DIV); they are left as they were.
void MUL_Eb(Cpu& c, const DecodedInsn& i) { mul_acc<uint8_t>(c, i, false); }
void IMUL_Eb(Cpu& c, const DecodedInsn& i) { mul_acc<uint8_t>(c, i, true); }
void DIV_Eb(Cpu& c, const DecodedInsn& i) { div_acc<uint8_t>(c, i); }
void IDIV_Eb(Cpu& c, const DecodedInsn& i) { idiv_acc<uint8_t>(c, i); }
void MUL_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { mul_acc<T>(c, i, false); });
}
void IMUL_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { mul_acc<T>(c, i, true); });
}
void DIV_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { div_acc<T>(c, i); });
}
void IDIV_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { idiv_acc<T>(c, i); });
}

void IMUL_Gv_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { imul_to_g<T>(c, i, read_g<T>(c, i), read_e<T>(c, i)); });
}
void IMUL_Gv_Ev_Iz(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { imul_to_g<T>(c, i, read_e<T>(c, i), imm_z<T>(i)); });
}
void IMUL_Gv_Ev_Ib(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { imul_to_g<T>(c, i, read_e<T>(c, i), imm_b<T>(i)); });
}

}  // namespace kestrel::cpu::exec
