// SPDX-License-Identifier: MIT
// Specialised conditional branches of 64-bit mode (see fast.h).
#include <array>
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/cc_table.h"
#include "cpu/interp/fast.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

using F = isa::Form;

template <unsigned kCc> void jcc64(Cpu& cpu, const DecodedInsn& i) {
  if (test_cc(cpu.s, kCc)) jump64(cpu, cpu.s.rip + i.imm);
}
template <unsigned kCc> struct Jcc64 { static constexpr Handler fn = &jcc64<kCc>; };
constexpr std::array<Handler, 16> kJcc64 = cc_table<Jcc64>();

/// Jcc forms in condition-code order.
constexpr F kJccForms[2][16] = {
    {F::JO_Jb, F::JNO_Jb, F::JB_Jb, F::JAE_Jb, F::JE_Jb, F::JNE_Jb, F::JBE_Jb, F::JA_Jb, F::JS_Jb,
     F::JNS_Jb, F::JP_Jb, F::JNP_Jb, F::JL_Jb, F::JGE_Jb, F::JLE_Jb, F::JG_Jb},
    {F::JO_Jz, F::JNO_Jz, F::JB_Jz, F::JAE_Jz, F::JE_Jz, F::JNE_Jz, F::JBE_Jz, F::JA_Jz, F::JS_Jz,
     F::JNS_Jz, F::JP_Jz, F::JNP_Jz, F::JL_Jz, F::JGE_Jz, F::JLE_Jz, F::JG_Jz},
};

}  // namespace

Handler specialize_jcc(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.osize != 8) return nullptr;
  for (const auto& forms : kJccForms) {
    for (unsigned cc = 0; cc < 16; ++cc) {
      if (forms[cc] == i.form) return kJcc64[cc];
    }
  }
  return nullptr;
}

}  // namespace kestrel::cpu::exec
