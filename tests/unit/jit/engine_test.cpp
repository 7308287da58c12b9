// SPDX-License-Identifier: MIT
// The JIT engine on small real-mode programs: results equal the
// interpreter's, exact budgets, chaining, self-modifying code, precise
// faults and lockstep.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"
#include "tests/unit/jit/real_mode_machine.h"

namespace kestrel::jit {
namespace {

using cpu::StopReason;

using Fixture = test::RealModeMachine;

// 0100: mov cx, 1000; xor ax, ax; 0106: add ax, cx; dec cx; jnz 0106; hlt
const std::vector<uint8_t> kLoop = {0xb9, 0xe8, 0x03, 0x31, 0xc0, 0x01, 0xc8,
                                    0x49, 0x75, 0xfb, 0xf4};

TEST_CASE("a counted loop gives the interpreter's registers, flags and icount") {
  Fixture j, i(false);
  j.load(0x100, kLoop);
  i.load(0x100, kLoop);
  CHECK(j.engine->run(100000) == StopReason::kHalted);
  CHECK(i.engine->run(100000) == StopReason::kHalted);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRax]) == uint16_t(500500));
  CHECK(std::memcmp(j.c.s.gpr, i.c.s.gpr, sizeof j.c.s.gpr) == 0);
  CHECK(cpu::read_flags(j.c.s) == cpu::read_flags(i.c.s));
  CHECK(j.c.s.icount == i.c.s.icount);
  CHECK(j.c.s.rip == i.c.s.rip);
  CHECK(j.jit().stats().blocks_compiled >= 2);
  CHECK(j.jit().stats().links >= 1);  // the loop's back edge is chained
}

TEST_CASE("the budget is exact") {
  Fixture j, i(false);
  j.load(0x100, kLoop);
  i.load(0x100, kLoop);
  for (uint64_t n : {1u, 2u, 7u, 100u, 333u}) {
    j.engine->run(n);
    i.engine->run(n);
    CHECK(j.c.s.icount == i.c.s.icount);
    CHECK(j.c.s.rip == i.c.s.rip);
    CHECK(j.c.s.gpr[cpu::kRax] == i.c.s.gpr[cpu::kRax]);
  }
}

/// The JIT of `f` replaced by one that translates a block after `after` runs.
void compile_after(Fixture& f, unsigned after) {
  JitOptions o;
  o.compile_after = after;
  f.engine = std::make_unique<JitEngine>(f.c, o);
}

/// Runs `j` to HLT and checks its registers, flags, icount and rIP
/// against those the interpreter `i` ended with.
void run_like(Fixture& j, const Fixture& i) {
  CHECK(j.engine->run(100000) == StopReason::kHalted);
  CHECK(std::memcmp(j.c.s.gpr, i.c.s.gpr, sizeof j.c.s.gpr) == 0);
  CHECK(cpu::read_flags(j.c.s) == cpu::read_flags(i.c.s));
  CHECK(j.c.s.icount == i.c.s.icount);
  CHECK(j.c.s.rip == i.c.s.rip);
}

TEST_CASE("a block runs in the interpreter until it has run compile_after times") {
  Fixture i(false);
  i.load(0x100, kLoop);
  CHECK(i.engine->run(100000) == StopReason::kHalted);
  for (unsigned after : {1u, 5u, 200u}) {
    CAPTURE(after);
    Fixture j;
    compile_after(j, after);
    j.load(0x100, kLoop);
    run_like(j, i);
    // The loop (1000 runs) is translated after `after` runs of it; the
    // code before and after it runs once and never is.
    const JitEngine::Stats& st = j.jit().stats();
    CHECK(st.blocks_compiled == 1);
    CHECK(st.cold_runs == after + 2);
  }
}

TEST_CASE("cold code runs on through the interpreter and sees its own code writes") {
  // Each pass patches the immediate of the block it jumps to, so the
  // block the previous turn ran (the run's trail) keeps being dropped.
  const std::vector<uint8_t> code = {
      0xb9, 0x32, 0x00,        // 0100 mov cx, 50
      0x88, 0x0e, 0x0c, 0x01,  // 0103 mov [010Ch], cl
      0xeb, 0x02,              // 0107 jmp 010B
      0x90, 0x90,              // 0109 nop; nop
      0xb0, 0x00,              // 010B mov al, 0 (immediate patched)
      0x00, 0xc4,              // 010D add ah, al
      0x49,                    // 010F dec cx
      0x75, 0xf1,              // 0110 jnz 0103
      0xf4};                   // 0112 hlt
  Fixture i(false);
  i.load(0x100, code);
  CHECK(i.engine->run(100000) == StopReason::kHalted);
  CHECK(uint8_t(i.c.s.gpr[cpu::kRax] >> 8) == uint8_t(50 * 51 / 2));
  for (unsigned after : {0u, 3u, 1000u}) {
    CAPTURE(after);
    Fixture j;
    compile_after(j, after);
    j.load(0x100, code);
    run_like(j, i);
    // All of it ran cold, block after block, without a translation.
    if (after == 1000) CHECK(j.jit().stats().blocks_compiled == 0);
  }
}

TEST_CASE("the budget is exact while blocks are still interpreted") {
  Fixture j, i(false);
  compile_after(j, 3);
  j.load(0x100, kLoop);
  i.load(0x100, kLoop);
  for (uint64_t n : {1u, 2u, 7u, 100u, 333u, 5000u}) {
    j.engine->run(n);
    i.engine->run(n);
    CHECK(j.c.s.icount == i.c.s.icount);
    CHECK(j.c.s.rip == i.c.s.rip);
    CHECK(j.c.s.gpr[cpu::kRax] == i.c.s.gpr[cpu::kRax]);
  }
  CHECK(j.jit().stats().blocks_compiled >= 1);
}

TEST_CASE("self-modifying code: a write into the running block takes effect") {
  Fixture f;
  f.load(0x100, {0xb0, 0x01,                    // 0100 mov al, 1
                 0xc6, 0x06, 0x08, 0x01, 0x07,  // 0102 mov byte [0x108], 7
                 0xb4, 0x02,                    // 0107 mov ah, 2  (immediate patched to 7)
                 0xf4});                        // 0109 hlt
  CHECK(f.engine->run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.c.s.gpr[cpu::kRax] >> 8) == 7);
  CHECK(f.jit().stats().blocks_invalidated >= 1);
}

TEST_CASE("data written beside code on its page leaves the page's blocks alone") {
  Fixture f;
  f.load(0x100, {0xb9, 0xe8, 0x03,        // 0100 mov cx, 1000
                 0x89, 0x0e, 0x00, 0x08,  // 0103 mov [0800h], cx
                 0x49,                    // 0107 dec cx
                 0x75, 0xf9,              // 0108 jnz 0103
                 0xf4});                  // 010A hlt
  CHECK(f.engine->run(100000) == StopReason::kHalted);
  CHECK(f.mem.read_phys(0x800, 2) == 1);
  CHECK(f.jit().stats().blocks_invalidated == 0);
  CHECK(f.jit().stats().blocks_compiled <= 3);
}

TEST_CASE("a fault is delivered with the registers written before it") {
  Fixture f;
  // #DE handler at 0000:0200: hlt. The divide faults after two moves.
  f.mem.write_phys(0, 0x200, 2);
  f.mem.write_phys(2, 0, 2);
  f.load(0x200, {0xf4});
  f.load(0x100, {0xb8, 0x34, 0x12,  // mov ax, 1234h
                 0x31, 0xdb,        // xor bx, bx
                 0xf7, 0xf3,        // div bx
                 0x90});
  CHECK(f.engine->run(100) == StopReason::kHalted);
  CHECK(uint16_t(f.c.s.gpr[cpu::kRax]) == 0x1234);
  CHECK(f.c.s.rip == 0x201);
  // The pushed return address is the faulting DIV.
  CHECK(f.mem.read_phys(0x8000 - 6, 2) == 0x105);
  CHECK((f.mem.read_phys(0x8000 - 2, 2) & cpu::kZf) != 0);  // XOR's ZF, canonical in FLAGS
}

TEST_CASE("an instruction that crosses into the next page runs compiled, from where that page maps") {
  // Paging with linear page 2000h mapped to 5000h, then to 6000h. A loop
  // jumps within page 1000h to a block at 1FFCh that ends in a MOV EAX,
  // imm32 whose last two immediate bytes come from the second page.
  Fixture f;
  f.mem.write_phys(0x10000, 0x11000 | 7, 4);  // PDE 0
  for (uint32_t p = 0; p < 256; ++p) f.mem.write_phys(0x11000 + 4 * p, p << 12 | 7, 4);
  f.mem.write_phys(0x11000 + 4 * 2, 0x5000 | 7, 4);
  f.mem.set_paging(mmu::PagingConfig{.enabled = true, .cr3 = 0x10000}, true);
  f.load(0x1ff0, {0x49,                      // 1FF0 dec cx
                  0x74, 0x11,                // 1FF1 jz 2004
                  0xeb, 0x07});              // 1FF3 jmp 1FFC
  f.load(0x1ffc, {0x66, 0xb8, 0x11, 0x22});  // 1FFC mov eax, 44332211h / 66552211h
  for (const uint32_t page : {0x5000u, 0x6000u}) {
    const uint8_t hi = page == 0x5000 ? 0x33 : 0x55;
    f.load(page, {hi, uint8_t(hi + 0x11),  // 2000 ... (the immediate's top half)
                  0xeb, 0xec,              // 2002 jmp 1FF0
                  0xf4});                  // 2004 hlt
  }
  for (const uint32_t page : {0x5000u, 0x6000u}) {
    f.mem.write_phys(0x11000 + 4 * 2, page | 7, 4);
    f.mem.invlpg(0x2000);
    f.c.s.halted = false;
    f.c.s.rip = 0x1ff0;
    f.c.s.gpr[cpu::kRcx] = 5;
    CHECK(f.engine->run(1000) == StopReason::kHalted);
    CHECK(uint32_t(f.c.s.gpr[cpu::kRax]) == (page == 0x5000 ? 0x44332211u : 0x66552211u));
  }
  CHECK(f.jit().stats().interp_steps == 0);
  CHECK(f.jit().stats().blocks_invalidated >= 1);
}

TEST_CASE("lockstep runs a program and agrees") {
  Fixture f(true, true);
  f.load(0x100, kLoop);
  CHECK(f.engine->run(100000) == StopReason::kHalted);
  CHECK(uint16_t(f.c.s.gpr[cpu::kRax]) == uint16_t(500500));
  CHECK(f.jit().stats().lockstep_blocks > 100);
}

}  // namespace
}  // namespace kestrel::jit
