// SPDX-License-Identifier: MIT
// SSE4.1 and SSE4.2 integer arithmetic on XMM registers: sign and zero
// extension (PMOVSX/PMOVZX), minimum and maximum, PMULLD/PMULDQ, the 64-bit
// compares, PACKUSDW, PTEST, PHMINPOSUW, MPSADBW and MOVNTDQA (SDM 2).
// Blends, inserts and extracts are in sse4_lane.cpp, string compares in
// sse4_string.cpp.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "cpu/flags.h"
#include "cpu/interp/sse4.h"

namespace kestrel::cpu::exec {
namespace {

/// PMOVSX/PMOVZX: the low 16 / sizeof(To) elements of type From, extended
/// to To. The source is 2, 4 or 8 bytes of memory (no alignment rule) or
/// the low bytes of an XMM register.
template <class From, class To> void extend(Cpu& cpu, const DecodedInsn& insn) {
  constexpr unsigned kCount = 16 / sizeof(To);
  constexpr unsigned kBytes = kCount * sizeof(From);
  using Src = std::conditional_t<kBytes == 8, uint64_t, std::conditional_t<kBytes == 4, uint32_t, uint16_t>>;
  sse_check(cpu);
  Xmm src;
  src.set<Src>(0, read_w_scalar<Src>(cpu, insn));
  Xmm r;
  for (unsigned i = 0; i < kCount; ++i) r.set<To>(i, To(src.get<From>(i)));
  write_v(cpu, insn, r);
}

template <class T> void lanes_min(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T x, T y) { return std::min(x, y); });
  });
}
template <class T> void lanes_max(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T x, T y) { return std::max(x, y); });
  });
}

}  // namespace

void PMOVSXBW_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<int8_t, int16_t>(cpu, insn); }
void PMOVSXBD_Vx_Wd(Cpu& cpu, const DecodedInsn& insn) { extend<int8_t, int32_t>(cpu, insn); }
void PMOVSXBQ_Vx_Ww(Cpu& cpu, const DecodedInsn& insn) { extend<int8_t, int64_t>(cpu, insn); }
void PMOVSXWD_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<int16_t, int32_t>(cpu, insn); }
void PMOVSXWQ_Vx_Wd(Cpu& cpu, const DecodedInsn& insn) { extend<int16_t, int64_t>(cpu, insn); }
void PMOVSXDQ_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<int32_t, int64_t>(cpu, insn); }
void PMOVZXBW_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<uint8_t, uint16_t>(cpu, insn); }
void PMOVZXBD_Vx_Wd(Cpu& cpu, const DecodedInsn& insn) { extend<uint8_t, uint32_t>(cpu, insn); }
void PMOVZXBQ_Vx_Ww(Cpu& cpu, const DecodedInsn& insn) { extend<uint8_t, uint64_t>(cpu, insn); }
void PMOVZXWD_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<uint16_t, uint32_t>(cpu, insn); }
void PMOVZXWQ_Vx_Wd(Cpu& cpu, const DecodedInsn& insn) { extend<uint16_t, uint64_t>(cpu, insn); }
void PMOVZXDQ_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) { extend<uint32_t, uint64_t>(cpu, insn); }

void PMINSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_min<int8_t>(cpu, insn); }
void PMINSD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_min<int32_t>(cpu, insn); }
void PMINUW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_min<uint16_t>(cpu, insn); }
void PMINUD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_min<uint32_t>(cpu, insn); }
void PMAXSB_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_max<int8_t>(cpu, insn); }
void PMAXSD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_max<int32_t>(cpu, insn); }
void PMAXUW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_max<uint16_t>(cpu, insn); }
void PMAXUD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { lanes_max<uint32_t>(cpu, insn); }

/// PMULLD: the low 32 bits of each signed (equivalently unsigned) product.
void PMULLD_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    return map_lanes<uint32_t>(a, b, [](uint32_t x, uint32_t y) { return x * y; });
  });
}

/// PMULDQ: signed products of doublewords 0 and 2, as two quadwords.
void PMULDQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    Xmm r;
    for (unsigned i = 0; i < 2; ++i) {
      r.set<int64_t>(i, int64_t(a.get<int32_t>(2 * i)) * b.get<int32_t>(2 * i));
    }
    return r;
  });
}

void PCMPEQQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    return map_lanes<uint64_t>(a, b, [](uint64_t x, uint64_t y) { return x == y ? ~uint64_t{0} : 0; });
  });
}

void PCMPGTQ_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    return map_lanes<int64_t>(a, b, [](int64_t x, int64_t y) { return x > y ? -1 : 0; });
  });
}

/// PACKUSDW: signed doublewords of V then W, saturated to unsigned words.
void PACKUSDW_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& a, const Xmm& b) {
    Xmm r;
    for (unsigned i = 0; i < 8; ++i) {
      const int32_t v = i < 4 ? a.get<int32_t>(i) : b.get<int32_t>(i - 4);
      r.set<uint16_t>(i, uint16_t(std::clamp<int32_t>(v, 0, 0xffff)));
    }
    return r;
  });
}

/// PTEST: ZF = (V AND W) == 0, CF = (NOT V AND W) == 0; OF, SF, AF and PF
/// are cleared.
void PTEST_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const Xmm b = read_w(cpu, insn, Align::k16);
  const Xmm a = read_v(cpu, insn);
  const bool zf = ((a.lo() & b.lo()) | (a.hi() & b.hi())) == 0;
  const bool cf = ((~a.lo() & b.lo()) | (~a.hi() & b.hi())) == 0;
  write_arith_flags(cpu.s, (zf ? kZf : 0u) | (cf ? kCf : 0u));
}

/// PHMINPOSUW: the smallest unsigned word of W in bits 15:0 and the index
/// of its first occurrence in bits 18:16; the rest of V is cleared.
void PHMINPOSUW_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm&, const Xmm& b) {
    unsigned index = 0;
    for (unsigned i = 1; i < 8; ++i) {
      if (b.get<uint16_t>(i) < b.get<uint16_t>(index)) index = i;
    }
    Xmm r;
    r.set<uint16_t>(0, b.get<uint16_t>(index));
    r.set<uint16_t>(1, uint16_t(index));
    return r;
  });
}

/// MPSADBW: eight sums of absolute differences between the four bytes of W
/// at 4 * imm8[1:0] and the bytes of V from 4 * imm8[2] + i (SDM 2 MPSADBW).
void MPSADBW_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const unsigned dst_off = (imm8(insn) >> 2 & 1) * 4, src_off = (imm8(insn) & 3) * 4;
  sse_op(cpu, insn, [&](const Xmm& a, const Xmm& b) {
    Xmm r;
    for (unsigned i = 0; i < 8; ++i) {
      unsigned sum = 0;
      for (unsigned j = 0; j < 4; ++j) {
        sum += unsigned(std::abs(int(a.b[dst_off + i + j]) - int(b.b[src_off + j])));
      }
      r.set<uint16_t>(i, uint16_t(sum));
    }
    return r;
  });
}

/// MOVNTDQA: an aligned 16-byte load; the non-temporal hint has no
/// architectural effect.
void MOVNTDQA_Vx_Mx(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  write_v(cpu, insn, read_w(cpu, insn, Align::k16));
}

}  // namespace kestrel::cpu::exec
