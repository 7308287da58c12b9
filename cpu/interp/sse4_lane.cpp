// SPDX-License-Identifier: MIT
// SSE4.1 lane selection: the immediate and variable blends (XMM0 is the
// implicit mask of the BLENDV forms), and the element extracts and inserts
// between XMM registers and general registers or memory (SDM 2).
#include <cstdint>

#include "cpu/interp/sse4.h"

namespace kestrel::cpu::exec {
namespace {

/// Lane i of the result is W's when bit i of `mask` is set, else V's.
template <class T> Xmm blend(const Xmm& a, const Xmm& b, unsigned mask) {
  Xmm r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) r.set<T>(i, (mask >> i & 1) ? b.get<T>(i) : a.get<T>(i));
  return r;
}

template <class T> void blend_imm(Cpu& cpu, const DecodedInsn& insn) {
  const unsigned mask = imm8(insn);
  sse_op(cpu, insn, [&](const Xmm& a, const Xmm& b) { return blend<T>(a, b, mask); });
}

/// The BLENDV forms take the mask from the sign bit of each lane of XMM0.
template <class T> void blend_var(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [&](const Xmm& a, const Xmm& b) {
    const Xmm sel = read_xmm(cpu.s, 0);
    unsigned mask = 0;
    for (unsigned i = 0; i < 16 / sizeof(T); ++i) mask |= unsigned(sel.get<T>(i) >> (8 * sizeof(T) - 1)) << i;
    return blend<T>(a, b, mask);
  });
}

/// Stores an extracted element: to memory as a T, or zero-extended into
/// the whole general register named by ModRM.rm.
template <class T> void store_element(Cpu& cpu, const DecodedInsn& insn, T v) {
  if (insn.is_mem()) {
    cpu.write<T>(insn.seg, effective_address(cpu, insn), v);
  } else if constexpr (sizeof(T) == 8) {
    write_gpr<uint64_t>(cpu.s, insn.rm, v);
  } else {
    write_gpr<uint32_t>(cpu.s, insn.rm, v);
  }
}

/// Extracts element imm8 (modulo the element count) of V.
template <class T> void extract(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const unsigned lane = imm8(insn) % (16 / sizeof(T));
  store_element<T>(cpu, insn, read_v(cpu, insn).get<T>(lane));
}

/// Inserts a T from memory or from the low bits of the general register
/// ModRM.rm (never AH-BH) into element imm8 of V.
template <class T> void insert(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const T v = insn.is_mem() ? cpu.read<T>(insn.seg, effective_address(cpu, insn)) : T(cpu.s.gpr[insn.rm]);
  Xmm r = read_v(cpu, insn);
  r.set<T>(imm8(insn) % (16 / sizeof(T)), v);
  write_v(cpu, insn, r);
}

}  // namespace

void BLENDPS_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { blend_imm<uint32_t>(cpu, insn); }
void BLENDPD_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { blend_imm<uint64_t>(cpu, insn); }
void PBLENDW_Vx_Wx_Ib(Cpu& cpu, const DecodedInsn& insn) { blend_imm<uint16_t>(cpu, insn); }
void PBLENDVB_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) { blend_var<uint8_t>(cpu, insn); }
void BLENDVPS_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) { blend_var<uint32_t>(cpu, insn); }
void BLENDVPD_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) { blend_var<uint64_t>(cpu, insn); }

void PEXTRB_Eb_Vdq_Ib(Cpu& cpu, const DecodedInsn& insn) { extract<uint8_t>(cpu, insn); }
void PEXTRW_Ew_Vdq_Ib(Cpu& cpu, const DecodedInsn& insn) { extract<uint16_t>(cpu, insn); }
/// PEXTRD, and PEXTRQ with REX.W.
void PEXTRD_Ey_Vdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  if (y_size(insn) == 8) return extract<uint64_t>(cpu, insn);
  extract<uint32_t>(cpu, insn);
}
void EXTRACTPS_Ed_Vdq_Ib(Cpu& cpu, const DecodedInsn& insn) { extract<uint32_t>(cpu, insn); }

void PINSRB_Vdq_Eb_Ib(Cpu& cpu, const DecodedInsn& insn) { insert<uint8_t>(cpu, insn); }
/// PINSRD, and PINSRQ with REX.W.
void PINSRD_Vdq_Ey_Ib(Cpu& cpu, const DecodedInsn& insn) {
  if (y_size(insn) == 8) return insert<uint64_t>(cpu, insn);
  insert<uint32_t>(cpu, insn);
}

/// INSERTPS: element imm8[7:6] of an XMM source (or the 32-bit memory
/// operand) goes to element imm8[5:4] of V, then the elements named by
/// imm8[3:0] are cleared.
void INSERTPS_Vdq_Wd_Ib(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const uint8_t imm = imm8(insn);
  const uint32_t v = insn.is_mem() ? cpu.read<uint32_t>(insn.seg, effective_address(cpu, insn))
                                   : read_xmm(cpu.s, insn.rm).get<uint32_t>(imm >> 6);
  Xmm r = read_v(cpu, insn);
  r.set<uint32_t>(imm >> 4 & 3, v);
  for (unsigned i = 0; i < 4; ++i) {
    if (imm >> i & 1) r.set<uint32_t>(i, 0);
  }
  write_v(cpu, insn, r);
}

}  // namespace kestrel::cpu::exec
