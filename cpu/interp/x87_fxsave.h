// SPDX-License-Identifier: MIT
// The 512-byte FXSAVE image (SDM 2 FXSAVE, tables 3-53 to 3-56), shared by
// FXSAVE/FXRSTOR and by the legacy region of the XSAVE area
// (cpu/interp/xsave.cpp), which has the same layout.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu::exec {

inline constexpr unsigned kFxImageSize = 512;
using FxImage = uint8_t[kFxImageSize];

/// MXCSR bits that may be loaded; the others raise #GP(0) (DAZ included).
inline constexpr uint32_t kMxcsrMask = 0xffff;

/// XMM registers in the image: 16 in 64-bit mode, else 8.
unsigned fx_xmm_count(const Cpu& cpu);

/// Fills bytes 0-23 and 32-159 (x87), 24-31 (MXCSR, MXCSR_MASK) and the
/// XMM area from 160 of `img`; REX.W selects 64-bit FIP/FDP.
void fx_build_image(const Cpu& cpu, bool rex_w, FxImage& img);
/// Loads the x87 state (bytes 0-23 and 32-159) of an image.
void fx_load_x87(Cpu& cpu, bool rex_w, const FxImage& img);
/// Loads the XMM registers of an image (not MXCSR).
void fx_load_xmm(Cpu& cpu, const FxImage& img);

}  // namespace kestrel::cpu::exec
