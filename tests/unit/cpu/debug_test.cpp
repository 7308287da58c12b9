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

// ---- data and I/O breakpoints through the MMU's watches ----

constexpr uint64_t kRwWrite = 1, kRwIo = 2, kRwAccess = 3;
/// DR7 bits enabling breakpoint i (local) with R/W `rw` and LEN field `len`.
uint64_t dr7_for(unsigned i, uint64_t rw, uint64_t len) {
  return (1u << (2 * i)) | (rw | len << 2) << (16 + 4 * i);
}

TEST_CASE("DR7 programs one MMU watch per enabled data breakpoint") {
  DebugFixture f;
  f.cpu.s.dr[0] = 0x1003;
  f.cpu.s.dr[1] = 0x2005;
  f.cpu.s.dr[2] = 0x3000;
  f.cpu.s.dr[3] = 0x60;
  // DR0 write LEN 4, DR1 read/write LEN 8, DR2 execute, DR3 I/O.
  write_debug_register(f.cpu, 7, dr7_for(0, kRwWrite, 3) | dr7_for(1, kRwAccess, 2) |
                                     dr7_for(2, 0, 0) | dr7_for(3, kRwIo, 0));
  const auto& w = f.mem.watches();
  REQUIRE(w.size() == 2);
  CHECK(w[0].start == 0x1000);
  CHECK(w[0].length == 4);
  CHECK(w[0].kind == mmu::WatchKind::kWrite);
  CHECK(w[0].tag == 0);
  CHECK(w[1].start == 0x2000);
  CHECK(w[1].length == 8);
  CHECK(w[1].kind == mmu::WatchKind::kAccess);
  CHECK(w[1].tag == 1);
  write_debug_register(f.cpu, 1, 0x4002);  // a new address moves its watch
  REQUIRE(f.mem.watches().size() == 2);
  CHECK(f.mem.watches()[1].start == 0x4000);
  write_debug_register(f.cpu, 7, dr7_for(2, 0, 0));
  CHECK(f.mem.watches().empty());
}

TEST_CASE("a data write breakpoint traps after the writing instruction") {
  DebugFixture f;
  f.load(0x100, {0xa0, 0x00, 0x10,    // 0100 mov al, [0x1000]: a read
                 0xa2, 0x01, 0x10,    // 0103 mov [0x1001], al: beside it
                 0xa2, 0x00, 0x10,    // 0106 mov [0x1000], al
                 0x40, 0xf4});        // 0109 inc ax; hlt
  f.cpu.s.dr[0] = 0x1000;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwWrite, 0));
  CHECK(f.interp.run(20) == StopReason::kHalted);
  CHECK(f.cpu.s.rip == 0x201);
  CHECK(f.pushed_ip() == 0x109);  // a trap: the write is done, INC not run
  CHECK(uint16_t(f.cpu.s.gpr[kRax]) == 0);
  CHECK(f.cpu.s.dr[6] == (0xffff0ff0 | 0x1));
}

TEST_CASE("a read/write breakpoint traps on reads; a write breakpoint does not") {
  DebugFixture f;
  f.load(0x100, {0xa0, 0x02, 0x20,    // 0100 mov al, [0x2002]: DR1 (write only)
                 0xa1, 0x06, 0x10,    // 0103 mov ax, [0x1006]: overlaps DR2's 0x1007
                 0xf4});
  f.cpu.s.dr[1] = 0x2002;
  f.cpu.s.dr[2] = 0x1007;
  write_debug_register(f.cpu, 7, dr7_for(1, kRwWrite, 0) | dr7_for(2, kRwAccess, 0));
  CHECK(f.interp.run(20) == StopReason::kHalted);
  CHECK(f.pushed_ip() == 0x106);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x4);
}

TEST_CASE("a data breakpoint hit together with single-step reports B0 and BS") {
  DebugFixture f;
  f.load(0x100, {0xa2, 0x00, 0x10});  // mov [0x1000], al
  f.cpu.s.dr[0] = 0x1000;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwWrite, 0));
  f.cpu.s.rflags |= kTf;
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0x103);
  CHECK(f.cpu.s.dr[6] == (0xffff0ff0 | kDr6Bs | 0x1));
}

TEST_CASE("a data breakpoint in an already cached block still traps") {
  DebugFixture f;
  f.load(0x100, {0xa2, 0x00, 0x10, 0x40, 0xf4});  // mov [0x1000], al; inc ax; hlt
  CHECK(f.interp.run(10) == StopReason::kHalted);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  f.cpu.s.dr[3] = 0x1000;
  write_debug_register(f.cpu, 7, dr7_for(3, kRwAccess, 0));
  CHECK(f.interp.run(10) == StopReason::kHalted);
  CHECK(f.pushed_ip() == 0x103);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x8);
}

TEST_CASE("REP MOVSB traps after the iteration that writes the breakpoint") {
  DebugFixture f;
  f.load(0x100, {0xf3, 0xa4, 0xf4});  // rep movsb; hlt
  f.load(0x3000, {1, 2, 3, 4, 5, 6, 7, 8});
  f.cpu.s.gpr[kRsi] = 0x3000;
  f.cpu.s.gpr[kRdi] = 0x1000;
  f.cpu.s.gpr[kRcx] = 8;
  f.cpu.s.dr[0] = 0x1002;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwWrite, 0));
  CHECK(f.interp.run(20) == StopReason::kHalted);
  CHECK(f.pushed_ip() == 0x100);  // rIP stays on the REP: it resumes later
  CHECK(uint16_t(f.cpu.s.gpr[kRcx]) == 5);
  CHECK(uint16_t(f.cpu.s.gpr[kRdi]) == 0x1003);
  CHECK(f.mem.read_phys(0x1000, 4) == 0x030201);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x1);
}

TEST_CASE("a faulting instruction reports no data breakpoint") {
  DebugFixture f;
  f.mem.write_phys(0, 0x300, 2);  // #DE handler at 0:0300: hlt
  f.mem.write_phys(2, 0, 2);
  f.load(0x300, {0xf4});
  f.load(0x100, {0xf6, 0x36, 0x00, 0x10});  // div byte [0x1000]: reads 0, then #DE
  f.cpu.s.dr[0] = 0x1000;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwAccess, 0));
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x300);  // #DE, not #DB
  CHECK((f.cpu.s.dr[6] & 0xf) == 0);
  CHECK(f.cpu.s.dbg_hits == 0);
}

TEST_CASE("I/O breakpoints trap after IN and OUT with CR4.DE set") {
  DebugFixture f;
  f.load(0x100, {0xe6, 0x80,    // 0100 out 0x80, al
                 0xec,          // 0102 in al, dx (DX = 0x1f1)
                 0xf4});
  f.cpu.s.gpr[kRdx] = 0x1f1;
  f.cpu.s.dr[1] = 0x80;
  f.cpu.s.dr[3] = 0x1f0;
  write_debug_register(f.cpu, 7, dr7_for(1, kRwIo, 0) | dr7_for(3, kRwIo, 1));
  CHECK(f.mem.watches().empty());
  CHECK(f.interp.run(10) == StopReason::kHalted);  // no CR4.DE: no I/O breakpoints
  CHECK(f.cpu.s.rip == 0x104);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  f.cpu.s.cr[4] |= 1u << 3;
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0x102);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x2);
  f.cpu.s.halted = false;
  f.cpu.s.gpr[kRsp] = 0x8000;
  f.cpu.s.rip = 0x102;
  f.interp.step();
  CHECK(f.pushed_ip() == 0x103);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x8);  // LEN 2 at 0x1f0 covers port 0x1f1
}

TEST_CASE("REP OUTSB traps after its first iteration on an I/O breakpoint") {
  DebugFixture f;
  f.load(0x100, {0xf3, 0x6e, 0xf4});  // rep outsb; hlt
  f.cpu.s.gpr[kRdx] = 0xe9;
  f.cpu.s.gpr[kRsi] = 0x3000;
  f.cpu.s.gpr[kRcx] = 4;
  f.cpu.s.cr[4] |= 1u << 3;
  f.cpu.s.dr[0] = 0xe9;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwIo, 0));
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x200);
  CHECK(f.pushed_ip() == 0x100);
  CHECK(uint16_t(f.cpu.s.gpr[kRcx]) == 3);
  CHECK((f.cpu.s.dr[6] & 0xf) == 0x1);
}

TEST_CASE("a watch that outlived its breakpoint raises nothing") {
  DebugFixture f;
  f.cpu.s.dr[0] = 0x1000;
  write_debug_register(f.cpu, 7, dr7_for(0, kRwWrite, 0));
  f.cpu.reset();  // DR7 back to 0x400; the watch stays until DR7 is written
  REQUIRE(f.mem.watches().size() == 1);
  f.mem.write<uint8_t>(0x1000, 1);
  CHECK(f.cpu.s.dbg_hits == 0);
  write_debug_register(f.cpu, 7, 0);
  CHECK(f.mem.watches().empty());
}

TEST_CASE("a CPU takes its watches with it; a debugger's stay") {
  mmu::Mmu mem(1 << 20, 32);
  OpenBus bus;
  struct Debugger final : mmu::WatchSink {
    void watch_hit(const mmu::WatchHit&) override { ++hits; }
    int hits = 0;
  } gdb;
  mem.add_watch(0x3000, 4, mmu::WatchKind::kWrite, gdb);
  {
    Cpu cpu(*find_cpu_model("max"), mem, bus);
    cpu.reset();
    cpu.s.dr[2] = 0x2000;
    write_debug_register(cpu, 7, dr7_for(2, kRwAccess, 3));
    CHECK(mem.watches().size() == 2);
    write_debug_register(cpu, 7, 0);  // the CPU's go, the debugger's stays
    REQUIRE(mem.watches().size() == 1);
    CHECK(mem.watches()[0].sink == &gdb);
    write_debug_register(cpu, 7, dr7_for(2, kRwAccess, 3));
  }
  REQUIRE(mem.watches().size() == 1);
  mem.write<uint32_t>(0x3000, 1);
  CHECK(gdb.hits == 1);
}

}  // namespace
}  // namespace kestrel::cpu
