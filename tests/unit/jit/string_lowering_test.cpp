// SPDX-License-Identifier: MIT
// The JIT's lowerings of MOVS, STOS and LODS without a repeat prefix
// (jit/frontend/lift_string.cpp): they lower to IR with no handler call,
// REP forms and the 80286 keep the call, and programs using them in both
// directions and address sizes, ending in a page fault, leave the JIT and
// the interpreter in the same state.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/jit/lift_check.h"

namespace kestrel::jit {
namespace {

using cpu::lmtest::LmFixture;
using test::lifts_without_call;

TEST_CASE("string lowering: single MOVS/STOS/LODS lower, REP and eager models do not") {
  CHECK(lifts_without_call({0xa4}));              // movsb
  CHECK(lifts_without_call({0x48, 0xa5}));        // movsq
  CHECK(lifts_without_call({0x66, 0xab}));        // stosw
  CHECK(lifts_without_call({0x67, 0xac}));        // lodsb, 32-bit addresses
  CHECK(lifts_without_call({0x2e, 0xad}));        // lodsd with a segment override
  CHECK_FALSE(lifts_without_call({0xf3, 0xa4}));  // rep movsb
  CHECK_FALSE(lifts_without_call({0xf3, 0x48, 0xab}));
  CHECK_FALSE(lifts_without_call({0xa4}, true));
}

TEST_CASE("string lowering: the JIT and the interpreter agree, faults included") {
  LmFixture j, i;
  JitEngine engine{j.cpu, JitOptions{}};
  std::vector<uint8_t> code = {
      0x48, 0xbe, 0x00, 0x80, 0, 0, 0, 0, 0, 0,  // mov rsi, 8000h
      0x48, 0xbf, 0x00, 0x90, 0, 0, 0, 0, 0, 0,  // mov rdi, 9000h
      0xb9, 0x14, 0, 0, 0,                       // mov ecx, 20
      0xa4, 0xa5, 0x48, 0xa5, 0x66, 0xad,        // loop: movsb; movsd; movsq; lodsw
      0x48, 0xab, 0xaa, 0x67, 0xa4,              //   stosq; stosb; a32 movsb
      0xff, 0xc9, 0x75, 0xf1,                    //   dec ecx; jnz loop
      0xfd, 0x66, 0xa5, 0xac, 0xab, 0x26, 0xa4,  // std; movsw; lodsb; stosd; es movsb
      0xfc,                                      // cld
      0x48, 0xbf, 0xfc, 0xff, 0xff, 0, 0, 0, 0, 0,  // mov rdi, 0FFFFFCh
      0x48, 0xab,                                // stosq: #PF at 1000000h
      0xf4};
  for (LmFixture* f : {&j, &i}) {
    f->enter_long();
    f->load(LmFixture::kCode, code);
    for (uint64_t a = 0x8000; a < 0x9800; a += 8) f->mem.write_phys(a, a * 0x9e3779b97f4a7c15ull, 8);
    f->cpu.s.gpr[cpu::kRax] = 0x0123456789abcdefull;
  }
  engine.run(2000);
  i.interp.run(2000);
  CHECK(j.vector() == 14);
  CHECK(j.cpu.s.cr[2] == 0x1000000);
  CHECK(j.cpu.s.gpr[cpu::kRdi] == 0xfffffc);  // unchanged by the faulting STOSQ
  for (unsigned r = 0; r < 16; ++r) CHECK(j.cpu.s.gpr[r] == i.cpu.s.gpr[r]);
  CHECK(cpu::read_flags(j.cpu.s) == cpu::read_flags(i.cpu.s));
  CHECK(j.cpu.s.rip == i.cpu.s.rip);
  CHECK(j.cpu.s.icount == i.cpu.s.icount);
  CHECK(j.cpu.s.cr[2] == i.cpu.s.cr[2]);
  std::vector<uint8_t> a(0x10000), b(0x10000);
  j.mem.copy_from_phys(0, a);
  i.mem.copy_from_phys(0, b);
  CHECK(a == b);
}

}  // namespace
}  // namespace kestrel::jit
