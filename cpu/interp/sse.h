// SPDX-License-Identifier: MIT
// What the SSE-family handlers share: the availability checks (#UD, #NM),
// XMM registers as 16-byte values with typed lanes, and the V/U/W operands
// with the alignment rule of the aligned forms. Floating-point arithmetic
// and MXCSR live in cpu/simd/; the handlers in cpu/interp/sse_*.cpp.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {

static_assert(std::endian::native == std::endian::little,
              "XMM lanes are kept in guest (little-endian) byte order");

/// One XMM register or 128-bit memory operand, in guest byte order.
struct Xmm {
  alignas(16) uint8_t b[16] = {};

  template <class T> T get(unsigned lane) const {
    T v;
    std::memcpy(&v, b + lane * sizeof(T), sizeof(T));
    return v;
  }
  template <class T> void set(unsigned lane, T v) { std::memcpy(b + lane * sizeof(T), &v, sizeof(T)); }
  uint64_t lo() const { return get<uint64_t>(0); }
  uint64_t hi() const { return get<uint64_t>(1); }
  bool operator==(const Xmm&) const = default;
};

inline Xmm read_xmm(const CpuState& s, unsigned n) {
  Xmm x;
  std::memcpy(x.b, s.vec[n], 16);
  return x;
}
/// Writes the low 128 bits of vector register n (legacy SSE encodings
/// leave bits 255:128 alone).
inline void write_xmm(CpuState& s, unsigned n, const Xmm& x) { std::memcpy(s.vec[n], x.b, 16); }

inline constexpr uint64_t kCr0Em = 1u << 2, kCr0Ts = 1u << 3;
inline constexpr uint64_t kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;

/// The checks every SSE instruction on XMM registers makes first: #UD when
/// CR0.EM is set or CR4.OSFXSR is clear, then #NM when CR0.TS is set
/// (SDM 2 §2.5, "SIMD Floating-Point Exceptions" table 2-18 class 4 and 5).
/// Unlike x87 and MMX instructions they do not wait for pending x87
/// exceptions.
inline void sse_check(const Cpu& cpu) {
  if ((cpu.s.cr[0] & kCr0Em) || !(cpu.s.cr[4] & kCr4Osfxsr)) raise(kVecUd);
  if (cpu.s.cr[0] & kCr0Ts) raise(kVecNm);
}

/// Whether a 128-bit memory operand must be 16-byte aligned.
enum class Align : uint8_t { kAny, k16 };

/// #GP(0) when an aligned form's operand is not on a 16-byte boundary
/// (SDM 2, MOVAPS and the other "must be aligned" forms). The test is on
/// the linear address, as hardware makes it.
inline void check_align16(const Cpu& cpu, const DecodedInsn& insn, uint64_t ea) {
  if ((cpu.s.seg[insn.seg].base + ea) & 15) raise(kVecGp, 0);
}

/// The V operand (ModRM.reg).
inline Xmm read_v(const Cpu& cpu, const DecodedInsn& insn) { return read_xmm(cpu.s, insn.reg); }
inline void write_v(Cpu& cpu, const DecodedInsn& insn, const Xmm& x) { write_xmm(cpu.s, insn.reg, x); }

/// 16 bytes of memory at seg:ea (reads have no side effects, so a fault on
/// the second half leaves nothing changed).
inline Xmm read_m128(Cpu& cpu, const DecodedInsn& insn, uint64_t ea) {
  Xmm x;
  x.set<uint64_t>(0, cpu.read<uint64_t>(insn.seg, ea));
  x.set<uint64_t>(1, cpu.read<uint64_t>(insn.seg, (ea + 8) & addr_mask(insn.asize)));
  return x;
}
/// Stores 16 bytes at seg:ea with nothing written unless all of it can be:
/// when the operand crosses a page, both pages are translated for write
/// first (the lower one first), so a #PF on the second page comes before
/// the first half lands and reports that page's first byte in CR2.
inline void write_m128(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, const Xmm& x) {
  const uint64_t lin = cpu.linear(insn.seg, ea, 16, kSegWritable);
  if ((lin & 0xfff) > 0xff0) {
    cpu.mem.translate(lin, mmu::Access::kWrite, cpu.priv());
    cpu.mem.translate((lin | 0xfff) + 1, mmu::Access::kWrite, cpu.priv());
  }
  cpu.write<uint64_t>(insn.seg, ea, x.lo());
  cpu.write<uint64_t>(insn.seg, (ea + 8) & addr_mask(insn.asize), x.hi());
}

/// The W operand, 128 bits: an XMM register (ModRM.rm) or memory.
inline Xmm read_w(Cpu& cpu, const DecodedInsn& insn, Align align) {
  if (!insn.is_mem()) return read_xmm(cpu.s, insn.rm);
  const uint64_t ea = effective_address(cpu, insn);
  if (align == Align::k16) check_align16(cpu, insn, ea);
  return read_m128(cpu, insn, ea);
}
inline void write_w(Cpu& cpu, const DecodedInsn& insn, const Xmm& x, Align align) {
  if (!insn.is_mem()) return write_xmm(cpu.s, insn.rm, x);
  const uint64_t ea = effective_address(cpu, insn);
  if (align == Align::k16) check_align16(cpu, insn, ea);
  write_m128(cpu, insn, ea, x);
}

/// The W operand of a scalar or partial form (Wss, Wsd, Wq, Wd...): the
/// low T of an XMM register, or a T in memory (never alignment-checked).
template <class T> T read_w_scalar(Cpu& cpu, const DecodedInsn& insn) {
  if (!insn.is_mem()) return read_xmm(cpu.s, insn.rm).get<T>(0);
  return cpu.read<T>(insn.seg, effective_address(cpu, insn));
}

/// dst[i] = f(a[i], b[i]) for every lane of type T.
template <class T, class F> Xmm map_lanes(const Xmm& a, const Xmm& b, F&& f) {
  Xmm r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i) r.set<T>(i, T(f(a.get<T>(i), b.get<T>(i))));
  return r;
}

}  // namespace kestrel::cpu::exec
