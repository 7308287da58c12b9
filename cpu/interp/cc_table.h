// SPDX-License-Identifier: MIT
// Tables of handlers indexed by condition code, for the specialised
// handlers that take the condition as a template argument (fast.cpp,
// fast_branch.cpp).
#pragma once

#include <array>
#include <utility>

#include "cpu/decode.h"

namespace kestrel::cpu::exec {

template <template <unsigned> class F, unsigned... kCc>
constexpr std::array<Handler, 16> cc_table(std::integer_sequence<unsigned, kCc...>) {
  return {F<kCc>::fn...};
}
/// F<cc>::fn for the sixteen condition codes, in order.
template <template <unsigned> class F> constexpr std::array<Handler, 16> cc_table() {
  return cc_table<F>(std::make_integer_sequence<unsigned, 16>{});
}

}  // namespace kestrel::cpu::exec
