// SPDX-License-Identifier: MIT
// The conformance bench's JIT (x86-64 hosts): every instruction is its own
// block, so each single-instruction test runs as generated code.
#include "jit/engine.h"
#include "tests/conformance/bench.h"

namespace kestrel::conformance {

std::unique_ptr<cpu::ExecEngine> make_bench_jit(cpu::Cpu& cpu) {
  jit::JitOptions options;
  options.max_block_insns = 1;
  return std::make_unique<jit::JitEngine>(cpu, options);
}

bool bench_jit_supported() { return true; }

uint64_t bench_jit_blocks(const cpu::ExecEngine& jit) {
  return static_cast<const jit::JitEngine&>(jit).stats().blocks_run;
}

}  // namespace kestrel::conformance
