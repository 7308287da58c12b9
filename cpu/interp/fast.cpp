// SPDX-License-Identifier: MIT
// Specialised handlers (see fast.h). Each one is the generic handler of its
// form with the tests that the decoded instruction answers once and for all
// (operand size, register or memory, base and index present, 64-bit mode)
// taken out; whatever they do not cover goes back to the generic handler.
#include "cpu/interp/fast.h"

#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

// ---- 64-bit mode memory operands ----
// A block decoded for 64-bit code only runs in 64-bit mode (the block key
// holds the code size), so Cpu::read/write would take their linear64 branch.

/// base + disp (+ index << scale) at the 64-bit address size, base a GPR.
template <bool kIndex> uint64_t ea64(const CpuState& s, const DecodedInsn& i) {
  uint64_t ea = uint64_t(i.disp) + s.gpr[i.base];
  if constexpr (kIndex) ea += s.gpr[i.index] << i.scale;
  return ea;
}

/// Cpu::read in 64-bit mode; a misaligned access takes the generic path
/// for its alignment check, which repeats the same address checks.
template <class T> T read64(Cpu& cpu, uint8_t seg, uint64_t off) {
  const uint64_t lin = cpu.linear64(seg, off, sizeof(T));
  if (lin & (sizeof(T) - 1)) [[unlikely]] return cpu.read<T>(seg, off);
  return cpu.mem.read<T>(lin, cpu.priv());
}
template <class T> void write64(Cpu& cpu, uint8_t seg, uint64_t off, T v) {
  const uint64_t lin = cpu.linear64(seg, off, sizeof(T));
  if (lin & (sizeof(T) - 1)) [[unlikely]] return cpu.write<T>(seg, off, v);
  cpu.mem.write<T>(lin, v, cpu.priv());
}

// ---- MOV Ev,Gv / MOV Gv,Ev / MOVZX / LEA ----
template <class T> void mov_e_g_reg(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.rm, read_gpr<T>(cpu.s, i.reg));
}
template <class T> void mov_g_e_reg(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, read_gpr<T>(cpu.s, i.rm));
}
template <class T, bool kIndex> void mov_e_g_mem64(Cpu& cpu, const DecodedInsn& i) {
  write64<T>(cpu, i.seg, ea64<kIndex>(cpu.s, i), read_gpr<T>(cpu.s, i.reg));
}
template <class T, bool kIndex> void mov_g_e_mem64(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, read64<T>(cpu, i.seg, ea64<kIndex>(cpu.s, i)));
}
/// MOVZX Gv, Eb/Ew from memory: S is the source size, T the operand size.
template <class S, class T, bool kIndex> void movzx_mem64(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, T(read64<S>(cpu, i.seg, ea64<kIndex>(cpu.s, i))));
}
template <class T, bool kIndex> void lea64(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, T(ea64<kIndex>(cpu.s, i)));
}

/// Picks F<T, kIndex> for a 64-bit-mode memory operand with a base
/// register, T the operand size (4 or 8 bytes); nullptr otherwise.
template <template <class, bool> class F>
Handler pick_mem64(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.mod == 3 || i.asize != 8) return nullptr;
  if (i.base == kNoReg || i.base == kRipReg) return nullptr;
  const bool index = i.index != kNoReg;
  if (i.osize == 8) return index ? F<uint64_t, true>::fn : F<uint64_t, false>::fn;
  if (i.osize == 4) return index ? F<uint32_t, true>::fn : F<uint32_t, false>::fn;
  return nullptr;
}

// Class wrappers, so that pick_mem64 can take each family as one template.
template <class T, bool X> struct MovEG { static constexpr Handler fn = &mov_e_g_mem64<T, X>; };
template <class T, bool X> struct MovGE { static constexpr Handler fn = &mov_g_e_mem64<T, X>; };
template <class T, bool X> struct MovzxB { static constexpr Handler fn = &movzx_mem64<uint8_t, T, X>; };
template <class T, bool X> struct MovzxW { static constexpr Handler fn = &movzx_mem64<uint16_t, T, X>; };
template <class T, bool X> struct Lea { static constexpr Handler fn = &lea64<T, X>; };

/// Register-to-register MOV at operand size 4 or 8.
Handler pick_reg(const DecodedInsn& i, Handler h4, Handler h8) {
  if (i.mod != 3) return nullptr;
  return i.osize == 8 ? h8 : i.osize == 4 ? h4 : nullptr;
}

Handler specialized(const DecodedInsn& i, const DecodeContext& ctx) {
  switch (i.form) {
    case isa::Form::MOV_Ev_Gv:
      if (Handler h = pick_reg(i, &mov_e_g_reg<uint32_t>, &mov_e_g_reg<uint64_t>)) return h;
      return pick_mem64<MovEG>(i, ctx);
    case isa::Form::MOV_Gv_Ev:
      if (Handler h = pick_reg(i, &mov_g_e_reg<uint32_t>, &mov_g_e_reg<uint64_t>)) return h;
      return pick_mem64<MovGE>(i, ctx);
    case isa::Form::MOVZX_Gv_Eb: return pick_mem64<MovzxB>(i, ctx);
    case isa::Form::MOVZX_Gv_Ew: return pick_mem64<MovzxW>(i, ctx);
    case isa::Form::LEA_Gv_M: return pick_mem64<Lea>(i, ctx);
    default: return nullptr;
  }
}

}  // namespace

Handler specialize(const DecodedInsn& insn, const DecodeContext& ctx) {
  if (Handler h = specialized(insn, ctx)) return h;
  return insn.handler;
}

}  // namespace kestrel::cpu::exec
