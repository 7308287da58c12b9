// SPDX-License-Identifier: MIT
// x87 control: the control and status words, FNCLEX, FNINIT, the stack
// pointer, the no-op encodings, and the environment and state images of
// FNSTENV/FLDENV/FNSAVE/FRSTOR in their 16/32-bit real and protected-mode
// layouts (SDM 1 §8.1.10, figures 8-9 to 8-12). FXSAVE is x87_fxsave.cpp.
#include "cpu/interp/x87.h"

namespace kestrel::cpu::exec {
namespace {

/// The environment image at ea: 14 bytes with a 16-bit operand size,
/// else 28. Real and virtual-8086 mode store 20/32-bit linear pointers
/// with the opcode; protected mode stores offsets and selectors.
struct EnvLayout {
  bool wide;      ///< 32-bit format
  bool real;      ///< real-address or virtual-8086 format
  unsigned size;  ///< 14 or 28
};

EnvLayout env_layout(const Cpu& cpu, const DecodedInsn& insn) {
  const bool wide = insn.osize != 2;
  return {wide, cpu.real_mode() || cpu.v86(), wide ? 28u : 14u};
}

/// The image's words in order: FCW, FSW, FTW, then four pointer words.
void env_words(const CpuState& s, const EnvLayout& l, uint32_t (&w)[7]) {
  const uint32_t reserved = l.wide ? 0xffff0000 : 0;
  w[0] = s.fcw | reserved;
  w[1] = s.fsw | reserved;
  w[2] = x87::stored_tag_word(s) | reserved;
  const uint32_t op = s.fop & 0x7ff;
  if (l.real) {
    const uint32_t ip = uint32_t(s.fip + (uint32_t(s.fcs) << 4));
    const uint32_t dp = uint32_t(s.fdp + (uint32_t(s.fds) << 4));
    w[3] = (ip & 0xffff) | reserved;
    w[4] = op | (ip >> 16) << 12;
    w[5] = (dp & 0xffff) | reserved;
    w[6] = (dp >> 16) << 12;
  } else {
    w[3] = uint32_t(s.fip);
    w[4] = s.fcs | (l.wide ? op << 16 : 0);
    w[5] = uint32_t(s.fdp);
    w[6] = s.fds | reserved;
  }
}

void store_env(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, const EnvLayout& l) {
  uint32_t w[7];
  env_words(cpu.s, l, w);
  for (unsigned k = 0; k < 7; ++k) {
    if (l.wide) cpu.write<uint32_t>(insn.seg, ea_plus(insn, ea, 4 * k), w[k]);
    else cpu.write<uint16_t>(insn.seg, ea_plus(insn, ea, 2 * k), uint16_t(w[k]));
  }
}

/// Reads an environment image and loads it; the registers of FRSTOR are
/// read first by the caller so nothing changes before a fault.
struct EnvImage {
  uint32_t w[7];
};
EnvImage read_env(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, const EnvLayout& l) {
  EnvImage e;
  for (unsigned k = 0; k < 7; ++k) {
    e.w[k] = l.wide ? cpu.read<uint32_t>(insn.seg, ea_plus(insn, ea, 4 * k))
                    : cpu.read<uint16_t>(insn.seg, ea_plus(insn, ea, 2 * k));
  }
  return e;
}

void load_env(CpuState& s, const EnvImage& e, const EnvLayout& l) {
  s.fcw = uint16_t(e.w[0]);
  s.fsw = uint16_t(e.w[1]);
  if (l.real) {
    s.fop = uint16_t(e.w[4] & 0x7ff);
    s.fip = (e.w[3] & 0xffff) | (e.w[4] >> 12) << 16;
    s.fdp = (e.w[5] & 0xffff) | (e.w[6] >> 12) << 16;
    s.fcs = s.fds = 0;
  } else {
    s.fip = e.w[3];
    s.fcs = uint16_t(e.w[4]);
    s.fop = l.wide ? uint16_t((e.w[4] >> 16) & 0x7ff) : s.fop;
    s.fdp = e.w[5];
    s.fds = uint16_t(e.w[6]);
  }
  // After the registers, so tags follow the new contents.
  x87::load_tag_word(s, uint16_t(e.w[2]));
  x87::update_summary(s);
}

}  // namespace

// ---- control and status words ----
void FLDCW_Mw(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kControl);
  const uint16_t cw = cpu.read<uint16_t>(insn.seg, fpu_ea(cpu, insn));
  // Bit 6 reads as one; bits 13-15 are reserved and read as zero.
  cpu.s.fcw = uint16_t((cw & 0x1f3f) | 0x40);
  // Unmasking a raised exception makes it pending (SDM 1 §8.6).
  x87::update_summary(cpu.s);
}
void FNSTCW_Mw(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  cpu.write<uint16_t>(insn.seg, fpu_ea(cpu, insn), cpu.s.fcw);
}
void FNSTSW_Mw(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  cpu.write<uint16_t>(insn.seg, fpu_ea(cpu, insn), cpu.s.fsw);
}
void FNSTSW_AX(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  write_gpr<uint16_t>(cpu.s, kRax, cpu.s.fsw);
}
void FNCLEX(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  // Clears the flags, SF, ES and B; the condition codes and TOP stay.
  cpu.s.fsw &= uint16_t(x87::kSwCond | x87::kSwTop);
}
void FNINIT(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  x87::finit(cpu.s);
}

// ---- no-ops ----
void FNOP(Cpu& cpu, const DecodedInsn& insn) { fpu_start(cpu, insn); }
// The 8087's FENI/FDISI and the 287's FSETPM do nothing from the 387 on.
void FNENI(Cpu& cpu, const DecodedInsn& insn) { fpu_start(cpu, insn, FpuStart::kNoWait); }
void FNDISI(Cpu& cpu, const DecodedInsn& insn) { fpu_start(cpu, insn, FpuStart::kNoWait); }
void FNSETPM(Cpu& cpu, const DecodedInsn& insn) { fpu_start(cpu, insn, FpuStart::kNoWait); }

// ---- the stack pointer: TOP moves, tags and contents stay ----
void FINCSTP(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  x87::set_top(cpu.s, x87::top(cpu.s) + 1);
  x87::set_cc(cpu.s, x87::kSwC1, 0);
}
void FDECSTP(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn);
  x87::set_top(cpu.s, x87::top(cpu.s) - 1);
  x87::set_cc(cpu.s, x87::kSwC1, 0);
}

// ---- environment and state images ----
void FNSTENV_Me(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  store_env(cpu, insn, fpu_ea(cpu, insn), env_layout(cpu, insn));
  // FNSTENV then masks every exception (SDM 2 FSTENV).
  cpu.s.fcw |= x87::kExceptionMask;
  x87::update_summary(cpu.s);
}

void FLDENV_Me(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kControl);
  const EnvLayout l = env_layout(cpu, insn);
  load_env(cpu.s, read_env(cpu, insn, fpu_ea(cpu, insn), l), l);
}

void FNSAVE_Me(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kNoWait);
  const uint64_t ea = fpu_ea(cpu, insn);
  const EnvLayout l = env_layout(cpu, insn);
  store_env(cpu, insn, ea, l);
  for (unsigned i = 0; i < 8; ++i) write_m80(cpu, insn, ea_plus(insn, ea, l.size + 10 * i), x87::st(cpu.s, i));
  x87::finit(cpu.s);
}

void FRSTOR_Me(Cpu& cpu, const DecodedInsn& insn) {
  fpu_start(cpu, insn, FpuStart::kControl);
  const uint64_t ea = fpu_ea(cpu, insn);
  const EnvLayout l = env_layout(cpu, insn);
  const EnvImage e = read_env(cpu, insn, ea, l);
  x87::Float80 regs[8];
  for (unsigned i = 0; i < 8; ++i) regs[i] = read_m80(cpu, insn, ea_plus(insn, ea, l.size + 10 * i));
  // The image lists ST(0)-ST(7) by the TOP it carries.
  const unsigned new_top = (e.w[1] >> 11) & 7;
  for (unsigned i = 0; i < 8; ++i) {
    cpu.s.st[(new_top + i) & 7] = {regs[i].mant, regs[i].se, {}};
  }
  load_env(cpu.s, e, l);
}

}  // namespace kestrel::cpu::exec
