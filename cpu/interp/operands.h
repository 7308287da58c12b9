// SPDX-License-Identifier: MIT
// Operand access shared by the interpreter's handlers: registers by size,
// effective addresses, ModRM operands, the stack, and near branches.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cpu/cpu.h"
#include "cpu/decode.h"

namespace kestrel::cpu::exec {

inline uint64_t addr_mask(unsigned asize) {
  return asize == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * asize)) - 1;
}

/// Calls f(T{}) with T the unsigned type of `bytes` (2, 4 or 8; 1 for byte forms).
template <class F> decltype(auto) with_size(unsigned bytes, F&& f) {
  switch (bytes) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    default: return f(uint64_t{});
  }
}
template <class F> decltype(auto) with_osize(const DecodedInsn& i, F&& f) {
  return with_size(i.osize, static_cast<F&&>(f));
}

// ---- general registers ----
/// Byte register n: without REX, 4-7 are AH, CH, DH, BH.
inline uint8_t read_reg8(const CpuState& s, unsigned n, bool rex) {
  if (!rex && n >= 4 && n < 8) return uint8_t(s.gpr[n - 4] >> 8);
  return uint8_t(s.gpr[n]);
}
inline void write_reg8(CpuState& s, unsigned n, bool rex, uint8_t v) {
  if (!rex && n >= 4 && n < 8) {
    s.gpr[n - 4] = (s.gpr[n - 4] & ~uint64_t{0xff00}) | uint64_t(v) << 8;
  } else {
    s.gpr[n] = (s.gpr[n] & ~uint64_t{0xff}) | v;
  }
}
/// Reads a 16/32/64-bit register (byte registers go through read_reg8).
template <class T> T read_gpr(const CpuState& s, unsigned n) { return T(s.gpr[n]); }
/// Writes a register: 8/16-bit writes keep the upper bits, 32-bit writes zero-extend.
template <class T> void write_gpr(CpuState& s, unsigned n, T v) {
  if constexpr (sizeof(T) >= 4) {
    s.gpr[n] = uint64_t(v);
  } else {
    constexpr uint64_t m = (uint64_t{1} << (8 * sizeof(T))) - 1;
    s.gpr[n] = (s.gpr[n] & ~m) | uint64_t(v);
  }
}

/// The G operand (ModRM.reg) of size T.
template <class T> T read_g(const Cpu& cpu, const DecodedInsn& i) {
  if constexpr (sizeof(T) == 1) return read_reg8(cpu.s, i.reg, i.rex);
  else return read_gpr<T>(cpu.s, i.reg);
}
template <class T> void write_g(Cpu& cpu, const DecodedInsn& i, T v) {
  if constexpr (sizeof(T) == 1) write_reg8(cpu.s, i.reg, i.rex, v);
  else write_gpr<T>(cpu.s, i.reg, v);
}

// ---- memory operands ----
/// Offset of the ModRM memory operand, wrapped to the address size.
inline uint64_t effective_address(const Cpu& cpu, const DecodedInsn& i) {
  uint64_t ea = uint64_t(i.disp);
  if (i.base != kNoReg) ea += i.base == kRipReg ? cpu.s.rip : cpu.s.gpr[i.base];
  if (i.index != kNoReg) ea += cpu.s.gpr[i.index] << i.scale;
  return ea & addr_mask(i.asize);
}

/// The E operand (ModRM r/m) of size T: a register or memory at seg:ea.
template <class T> T read_e(Cpu& cpu, const DecodedInsn& i) {
  if (i.mod == 3) {
    if constexpr (sizeof(T) == 1) return read_reg8(cpu.s, i.rm, i.rex);
    else return read_gpr<T>(cpu.s, i.rm);
  }
  return cpu.read<T>(i.seg, effective_address(cpu, i));
}
template <class T> void write_e(Cpu& cpu, const DecodedInsn& i, T v) {
  if (i.mod == 3) {
    if constexpr (sizeof(T) == 1) write_reg8(cpu.s, i.rm, i.rex, v);
    else write_gpr<T>(cpu.s, i.rm, v);
    return;
  }
  cpu.write<T>(i.seg, effective_address(cpu, i), v);
}

/// Read-modify-write of the E operand with one address computation:
/// f(old) returns the new value, or std::nullopt-like `false` via a bool out.
template <class T, class F> void modify_e(Cpu& cpu, const DecodedInsn& i, F&& f) {
  if (i.mod == 3) {
    write_e<T>(cpu, i, f(read_e<T>(cpu, i)));
    return;
  }
  const uint64_t ea = effective_address(cpu, i);
  const T old = cpu.read<T>(i.seg, ea);
  cpu.write<T>(i.seg, ea, f(old));
}

// ---- the stack ----
/// Stack pointer width: 8 in 64-bit mode, else 4 when SS.B is set, else 2.
inline unsigned stack_size(const Cpu& cpu) {
  if (cpu.long_mode64()) return 8;
  return cpu.s.seg[kSs].attr & kAttrDb ? 4 : 2;
}
inline uint64_t read_sp(const Cpu& cpu) { return cpu.s.gpr[kRsp] & addr_mask(stack_size(cpu)); }
inline void write_sp(Cpu& cpu, uint64_t sp) {
  const uint64_t m = addr_mask(stack_size(cpu));
  cpu.s.gpr[kRsp] = (cpu.s.gpr[kRsp] & ~m) | (sp & m);
}
/// Pushes v; SP changes only once the write succeeded.
template <class T> void push(Cpu& cpu, T v) {
  const uint64_t sp = (read_sp(cpu) - sizeof(T)) & addr_mask(stack_size(cpu));
  cpu.write<T>(kSs, sp, v);
  write_sp(cpu, sp);
}
template <class T> T pop(Cpu& cpu) {
  const uint64_t sp = read_sp(cpu);
  const T v = cpu.read<T>(kSs, sp);
  write_sp(cpu, sp + sizeof(T));
  return v;
}

// ---- near branches ----
/// Whether a near branch may reach `target` (masked to its operand size):
/// canonical in 64-bit mode, else inside the CS limit (the 8086 wraps).
inline bool near_target_ok(const Cpu& cpu, uint64_t target) {
  if (cpu.long_mode64()) return cpu.canonical(target);
  return target <= cpu.s.seg[kCs].limit || cpu.model->quirk(kQuirkSegWrap);
}

/// Sets rIP to `target` truncated to the operand size, after the CS limit
/// check (#GP(0)) that the 286 and later make; in 64-bit mode a
/// non-canonical target is #GP(0) on the branch itself, as Intel reports it
/// (SDM 2 JMP, "64-Bit Mode Exceptions").
inline void near_jump(Cpu& cpu, uint64_t target, unsigned osize) {
  target &= addr_mask(osize);
  if (!near_target_ok(cpu, target)) raise(kVecGp, 0);
  cpu.s.rip = target;
}

/// near_jump in 64-bit mode at operand size 8: only the canonical check.
inline void jump64(Cpu& cpu, uint64_t target) {
  if (!cpu.canonical(target)) raise(kVecGp, 0);
  cpu.s.rip = target;
}

/// rIP after `i` as a specialised handler finds it (Cpu::rip_base).
inline uint64_t fast_next_rip(const Cpu& cpu, const DecodedInsn& i) { return cpu.rip_base + int64_t{i.next}; }

/// jump64 from a specialised handler, noted for its caller (kFastJump).
inline void fast_jump64(Cpu& cpu, uint64_t target) {
  jump64(cpu, target);
  cpu.fast_note = kFastJump;
}

}  // namespace kestrel::cpu::exec
