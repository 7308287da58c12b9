// SPDX-License-Identifier: MIT
// XSAVE, XSAVEOPT and XRSTOR (standard form) for the x87 (bit 0) and SSE
// (bit 1) state components, and XGETBV/XSETBV for XCR0 (SDM 1 chapter 13,
// SDM 2). The legacy region is the FXSAVE image of x87_fxsave.cpp; CPUID
// leaf 0Dh and CR4.OSXSAVE belong to system.cpp.
#include <cstdint>
#include <cstring>

#include "cpu/interp/sse.h"
#include "cpu/interp/x87_fxsave.h"
#include "cpu/x87/fpu.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr4Osxsave = 1u << 18;
constexpr unsigned kHeader = 512;     ///< the XSAVE header: XSTATE_BV, XCOMP_BV, reserved
constexpr unsigned kAreaSize = 576;   ///< legacy region and header, the size for XCR0 = 3
constexpr unsigned kXmmStart = 160;   ///< XMM0 in the legacy region

void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint64_t get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

/// The XSAVE-family checks: #UD with CR4.OSXSAVE clear, #NM with CR0.TS
/// set, #GP(0) for an area not 64-byte aligned (SDM 2 XSAVE, XRSTOR).
uint64_t xsave_start(Cpu& cpu, const DecodedInsn& insn) {
  if (!(cpu.s.cr[4] & kCr4Osxsave)) raise(kVecUd);
  if (cpu.s.cr[0] & kCr0Ts) raise(kVecNm);
  const uint64_t ea = effective_address(cpu, insn);
  if ((cpu.s.seg[insn.seg].base + ea) & 63) raise(kVecGp, 0);
  return ea;
}

/// RFBM: EDX:EAX AND XCR0.
uint64_t requested(const Cpu& cpu) {
  return ((cpu.s.gpr[kRdx] << 32) | uint32_t(cpu.s.gpr[kRax])) & cpu.s.xcr0;
}

uint64_t area_offset(const DecodedInsn& insn, uint64_t ea, unsigned n) {
  return (ea + n) & addr_mask(insn.asize);
}

/// XINUSE. Kestrel does not track it: a component counts as in use unless
/// it is in its initial configuration (SDM 1 §13.6 allows XINUSE[i] = 0
/// only then; clearing it whenever that holds is the choice made here).
/// SSE's initial configuration is all XMM registers zero, MXCSR aside.
uint64_t in_use(const CpuState& s) {
  bool x87_init = s.fcw == 0x037f && s.fsw == 0 && s.ftw == 0xffff && s.fop == 0 && s.fip == 0 &&
                  s.fdp == 0 && s.fcs == 0 && s.fds == 0;
  for (const X87Reg& r : s.st) x87_init = x87_init && r.mantissa == 0 && r.sign_exp == 0;
  bool sse_init = true;
  for (const auto& v : s.vec) {
    for (unsigned k = 0; k < 16; ++k) sse_init = sse_init && v[k] == 0;
  }
  return (x87_init ? 0 : 1) | (sse_init ? 0 : 2);
}

/// Every page of the area is translated for write before the first store,
/// so a fault leaves memory as it was.
void probe_write(Cpu& cpu, const DecodedInsn& insn, uint64_t ea) {
  const uint64_t lin = cpu.linear(insn.seg, ea, kAreaSize, kSegWritable);
  for (uint64_t page = lin & ~uint64_t{0xfff}; page < lin + kAreaSize; page += 0x1000) {
    cpu.mem.translate(page < lin ? lin : page, mmu::Access::kWrite, cpu.priv());
  }
}

void store(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, const FxImage& img, unsigned from, unsigned to) {
  for (unsigned k = from; k < to; k += 8) cpu.write<uint64_t>(insn.seg, area_offset(insn, ea, k), get64(img + k));
}
void load(Cpu& cpu, const DecodedInsn& insn, uint64_t ea, FxImage& img, unsigned from, unsigned to) {
  for (unsigned k = from; k < to; k += 8) put64(img + k, cpu.read<uint64_t>(insn.seg, area_offset(insn, ea, k)));
}

/// XSAVE and XSAVEOPT. XSAVEOPT may skip components that are unmodified
/// or in their initial configuration; writing them all is one of the
/// behaviours the SDM allows.
void xsave(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = xsave_start(cpu, insn);
  const uint64_t rfbm = requested(cpu);
  const uint64_t old_bv = cpu.read<uint64_t>(insn.seg, area_offset(insn, ea, kHeader));
  probe_write(cpu, insn, ea);
  FxImage img = {};
  fx_build_image(cpu, insn.rex & 8, img);
  if (rfbm & 1) {
    store(cpu, insn, ea, img, 0, 24);
    store(cpu, insn, ea, img, 32, kXmmStart);
  }
  if (rfbm & 2) {
    store(cpu, insn, ea, img, 24, 32);  // MXCSR and MXCSR_MASK
    store(cpu, insn, ea, img, kXmmStart, kXmmStart + 16 * fx_xmm_count(cpu));
  }
  const uint64_t bv = (old_bv & ~rfbm) | (in_use(cpu.s) & rfbm);
  cpu.write<uint64_t>(insn.seg, area_offset(insn, ea, kHeader), bv);
}

/// The x87 initial configuration (SDM 1 table 13-1).
void init_x87(CpuState& s) {
  x87::finit(s);
  for (X87Reg& r : s.st) r = {};
  x87::update_summary(s);
}

}  // namespace

void XSAVE_M(Cpu& cpu, const DecodedInsn& insn) { xsave(cpu, insn); }
void XSAVEOPT_M(Cpu& cpu, const DecodedInsn& insn) { xsave(cpu, insn); }

/// XRSTOR, standard form: RFBM components whose XSTATE_BV bit is set are
/// loaded, the others initialized; MXCSR is loaded whenever RFBM[1] is set,
/// whatever XSTATE_BV says (SDM 1 §13.8.1). The compacted form needs
/// XSAVEC, which Kestrel does not report, so XCOMP_BV must be zero.
void XRSTOR_M(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = xsave_start(cpu, insn);
  const uint64_t rfbm = requested(cpu);
  const uint64_t bv = cpu.read<uint64_t>(insn.seg, area_offset(insn, ea, kHeader));
  const uint64_t comp = cpu.read<uint64_t>(insn.seg, area_offset(insn, ea, kHeader + 8));
  const uint64_t reserved = cpu.read<uint64_t>(insn.seg, area_offset(insn, ea, kHeader + 16));
  if ((bv & ~cpu.s.xcr0) || comp || reserved) raise(kVecGp, 0);
  FxImage img = {};
  const uint64_t loaded = rfbm & bv;
  if (loaded & 1) {
    load(cpu, insn, ea, img, 0, 24);
    load(cpu, insn, ea, img, 32, kXmmStart);
  }
  uint32_t mxcsr = cpu.s.mxcsr;
  if (rfbm & 2) {
    load(cpu, insn, ea, img, 24, 32);
    std::memcpy(&mxcsr, img + 24, 4);
    if (mxcsr & ~kMxcsrMask) raise(kVecGp, 0);
  }
  if (loaded & 2) load(cpu, insn, ea, img, kXmmStart, kXmmStart + 16 * fx_xmm_count(cpu));

  if (rfbm & 1) {
    if (bv & 1) fx_load_x87(cpu, insn.rex & 8, img);
    else init_x87(cpu.s);
  }
  if (rfbm & 2) {
    cpu.s.mxcsr = mxcsr;
    if (bv & 2) {
      fx_load_xmm(cpu, img);
    } else {
      for (unsigned i = 0; i < fx_xmm_count(cpu); ++i) std::memset(cpu.s.vec[i], 0, 16);
    }
  }
}

/// XGETBV: EDX:EAX = XCR[ECX]. Only XCR0 exists (ECX = 1 needs the
/// XGETBV_ECX1 feature, which Kestrel does not report).
void XGETBV(Cpu& cpu, const DecodedInsn&) {
  if (!(cpu.s.cr[4] & kCr4Osxsave)) raise(kVecUd);
  if (uint32_t(cpu.s.gpr[kRcx]) != 0) raise(kVecGp, 0);
  cpu.s.gpr[kRax] = uint32_t(cpu.s.xcr0);
  cpu.s.gpr[kRdx] = cpu.s.xcr0 >> 32;
}

/// XSETBV: XCR[ECX] = EDX:EAX at CPL 0. #GP(0) for ECX != 0, x87 (bit 0)
/// clear, AVX (bit 2) without SSE (bit 1), or any unsupported bit.
void XSETBV(Cpu& cpu, const DecodedInsn&) {
  if (!(cpu.s.cr[4] & kCr4Osxsave)) raise(kVecUd);
  if (!cpu.real_mode() && (cpu.v86() || cpu.s.cpl != 0)) raise(kVecGp, 0);
  const uint64_t v = (cpu.s.gpr[kRdx] << 32) | uint32_t(cpu.s.gpr[kRax]);
  // The components Kestrel implements, as CPUID leaf 0Dh reports them: x87
  // and SSE (AVX is not).
  const uint64_t supported = cpu.model->has(isa::fSse) ? 3 : 1;
  if (uint32_t(cpu.s.gpr[kRcx]) != 0 || !(v & 1) || ((v & 4) && !(v & 2)) || (v & ~supported)) {
    raise(kVecGp, 0);
  }
  cpu.s.xcr0 = v;
}

}  // namespace kestrel::cpu::exec
