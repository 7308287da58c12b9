// SPDX-License-Identifier: MIT
// A small real-mode machine for the JIT's unit tests: 1 MiB (or `ram`) of
// RAM, code at 0000:0100, stack at 0000:8000, and the JIT (optionally in
// lockstep) or, to compare against, the interpreter as its engine.
#pragma once

#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"

namespace kestrel::jit::test {

struct RealModeMachine {
  explicit RealModeMachine(bool use_jit = true, bool lockstep = false, uint64_t ram = 1 << 20)
      : mem(ram, cpu::find_cpu_model("max")->phys_addr_bits),
        c(*cpu::find_cpu_model("max"), mem, bus) {
    c.reset();
    for (uint8_t seg : {cpu::kCs, cpu::kDs, cpu::kEs, cpu::kSs}) c.load_real_segment(seg, 0);
    c.s.rip = 0x100;
    c.s.gpr[cpu::kRsp] = 0x8000;
    if (use_jit) engine = std::make_unique<JitEngine>(c, JitOptions{lockstep});
    else engine = std::make_unique<cpu::Interpreter>(c);
  }
  void load(uint32_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }
  JitEngine& jit() { return static_cast<JitEngine&>(*engine); }

  mmu::Mmu mem;
  cpu::OpenBus bus;
  cpu::Cpu c;
  std::unique_ptr<cpu::ExecEngine> engine;
};

}  // namespace kestrel::jit::test
