// SPDX-License-Identifier: MIT
// The x87 transcendental instructions' arithmetic: FSIN, FCOS, FSINCOS,
// FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 (SDM 2), on the 128-bit intermediate
// of cpu/x87/wide.h, rounded once to 64 bits.
#pragma once

#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {

/// Results of the trigonometric instructions. `out_of_range` (C2) means
/// |x| >= 2^63: the instruction leaves its operand alone.
struct Trig {
  Float80 first, second;
  bool out_of_range = false;
};
Trig fsin(Operand x, Env& env);     ///< first = sin x
Trig fcos(Operand x, Env& env);     ///< first = cos x
Trig fptan(Operand x, Env& env);    ///< first = tan x, second = 1.0
Trig fsincos(Operand x, Env& env);  ///< first = sin x, second = cos x
/// FPATAN: the angle of (x, y) in [-pi, pi].
Float80 fpatan(Operand y, Operand x, Env& env);
/// F2XM1: 2^x - 1 (the SDM defines -1 <= x <= 1; beyond, the same formula).
Float80 f2xm1(Operand x, Env& env);
/// FYL2X: y × log2(x).
Float80 fyl2x(Operand y, Operand x, Env& env);
/// FYL2XP1: y × log2(x + 1).
Float80 fyl2xp1(Operand y, Operand x, Env& env);

}  // namespace kestrel::cpu::x87
