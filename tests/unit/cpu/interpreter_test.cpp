// SPDX-License-Identifier: MIT
// The interpreter engine: block caching, self-modifying code, fault delivery
// and single-step traps, on small real-mode programs.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "tests/unit/cpu/real_mode_fixture.h"

namespace kestrel::cpu {
namespace {

TEST_CASE("a block runs to HLT and stays cached") {
  RealModeFixture f;
  f.load(0x100, {0xb0, 0x01,         // mov al, 1
                 0x04, 0x02,         // add al, 2
                 0xf4});             // hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.reg8(kRax) == 3);
  CHECK(f.cpu.s.rip == 0x105);
  CHECK(f.interp.stats().blocks_decoded == 1);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.interp.stats().blocks_decoded == 1);  // the same block again
}

TEST_CASE("self-modifying code: a write into the running block takes effect") {
  RealModeFixture f;
  f.load(0x100, {0xb0, 0x01,                    // 0100 mov al, 1
                 0xc6, 0x06, 0x08, 0x01, 0x07,  // 0102 mov byte [0x108], 7
                 0xb4, 0x02,                    // 0107 mov ah, 2  (immediate patched to 7)
                 0xf4});                        // 0109 hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.cpu.s.gpr[kRax] >> 8) == 7);
  CHECK(f.interp.stats().blocks_invalidated >= 1);
}

TEST_CASE("a block patched between runs is decoded afresh when reached from its predecessor") {
  RealModeFixture f;
  f.load(0x100, {0xb9, 0x03, 0x00,          // 0100 mov cx, 3
                 0x88, 0x0e, 0x01, 0x10,    // 0103 mov [0x1001], cl
                 0xe9, 0xf6, 0x0e});        // 0107 jmp 0x1000
  f.load(0x1000, {0xb0, 0x00,               // 1000 mov al, 0  (immediate patched)
                  0x00, 0xc3,               // 1002 add bl, al
                  0x49,                     // 1004 dec cx
                  0x0f, 0x85, 0xfa, 0xf0,   // 1005 jnz 0x103
                  0xf4});                   // 1009 hlt
  f.cpu.s.gpr[kRbx] = 0;
  CHECK(f.interp.run(1000) == StopReason::kHalted);
  CHECK(f.reg8(kRbx) == 3 + 2 + 1);
  CHECK(f.interp.stats().blocks_invalidated >= 2);  // the first write precedes B
}

TEST_CASE("a write from outside the CPU (DMA) drops the cached block") {
  RealModeFixture f;
  f.load(0x100, {0xb0, 0x05, 0xf4});  // mov al, 5; hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.reg8(kRax) == 5);
  f.mem.write_phys(0x101, 9, 1);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.reg8(kRax) == 9);
}

TEST_CASE("an invalid opcode is delivered as #UD through the IVT with the faulting IP") {
  RealModeFixture f;
  f.set_vector(kVecUd, 0x200);
  f.load(0x100, {0x0f, 0x0b});  // ud2
  f.load(0x200, {0xf4});        // hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.cpu.s.rip == 0x201);
  CHECK(f.mem.read_phys(0x8000 - 6, 2) == 0x100);  // pushed IP = the UD2 itself
}

TEST_CASE("the budget bounds a run") {
  RealModeFixture f;
  f.load(0x100, {0xeb, 0xfe});  // jmp $
  CHECK(f.interp.run(1000) == StopReason::kBudget);
  CHECK(f.cpu.s.icount == 1000);
}

TEST_CASE("single-step traps after each instruction with TF set") {
  RealModeFixture f;
  f.set_vector(kVecDb, 0x200);
  f.load(0x100, {0x90, 0x90});
  f.load(0x200, {0xf4});
  f.cpu.s.rflags |= kTf;
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(f.cpu.s.rip == 0x201);
  CHECK(f.mem.read_phys(0x8000 - 6, 2) == 0x101);  // trap after the first NOP
  CHECK((f.cpu.s.dr[6] & 0x4000) != 0);
}

TEST_CASE("MOV SS defers the single-step trap past the next instruction; STI does not") {
  {
    RealModeFixture f;
    f.set_vector(kVecDb, 0x200);
    f.load(0x100, {0x8e, 0xd0, 0x90, 0x90});  // mov ss, ax; nop; nop
    f.load(0x200, {0xf4});
    f.cpu.s.rflags |= kTf;
    CHECK(f.interp.run(100) == StopReason::kHalted);
    CHECK(f.mem.read_phys(0x8000 - 6, 2) == 0x103);
  }
  {
    RealModeFixture f;
    f.set_vector(kVecDb, 0x200);
    f.load(0x100, {0xfb, 0x90});  // sti; nop
    f.load(0x200, {0xf4});
    f.cpu.s.rflags |= kTf;
    CHECK(f.interp.run(100) == StopReason::kHalted);
    CHECK(f.mem.read_phys(0x8000 - 6, 2) == 0x101);
  }
}

TEST_CASE("a fault while delivering a single-step trap keeps rIP past the instruction") {
  // Regression: the fault path used to rewind rIP to the instruction that
  // had already completed. SP = 1 makes every push fault, so the trap's
  // delivery escalates to shutdown; rIP must stay on the next instruction.
  RealModeFixture f;
  f.load(0x100, {0x90, 0x90});
  f.cpu.s.gpr[kRsp] = 1;
  f.cpu.s.rflags |= kTf;
  CHECK(f.interp.run(100) == StopReason::kShutdown);
  CHECK(f.cpu.s.rip == 0x101);
}

TEST_CASE("a word access at offset FFFF faults on the 286 and wraps on the 8086") {
  {
    RealModeFixture f("80286");
    f.set_vector(kVecGp, 0x200);
    f.load(0x100, {0xa1, 0xff, 0xff});  // mov ax, [0xffff]
    f.load(0x200, {0xf4});
    CHECK(f.interp.run(100) == StopReason::kHalted);
    CHECK(f.cpu.s.rip == 0x201);
  }
  {
    RealModeFixture f("8086");
    f.load(0xffff, {0x34});
    f.load(0x0000, {0x12});
    f.load(0x100, {0xa1, 0xff, 0xff, 0xf4});
    CHECK(f.interp.run(100) == StopReason::kHalted);
    CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 0x1234);
  }
}

}  // namespace
}  // namespace kestrel::cpu
