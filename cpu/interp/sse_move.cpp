// SPDX-License-Identifier: MIT
// SSE/SSE2/SSE3 data movement: full, scalar, half and duplicating moves,
// MOVD/MOVQ between XMM and general registers or memory, the MMX<->XMM
// moves, non-temporal and masked stores, sign masks, and the cache and
// ordering hints (prefetches, fences, CLFLUSH) that only check their
// operand here (SDM 2). MMX-only moves are in mmx.cpp.
#include "cpu/interp/sse_lanes.h"

namespace kestrel::cpu::exec {
namespace {

void load_full(Cpu& cpu, const DecodedInsn& insn, Align align) {
  sse_check(cpu);
  write_v(cpu, insn, read_w(cpu, insn, align));
}
void store_full(Cpu& cpu, const DecodedInsn& insn, Align align) {
  sse_check(cpu);
  write_w(cpu, insn, read_v(cpu, insn), align);
}

/// MOVSS/MOVSD loads: from memory the rest of V is zeroed, from a
/// register only the low T of V changes.
template <class T> void load_scalar(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const T v = read_w_scalar<T>(cpu, insn);
  Xmm r = insn.is_mem() ? Xmm{} : read_v(cpu, insn);
  r.set<T>(0, v);
  write_v(cpu, insn, r);
}
/// MOVSS/MOVSD stores: T bytes of memory, or the low T of another register.
template <class T> void store_scalar(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const T v = read_v(cpu, insn).get<T>(0);
  if (insn.is_mem()) return cpu.write<T>(insn.seg, effective_address(cpu, insn), v);
  Xmm r = read_xmm(cpu.s, insn.rm);
  r.set<T>(0, v);
  write_xmm(cpu.s, insn.rm, r);
}

/// Replaces quadword `lane` of V with a 64-bit memory operand or with
/// quadword `from` of U (MOVLPS, MOVHPS, MOVHLPS, MOVLHPS...).
void load_half(Cpu& cpu, const DecodedInsn& insn, unsigned lane, unsigned from) {
  sse_check(cpu);
  const uint64_t v = insn.is_mem() ? cpu.read<uint64_t>(insn.seg, effective_address(cpu, insn))
                                   : read_xmm(cpu.s, insn.rm).get<uint64_t>(from);
  Xmm r = read_v(cpu, insn);
  r.set<uint64_t>(lane, v);
  write_v(cpu, insn, r);
}
void store_half(Cpu& cpu, const DecodedInsn& insn, unsigned lane) {
  sse_check(cpu);
  cpu.write<uint64_t>(insn.seg, effective_address(cpu, insn), read_v(cpu, insn).get<uint64_t>(lane));
}

/// Lane i of the result is lane pick(i) of the 128-bit source.
template <class T, class F> void dup(Cpu& cpu, const DecodedInsn& insn, F pick) {
  sse_check(cpu);
  const Xmm v = read_w(cpu, insn, Align::k16);
  Xmm r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) r.set<T>(i, v.get<T>(pick(i)));
  write_v(cpu, insn, r);
}

/// The sign bits of the T lanes of the low n bytes of v.
template <class T> uint32_t sign_mask(const Xmm& v, unsigned n) {
  uint32_t m = 0;
  for (unsigned i = 0; i < n / sizeof(T); ++i) m |= uint32_t(v.get<T>(i) >> (8 * sizeof(T) - 1)) << i;
  return m;
}

/// Stores the bytes of data whose mask byte has bit 7 set at seg:rDI, the
/// segment being DS unless overridden. The whole n-byte operand is checked
/// for writing first, whatever the mask, so a fault stores nothing: the SDM
/// leaves faults with an all-zero mask to the implementation, and the
/// hardware we compare with raises them. Past the end of a 16- or 32-bit
/// segment the operand faults rather than wrapping.
void masked_store(Cpu& cpu, const DecodedInsn& insn, const Xmm& data, const Xmm& mask, unsigned n) {
  const uint64_t base = cpu.s.gpr[kRdi] & addr_mask(insn.asize);
  const uint64_t lin = cpu.linear(insn.seg, base, n, kSegWritable);
  cpu.mem.translate(lin, mmu::Access::kWrite, cpu.priv());
  cpu.mem.translate(lin + n - 1, mmu::Access::kWrite, cpu.priv());
  for (unsigned i = 0; i < n; ++i) {
    if (mask.b[i] & 0x80) cpu.write<uint8_t>(insn.seg, base + i, data.b[i]);
  }
}

}  // namespace

// ---- full 128-bit moves ----
void MOVUPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::kAny); }
void MOVUPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::kAny); }
void MOVDQU_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::kAny); }
void LDDQU_Vx_Mx(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::kAny); }
void MOVAPS_Vps_Wps(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::k16); }
void MOVAPD_Vpd_Wpd(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::k16); }
void MOVDQA_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) { load_full(cpu, insn, Align::k16); }
void MOVUPS_Wps_Vps(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::kAny); }
void MOVUPD_Wpd_Vpd(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::kAny); }
void MOVDQU_Wx_Vx(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::kAny); }
void MOVAPS_Wps_Vps(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }
void MOVAPD_Wpd_Vpd(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }
void MOVDQA_Wx_Vx(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }
// Non-temporal stores: the hint changes nothing architectural, the
// alignment rule stays.
void MOVNTPS_Mps_Vps(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }
void MOVNTPD_Mpd_Vpd(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }
void MOVNTDQ_Mx_Vx(Cpu& cpu, const DecodedInsn& insn) { store_full(cpu, insn, Align::k16); }

// ---- scalar and half moves ----
void MOVSS_Vss_Wss(Cpu& cpu, const DecodedInsn& insn) { load_scalar<uint32_t>(cpu, insn); }
void MOVSD_Vsd_Wsd(Cpu& cpu, const DecodedInsn& insn) { load_scalar<uint64_t>(cpu, insn); }
void MOVSS_Wss_Vss(Cpu& cpu, const DecodedInsn& insn) { store_scalar<uint32_t>(cpu, insn); }
void MOVSD_Wsd_Vsd(Cpu& cpu, const DecodedInsn& insn) { store_scalar<uint64_t>(cpu, insn); }
void MOVLPS_Vq_Mq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 0, 0); }
void MOVLPD_Vq_Mq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 0, 0); }
void MOVHLPS_Vq_Uq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 0, 1); }
void MOVHPS_Vdq_Mq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 1, 0); }
void MOVHPD_Vdq_Mq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 1, 0); }
void MOVLHPS_Vdq_Uq(Cpu& cpu, const DecodedInsn& insn) { load_half(cpu, insn, 1, 0); }
void MOVLPS_Mq_Vq(Cpu& cpu, const DecodedInsn& insn) { store_half(cpu, insn, 0); }
void MOVLPD_Mq_Vq(Cpu& cpu, const DecodedInsn& insn) { store_half(cpu, insn, 0); }
void MOVHPS_Mq_Vq(Cpu& cpu, const DecodedInsn& insn) { store_half(cpu, insn, 1); }
void MOVHPD_Mq_Vq(Cpu& cpu, const DecodedInsn& insn) { store_half(cpu, insn, 1); }

// ---- duplicating loads (SSE3) ----
void MOVSLDUP_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  dup<uint32_t>(cpu, insn, [](unsigned i) { return i & ~1u; });
}
void MOVSHDUP_Vx_Wx(Cpu& cpu, const DecodedInsn& insn) {
  dup<uint32_t>(cpu, insn, [](unsigned i) { return i | 1u; });
}
// MOVDDUP reads only 64 bits, so a memory operand has no alignment rule.
void MOVDDUP_Vx_Wq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const uint64_t v = read_w_scalar<uint64_t>(cpu, insn);
  Xmm r;
  r.set<uint64_t>(0, v);
  r.set<uint64_t>(1, v);
  write_v(cpu, insn, r);
}

// ---- MOVD/MOVQ: the upper part of the XMM destination is zeroed ----
void MOVD_Vy_Ey(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  Xmm r;
  // REX.W makes it MOVQ xmm, r/m64.
  if (insn.rex & 8) r.set<uint64_t>(0, read_e<uint64_t>(cpu, insn));
  else r.set<uint32_t>(0, read_e<uint32_t>(cpu, insn));
  write_v(cpu, insn, r);
}
void MOVD_Ey_Vy(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const Xmm v = read_v(cpu, insn);
  if (insn.rex & 8) write_e<uint64_t>(cpu, insn, v.lo());
  else write_e<uint32_t>(cpu, insn, v.get<uint32_t>(0));
}
void MOVQ_Vq_Wq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  Xmm r;
  r.set<uint64_t>(0, read_w_scalar<uint64_t>(cpu, insn));
  write_v(cpu, insn, r);
}
void MOVQ_Wq_Vq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  const uint64_t v = read_v(cpu, insn).lo();
  if (insn.is_mem()) return cpu.write<uint64_t>(insn.seg, effective_address(cpu, insn), v);
  Xmm r;
  r.set<uint64_t>(0, v);
  write_xmm(cpu.s, insn.rm, r);
}

// ---- between MMX and XMM registers: both sets of checks apply, and the
// x87 state switches to MMX ----
void MOVQ2DQ_Vdq_Nq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  mmx_check(cpu);
  Xmm r;
  r.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_rm(insn)));
  x87::mmx_enter(cpu.s);
  write_v(cpu, insn, r);
}
void MOVDQ2Q_Pq_Uq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  mmx_check(cpu);
  write_mm(cpu, mm_reg(insn), read_xmm(cpu.s, insn.rm).lo());
}

// ---- non-temporal and masked stores ----
// MOVNTI is a general-register store: none of the SSE checks apply.
void MOVNTI_My_Gy(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = effective_address(cpu, insn);
  if (insn.rex & 8) cpu.write<uint64_t>(insn.seg, ea, cpu.s.gpr[insn.reg]);
  else cpu.write<uint32_t>(insn.seg, ea, uint32_t(cpu.s.gpr[insn.reg]));
}
void MOVNTQ_Mq_Pq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  cpu.write<uint64_t>(insn.seg, effective_address(cpu, insn), x87::mmx_read(cpu.s, mm_reg(insn)));
  x87::mmx_enter(cpu.s);
}
void MASKMOVQ_Pq_Nq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  Xmm data, mask;
  data.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_reg(insn)));
  mask.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_rm(insn)));
  masked_store(cpu, insn, data, mask, kMmxBytes);
  x87::mmx_enter(cpu.s);
}
void MASKMOVDQU_Vdq_Udq(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  masked_store(cpu, insn, read_v(cpu, insn), read_xmm(cpu.s, insn.rm), kXmmBytes);
}

// ---- sign masks into a general register (zero-extended to all of it) ----
void MOVMSKPS_Gy_Ups(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  cpu.s.gpr[insn.reg] = sign_mask<uint32_t>(read_xmm(cpu.s, insn.rm), kXmmBytes);
}
void MOVMSKPD_Gy_Upd(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  cpu.s.gpr[insn.reg] = sign_mask<uint64_t>(read_xmm(cpu.s, insn.rm), kXmmBytes);
}
void PMOVMSKB_Gd_Nq(Cpu& cpu, const DecodedInsn& insn) {
  mmx_check(cpu);
  Xmm v;
  v.set<uint64_t>(0, x87::mmx_read(cpu.s, mm_rm(insn)));
  cpu.s.gpr[insn.reg] = sign_mask<uint8_t>(v, kMmxBytes);
  x87::mmx_enter(cpu.s);
}
void PMOVMSKB_Gd_Ux(Cpu& cpu, const DecodedInsn& insn) {
  sse_check(cpu);
  cpu.s.gpr[insn.reg] = sign_mask<uint8_t>(read_xmm(cpu.s, insn.rm), kXmmBytes);
}

// ---- cache and ordering hints ----
// A prefetch never faults and the interpreter has no cache to fill; the
// fences order nothing in a one-CPU, in-order interpreter.
void PREFETCHNTA_Mb(Cpu&, const DecodedInsn&) {}
void PREFETCHT0_Mb(Cpu&, const DecodedInsn&) {}
void PREFETCHT1_Mb(Cpu&, const DecodedInsn&) {}
void PREFETCHT2_Mb(Cpu&, const DecodedInsn&) {}
void SFENCE(Cpu&, const DecodedInsn&) {}
void LFENCE(Cpu&, const DecodedInsn&) {}
void MFENCE(Cpu&, const DecodedInsn&) {}
// CLFLUSH faults as a byte load would (SDM 2, CLFLUSH); there is no cache
// to flush. The SDM also allows an execute-only code segment, which the
// segment cache does not tell apart from an unusable one, so such a
// segment gives #GP here.
void CLFLUSH_Mb(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t lin = cpu.linear(insn.seg, effective_address(cpu, insn), 1);
  cpu.mem.translate(lin, mmu::Access::kRead, cpu.priv());
}

}  // namespace kestrel::cpu::exec
