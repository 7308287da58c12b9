// SPDX-License-Identifier: MIT
// FXSAVE and FXRSTOR: the 512-byte x87, MMX and SSE state image, with
// REX.W selecting 64-bit instruction and data pointers (SDM 2 FXSAVE,
// tables 3-53 to 3-56). The image functions (x87_fxsave.h) also build and
// load the legacy region of XSAVE and XRSTOR (xsave.cpp).
#include <cstring>

#include "cpu/interp/x87.h"
#include "cpu/interp/x87_fxsave.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr0Em = 1u << 2, kCr0Ts = 1u << 3;

/// #NM for EM or TS, #GP(0) for an image not 16-byte aligned. FXSAVE and
/// FXRSTOR do not wait for pending x87 exceptions.
uint64_t fx_start(Cpu& cpu, const DecodedInsn& insn) {
  if (cpu.s.cr[0] & (kCr0Em | kCr0Ts)) raise(kVecNm);
  const uint64_t ea = fpu_ea(cpu, insn);
  if ((cpu.s.seg[insn.seg].base + ea) & 15) raise(kVecGp, 0);
  return ea;
}

void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t get64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }

}  // namespace

unsigned fx_xmm_count(const Cpu& cpu) { return cpu.long_mode64() ? 16 : 8; }

void fx_build_image(const Cpu& cpu, bool rex_w, FxImage& img) {
  const CpuState& s = cpu.s;
  put16(img + 0, s.fcw);
  put16(img + 2, s.fsw);
  img[4] = x87::abridged_tag_word(s);
  put16(img + 6, s.fop & 0x7ff);
  if (rex_w) {
    put64(img + 8, s.fip);
    put64(img + 16, s.fdp);
  } else {
    put32(img + 8, uint32_t(s.fip));
    put16(img + 12, s.fcs);
    put32(img + 16, uint32_t(s.fdp));
    put16(img + 20, s.fds);
  }
  put32(img + 24, s.mxcsr);
  put32(img + 28, kMxcsrMask);
  for (unsigned i = 0; i < 8; ++i) {
    const x87::Float80 v = x87::st(s, i);
    put64(img + 32 + 16 * i, v.mant);
    put16(img + 40 + 16 * i, v.se);
  }
  for (unsigned i = 0; i < fx_xmm_count(cpu); ++i) std::memcpy(img + 160 + 16 * i, s.vec[i], 16);
}

void fx_load_x87(Cpu& cpu, bool rex_w, const FxImage& img) {
  CpuState& s = cpu.s;
  s.fcw = get16(img + 0);
  s.fsw = get16(img + 2);
  s.fop = get16(img + 6) & 0x7ff;
  if (rex_w) {
    s.fip = get64(img + 8);
    s.fdp = get64(img + 16);
  } else {
    s.fip = get32(img + 8);
    s.fcs = get16(img + 12);
    s.fdp = get32(img + 16);
    s.fds = get16(img + 20);
  }
  const unsigned t = x87::top(s);
  for (unsigned i = 0; i < 8; ++i) {
    s.st[(t + i) & 7] = {get64(img + 32 + 16 * i), get16(img + 40 + 16 * i), {}};
  }
  x87::load_abridged_tag_word(s, img[4]);
  x87::update_summary(s);
}

void fx_load_xmm(Cpu& cpu, const FxImage& img) {
  for (unsigned i = 0; i < fx_xmm_count(cpu); ++i) std::memcpy(cpu.s.vec[i], img + 160 + 16 * i, 16);
}

void FXSAVE_M(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = fx_start(cpu, insn);
  FxImage img = {};
  fx_build_image(cpu, insn.rex & 8, img);
  // Bytes 464-511 are left to software (SDM 2 FXSAVE): only 0-463 are written.
  for (unsigned k = 0; k < 464; k += 8) cpu.write<uint64_t>(insn.seg, ea_plus(insn, ea, k), get64(img + k));
}

void FXRSTOR_M(Cpu& cpu, const DecodedInsn& insn) {
  const uint64_t ea = fx_start(cpu, insn);
  FxImage img = {};
  for (unsigned k = 0; k < 464; k += 8) put64(img + k, cpu.read<uint64_t>(insn.seg, ea_plus(insn, ea, k)));
  const uint32_t mxcsr = get32(img + 24);
  if (mxcsr & ~kMxcsrMask) raise(kVecGp, 0);
  fx_load_x87(cpu, insn.rex & 8, img);
  cpu.s.mxcsr = mxcsr;
  fx_load_xmm(cpu, img);
}

}  // namespace kestrel::cpu::exec
