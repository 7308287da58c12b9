// SPDX-License-Identifier: MIT
// The conformance bench on hosts without a JIT backend: --accel jit is
// refused (kestrel-conformance reports it as a usage error).
#include "tests/conformance/bench.h"

namespace kestrel::conformance {

std::unique_ptr<cpu::ExecEngine> make_bench_jit(cpu::Cpu&) { return nullptr; }

bool bench_jit_supported() { return false; }

uint64_t bench_jit_blocks(const cpu::ExecEngine&) { return 0; }

}  // namespace kestrel::conformance
