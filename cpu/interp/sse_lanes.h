// SPDX-License-Identifier: MIT
// Packed-integer building blocks over the low n bytes of an Xmm value
// (n = 8 for an MMX register, 16 for an XMM register), and the dispatch of
// the P,Q (MMX) and V,W (XMM) forms to them, so one definition of an
// operation serves both register files. Checks: cpu/interp/mmx.h, sse.h.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cpu/interp/mmx.h"
#include "cpu/interp/sse.h"

namespace kestrel::cpu::exec {

inline constexpr unsigned kMmxBytes = 8, kXmmBytes = 16;

/// v clamped to the range of T.
template <class T> constexpr T saturate(int64_t v) {
  constexpr int64_t lo = std::is_signed_v<T> ? -(int64_t{1} << (8 * sizeof(T) - 1)) : 0;
  constexpr int64_t hi = std::is_signed_v<T> ? (int64_t{1} << (8 * sizeof(T) - 1)) - 1
                                             : (int64_t{1} << (8 * sizeof(T))) - 1;
  return T(v < lo ? lo : v > hi ? hi : v);
}

/// r[i] = f(a[i], b[i]) over the T lanes of the low n bytes.
template <class T, class F> Xmm lanes(const Xmm& a, const Xmm& b, unsigned n, F&& f) {
  Xmm r;
  for (unsigned i = 0; i < n / sizeof(T); ++i) r.set<T>(i, T(f(a.get<T>(i), b.get<T>(i))));
  return r;
}

/// An operation op(a, b, n) applying f lane by lane to T lanes.
template <class T, class F> constexpr auto lanewise(F f) {
  return [f](const Xmm& a, const Xmm& b, unsigned n) { return lanes<T>(a, b, n, f); };
}

/// The lanes of a, then those of b (type From), narrowed to To with
/// saturation (PACKSSWB, PACKSSDW, PACKUSWB).
template <class From, class To> Xmm pack(const Xmm& a, const Xmm& b, unsigned n) {
  Xmm r;
  const unsigned half = n / sizeof(From);
  for (unsigned i = 0; i < half; ++i) {
    r.set<To>(i, saturate<To>(a.get<From>(i)));
    r.set<To>(half + i, saturate<To>(b.get<From>(i)));
  }
  return r;
}

/// Interleaves the T lanes of the low (or high) halves of a and b
/// (PUNPCKL*, PUNPCKH*, UNPCKLPS...).
template <class T> Xmm unpack(const Xmm& a, const Xmm& b, unsigned n, bool high) {
  Xmm r;
  const unsigned count = n / sizeof(T) / 2, first = high ? count : 0;
  for (unsigned i = 0; i < count; ++i) {
    r.set<T>(2 * i, a.get<T>(first + i));
    r.set<T>(2 * i + 1, b.get<T>(first + i));
  }
  return r;
}

enum class Shift : uint8_t { kLeft, kRight, kArith };

/// Shifts every T lane of v by count: counts past the width give 0, or
/// copies of the sign for arithmetic shifts (SDM 2, PSLLW/PSRAW...).
template <class T> Xmm shift_lanes(const Xmm& v, unsigned n, uint64_t count, Shift kind) {
  constexpr unsigned kBits = 8 * sizeof(T);
  using S = std::make_signed_t<T>;
  Xmm r;
  for (unsigned i = 0; i < n / sizeof(T); ++i) {
    const T x = v.get<T>(i);
    T y;
    if (kind == Shift::kArith) y = T(S(x) >> (count >= kBits ? kBits - 1 : count));
    else if (count >= kBits) y = 0;
    else y = kind == Shift::kLeft ? T(x << count) : T(x >> count);
    r.set<T>(i, y);
  }
  return r;
}

/// P = op(P, Q, 8) for an MMX-register form; Q is q_bytes wide in memory.
template <class Op> void mmx_op(Cpu& cpu, const DecodedInsn& insn, Op&& op, unsigned q_bytes = 8) {
  mmx_check(cpu);
  Xmm a, b;
  b.set<uint64_t>(0, read_q(cpu, insn, q_bytes));
  a.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_reg(insn)));
  write_mm(cpu, mm_reg(insn), op(a, b, kMmxBytes).lo());
}

/// V = op(V, W, 16) for an XMM form; a memory W must be 16-byte aligned,
/// as for every legacy-SSE 128-bit operand but the unaligned moves.
template <class Op> void xmm_op(Cpu& cpu, const DecodedInsn& insn, Op&& op) {
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  write_v(cpu, insn, op(read_v(cpu, insn), b, kXmmBytes));
}

/// The immediate-count shifts: N = op(N) (MMX) and U = op(U) (XMM).
template <class Op> void mmx_op_rm(Cpu& cpu, const DecodedInsn& insn, Op&& op) {
  mmx_check(cpu);
  Xmm v;
  v.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_rm(insn)));
  write_mm(cpu, mm_rm(insn), op(v, kMmxBytes).lo());
}
template <class Op> void xmm_op_rm(Cpu& cpu, const DecodedInsn& insn, Op&& op) {
  sse_check(cpu);
  write_xmm(cpu.s, insn.rm, op(read_xmm(cpu.s, insn.rm), kXmmBytes));
}

}  // namespace kestrel::cpu::exec
