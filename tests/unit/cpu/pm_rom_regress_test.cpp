// SPDX-License-Identifier: MIT
// Regression tests for CPU bugs the protected-mode test ROMs
// (tests/roms/pm/) exposed, each named after the bug, on a small flat
// protected-mode machine built in guest RAM.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/interp/interpreter.h"
#include "cpu/segment.h"

namespace kestrel::cpu {
namespace {

constexpr uint32_t kGdt = 0x1000, kIdt = 0x1800;
constexpr uint16_t kCode = 0x08, kData = 0x10, kTssA = 0x18, kTssB = 0x20;
constexpr uint32_t kTssABase = 0x2000, kTssBBase = 0x2100;
constexpr uint32_t kTaskBEip = 0x3000, kTaskBEsp = 0x9000, kDbHandler = 0x4000;

/// Ring 0, flat 32-bit segments, running task A; task B waits at kTaskBEip;
/// IDT vector 1 is an interrupt gate to kDbHandler.
struct PmFixture {
  PmFixture() : mem(1 << 20, 32), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    set_desc(kCode, 0x0000ffff, 0x00cf9b00);
    set_desc(kData, 0x0000ffff, 0x00cf9300);
    set_system(kTssA, kTssABase, 0x8b);  // busy: the running task
    set_system(kTssB, kTssBBase, 0x89);
    mem.write_phys(kIdt + 8, (uint32_t{kCode} << 16) | (kDbHandler & 0xffff), 4);
    mem.write_phys(kIdt + 12, (kDbHandler & 0xffff0000) | 0x8e00, 4);
    cpu.s.gdtr = {kGdt, 0x2f};
    cpu.s.idtr = {kIdt, 0xff};
    cpu.s.cr[0] |= 1;
    cpu.s.seg[kCs] = cache(kCode);
    for (uint8_t g : {kSs, kDs, kEs, kFs, kGs}) cpu.s.seg[g] = cache(kData);
    cpu.s.tr = cache(kTssA);
    cpu.s.gpr[kRsp] = 0x8000;
    mem.write_phys(kTssBBase + 0x20, kTaskBEip, 4);
    mem.write_phys(kTssBBase + 0x24, 0x2, 4);
    mem.write_phys(kTssBBase + 0x38, kTaskBEsp, 4);
    const uint16_t sregs[6] = {kData, kCode, kData, kData, kData, kData};
    for (unsigned g = 0; g < 6; ++g) mem.write_phys(kTssBBase + 0x48 + 4 * g, sregs[g], 2);
  }
  void set_desc(uint16_t sel, uint32_t lo, uint32_t hi) {
    mem.write_phys(kGdt + sel, lo, 4);
    mem.write_phys(kGdt + sel + 4, hi, 4);
  }
  void set_system(uint16_t sel, uint32_t base, uint8_t type_byte) {
    set_desc(sel, base << 16 | 0x67, (base >> 16 & 0xff) | uint32_t(type_byte) << 8);
  }
  SegmentCache cache(uint16_t sel) {
    const Descriptor d{uint32_t(mem.read_phys(kGdt + sel, 4)),
                       uint32_t(mem.read_phys(kGdt + sel + 4, 4))};
    return make_cache(sel, d);
  }
  /// Runs `jmp kTssB:0` at 0x500 with TF and task B's T bit as given.
  void jump_to_task_b(bool tf, bool t_bit) {
    mem.write_phys(kTssBBase + 0x64, t_bit ? 1 : 0, 2);
    if (tf) cpu.s.rflags |= kTf;
    mem.load_phys(0x500, std::vector<uint8_t>{0xea, 0, 0, 0, 0, kTssB, 0});
    cpu.s.rip = 0x500;
    interp.step();
  }
  uint32_t pushed_eip() { return uint32_t(mem.read_phys(kTaskBEsp - 12, 4)); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("bug: TF single step lost when the task switch's T bit raises #DB") {
  // SDM 3A §17.3.1.5: both traps of the switching instruction are reported
  // in one #DB, DR6.BT and DR6.BS set, before the new task's first instruction.
  PmFixture f;
  f.jump_to_task_b(true, true);
  CHECK(f.cpu.s.tr.selector == kTssB);
  CHECK(f.cpu.s.rip == kDbHandler);
  CHECK((f.cpu.s.dr[6] & kDr6Bt) != 0);
  CHECK((f.cpu.s.dr[6] & kDr6Bs) != 0);
  CHECK(f.pushed_eip() == kTaskBEip);
}

TEST_CASE("bug (TF/T-bit): the T bit alone reports BT without BS") {
  PmFixture f;
  f.jump_to_task_b(false, true);
  CHECK(f.cpu.s.rip == kDbHandler);
  CHECK((f.cpu.s.dr[6] & kDr6Bt) != 0);
  CHECK((f.cpu.s.dr[6] & kDr6Bs) == 0);
  CHECK(f.pushed_eip() == kTaskBEip);
}

TEST_CASE("bug (TF/T-bit): TF alone single-steps into the new task with BS") {
  PmFixture f;
  f.jump_to_task_b(true, false);
  CHECK(f.cpu.s.rip == kDbHandler);
  CHECK((f.cpu.s.dr[6] & kDr6Bs) != 0);
  CHECK((f.cpu.s.dr[6] & kDr6Bt) == 0);
  CHECK(f.pushed_eip() == kTaskBEip);
}

}  // namespace
}  // namespace kestrel::cpu
