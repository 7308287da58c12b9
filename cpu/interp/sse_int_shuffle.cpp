// SPDX-License-Identifier: MIT
// Bitwise logic, packs, unpacks and shuffles in their MMX (P,Q) and
// legacy-SSE XMM (V,W) forms: PAND..PXOR and ANDPS..XORPD, PACKSS/PACKUS,
// PUNPCK* and UNPCK*PS/PD, PSHUFW/D/HW/LW, SHUFPS/PD, PINSRW and PEXTRW
// (SDM 2). SSE4.1 inserts and extracts belong to the SSE4 handlers.
#include "cpu/interp/sse_lanes.h"

namespace kestrel::cpu::exec {
namespace {

constexpr auto kAnd = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return x & y; });
constexpr auto kAndn = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return ~x & y; });
constexpr auto kOr = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return x | y; });
constexpr auto kXor = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return x ^ y; });

template <class T, bool kHigh> Xmm unpack_op(const Xmm& a, const Xmm& b, unsigned n) {
  return unpack<T>(a, b, n, kHigh);
}

/// Lane i of the result is lane ((imm >> 2i) & 3) of v, for `count` T lanes
/// starting at lane `first` (PSHUFW, PSHUFD, and the halves of PSHUFHW/LW).
template <class T> void shuffle4(Xmm& r, const Xmm& v, unsigned first, unsigned count, uint8_t imm) {
  for (unsigned i = 0; i < count; ++i) r.set<T>(first + i, v.get<T>(first + ((imm >> (2 * i)) & 3)));
}

/// The immediate's shuffle as an operation on the source (the destination's
/// old value is not an input).
template <class F> auto on_source(F f) {
  return [f](const Xmm&, const Xmm& b, unsigned n) { return f(b, n); };
}

/// PSHUFD, PSHUFHW, PSHUFLW: the four T lanes from `first` on, shuffled by
/// imm8 within themselves; the other lanes are the source's.
template <class T> void pshuf(Cpu& cpu, const DecodedInsn& insn, unsigned first) {
  const auto imm = uint8_t(insn.imm);
  xmm_op(cpu, insn, on_source([imm, first](const Xmm& b, unsigned) {
    Xmm r = b;
    shuffle4<T>(r, b, first, 4, imm);
    return r;
  }));
}

}  // namespace

// ---- logic ----
void PAND_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kAnd); }
void PAND_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAnd); }
void PANDN_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kAndn); }
void PANDN_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAndn); }
void POR_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kOr); }
void POR_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kOr); }
void PXOR_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kXor); }
void PXOR_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kXor); }
void ANDPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAnd); }
void ANDPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAnd); }
void ANDNPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAndn); }
void ANDNPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kAndn); }
void ORPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kOr); }
void ORPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kOr); }
void XORPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kXor); }
void XORPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kXor); }

// ---- pack ----
void PACKSSWB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pack<int16_t, int8_t>); }
void PACKSSWB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pack<int16_t, int8_t>); }
void PACKSSDW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pack<int32_t, int16_t>); }
void PACKSSDW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pack<int32_t, int16_t>); }
void PACKUSWB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pack<int16_t, uint8_t>); }
void PACKUSWB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pack<int16_t, uint8_t>); }

// ---- unpack: the MMX low forms read only 32 bits of memory ----
void PUNPCKLBW_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint8_t, false>, 4); }
void PUNPCKLBW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint8_t, false>); }
void PUNPCKLWD_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint16_t, false>, 4); }
void PUNPCKLWD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint16_t, false>); }
void PUNPCKLDQ_Pq_Qd(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint32_t, false>, 4); }
void PUNPCKLDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint32_t, false>); }
void PUNPCKLQDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint64_t, false>); }
void PUNPCKHBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint8_t, true>); }
void PUNPCKHBW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint8_t, true>); }
void PUNPCKHWD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint16_t, true>); }
void PUNPCKHWD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint16_t, true>); }
void PUNPCKHDQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, unpack_op<uint32_t, true>); }
void PUNPCKHDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint32_t, true>); }
void PUNPCKHQDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint64_t, true>); }
void UNPCKLPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint32_t, false>); }
void UNPCKLPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint64_t, false>); }
void UNPCKHPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint32_t, true>); }
void UNPCKHPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, unpack_op<uint64_t, true>); }

// ---- shuffles ----
void PSHUFW_Pq_Qq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto imm = uint8_t(insn.imm);
  mmx_op(cpu, insn, on_source([imm](const Xmm& b, unsigned) {
    Xmm r;
    shuffle4<uint16_t>(r, b, 0, 4, imm);
    return r;
  }));
}
void PSHUFD_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { pshuf<uint32_t>(cpu, insn, 0); }
void PSHUFHW_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { pshuf<uint16_t>(cpu, insn, 4); }
void PSHUFLW_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { pshuf<uint16_t>(cpu, insn, 0); }
// The low half of the result comes from the destination, the high half
// from the source.
void SHUFPS_Vps_Wps_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto imm = unsigned(uint8_t(insn.imm));
  xmm_op(cpu, insn, [imm](const Xmm& a, const Xmm& b, unsigned) {
    Xmm r;
    r.set<uint32_t>(0, a.get<uint32_t>(imm & 3));
    r.set<uint32_t>(1, a.get<uint32_t>((imm >> 2) & 3));
    r.set<uint32_t>(2, b.get<uint32_t>((imm >> 4) & 3));
    r.set<uint32_t>(3, b.get<uint32_t>((imm >> 6) & 3));
    return r;
  });
}
void SHUFPD_Vpd_Wpd_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const auto imm = unsigned(uint8_t(insn.imm));
  xmm_op(cpu, insn, [imm](const Xmm& a, const Xmm& b, unsigned) {
    Xmm r;
    r.set<uint64_t>(0, a.get<uint64_t>(imm & 1));
    r.set<uint64_t>(1, b.get<uint64_t>((imm >> 1) & 1));
    return r;
  });
}

// ---- word insert and extract ----
// PINSRW takes the low word of a 32-bit register or a word of memory.
void PINSRW_Pq_Ew_Ib(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint16_t v = read_e<uint16_t>(cpu, insn);
  Xmm r;
  r.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_reg(insn)));
  r.set<uint16_t>(insn.imm & 3, v);
  write_mm(cpu, mm_reg(insn), r.lo());
}
void PINSRW_Vdq_Ew_Ib(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const uint16_t v = read_e<uint16_t>(cpu, insn);
  Xmm r = read_v(cpu, insn);
  r.set<uint16_t>(insn.imm & 7, v);
  write_v(cpu, insn, r);
}
// PEXTRW zero-extends into the whole register (r32, or r64 in 64-bit mode).
void PEXTRW_Gd_Nq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  const uint64_t v = x87::mmx_read(cpu.s, mm_rm(insn));
  cpu.s.gpr[insn.reg] = uint16_t(v >> (16 * (insn.imm & 3)));
  x87::mmx_enter(cpu.s);
}
void PEXTRW_Gd_Udq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  cpu.s.gpr[insn.reg] = read_xmm(cpu.s, insn.rm).get<uint16_t>(insn.imm & 7);
}

}  // namespace kestrel::cpu::exec
