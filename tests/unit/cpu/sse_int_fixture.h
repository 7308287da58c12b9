// SPDX-License-Identifier: MIT
// A real-mode CPU with SSE enabled (CR4.OSFXSR, CR0.MP) whose exception
// vectors all land on HLT: the fixture of the SSE move, packed-integer and
// SSSE3 handler tests, with the runner of their tables of one-instruction
// cases. Registers are set and read directly.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "cpu/x87/fpu.h"

namespace kestrel::cpu {

struct SseIntFixture {
  static constexpr uint32_t kHandler = 0x300;  ///< vector v halts at kHandler + v

  SseIntFixture() : mem(1 << 20, 36), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.gpr[kRsp] = 0x8000;
    cpu.s.cr[0] = 0x12;         // ET, MP
    cpu.s.cr[4] = 1u << 9;      // OSFXSR
    for (unsigned v = 0; v < 32; ++v) {
      mem.write_phys(v * 4u, kHandler + v, 2);
      mem.write_phys(v * 4u + 2, 0, 2);
      mem.write_phys(kHandler + v, 0xf4, 1);
    }
  }
  /// Runs `code` at 0100h to its HLT; returns the vector taken, or -1.
  int run(std::vector<uint8_t> code) {
    code.push_back(0xf4);
    mem.load_phys(0x100, code);
    cpu.s.rip = 0x100;
    cpu.s.halted = false;
    interp.run(1000);
    const uint64_t ip = cpu.s.rip - 1;
    return ip >= kHandler && ip < kHandler + 32 ? int(ip - kHandler) : -1;
  }

  uint64_t& r(unsigned n) { return cpu.s.gpr[n]; }
  void set_xmm(unsigned n, uint64_t lo, uint64_t hi) {
    std::memcpy(cpu.s.vec[n], &lo, 8);
    std::memcpy(cpu.s.vec[n] + 8, &hi, 8);
  }
  uint64_t xlo(unsigned n) const { return q(n, 0); }
  uint64_t xhi(unsigned n) const { return q(n, 8); }
  void set_mm(unsigned n, uint64_t v) { x87::mmx_write(cpu.s, n, v); }
  uint64_t mm(unsigned n) const { return x87::mmx_read(cpu.s, n); }
  void poke(uint32_t a, uint64_t v, unsigned n = 8) { mem.write_phys(a, v, n); }
  uint64_t peek(uint32_t a, unsigned n = 8) { return mem.read_phys(a, n); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;

 private:
  uint64_t q(unsigned n, unsigned off) const {
    uint64_t v;
    std::memcpy(&v, cpu.s.vec[n] + off, 8);
    return v;
  }
};

/// One instruction on XMM1 (destination) and XMM2 (source): the values
/// before, as {low, high} quadwords, and XMM1 after.
struct XmmCase {
  const char* text;
  std::vector<uint8_t> code;
  std::array<uint64_t, 2> a, b, r;
};
/// The same on MM1 and MM2.
struct MmCase {
  const char* text;
  std::vector<uint8_t> code;
  uint64_t a, b, r;
};

inline void check_cases(const std::vector<XmmCase>& cases) {
  for (const XmmCase& c : cases) {
    CAPTURE(c.text);
    SseIntFixture f;
    f.set_xmm(1, c.a[0], c.a[1]);
    f.set_xmm(2, c.b[0], c.b[1]);
    REQUIRE(f.run(c.code) == -1);
    CHECK(f.xlo(1) == c.r[0]);
    CHECK(f.xhi(1) == c.r[1]);
    CHECK(f.xlo(2) == c.b[0]);
  }
}
inline void check_cases(const std::vector<MmCase>& cases) {
  for (const MmCase& c : cases) {
    CAPTURE(c.text);
    SseIntFixture f;
    f.set_mm(1, c.a);
    f.set_mm(2, c.b);
    REQUIRE(f.run(c.code) == -1);
    CHECK(f.mm(1) == c.r);
    CHECK(f.cpu.s.ftw == 0);  // MMX state: every register valid
  }
}

}  // namespace kestrel::cpu
