// SPDX-License-Identifier: MIT
// Hardware task switching (cpu/task.cpp): JMP, CALL and IRET between 32-bit
// and 16-bit TSSs built in guest RAM, busy bits, NT and the back-link, the
// checks before the commit point and the faults after it.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/interp/interpreter.h"
#include "cpu/segment.h"
#include "cpu/task.h"

namespace kestrel::cpu {
namespace {

constexpr uint32_t kGdt = 0x1000;
constexpr uint16_t kCode = 0x08, kData = 0x10, kTssA = 0x18, kTssB = 0x20, kTss16 = 0x28,
                   kLdt = 0x30;
constexpr uint32_t kTssABase = 0x2000, kTssBBase = 0x2100, kTss16Base = 0x2200, kLdtBase = 0x2300;

struct TaskFixture {
  TaskFixture() : mem(1 << 20, 32), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    set_desc(kCode, 0x0000ffff, 0x00cf9b00);
    set_desc(kData, 0x0000ffff, 0x00cf9300);
    set_system(kTssA, kTssABase, 0x67, 0x8b);  // the running task: busy
    set_system(kTssB, kTssBBase, 0x67, 0x89);
    set_system(kTss16, kTss16Base, 0x2b, 0x81);
    set_system(kLdt, kLdtBase, 0x0f, 0x82);
    cpu.s.gdtr = {kGdt, 0x3f};
    cpu.s.cr[0] |= 1;
    cpu.s.seg[kCs] = cache(kCode);
    for (uint8_t g : {kSs, kDs, kEs, kFs, kGs}) cpu.s.seg[g] = cache(kData);
    cpu.s.tr = cache(kTssA);
    cpu.s.gpr[kRsp] = 0x8000;
    // Task B: flat, at 0x3000, its own stack and EAX.
    write_tss32(kTssBBase, 0x3000, 0x0002, 0x9000, 0x1234);
  }
  void set_desc(uint16_t sel, uint32_t lo, uint32_t hi) {
    mem.write_phys(kGdt + sel, lo, 4);
    mem.write_phys(kGdt + sel + 4, hi, 4);
  }
  void set_system(uint16_t sel, uint32_t base, uint32_t limit, uint8_t type_byte) {
    set_desc(sel, base << 16 | (limit & 0xffff),
             (base >> 16 & 0xff) | uint32_t(type_byte) << 8 | (limit & 0xf0000) |
                 (base & 0xff000000));
  }
  SegmentCache cache(uint16_t sel) {
    const Descriptor d{uint32_t(mem.read_phys(kGdt + sel, 4)),
                       uint32_t(mem.read_phys(kGdt + sel + 4, 4))};
    return make_cache(sel, d);
  }
  void write_tss32(uint32_t base, uint32_t eip, uint32_t eflags, uint32_t esp, uint32_t eax) {
    mem.write_phys(base + 0x20, eip, 4);
    mem.write_phys(base + 0x24, eflags, 4);
    mem.write_phys(base + 0x28, eax, 4);
    mem.write_phys(base + 0x38, esp, 4);
    const uint16_t sregs[6] = {kData, kCode, kData, kData, kData, kData};
    for (unsigned g = 0; g < 6; ++g) mem.write_phys(base + 0x48 + 4 * g, sregs[g], 2);
  }
  uint8_t type_byte(uint16_t sel) { return uint8_t(mem.read_phys(kGdt + sel + 5, 1)); }
  void run_at(uint32_t addr, std::vector<uint8_t> code) {
    mem.load_phys(addr, code);
    cpu.s.rip = addr;
    interp.step();
  }
  /// Calls task_switch and returns the fault it raised (vector 0xff: none).
  GuestFault switch_to(uint16_t sel, TaskSwitchReason why) {
    try {
      task_switch(cpu, sel, why);
    } catch (const GuestFault& f) {
      return f;
    }
    return GuestFault{0xff};
  }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("JMP to a TSS saves the old task, loads the new one and moves the busy bit") {
  TaskFixture f;
  f.cpu.s.gpr[kRbx] = 0xabcd;
  f.run_at(0x500, {0xea, 0, 0, 0, 0, kTssB, 0});  // jmp 0x20:0
  CHECK(f.cpu.s.tr.selector == kTssB);
  CHECK(f.cpu.s.rip == 0x3000);
  CHECK(uint32_t(f.cpu.s.gpr[kRax]) == 0x1234);
  CHECK(uint32_t(f.cpu.s.gpr[kRsp]) == 0x9000);
  CHECK(f.cpu.s.seg[kCs].selector == kCode);
  CHECK((f.cpu.s.cr[0] & 8) != 0);  // CR0.TS
  CHECK((f.cpu.s.rflags & kNt) == 0);
  CHECK(f.type_byte(kTssA) == 0x89);  // no longer busy
  CHECK(f.type_byte(kTssB) == 0x8b);
  CHECK(f.mem.read_phys(kTssABase + 0x20, 4) == 0x507);  // EIP after the JMP
  CHECK(f.mem.read_phys(kTssABase + 0x34, 4) == 0xabcd);  // EBX
  CHECK(f.mem.read_phys(kTssBBase, 2) == 0);  // JMP writes no back-link
}

TEST_CASE("CALL to a TSS nests: NT, back-link, both busy; IRET returns") {
  TaskFixture f;
  f.run_at(0x500, {0x9a, 0, 0, 0, 0, kTssB, 0});  // call 0x20:0
  CHECK(f.cpu.s.tr.selector == kTssB);
  CHECK((f.cpu.s.rflags & kNt) != 0);
  CHECK(f.mem.read_phys(kTssBBase, 2) == kTssA);
  CHECK(f.type_byte(kTssA) == 0x8b);
  CHECK(f.type_byte(kTssB) == 0x8b);
  f.cpu.s.gpr[kRax] = 0x5555;
  f.run_at(0x3000, {0xcf});  // iret: back through the link
  CHECK(f.cpu.s.tr.selector == kTssA);
  CHECK(f.cpu.s.rip == 0x507);
  CHECK(f.type_byte(kTssB) == 0x89);
  CHECK(f.type_byte(kTssA) == 0x8b);
  // The outgoing task's saved EFLAGS lose NT; its EIP is after the IRET.
  CHECK((f.mem.read_phys(kTssBBase + 0x24, 4) & kNt) == 0);
  CHECK(f.mem.read_phys(kTssBBase + 0x20, 4) == 0x3001);
  CHECK(f.mem.read_phys(kTssBBase + 0x28, 4) == 0x5555);
}

TEST_CASE("pre-commit checks: busy TSS, not present, too short, IRET to an available TSS") {
  TaskFixture f;
  GuestFault g = f.switch_to(kTssA, TaskSwitchReason::kJmp);  // busy
  CHECK(g.vector == kVecGp);
  CHECK(g.error == kTssA);
  g = f.switch_to(kTssB, TaskSwitchReason::kIret);  // available
  CHECK(g.vector == kVecTs);
  CHECK(g.error == kTssB);
  f.set_system(kTssB, kTssBBase, 0x67, 0x09);  // not present
  g = f.switch_to(kTssB, TaskSwitchReason::kCall);
  CHECK(g.vector == kVecNp);
  CHECK(g.error == kTssB);
  f.set_system(kTssB, kTssBBase, 0x60, 0x89);  // shorter than 67h
  g = f.switch_to(kTssB, TaskSwitchReason::kJmp);
  CHECK(g.vector == kVecTs);
  g = f.switch_to(kTssB | 4, TaskSwitchReason::kJmp);  // TSS selectors are global
  CHECK(g.vector == kVecGp);
  CHECK(f.cpu.s.tr.selector == kTssA);  // nothing switched
  CHECK(f.type_byte(kTssA) == 0x8b);
}

TEST_CASE("a bad segment in the new TSS faults with #TS after the commit point") {
  TaskFixture f;
  f.mem.write_phys(kTssBBase + 0x50, 0x3b, 2);  // SS beyond the GDT limit
  f.cpu.insn_rip = 0x500;
  f.cpu.s.rip = 0x507;
  const GuestFault g = f.switch_to(kTssB, TaskSwitchReason::kJmp);
  CHECK(g.vector == kVecTs);
  CHECK(g.error == 0x38);
  CHECK(f.cpu.s.tr.selector == kTssB);  // the switch happened
  CHECK(f.cpu.insn_rip == 0x3000);      // the fault reports the new task
  CHECK(f.cpu.s.seg[kSs].selector == 0x3b);
}

TEST_CASE("an interrupt through a task gate pushes its error code on the new stack") {
  TaskFixture f;
  f.cpu.s.rip = 0x600;
  task_switch(f.cpu, kTssB, TaskSwitchReason::kInterrupt, true, 0x18);
  CHECK((f.cpu.s.rflags & kNt) != 0);
  CHECK(uint32_t(f.cpu.s.gpr[kRsp]) == 0x9000 - 4);
  CHECK(f.mem.read_phys(0x9000 - 4, 4) == 0x18);
  CHECK(f.mem.read_phys(kTssABase + 0x20, 4) == 0x600);
}

TEST_CASE("a 16-bit TSS: word registers, no FS/GS, FLAGS only") {
  TaskFixture f;
  f.mem.write_phys(kTss16Base + 0x0e, 0x4000, 2);  // IP
  f.mem.write_phys(kTss16Base + 0x10, 0x0202, 2);  // FLAGS: IF
  f.mem.write_phys(kTss16Base + 0x12, 0x7777, 2);  // AX
  f.mem.write_phys(kTss16Base + 0x1a, 0x8800, 2);  // SP
  const uint16_t sregs[4] = {kData, kCode, kData, kData};
  for (unsigned g = 0; g < 4; ++g) f.mem.write_phys(kTss16Base + 0x22 + 2 * g, sregs[g], 2);
  f.mem.write_phys(kTss16Base + 0x2a, kLdt, 2);
  f.cpu.s.gpr[kRax] = 0x12340000;
  f.cpu.s.rflags |= kRf;  // a 16-bit TSS cannot hold it
  task_switch(f.cpu, kTss16, TaskSwitchReason::kJmp);
  CHECK(f.cpu.s.rip == 0x4000);
  CHECK(f.cpu.s.gpr[kRax] == 0x12347777);  // the upper half is kept
  CHECK((f.cpu.s.rflags & 0xffffffff) == 0x0202);
  CHECK(f.cpu.s.ldtr.selector == kLdt);
  CHECK(f.cpu.s.ldtr.base == kLdtBase);
  CHECK(f.type_byte(kTss16) == 0x83);
}

TEST_CASE("the T bit raises #DB with DR6.BT; local breakpoint enables are cleared") {
  TaskFixture f;
  f.mem.write_phys(kTssBBase + 0x64, 1, 2);
  write_debug_register(f.cpu, 7, 0x3);  // L0 and G0
  const GuestFault g = f.switch_to(kTssB, TaskSwitchReason::kJmp);
  CHECK(g.vector == kVecDb);
  CHECK((f.cpu.s.dr[6] & kDr6Bt) != 0);
  CHECK((f.cpu.s.dr[7] & 0xff) == 0x2);  // G0 survives
  CHECK(f.cpu.insn_rip == 0x3000);
}

TEST_CASE("a TSS with EFLAGS.VM starts a virtual-8086 task at CPL 3") {
  TaskFixture f;
  f.write_tss32(kTssBBase, 0x0010, 0x20002, 0xfffe, 0);
  const uint16_t sregs[6] = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
  for (unsigned g = 0; g < 6; ++g) f.mem.write_phys(kTssBBase + 0x48 + 4 * g, sregs[g], 2);
  task_switch(f.cpu, kTssB, TaskSwitchReason::kJmp);
  CHECK(f.cpu.v86());
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kCs].base == 0x20000);
  CHECK(f.cpu.s.seg[kGs].base == 0x60000);
  CHECK(f.cpu.s.seg[kSs].limit == 0xffff);
  CHECK(f.cpu.s.rip == 0x10);
}

TEST_CASE("INT n through a task gate in the IDT nests the new task") {
  TaskFixture f;
  constexpr uint32_t kIdt = 0x4000;
  f.mem.write_phys(kIdt + 0x40 * 8, uint32_t(kTssB) << 16, 4);
  f.mem.write_phys(kIdt + 0x40 * 8 + 4, 0xe500, 4);  // task gate, DPL 3, present
  f.cpu.s.idtr = {kIdt, 0x7ff};
  f.run_at(0x500, {0xcd, 0x40});  // int 0x40
  CHECK(f.cpu.s.tr.selector == kTssB);
  CHECK(f.cpu.s.rip == 0x3000);
  CHECK((f.cpu.s.rflags & kNt) != 0);
  CHECK(f.mem.read_phys(kTssBBase, 2) == kTssA);
  CHECK(f.mem.read_phys(kTssABase + 0x20, 4) == 0x502);
}

TEST_CASE("an exception through a task gate: a fault after the commit is the new task's") {
  TaskFixture f;
  constexpr uint32_t kIdt = 0x4000;
  f.mem.write_phys(kIdt + kVecUd * 8, uint32_t(kTssB) << 16, 4);
  f.mem.write_phys(kIdt + kVecUd * 8 + 4, 0x8500, 4);  // task gate
  f.mem.write_phys(kIdt + kVecTs * 8, uint32_t(kCode) << 16 | 0x4900, 4);
  f.mem.write_phys(kIdt + kVecTs * 8 + 4, 0x8e00, 4);  // interrupt gate
  f.cpu.s.idtr = {kIdt, 0x7ff};
  f.mem.write_phys(kTssBBase + 0x54, 0x3b, 2);  // DS beyond the GDT limit
  f.run_at(0x500, {0x0f, 0x0b});  // ud2
  CHECK(f.cpu.s.tr.selector == kTssB);
  CHECK(f.cpu.s.rip == 0x4900);
  CHECK(f.mem.read_phys(0x9000 - 12, 4) == 0x3000);  // the new task's EIP
  CHECK(f.mem.read_phys(0x9000 - 16, 4) == 0x38);    // #TS error code
  CHECK(f.mem.read_phys(kTssABase + 0x20, 4) == 0x500);  // the faulting UD2
}

TEST_CASE("a fault pushes EFLAGS with RF set in protected mode") {
  TaskFixture f;
  constexpr uint32_t kIdt = 0x4000;
  f.mem.write_phys(kIdt + kVecUd * 8, uint32_t(kCode) << 16 | 0x4800, 4);
  f.mem.write_phys(kIdt + kVecUd * 8 + 4, 0x8e00, 4);  // 32-bit interrupt gate
  f.cpu.s.idtr = {kIdt, 0x7ff};
  f.run_at(0x500, {0x0f, 0x0b});  // ud2
  CHECK(f.cpu.s.rip == 0x4800);
  CHECK(f.mem.read_phys(0x8000 - 12, 4) == 0x500);
  CHECK((f.mem.read_phys(0x8000 - 4, 4) & kRf) != 0);
}

TEST_CASE("a data segment register naming a system descriptor faults with #TS") {
  TaskFixture f;
  f.mem.write_phys(kTssBBase + 0x48, kTssA, 2);  // ES = a (busy) TSS
  const GuestFault g = f.switch_to(kTssB, TaskSwitchReason::kJmp);
  CHECK(g.vector == kVecTs);
  CHECK(g.error == kTssA);
}

TEST_CASE("an LDT selector that is not an LDT descriptor faults with #TS") {
  TaskFixture f;
  f.mem.write_phys(kTssBBase + 0x60, kData, 2);
  const GuestFault g = f.switch_to(kTssB, TaskSwitchReason::kJmp);
  CHECK(g.vector == kVecTs);
  CHECK(g.error == kData);
}

}  // namespace
}  // namespace kestrel::cpu
