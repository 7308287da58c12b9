// SPDX-License-Identifier: MIT
// A CPU in real mode over 1 MiB of RAM and an open bus, with code at
// 0000:0100 and the stack at 0000:8000: the fixture of the handler and
// engine tests.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"

namespace kestrel::cpu {

struct RealModeFixture {
  explicit RealModeFixture(const char* model = "max")
      : mem(1 << 20, find_cpu_model(model)->phys_addr_bits),
        cpu(*find_cpu_model(model), mem, bus),
        interp(cpu) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.rip = 0x100;
    cpu.s.gpr[kRsp] = 0x8000;
  }
  void load(uint32_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }
  /// Runs `code` at 0000:0100 for one instruction.
  void step(std::vector<uint8_t> code) {
    cpu.s.rip = 0x100;
    mem.load_phys(0x100, code);
    interp.step();
  }
  /// Points vector `v` of the IVT at 0000:`handler`.
  void set_vector(uint8_t v, uint16_t handler) {
    mem.write_phys(v * 4u, handler, 2);
    mem.write_phys(v * 4u + 2, 0, 2);
  }
  uint64_t& r(unsigned n) { return cpu.s.gpr[n]; }
  uint8_t reg8(unsigned n) const { return uint8_t(cpu.s.gpr[n]); }
  uint64_t phys(uint64_t a, unsigned size) { return mem.read_phys(a, size); }
  uint64_t flags() const { return read_flags(cpu.s); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

}  // namespace kestrel::cpu
