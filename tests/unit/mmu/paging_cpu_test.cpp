// SPDX-License-Identifier: MIT
// Paging as the CPU sees it: #PF with CR2 from the CPU's fault sink, CPL 3
// accesses checked as user, the control-register moves that configure the
// MMU, INVLPG, and self-modifying code written through a second mapping.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter.h"

namespace kestrel::cpu {
namespace {

constexpr uint32_t P = 1, RW = 2, US = 4;
constexpr uint64_t kPd = 0x10000, kPt = 0x11000;
constexpr uint64_t kCr0PePg = 0x80000011;

/// 16-bit protected mode at CPL 0 with paging: the first 4 MiB mapped to
/// themselves except what a test changes.
struct PagedFixture {
  PagedFixture() : mem(16 << 20, find_cpu_model("max")->phys_addr_bits), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.rip = 0x100;
    cpu.s.gpr[kRsp] = 0x8000;
    mem.write_phys(kPd, kPt | P | RW | US, 4);
    for (uint32_t i = 0; i < 1024; ++i) map(i << 12, i << 12, P | RW | US);
    REQUIRE(cpu.load_paging(kCr0PePg, kPd, 0, 0, true));
  }
  void map(uint32_t lin, uint32_t phys, uint32_t flags) {
    mem.write_phys(kPt + 4 * (lin >> 12), phys | flags, 4);
  }
  void load(uint32_t addr, std::vector<uint8_t> bytes) { mem.load_phys(addr, bytes); }
  template <class F> GuestFault fault(F&& f) {
    try {
      f();
    } catch (const GuestFault& g) {
      return g;
    }
    return GuestFault{0xff};
  }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("a page fault raises #PF with the error code and sets CR2") {
  PagedFixture f;
  f.map(0x3000, 0x3000, 0);
  GuestFault g = f.fault([&] { (void)f.cpu.read<uint16_t>(kDs, 0x3004); });
  CHECK(g.vector == kVecPf);
  CHECK(g.has_error);
  CHECK(g.error == 0);
  CHECK(f.cpu.s.cr[2] == 0x3004);
  g = f.fault([&] { f.cpu.write<uint8_t>(kDs, 0x3ffe, 1); });
  CHECK(g.error == mmu::kPfWrite);
  CHECK(f.cpu.s.cr[2] == 0x3ffe);
  // CPL 3 accesses are user accesses.
  f.map(0x4000, 0x4000, P | RW);
  f.cpu.s.cpl = 3;
  g = f.fault([&] { (void)f.cpu.read<uint8_t>(kDs, 0x4000); });
  CHECK(g.vector == kVecPf);
  CHECK(g.error == (mmu::kPfPresent | mmu::kPfUser));
  f.cpu.s.cpl = 0;
  CHECK(f.fault([&] { (void)f.cpu.read<uint8_t>(kDs, 0x4000); }).vector == 0xff);
  // Supervisor-implicit accesses at CPL 3 are checked as supervisor.
  f.cpu.s.cpl = 3;
  CHECK(f.fault([&] { (void)f.mem.read<uint8_t>(0x4000, mmu::Priv::kSupervisor); }).vector == 0xff);
}

TEST_CASE("MOV CR4 accepts the paging extensions; a bad PDPTE makes MOV CR3 #GP") {
  PagedFixture f;
  DecodedInsn i;
  i.reg = 4;
  i.rm = kRax;
  f.cpu.s.gpr[kRax] = 0x10 | 0x20 | 0x80;  // PSE, PAE, PGE
  f.mem.write_phys(0x20000, 0x21000 | P, 8);  // a PDPT mapping 0-1 GiB ...
  f.mem.write_phys(0x21000, 0x22000 | P | RW, 8);  // ... through one PD ...
  for (uint32_t k = 0; k < 512; ++k) f.mem.write_phys(0x22000 + 8 * k, (k << 12) | P | RW, 8);
  f.cpu.s.gpr[kRcx] = 0x20000;
  i.reg = 3;
  i.rm = kRcx;
  exec::MOV_Cy_Ry(f.cpu, i);  // CR3 first: still 32-bit paging
  CHECK(f.cpu.s.cr[3] == 0x20000);
  i.reg = 4;
  i.rm = kRax;
  exec::MOV_Cy_Ry(f.cpu, i);
  CHECK(f.cpu.s.cr[4] == 0xb0);
  CHECK(f.mem.paging().pae);
  CHECK(f.mem.translate(0x5123, mmu::Access::kRead) == 0x5123);
  f.mem.write_phys(0x30000, 0x21000 | P | RW, 8);  // reserved bit 1
  f.cpu.s.gpr[kRcx] = 0x30000;
  i.reg = 3;
  i.rm = kRcx;
  const GuestFault g = f.fault([&] { exec::MOV_Cy_Ry(f.cpu, i); });
  CHECK(g.vector == kVecGp);
  CHECK(f.cpu.s.cr[3] == 0x20000);
}

TEST_CASE("INVLPG forgets one page") {
  PagedFixture f;
  f.mem.write_phys(0x9000, 0x99, 1);
  CHECK(f.cpu.read<uint8_t>(kDs, 0x5000) == 0);
  f.map(0x5000, 0x9000, P | RW | US);
  CHECK(f.cpu.read<uint8_t>(kDs, 0x5000) == 0);  // stale, as the TLB may be
  f.load(0x100, {0x0f, 0x01, 0x3e, 0x00, 0x50});  // invlpg [0x5000]
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x105);
  CHECK(f.cpu.read<uint8_t>(kDs, 0x5000) == 0x99);
}

TEST_CASE("fetching stops at the end of a page the instruction does not leave") {
  PagedFixture f;
  f.map(0x1000, 0x1000, 0);  // the next page is not present
  f.cpu.s.rip = 0xffc;
  f.load(0xffc, {0xb0, 0x05,   // 0FFC mov al, 5
                 0x90,         // 0FFE nop
                 0xf4});       // 0FFF hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.cpu.s.gpr[kRax]) == 5);
  CHECK(f.cpu.s.cr[2] == 0);
  // An instruction that does continue there faults on its first byte there.
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0xffe;
  f.load(0xffe, {0x90, 0xb0});  // nop; mov al, imm8 (imm8 on the missing page)
  f.interp.step();
  f.interp.step();
  CHECK(f.cpu.s.cr[2] == 0x1000);
}

TEST_CASE("self-modifying code written through a second mapping takes effect") {
  PagedFixture f;
  f.map(0x5000, 0x0000, P | RW | US);  // linear 5000 aliases the code page 0
  f.load(0x100, {0xb0, 0x01,                    // 0100 mov al, 1
                 0xc6, 0x06, 0x08, 0x51, 0x07,  // 0102 mov byte [0x5108], 7
                 0xb4, 0x02,                    // 0107 mov ah, 2  (immediate patched to 7)
                 0xf4});                        // 0109 hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.cpu.s.gpr[kRax] >> 8) == 7);
  CHECK(f.interp.stats().blocks_invalidated >= 1);
}

TEST_CASE("a block is found by physical address: a remapped code page runs its new code") {
  PagedFixture f;
  f.load(0x100, {0xb0, 0x01, 0xf4});   // mov al, 1; hlt
  f.load(0x6100, {0xb0, 0x02, 0xf4});  // mov al, 2; hlt
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.cpu.s.gpr[kRax]) == 1);
  f.map(0x0000, 0x6000, P | RW | US);
  REQUIRE(f.cpu.load_paging(kCr0PePg, kPd, 0, 0, true));  // MOV CR3
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.interp.run(100) == StopReason::kHalted);
  CHECK(uint8_t(f.cpu.s.gpr[kRax]) == 2);
}

}  // namespace
}  // namespace kestrel::cpu
