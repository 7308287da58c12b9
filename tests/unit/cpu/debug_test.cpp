// SPDX-License-Identifier: MIT
// Debug registers (cpu/debug.cpp and the engine's hooks): instruction
// breakpoints and RF, DR7.GD, DR4/DR5 aliasing, single-step and data
// breakpoint traps with their exact DR6 bits.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/interp/interpreter.h"

namespace kestrel::cpu {
namespace {

struct DebugFixture {
  DebugFixture() : mem(1 << 20, 32), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.rip = 0x100;
    cpu.s.gpr[kRsp] = 0x8000;
    cpu.s.idtr = {0, 0x3ff};
    mem.write_phys(kVecDb * 4u, 0x200, 2);  // #DB handler at 0:0200: hlt
    mem.write_phys(kVecDb * 4u + 2, 0, 2);
    mem.load_phys(0x200, std::vector<uint8_t>{0xf4});
  }
  void load(uint32_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }
  uint16_t pushed_ip() { return uint16_t(mem.read_phys(cpu.s.gpr[kRsp] & 0xffff, 2)); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("power-on DR6 and DR7; fixed bits on writes") {
  DebugFixture f;
  CHECK(f.cpu.s.dr[6] == 0xffff0ff0);
  CHECK(f.cpu.s.dr[7] == 0x400);
  write_debug_register(f.cpu, 6, 0);
  CHECK(f.cpu.s.dr[6] == 0xffff0ff0);
  write_debug_register(f.cpu, 7, 0xffffffff);
  CHECK(f.cpu.s.dr[7] == 0xffff27ff);
}

TEST_CASE("an instruction breakpoint faults before the instruction, with B0 in DR6") {
  DebugFixture f;
  f.load(0x100, {0x40,    // 0100 inc ax
                 0x40,    // 0101 inc ax   <- breakpoint
                 0xf4});  // 0102 hlt
  f.cpu.s.dr[0] = 0x101;
  write_debug_register(f.cpu, 7, 0x1);  // L0, execute, length 1
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(f.cpu.s.rip == 0x201);  // in the handler
  CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 1);  // the second INC did not run
  CHECK(f.pushed_ip() == 0x101);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x1);
  CHECK((f.cpu.s.dr[6] & kDr6Bs) == 0);
}

TEST_CASE("RF suppresses the breakpoint for one instruction and is then cleared") {
  DebugFixture f;
  f.load(0x100, {0x40, 0x40, 0xf4});
  f.cpu.s.dr[0] = 0x100;
  write_debug_register(f.cpu, 7, 0x2);  // G0
  f.cpu.s.rflags |= kRf;
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(f.cpu.s.rip == 0x103);  // ran to the HLT without #DB
  CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 2);
  CHECK((f.cpu.s.rflags & kRf) == 0);
}

TEST_CASE("MOV DR7 arms a breakpoint inside an already cached block") {
  DebugFixture f;
  f.load(0x100, {0x40, 0x40, 0x40, 0xf4});
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 3);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  f.cpu.s.dr[1] = 0x102;
  write_debug_register(f.cpu, 7, 0x4);  // L1
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 5);
  CHECK(f.pushed_ip() == 0x102);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x2);
}

TEST_CASE("a data breakpoint does not arm the execute check") {
  DebugFixture f;
  f.cpu.s.dr[0] = 0x100;
  write_debug_register(f.cpu, 7, 0x1 | 0x1u << 16);  // L0, write breakpoint
  CHECK(f.cpu.s.dbg_exec == 0);
  CHECK(data_breakpoints_armed(f.cpu));
}

TEST_CASE("an instruction breakpoint comes before a fault fetching the instruction") {
  DebugFixture f;
  f.mem.write_phys(kVecGp * 4u, 0x300, 2);
  f.mem.write_phys(kVecGp * 4u + 2, 0, 2);
  f.load(0xffff, {0x0f});  // runs past the CS limit: #GP when fetched
  f.cpu.s.rip = 0xffff;
  f.cpu.s.dr[2] = 0xffff;
  write_debug_register(f.cpu, 7, 0x10);  // L2
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0xffff);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x4);
}

TEST_CASE("DR7.GD: the next MOV DR faults with BD set and GD cleared") {
  DebugFixture f;
  write_debug_register(f.cpu, 7, kDr7Gd);
  f.load(0x100, {0x0f, 0x21, 0xf8});  // mov eax, dr7
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(f.pushed_ip() == 0x100);
  CHECK((f.cpu.s.dr[6] & kDr6Bd) != 0);
  CHECK((f.cpu.s.dr[7] & kDr7Gd) == 0);
}

TEST_CASE("DR4 and DR5 alias DR6 and DR7 unless CR4.DE") {
  DebugFixture f;
  f.cpu.s.dr[6] = 0xffff4ff1;
  f.load(0x100, {0x0f, 0x21, 0xe0});  // mov eax, dr4
  f.interp.step();
  CHECK(uint32_t(f.cpu.s.gpr[kRax]) == 0xffff4ff1);
  f.mem.write_phys(kVecUd * 4u, 0x200, 2);
  f.mem.write_phys(kVecUd * 4u + 2, 0, 2);
  f.cpu.s.cr[4] |= 1u << 3;
  f.cpu.s.rip = 0x100;
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);  // #UD
}

TEST_CASE("single-step sets BS and clears B0-B3") {
  DebugFixture f;
  f.cpu.s.dr[6] = 0xffff0ff3;
  f.cpu.s.rflags |= kTf;
  f.load(0x100, {0x40});
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0x101);
  CHECK(f.cpu.s.dr[6] == (0xffff0ff0 | kDr6Bs));
}

TEST_CASE("data breakpoints match by length-aligned range and access kind") {
  DebugFixture f;
  f.cpu.s.dr[0] = 0x1003;                  // aligned down to 0x1000 by LEN = 4
  f.cpu.s.dr[1] = 0x2000;
  write_debug_register(f.cpu, 7, 0x5 | 0xdu << 16 | 0x3u << 20);  // DR0 write len 4, DR1 rw len 1
  note_data_access(f.cpu, 0x1002, 1, false);  // a read: DR0 watches writes only
  CHECK(f.cpu.s.dbg_hits == 0);
  note_data_access(f.cpu, 0x0fff, 2, true);   // overlaps 0x1000
  CHECK(f.cpu.s.dbg_hits == 0x1);
  note_data_access(f.cpu, 0x2000, 4, false);
  CHECK(f.cpu.s.dbg_hits == 0x3);
  set_trap_dr6(f.cpu, false);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x3);
  CHECK(f.cpu.s.dbg_hits == 0);
}

TEST_CASE("a recorded data-breakpoint hit becomes a #DB trap after the instruction") {
  DebugFixture f;
  f.load(0x100, {0x40, 0xf4});
  f.cpu.s.dbg_hits = 0x4;  // as the memory path reports a DR2 hit
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0x101);  // a trap: after the instruction
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x4);
  CHECK((f.cpu.s.dr[6] & kDr6Bs) == 0);
}

TEST_CASE("I/O breakpoints need CR4.DE") {
  DebugFixture f;
  f.cpu.s.dr[3] = 0x60;
  write_debug_register(f.cpu, 7, 0x40 | 0x2u << 28);  // L3, I/O, length 1
  note_io_access(f.cpu, 0x60, 1);
  CHECK(f.cpu.s.dbg_hits == 0);
  f.cpu.s.cr[4] |= 1u << 3;
  note_io_access(f.cpu, 0x60, 1);
  CHECK(f.cpu.s.dbg_hits == 0x8);
}

}  // namespace
}  // namespace kestrel::cpu
