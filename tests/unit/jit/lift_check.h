// SPDX-License-Identifier: MIT
// Whether an instruction has a native lowering, for the JIT's lowering tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "cpu/decode.h"
#include "jit/frontend/lift.h"

namespace kestrel::jit::test {

/// The IR of the one 64-bit-mode instruction in `bytes` (`eager`: for a
/// model whose string instructions keep eager flags, as the 80286's).
inline ir::Block lift_one(const std::vector<uint8_t>& bytes, bool eager = false) {
  cpu::DecodeContext ctx{cpu::CodeSize::k64, true, false, cpu::find_cpu_model("max")};
  std::vector<cpu::DecodedInsn> insns(1);
  REQUIRE(cpu::decode(bytes, ctx, insns[0]) == cpu::DecodeStatus::kOk);
  frontend::Facts facts;
  facts.ip_mask = ~uint64_t{0};
  facts.long64 = true;
  facts.eager_strings = eager;
  ir::Block b;
  frontend::lift_block(b, facts, 0x1000, insns);
  return b;
}

/// Whether that instruction lifts without a handler call.
inline bool lifts_without_call(const std::vector<uint8_t>& bytes, bool eager = false) {
  for (const ir::Inst& in : lift_one(bytes, eager).insts) {
    if (in.op == ir::Op::kCallInsn) return false;
  }
  return true;
}

}  // namespace kestrel::jit::test
