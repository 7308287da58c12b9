// SPDX-License-Identifier: MIT
// One long-mode program on two test machines, the JIT's and the
// interpreter's, and the comparison of everything they may differ in: the
// shared part of the SSE lowering tests (lift_sse_test.cpp,
// lift_sse_arith_test.cpp), which load their own programs and data.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine.h"
#include "tests/unit/cpu/lm_fixture.h"

namespace kestrel::jit::ssetest {

struct EnginePair {
  cpu::lmtest::LmFixture j, i;
  JitEngine engine{j.cpu, JitOptions{}};

  void run(uint64_t n) {
    engine.run(n);
    i.interp.run(n);
  }
  void check_same() {
    for (unsigned r = 0; r < 16; ++r) CHECK(j.cpu.s.gpr[r] == i.cpu.s.gpr[r]);
    CHECK(cpu::read_flags(j.cpu.s) == cpu::read_flags(i.cpu.s));
    CHECK(j.cpu.s.rip == i.cpu.s.rip);
    CHECK(j.cpu.s.icount == i.cpu.s.icount);
    CHECK(j.cpu.s.mxcsr == i.cpu.s.mxcsr);
    CHECK(j.cpu.s.cr[2] == i.cpu.s.cr[2]);
    CHECK(std::memcmp(j.cpu.s.vec, i.cpu.s.vec, sizeof j.cpu.s.vec) == 0);
    CHECK(j.vector() == i.vector());
    std::vector<uint8_t> a(0x60000), b(0x60000);
    j.mem.copy_from_phys(0, a);
    i.mem.copy_from_phys(0, b);
    CHECK(a == b);
  }
};

/// MOV RAX, imm64 followed by `rest`.
inline std::vector<uint8_t> with_rax(uint64_t rax, std::initializer_list<uint8_t> rest) {
  std::vector<uint8_t> code = {0x48, 0xb8};
  for (unsigned k = 0; k < 8; ++k) code.push_back(uint8_t(rax >> (8 * k)));
  code.insert(code.end(), rest);
  return code;
}

}  // namespace kestrel::jit::ssetest
