// SPDX-License-Identifier: MIT
// MMX: the 64-bit packed-integer instructions on the x87 registers
// (MMi = R(i)), and EMMS (SDM 1 ch. 9, SDM 2). The SSE additions to the
// MMX set (PSHUFW, PMINUB...) and the XMM forms belong to the SSE work.
#include <type_traits>

#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr0Em = 1u << 2, kCr0Ts = 1u << 3;

/// CR0.EM makes MMX #UD and CR0.TS #NM; a pending x87 exception is
/// delivered first (SDM 1 §9.5.1, table 12-1).
void mmx_check(Cpu& cpu) {
  if (cpu.s.cr[0] & kCr0Em) raise(kVecUd);
  if (cpu.s.cr[0] & kCr0Ts) raise(kVecNm);
  fpu_wait(cpu);
}

unsigned mm_reg(const DecodedInsn& insn) { return insn.reg & 7; }

/// The Q operand: an MMX register or 64 bits of memory (32 for the
/// low-half unpacks).
uint64_t read_q(Cpu& cpu, const DecodedInsn& insn, unsigned bytes = 8) {
  if (!insn.is_mem()) return x87::mmx_read(cpu.s, insn.rm);
  if (bytes == 4) return cpu.read<uint32_t>(insn.seg, effective_address(cpu, insn));
  return cpu.read<uint64_t>(insn.seg, effective_address(cpu, insn));
}

/// Applies f lane by lane to P and Q, writing P.
template <class T, class F> void lanes(Cpu& cpu, const DecodedInsn& insn, F&& f) {
  mmx_check(cpu);
  const uint64_t b = read_q(cpu, insn);
  const uint64_t a = x87::mmx_read(cpu.s, mm_reg(insn));
  using U = std::make_unsigned_t<T>;
  constexpr unsigned kBits = 8 * sizeof(T);
  uint64_t r = 0;
  for (unsigned i = 0; i < 64; i += kBits) {
    const T x = T(U(a >> i)), y = T(U(b >> i));
    r |= uint64_t(U(f(x, y))) << i;
  }
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, mm_reg(insn), r);
}

/// Writes P from a whole-register function of P and Q.
template <class F> void whole(Cpu& cpu, const DecodedInsn& insn, F&& f, unsigned q_bytes = 8) {
  mmx_check(cpu);
  const uint64_t b = read_q(cpu, insn, q_bytes);
  const uint64_t a = x87::mmx_read(cpu.s, mm_reg(insn));
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, mm_reg(insn), f(a, b));
}

template <class T> T saturate(int64_t v) {
  constexpr int64_t lo = std::is_signed_v<T> ? -(int64_t{1} << (8 * sizeof(T) - 1)) : 0;
  constexpr int64_t hi = std::is_signed_v<T> ? (int64_t{1} << (8 * sizeof(T) - 1)) - 1
                                             : (int64_t{1} << (8 * sizeof(T))) - 1;
  return T(v < lo ? lo : v > hi ? hi : v);
}

/// Packs the lanes of a then b (type From) into half-width lanes (To), saturating.
template <class From, class To> uint64_t pack(uint64_t a, uint64_t b) {
  constexpr unsigned kFrom = 8 * sizeof(From), kTo = 8 * sizeof(To);
  using UF = std::make_unsigned_t<From>;
  using UT = std::make_unsigned_t<To>;
  uint64_t r = 0;
  unsigned out = 0;
  for (uint64_t src : {a, b}) {
    for (unsigned i = 0; i < 64; i += kFrom, out += kTo) {
      r |= uint64_t(UT(saturate<To>(From(UF(src >> i))))) << out;
    }
  }
  return r;
}

/// Interleaves the low (or high) halves of a and b in `bits`-wide lanes.
uint64_t unpack(uint64_t a, uint64_t b, unsigned bits, bool high) {
  if (high) {
    a >>= 32;
    b >>= 32;
  }
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t r = 0;
  for (unsigned i = 0, out = 0; i < 32; i += bits, out += 2 * bits) {
    r |= ((a >> i) & mask) << out;
    r |= ((b >> i) & mask) << (out + bits);
  }
  return r;
}

enum class Shift : uint8_t { kLeft, kRight, kArith };

/// Shifts every `T` lane of v by count: counts past the width give 0 (or
/// the sign for arithmetic shifts).
template <class T> uint64_t shift_lanes(uint64_t v, uint64_t count, Shift kind) {
  constexpr unsigned kBits = 8 * sizeof(T);
  using S = std::make_signed_t<T>;
  uint64_t r = 0;
  for (unsigned i = 0; i < 64; i += kBits) {
    const T x = T(v >> i);
    T y;
    if (kind == Shift::kArith) y = T(S(x) >> (count >= kBits ? kBits - 1 : count));
    else if (count >= kBits) y = 0;
    else y = kind == Shift::kLeft ? T(x << count) : T(x >> count);
    r |= uint64_t(y) << i;
  }
  return r;
}

template <class T> void shift_q(Cpu& cpu, const DecodedInsn& insn, Shift kind) {
  whole(cpu, insn, [&](uint64_t a, uint64_t b) { return shift_lanes<T>(a, b, kind); });
}

/// The immediate forms shift the register in ModRM.rm.
template <class T> void shift_imm(Cpu& cpu, const DecodedInsn& insn, Shift kind) {
  mmx_check(cpu);
  const uint64_t a = x87::mmx_read(cpu.s, insn.rm);
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, insn.rm, shift_lanes<T>(a, uint8_t(insn.imm), kind));
}

template <class T> T add_sat(T x, T y) { return saturate<T>(int64_t(x) + int64_t(y)); }
template <class T> T sub_sat(T x, T y) { return saturate<T>(int64_t(x) - int64_t(y)); }
template <class T> T all_ones_if(bool c) { return c ? T(~T(0)) : T(0); }

}  // namespace

// ---- moves ----
void MOVD_Pq_Ey(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  // REX.W makes it MOVQ mm, r/m64.
  const uint64_t v = insn.rex & 8 ? read_e<uint64_t>(cpu, insn) : read_e<uint32_t>(cpu, insn);
  x87::mmx_enter(cpu.s);
  x87::mmx_write(cpu.s, mm_reg(insn), v);
}
void MOVD_Ey_Pq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint64_t v = x87::mmx_read(cpu.s, mm_reg(insn));
  if (insn.rex & 8) write_e<uint64_t>(cpu, insn, v);
  else write_e<uint32_t>(cpu, insn, uint32_t(v));
  x87::mmx_enter(cpu.s);
}
void MOVQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t, uint64_t b) { return b; });
}
void MOVQ_Qq_Pq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint64_t v = x87::mmx_read(cpu.s, mm_reg(insn));
  if (insn.is_mem()) cpu.write<uint64_t>(insn.seg, effective_address(cpu, insn), v);
  x87::mmx_enter(cpu.s);
  if (!insn.is_mem()) x87::mmx_write(cpu.s, insn.rm, v);
}
// EMMS empties every tag and, like the other MMX instructions, sets TOP
// to 0 (SDM 1 §9.5.1, table 9-3).
void EMMS(Cpu& cpu, const DecodedInsn&) {
  mmx_check(cpu);
  x87::set_top(cpu.s, 0);
  cpu.s.ftw = 0xffff;
}

// ---- pack and unpack ----
void PACKSSWB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, pack<int16_t, int8_t>); }
void PACKSSDW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, pack<int32_t, int16_t>); }
void PACKUSWB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, pack<int16_t, uint8_t>); }
void PUNPCKLBW_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 8, false); }, 4);
}
void PUNPCKLWD_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 16, false); }, 4);
}
void PUNPCKLDQ_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 32, false); }, 4);
}
void PUNPCKHBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 8, true); });
}
void PUNPCKHWD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 16, true); });
}
void PUNPCKHDQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) { return unpack(a, b, 32, true); });
}

// ---- add, subtract, multiply ----
void PADDB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint8_t>(cpu, insn, [](uint8_t x, uint8_t y) { return uint8_t(x + y); }); }
void PADDW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint16_t>(cpu, insn, [](uint16_t x, uint16_t y) { return uint16_t(x + y); }); }
void PADDD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint32_t>(cpu, insn, [](uint32_t x, uint32_t y) { return x + y; }); }
void PSUBB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint8_t>(cpu, insn, [](uint8_t x, uint8_t y) { return uint8_t(x - y); }); }
void PSUBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint16_t>(cpu, insn, [](uint16_t x, uint16_t y) { return uint16_t(x - y); }); }
void PSUBD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint32_t>(cpu, insn, [](uint32_t x, uint32_t y) { return x - y; }); }
void PADDSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int8_t>(cpu, insn, add_sat<int8_t>); }
void PADDSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int16_t>(cpu, insn, add_sat<int16_t>); }
void PADDUSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint8_t>(cpu, insn, add_sat<uint8_t>); }
void PADDUSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint16_t>(cpu, insn, add_sat<uint16_t>); }
void PSUBSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int8_t>(cpu, insn, sub_sat<int8_t>); }
void PSUBSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int16_t>(cpu, insn, sub_sat<int16_t>); }
void PSUBUSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint8_t>(cpu, insn, sub_sat<uint8_t>); }
void PSUBUSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint16_t>(cpu, insn, sub_sat<uint16_t>); }
void PMULLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  lanes<int16_t>(cpu, insn, [](int16_t x, int16_t y) { return int16_t(int32_t(x) * y); });
}
void PMULHW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  lanes<int16_t>(cpu, insn, [](int16_t x, int16_t y) { return int16_t((int32_t(x) * y) >> 16); });
}
void PMADDWD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) {
  whole(cpu, insn, [](uint64_t a, uint64_t b) {
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 32) {
      const int32_t lo = int32_t(int16_t(a >> i)) * int16_t(b >> i);
      const int32_t hi = int32_t(int16_t(a >> (i + 16))) * int16_t(b >> (i + 16));
      // 8000h × 8000h twice wraps to 80000000h, as the SDM describes.
      r |= uint64_t(uint32_t(lo) + uint32_t(hi)) << i;
    }
    return r;
  });
}

// ---- compare and logic ----
void PCMPEQB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint8_t>(cpu, insn, [](uint8_t x, uint8_t y) { return all_ones_if<uint8_t>(x == y); }); }
void PCMPEQW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint16_t>(cpu, insn, [](uint16_t x, uint16_t y) { return all_ones_if<uint16_t>(x == y); }); }
void PCMPEQD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<uint32_t>(cpu, insn, [](uint32_t x, uint32_t y) { return all_ones_if<uint32_t>(x == y); }); }
void PCMPGTB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int8_t>(cpu, insn, [](int8_t x, int8_t y) { return all_ones_if<int8_t>(x > y); }); }
void PCMPGTW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int16_t>(cpu, insn, [](int16_t x, int16_t y) { return all_ones_if<int16_t>(x > y); }); }
void PCMPGTD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { lanes<int32_t>(cpu, insn, [](int32_t x, int32_t y) { return all_ones_if<int32_t>(x > y); }); }
void PAND_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, [](uint64_t a, uint64_t b) { return a & b; }); }
void PANDN_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, [](uint64_t a, uint64_t b) { return ~a & b; }); }
void POR_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, [](uint64_t a, uint64_t b) { return a | b; }); }
void PXOR_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { whole(cpu, insn, [](uint64_t a, uint64_t b) { return a ^ b; }); }

// ---- shifts ----
void PSLLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint16_t>(cpu, insn, Shift::kLeft); }
void PSLLD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint32_t>(cpu, insn, Shift::kLeft); }
void PSLLQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint64_t>(cpu, insn, Shift::kLeft); }
void PSRLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint16_t>(cpu, insn, Shift::kRight); }
void PSRLD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint32_t>(cpu, insn, Shift::kRight); }
void PSRLQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint64_t>(cpu, insn, Shift::kRight); }
void PSRAW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint16_t>(cpu, insn, Shift::kArith); }
void PSRAD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { shift_q<uint32_t>(cpu, insn, Shift::kArith); }
void PSLLW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint16_t>(cpu, insn, Shift::kLeft); }
void PSLLD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint32_t>(cpu, insn, Shift::kLeft); }
void PSLLQ_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint64_t>(cpu, insn, Shift::kLeft); }
void PSRLW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint16_t>(cpu, insn, Shift::kRight); }
void PSRLD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint32_t>(cpu, insn, Shift::kRight); }
void PSRLQ_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint64_t>(cpu, insn, Shift::kRight); }
void PSRAW_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint16_t>(cpu, insn, Shift::kArith); }
void PSRAD_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) { shift_imm<uint32_t>(cpu, insn, Shift::kArith); }

}  // namespace kestrel::cpu::exec
