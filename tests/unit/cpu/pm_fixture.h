// SPDX-License-Identifier: MIT
// A protected-mode test machine: a GDT, IDT, TSS and LDT built in guest RAM,
// a halting ring-0 handler per exception vector, and helpers to enter ring
// 0 or ring 3 and to see which vector (and error code) a run ended in.
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "cpu/segment.h"

namespace kestrel::cpu::pmtest {

// GDT selectors.
inline constexpr uint16_t kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1b, kData3 = 0x23,
                          kTssSel = 0x28, kCode16 = 0x30, kData16 = 0x38, kGate3 = 0x43,
                          kExpandDown = 0x48, kReadOnly = 0x50, kLdtSel = 0x58,
                          kExecOnly = 0x60, kNotPresent = 0x68, kConforming = 0x70,
                          kStack3 = 0x7b, kData0Rpl3 = 0x13;

struct PmFixture {
  static constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000, kLdt = 0x3800;
  static constexpr uint32_t kHandlers = 0x20000;  ///< vector v halts at kHandlers + 16 v
  static constexpr uint32_t kStack0 = 0x9000, kStack3Top = 0x7000;
  static constexpr uint32_t kIoBase = 0x88;       ///< I/O bit map offset in the TSS

  explicit PmFixture(const char* model = "max")
      : mem(4u << 20, find_cpu_model(model)->phys_addr_bits),
        cpu(*find_cpu_model(model), mem, bus),
        interp(cpu) {
    cpu.reset();
    set_desc(1, 0, 0xfffff, 0x9a, 0xc);   // 08 ring-0 code, flat 32-bit
    set_desc(2, 0, 0xfffff, 0x92, 0xc);   // 10 ring-0 data
    set_desc(3, 0, 0xfffff, 0xfa, 0xc);   // 18 ring-3 code
    set_desc(4, 0, 0xfffff, 0xf2, 0xc);   // 20 ring-3 data
    set_desc(5, kTss, kIoBase + 16, 0x89, 0);  // 28 available 32-bit TSS
    set_desc(6, 0, 0xffff, 0x9a, 0);      // 30 16-bit code
    set_desc(7, 0, 0xffff, 0x92, 0);      // 38 16-bit data
    set_gate(kGdt, 8, kCode0, 0x12000, 0xec, 2);  // 40 call gate, DPL 3, 2 dwords
    set_desc(9, 0x40000, 0x0fff, 0x96, 0x4);  // 48 expand-down, B=1
    set_desc(10, 0, 0xffff, 0x90, 0);     // 50 read-only data
    set_desc(11, kLdt, 0x17, 0x82, 0);    // 58 LDT
    set_desc(12, 0, 0xfffff, 0x98, 0xc);  // 60 execute-only code
    set_desc(13, 0, 0xffff, 0x12, 0);     // 68 data, not present
    set_desc(14, 0, 0xfffff, 0x9e, 0xc);  // 70 conforming ring-0 code
    set_desc(15, 0, 0xfffff, 0xf2, 0xc);  // 78 ring-3 stack
    cpu.s.gdtr = {kGdt, 16 * 8 - 1};
    for (unsigned v = 0; v < 32; ++v) {
      set_gate(kIdt, v, kCode0, kHandlers + 16 * v, 0x8e);
      mem.write_phys(kHandlers + 16 * v, 0xf4, 1);  // hlt
    }
    cpu.s.idtr = {kIdt, 256 * 8 - 1};
    // TSS: SS0:ESP0, the I/O map base, a redirection map of zeros and a
    // 16-byte I/O bit map allowing only port 40h.
    mem.write_phys(kTss + 4, kStack0, 4);
    mem.write_phys(kTss + 8, kData0, 2);
    mem.write_phys(kTss + 0x66, kIoBase, 2);
    for (unsigned i = 0; i < 16; ++i) mem.write_phys(kTss + kIoBase + i, i == 8 ? 0xfe : 0xff, 1);
  }

  void set_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags,
                uint32_t table = kGdt) {
    const uint32_t lo = (limit & 0xffff) | (base << 16);
    const uint32_t hi = ((base >> 16) & 0xff) | uint32_t(access) << 8 | (limit & 0xf0000) |
                        uint32_t(flags) << 20 | (base & 0xff000000);
    mem.write_phys(table + index * 8, lo, 4);
    mem.write_phys(table + index * 8 + 4, hi, 4);
  }
  void set_gate(uint32_t table, unsigned index, uint16_t sel, uint32_t offset, uint8_t access,
                uint8_t params = 0) {
    mem.write_phys(table + index * 8, (offset & 0xffff) | uint32_t(sel) << 16, 4);
    mem.write_phys(table + index * 8 + 4,
                   (offset & 0xffff0000) | uint32_t(access) << 8 | params, 4);
  }
  void load(uint32_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }

  Descriptor desc(uint16_t sel) {
    Descriptor d;
    REQUIRE(fetch_descriptor(cpu, sel, d));
    return d;
  }
  /// Ring 0, flat 32-bit segments, TR loaded.
  void enter_pm() {
    cpu.s.cr[0] |= 1;
    cpu.s.cpl = 0;
    load_code_segment(cpu, kCode0, desc(kCode0), 0);
    for (uint8_t seg : {kEs, kSs, kDs, kFs, kGs}) load_data_segment_pm(cpu, seg, kData0);
    // As LTR would: the TSS descriptor becomes busy.
    set_desc(5, kTss, kIoBase + 16, 0x8b, 0);
    cpu.s.tr = make_cache(kTssSel, desc(kTssSel));
    cpu.s.gpr[kRsp] = kStack0;
  }
  void goto_ring3(uint32_t eip) {
    load_code_segment(cpu, kCode3, desc(kCode3), 3);
    for (uint8_t seg : {kEs, kSs, kDs, kFs, kGs}) load_data_segment_pm(cpu, seg, kData3);
    cpu.s.gpr[kRsp] = kStack3Top;
    cpu.s.rip = eip;
  }
  StopReason run(uint64_t n = 1000) { return interp.run(n); }
  /// The exception vector whose handler the CPU halted in, or -1.
  int vector() const {
    const uint64_t at = cpu.s.seg[kCs].base + cpu.s.rip - 1;
    if (!cpu.s.halted || at < kHandlers || at >= kHandlers + 32 * 16) return -1;
    return int((at - kHandlers) / 16);
  }
  /// Dword `i` above the stack pointer.
  uint32_t stack(unsigned i) {
    const uint64_t at = cpu.s.seg[kSs].base + uint32_t(cpu.s.gpr[kRsp]) + 4 * i;
    return uint32_t(mem.read_phys(at, 4));
  }
  uint64_t& r(unsigned n) { return cpu.s.gpr[n]; }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

/// The fault a callable raises, as {vector, error}; {255, 0} when none.
template <class F> GuestFault fault_of(F&& f) {
  try {
    f();
  } catch (const GuestFault& g) {
    return g;
  }
  return GuestFault{255, false, 0};
}

}  // namespace kestrel::cpu::pmtest
