// SPDX-License-Identifier: MIT
// Elementary functions on the 128-bit intermediate (cpu/x87/wide.h): the
// power series and the argument reductions around them.
#pragma once

#include "cpu/x87/wide.h"

namespace kestrel::cpu::x87 {

/// sin r and cos r for |r| <= pi/4.
Wide sin_series(const Wide& r);
Wide cos_series(const Wide& r);
/// atan t for any t.
Wide atan_wide(const Wide& t);
/// 2^x - 1 for any finite x (exact for x = 0).
Wide exp2m1_wide(const Wide& x);
/// log2 of a finite positive value; `exact` when it is an integer (x a
/// power of two).
Wide log2_wide(Float80 x, bool& exact);
/// log2(1 + x) for x > -1 (accurate for small |x|).
Wide log2p1_wide(const Wide& x);

}  // namespace kestrel::cpu::x87
