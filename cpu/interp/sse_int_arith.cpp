// SPDX-License-Identifier: MIT
// Packed-integer arithmetic and compares in their MMX (P,Q) and legacy-SSE
// XMM (V,W) forms: add and subtract (wrapping and saturating), multiplies,
// PMADDWD, averages, minimum and maximum, PSADBW, PCMPEQ/PCMPGT (SDM 2).
// The SSSE3 ones are in ssse3.cpp; logic and shuffles in sse_int_shuffle.cpp.
#include "cpu/interp/sse_lanes.h"

namespace kestrel::cpu::exec {
namespace {

template <class T> T add_sat(T x, T y) { return saturate<T>(int64_t(x) + int64_t(y)); }
template <class T> T sub_sat(T x, T y) { return saturate<T>(int64_t(x) - int64_t(y)); }
template <class T> T all_ones_if(bool c) { return c ? T(~T(0)) : T(0); }

constexpr auto kPaddb = lanewise<uint8_t>([](uint8_t x, uint8_t y) { return x + y; });
constexpr auto kPaddw = lanewise<uint16_t>([](uint16_t x, uint16_t y) { return x + y; });
constexpr auto kPaddd = lanewise<uint32_t>([](uint32_t x, uint32_t y) { return x + y; });
constexpr auto kPaddq = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return x + y; });
constexpr auto kPsubb = lanewise<uint8_t>([](uint8_t x, uint8_t y) { return x - y; });
constexpr auto kPsubw = lanewise<uint16_t>([](uint16_t x, uint16_t y) { return x - y; });
constexpr auto kPsubd = lanewise<uint32_t>([](uint32_t x, uint32_t y) { return x - y; });
constexpr auto kPsubq = lanewise<uint64_t>([](uint64_t x, uint64_t y) { return x - y; });
constexpr auto kPaddsb = lanewise<int8_t>(add_sat<int8_t>);
constexpr auto kPaddsw = lanewise<int16_t>(add_sat<int16_t>);
constexpr auto kPaddusb = lanewise<uint8_t>(add_sat<uint8_t>);
constexpr auto kPaddusw = lanewise<uint16_t>(add_sat<uint16_t>);
constexpr auto kPsubsb = lanewise<int8_t>(sub_sat<int8_t>);
constexpr auto kPsubsw = lanewise<int16_t>(sub_sat<int16_t>);
constexpr auto kPsubusb = lanewise<uint8_t>(sub_sat<uint8_t>);
constexpr auto kPsubusw = lanewise<uint16_t>(sub_sat<uint16_t>);

constexpr auto kPmullw = lanewise<int16_t>([](int16_t x, int16_t y) { return int32_t(x) * y; });
constexpr auto kPmulhw =
    lanewise<int16_t>([](int16_t x, int16_t y) { return (int32_t(x) * y) >> 16; });
constexpr auto kPmulhuw =
    lanewise<uint16_t>([](uint16_t x, uint16_t y) { return (uint32_t(x) * y) >> 16; });
constexpr auto kPmuludq =
    lanewise<uint64_t>([](uint64_t x, uint64_t y) { return uint64_t(uint32_t(x)) * uint32_t(y); });

/// Sums of the products of adjacent signed words into doublewords.
Xmm pmaddwd(const Xmm& a, const Xmm& b, unsigned n) {
  Xmm r;
  for (unsigned i = 0; i < n / 4; ++i) {
    const int32_t lo = int32_t(a.get<int16_t>(2 * i)) * b.get<int16_t>(2 * i);
    const int32_t hi = int32_t(a.get<int16_t>(2 * i + 1)) * b.get<int16_t>(2 * i + 1);
    // 8000h × 8000h twice wraps to 80000000h, as the SDM describes.
    r.set<uint32_t>(i, uint32_t(lo) + uint32_t(hi));
  }
  return r;
}

/// Sums of absolute byte differences, one per quadword, in its low word.
Xmm psadbw(const Xmm& a, const Xmm& b, unsigned n) {
  Xmm r;
  for (unsigned q = 0; q < n / 8; ++q) {
    unsigned sum = 0;
    for (unsigned i = 8 * q; i < 8 * q + 8; ++i) {
      const int d = int(a.get<uint8_t>(i)) - int(b.get<uint8_t>(i));
      sum += unsigned(d < 0 ? -d : d);
    }
    r.set<uint64_t>(q, sum);
  }
  return r;
}

constexpr auto kPavgb =
    lanewise<uint8_t>([](uint8_t x, uint8_t y) { return (unsigned(x) + y + 1) >> 1; });
constexpr auto kPavgw =
    lanewise<uint16_t>([](uint16_t x, uint16_t y) { return (unsigned(x) + y + 1) >> 1; });
constexpr auto kPminub = lanewise<uint8_t>([](uint8_t x, uint8_t y) { return x < y ? x : y; });
constexpr auto kPmaxub = lanewise<uint8_t>([](uint8_t x, uint8_t y) { return x > y ? x : y; });
constexpr auto kPminsw = lanewise<int16_t>([](int16_t x, int16_t y) { return x < y ? x : y; });
constexpr auto kPmaxsw = lanewise<int16_t>([](int16_t x, int16_t y) { return x > y ? x : y; });

constexpr auto kPcmpeqb =
    lanewise<uint8_t>([](uint8_t x, uint8_t y) { return all_ones_if<uint8_t>(x == y); });
constexpr auto kPcmpeqw =
    lanewise<uint16_t>([](uint16_t x, uint16_t y) { return all_ones_if<uint16_t>(x == y); });
constexpr auto kPcmpeqd =
    lanewise<uint32_t>([](uint32_t x, uint32_t y) { return all_ones_if<uint32_t>(x == y); });
constexpr auto kPcmpgtb =
    lanewise<int8_t>([](int8_t x, int8_t y) { return all_ones_if<int8_t>(x > y); });
constexpr auto kPcmpgtw =
    lanewise<int16_t>([](int16_t x, int16_t y) { return all_ones_if<int16_t>(x > y); });
constexpr auto kPcmpgtd =
    lanewise<int32_t>([](int32_t x, int32_t y) { return all_ones_if<int32_t>(x > y); });

}  // namespace

// ---- add and subtract ----
void PADDB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddb); }
void PADDB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddb); }
void PADDW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddw); }
void PADDW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddw); }
void PADDD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddd); }
void PADDD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddd); }
void PADDQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddq); }
void PADDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddq); }
void PSUBB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubb); }
void PSUBB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubb); }
void PSUBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubw); }
void PSUBW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubw); }
void PSUBD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubd); }
void PSUBD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubd); }
void PSUBQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubq); }
void PSUBQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubq); }
void PADDSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddsb); }
void PADDSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddsb); }
void PADDSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddsw); }
void PADDSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddsw); }
void PADDUSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddusb); }
void PADDUSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddusb); }
void PADDUSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPaddusw); }
void PADDUSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPaddusw); }
void PSUBSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubsb); }
void PSUBSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubsb); }
void PSUBSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubsw); }
void PSUBSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubsw); }
void PSUBUSB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubusb); }
void PSUBUSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubusb); }
void PSUBUSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPsubusw); }
void PSUBUSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPsubusw); }

// ---- multiply ----
void PMULLW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmullw); }
void PMULLW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmullw); }
void PMULHW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmulhw); }
void PMULHW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmulhw); }
void PMULHUW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmulhuw); }
void PMULHUW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmulhuw); }
void PMULUDQ_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmuludq); }
void PMULUDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmuludq); }
void PMADDWD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, pmaddwd); }
void PMADDWD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, pmaddwd); }

// ---- average, minimum, maximum, sum of differences ----
void PAVGB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPavgb); }
void PAVGB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPavgb); }
void PAVGW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPavgw); }
void PAVGW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPavgw); }
void PMINUB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPminub); }
void PMINUB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPminub); }
void PMAXUB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmaxub); }
void PMAXUB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmaxub); }
void PMINSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPminsw); }
void PMINSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPminsw); }
void PMAXSW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPmaxsw); }
void PMAXSW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPmaxsw); }
void PSADBW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, psadbw); }
void PSADBW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, psadbw); }

// ---- compare ----
void PCMPEQB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpeqb); }
void PCMPEQB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpeqb); }
void PCMPEQW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpeqw); }
void PCMPEQW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpeqw); }
void PCMPEQD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpeqd); }
void PCMPEQD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpeqd); }
void PCMPGTB_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpgtb); }
void PCMPGTB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpgtb); }
void PCMPGTW_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpgtw); }
void PCMPGTW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpgtw); }
void PCMPGTD_Pq_Qq(Cpu& cpu, const DecodedInsn& insn) { mmx_op(cpu, insn, kPcmpgtd); }
void PCMPGTD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { xmm_op(cpu, insn, kPcmpgtd); }

}  // namespace kestrel::cpu::exec
