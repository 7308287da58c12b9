// SPDX-License-Identifier: MIT
// A long-mode test machine: a GDT with 64-bit, compatibility and ring-3
// segments, a 64-bit TSS with RSP0 and IST1, a 16-byte-gate IDT whose
// handlers halt, and identity-mapped 4-level page tables (2 MiB pages over
// the first 16 MiB); helpers to enter 64-bit mode at ring 0 or 3.
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "cpu/msr.h"
#include "cpu/segment.h"

namespace kestrel::cpu::lmtest {

// GDT selectors. STAR uses 08h (SYSCALL: CS 08h, SS 10h) and 18h (SYSRET:
// compatibility CS 1Bh, SS 23h, 64-bit CS 2Bh).
inline constexpr uint16_t kCode64 = 0x08, kData0 = 0x10, kCode32u = 0x1b, kData3 = 0x23,
                          kCode64u = 0x2b, kTssSel = 0x30, kCode32 = 0x40, kGate = 0x4b,
                          kBadLD = 0x58;

inline constexpr uint64_t kCr0PePg = 0x80000011, kCr4Pae = 1u << 5, kCr4La57 = 1u << 12;

struct LmFixture {
  static constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000;
  static constexpr uint64_t kPml5 = 0x0f000, kPml4 = 0x10000, kPdpt = 0x11000, kPd = 0x12000;
  static constexpr uint64_t kHandlers = 0x20000;  ///< vector v halts at kHandlers + 16 v
  static constexpr uint64_t kStack0 = 0x9000, kIst1 = 0xa000, kStack3 = 0x7000;
  static constexpr uint64_t kGateTarget = 0x30000;
  static constexpr uint64_t kCode = 0x100000;

  LmFixture() : mem(16u << 20, find_cpu_model("max")->phys_addr_bits),
                cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    set_desc(1, 0, 0xfffff, 0x9a, 0xa);   // 08 64-bit code, ring 0
    set_desc(2, 0, 0xfffff, 0x92, 0xc);   // 10 data, ring 0
    set_desc(3, 0, 0xfffff, 0xfa, 0xc);   // 18 32-bit code, ring 3
    set_desc(4, 0, 0xfffff, 0xf2, 0xc);   // 20 data, ring 3
    set_desc(5, 0, 0xfffff, 0xfa, 0xa);   // 28 64-bit code, ring 3
    set_desc(6, kTss, 0x67, 0x89, 0);     // 30 64-bit TSS (16 bytes)
    mem.write_phys(kGdt + 7 * 8, 0, 8);
    set_desc(8, 0, 0xfffff, 0x9a, 0xc);   // 40 32-bit code, ring 0
    // 48: 64-bit call gate, DPL 3, to 08:kGateTarget (16 bytes).
    mem.write_phys(kGdt + 9 * 8, (kGateTarget & 0xffff) | uint64_t(kCode64) << 16 |
                                     uint64_t(0xec) << 40 | (kGateTarget >> 16) << 48, 8);
    mem.write_phys(kGdt + 10 * 8, kGateTarget >> 32, 8);
    set_desc(11, 0, 0xfffff, 0x9a, 0xe);  // 58 code with L and D set
    cpu.s.gdtr = {kGdt, 12 * 8 - 1};
    for (unsigned v = 0; v < 256; ++v) {
      set_gate(v, kCode64, kHandlers + 16 * v, 0x8e, 0);
      mem.write_phys(kHandlers + 16 * v, 0xf4, 1);  // hlt
    }
    cpu.s.idtr = {kIdt, 256 * 16 - 1};
    mem.write_phys(kTss + 4, kStack0, 8);    // RSP0
    mem.write_phys(kTss + 0x24, kIst1, 8);   // IST1
    // Identity map of 16 MiB in 2 MiB user pages.
    mem.write_phys(kPml5, kPml4 | 7, 8);
    mem.write_phys(kPml4, kPdpt | 7, 8);
    mem.write_phys(kPdpt, kPd | 7, 8);
    for (uint64_t i = 0; i < 8; ++i) mem.write_phys(kPd + 8 * i, (i << 21) | 0x87, 8);
  }

  void set_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    const uint32_t lo = (limit & 0xffff) | (base << 16);
    const uint32_t hi = ((base >> 16) & 0xff) | uint32_t(access) << 8 | (limit & 0xf0000) |
                        uint32_t(flags) << 20 | (base & 0xff000000);
    mem.write_phys(kGdt + index * 8, lo, 4);
    mem.write_phys(kGdt + index * 8 + 4, hi, 4);
  }
  /// A 16-byte IDT gate: `access` = P, DPL, type; `ist` 0-7.
  void set_gate(unsigned v, uint16_t sel, uint64_t offset, uint8_t access, unsigned ist) {
    const uint64_t at = kIdt + 16 * v;
    mem.write_phys(at, (offset & 0xffff) | uint64_t(sel) << 16 | uint64_t(ist) << 32 |
                           uint64_t(access) << 40 | ((offset >> 16) & 0xffff) << 48, 8);
    mem.write_phys(at + 8, offset >> 32, 8);
  }
  void load(uint64_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }

  Descriptor desc(uint16_t sel) {
    Descriptor d;
    REQUIRE(fetch_descriptor(cpu, sel, d));
    return d;
  }
  /// 64-bit mode at ring 0 with SCE and NXE, TR loaded, RIP = kCode.
  void enter_long(uint64_t cr4 = kCr4Pae, uint64_t cr3 = kPml4) {
    cpu.s.cpl = 0;
    REQUIRE(cpu.load_paging(kCr0PePg, cr3, cr4,
                            kEferSce | kEferLme | kEferLma | kEferNxe, true));
    load_code_segment(cpu, kCode64, desc(kCode64), 0);
    for (uint8_t seg : {kEs, kSs, kDs, kFs, kGs}) load_data_segment_pm(cpu, seg, kData0);
    set_desc(6, kTss, 0x67, 0x8b, 0);  // busy, as LTR leaves it
    cpu.s.tr = system_segment_cache(cpu, kTssSel, desc(kTssSel));
    cpu.s.gpr[kRsp] = 0x8000;
    cpu.s.rip = kCode;
  }
  void goto_ring3(uint64_t rip, uint16_t cs = kCode64u) {
    load_code_segment(cpu, cs, desc(cs), 3);
    for (uint8_t seg : {kEs, kSs, kDs, kFs, kGs}) load_data_segment_pm(cpu, seg, kData3);
    cpu.s.gpr[kRsp] = kStack3;
    cpu.s.rip = rip;
  }
  StopReason run(uint64_t n = 1000) { return interp.run(n); }
  /// The vector whose handler the CPU is about to run or halted in, or -1.
  int vector() const {
    const uint64_t at = cpu.s.rip - (cpu.s.halted ? 1 : 0);
    if (at < kHandlers || at >= kHandlers + 256 * 16 || at % 16) return -1;
    return int((at - kHandlers) / 16);
  }
  /// Qword `i` above the stack pointer.
  uint64_t stack(unsigned i) { return mem.read_phys(cpu.s.gpr[kRsp] + 8 * i, 8); }
  uint64_t& r(unsigned n) { return cpu.s.gpr[n]; }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

}  // namespace kestrel::cpu::lmtest
