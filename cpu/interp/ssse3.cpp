// SPDX-License-Identifier: MIT
// SSSE3 in its MMX (P,Q) and XMM (V,W) forms: PSHUFB, the horizontal adds
// and subtracts, PMADDUBSW, PMULHRSW, PSIGN, PABS and PALIGNR (SDM 2).
// The MMX forms follow the MMX rules (mmx.h), the XMM ones sse_check.
#include "cpu/interp/sse_lanes.h"

namespace kestrel::cpu::exec {
namespace {

/// Byte i is a's byte selected by the low bits of b's byte i, or 0 when
/// that byte has bit 7 set.
Xmm pshufb(const Xmm& a, const Xmm& b, unsigned n) {
  Xmm r;
  for (unsigned i = 0; i < n; ++i) {
    const uint8_t sel = b.b[i];
    r.b[i] = sel & 0x80 ? 0 : a.b[sel & (n - 1)];
  }
  return r;
}

/// f over adjacent pairs of T lanes: those of a fill the low half of the
/// result, those of b the high half.
template <class T, class F> Xmm horizontal(const Xmm& a, const Xmm& b, unsigned n, F f) {
  Xmm r;
  const unsigned pairs = n / sizeof(T) / 2;
  for (unsigned i = 0; i < pairs; ++i) {
    r.set<T>(i, T(f(a.get<T>(2 * i), a.get<T>(2 * i + 1))));
    r.set<T>(pairs + i, T(f(b.get<T>(2 * i), b.get<T>(2 * i + 1))));
  }
  return r;
}

template <class T, class F> constexpr auto horizontal_op(F f) {
  return [f](const Xmm& a, const Xmm& b, unsigned n) { return horizontal<T>(a, b, n, f); };
}

constexpr auto kPhaddw = horizontal_op<uint16_t>([](uint16_t x, uint16_t y) { return x + y; });
constexpr auto kPhaddd = horizontal_op<uint32_t>([](uint32_t x, uint32_t y) { return x + y; });
constexpr auto kPhaddsw =
    horizontal_op<int16_t>([](int16_t x, int16_t y) { return saturate<int16_t>(int64_t(x) + y); });
constexpr auto kPhsubw = horizontal_op<uint16_t>([](uint16_t x, uint16_t y) { return x - y; });
constexpr auto kPhsubd = horizontal_op<uint32_t>([](uint32_t x, uint32_t y) { return x - y; });
constexpr auto kPhsubsw =
    horizontal_op<int16_t>([](int16_t x, int16_t y) { return saturate<int16_t>(int64_t(x) - y); });

/// Unsigned bytes of a times signed bytes of b, adjacent products summed
/// into signed words with saturation.
Xmm pmaddubsw(const Xmm& a, const Xmm& b, unsigned n) {
  Xmm r;
  for (unsigned i = 0; i < n / 2; ++i) {
    const int32_t lo = int32_t(a.get<uint8_t>(2 * i)) * b.get<int8_t>(2 * i);
    const int32_t hi = int32_t(a.get<uint8_t>(2 * i + 1)) * b.get<int8_t>(2 * i + 1);
    r.set<int16_t>(i, saturate<int16_t>(int64_t(lo) + hi));
  }
  return r;
}

/// The high word of the product, rounded: bits 30:15 of x*y + 4000h.
constexpr auto kPmulhrsw = lanewise<int16_t>(
    [](int16_t x, int16_t y) { return (((int32_t(x) * y) >> 14) + 1) >> 1; });

template <class T> constexpr auto sign_op() {
  return lanewise<T>([](T x, T y) { return y < 0 ? T(-x) : y == 0 ? T(0) : x; });
}

/// |b| per lane; the most negative value stays as its unsigned magnitude.
template <class T> Xmm pabs(const Xmm&, const Xmm& b, unsigned n) {
  using U = std::make_unsigned_t<T>;
  Xmm r;
  for (unsigned i = 0; i < n / sizeof(T); ++i) {
    const T v = b.get<T>(i);
    r.set<U>(i, v < 0 ? U(-U(v)) : U(v));
  }
  return r;
}

/// The 2n-byte value a:b shifted right by `shift` bytes, low n bytes kept.
Xmm palignr(const Xmm& a, const Xmm& b, unsigned n, unsigned shift) {
  Xmm r;
  for (unsigned i = 0; i < n; ++i) {
    const unsigned from = i + shift;
    if (from < n) r.b[i] = b.b[from];
    else if (from < 2 * n) r.b[i] = a.b[from - n];
  }
  return r;
}

}  // namespace

void PSHUFB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pshufb); }
void PSHUFB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pshufb); }

// ---- horizontal add and subtract ----
void PHADDW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhaddw); }
void PHADDW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhaddw); }
void PHADDD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhaddd); }
void PHADDD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhaddd); }
void PHADDSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhaddsw); }
void PHADDSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhaddsw); }
void PHSUBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhsubw); }
void PHSUBW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhsubw); }
void PHSUBD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhsubd); }
void PHSUBD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhsubd); }
void PHSUBSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPhsubsw); }
void PHSUBSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPhsubsw); }

// ---- multiply ----
void PMADDUBSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pmaddubsw); }
void PMADDUBSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pmaddubsw); }
void PMULHRSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmulhrsw); }
void PMULHRSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmulhrsw); }

// ---- sign and absolute value ----
void PSIGNB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, sign_op<int8_t>()); }
void PSIGNB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, sign_op<int8_t>()); }
void PSIGNW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, sign_op<int16_t>()); }
void PSIGNW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, sign_op<int16_t>()); }
void PSIGND_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, sign_op<int32_t>()); }
void PSIGND_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, sign_op<int32_t>()); }
void PABSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pabs<int8_t>); }
void PABSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pabs<int8_t>); }
void PABSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pabs<int16_t>); }
void PABSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pabs<int16_t>); }
void PABSD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pabs<int32_t>); }
void PABSD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pabs<int32_t>); }

// ---- align ----
void PALIGNR_Pq_Qq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto shift = unsigned(uint8_t(insn.imm));
  mmx_op(cpu, insn, [shift](const Xmm& a, const Xmm& b, unsigned n) { return palignr(a, b, n, shift); });
}
void PALIGNR_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto shift = unsigned(uint8_t(insn.imm));
  xmm_op(cpu, insn, [shift](const Xmm& a, const Xmm& b, unsigned n) { return palignr(a, b, n, shift); });
}

}  // namespace kestrel::cpu::exec
