// SPDX-License-Identifier: MIT
// 4- and 5-level paging as the CPU sees them: 1 GiB pages, the PML5 level
// and the 57-bit canonical width, execute-disable with the I/D bit of the
// #PF error code, reserved bits, and A/D updates on large leaves.
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/cpu/lm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace lmtest;

constexpr uint64_t kXd = uint64_t{1} << 63;

template <class F> GuestFault fault_of(F&& fn) {
  try {
    fn();
  } catch (const GuestFault& g) {
    return g;
  }
  return GuestFault{255, false, 0};
}

TEST_CASE("a 1 GiB page maps linear 40000000h onto physical 0") {
  LmFixture f;
  f.enter_long();
  f.mem.write_phys(LmFixture::kPdpt + 8, 0x87, 8);  // PDPTE 1: 1 GiB page at 0, PS
  f.mem.write_phys(0x5008, 0xabcdef, 8);
  CHECK(f.cpu.read<uint64_t>(kDs, 0x40005008) == 0xabcdef);
  f.cpu.write<uint8_t>(kDs, 0x40005010, 1);
  CHECK((f.mem.read_phys(LmFixture::kPdpt + 8, 8) & 0x60) == 0x60);  // accessed, dirty
  // Bits 29:13 of a 1 GiB PDPTE are reserved.
  f.mem.write_phys(LmFixture::kPdpt + 8, 0x87 | 0x2000, 8);
  f.mem.invlpg(0x40005000);
  const GuestFault g = fault_of([&] { (void)f.cpu.read<uint8_t>(kDs, 0x40005000); });
  CHECK(g.vector == kVecPf);
  CHECK(g.error == (mmu::kPfPresent | mmu::kPfRsvd));
}

TEST_CASE("PS is reserved in a PML4 entry") {
  LmFixture f;
  f.enter_long();
  f.mem.write_phys(LmFixture::kPml4 + 8, LmFixture::kPdpt | 0x87, 8);
  const GuestFault g = fault_of([&] { (void)f.cpu.read<uint8_t>(kDs, uint64_t{1} << 39); });
  CHECK(g.error == (mmu::kPfPresent | mmu::kPfRsvd));
}

TEST_CASE("5-level paging: the PML5 level and 57-bit canonical addresses") {
  LmFixture f;
  f.enter_long(kCr4Pae | kCr4La57, LmFixture::kPml5);
  f.mem.write_phys(0x5000, 0x77, 1);
  CHECK(f.cpu.read<uint8_t>(kDs, 0x5000) == 0x77);
  const uint64_t high = (uint64_t{1} << 48) | 0x5000;  // PML5 index 1
  GuestFault g = fault_of([&] { (void)f.cpu.read<uint8_t>(kDs, high); });
  CHECK(g.vector == kVecPf);
  CHECK(g.error == 0);
  CHECK(f.cpu.s.cr[2] == high);
  f.mem.write_phys(LmFixture::kPml5 + 8, LmFixture::kPml4 | 7, 8);
  CHECK(f.cpu.read<uint8_t>(kDs, high) == 0x77);
  // Not canonical at 57 bits.
  g = fault_of([&] { (void)f.cpu.read<uint8_t>(kDs, uint64_t{1} << 56); });
  CHECK(g.vector == kVecGp);
  // The same address is not canonical with 4-level paging.
  LmFixture h;
  h.enter_long();
  g = fault_of([&] { (void)h.cpu.read<uint8_t>(kDs, high); });
  CHECK(g.vector == kVecGp);
}

TEST_CASE("execute-disable: a fetch from an XD page is #PF with I/D set") {
  LmFixture f;
  f.enter_long();
  f.mem.write_phys(LmFixture::kPd + 2 * 8, (uint64_t{2} << 21) | 0x87 | kXd, 8);
  f.load(LmFixture::kCode, {0xff, 0xe0});  // jmp rax
  f.r(kRax) = 0x400000;
  f.run(2);
  CHECK(f.vector() == kVecPf);
  CHECK(f.stack(0) == (mmu::kPfPresent | mmu::kPfFetch));
  CHECK(f.cpu.s.cr[2] == 0x400000);
  // Data reads of the page still work.
  CHECK(f.cpu.read<uint8_t>(kDs, 0x400000) == 0);
  // From ring 3 the error code has U/S too.
  LmFixture g;
  g.enter_long();
  g.mem.write_phys(LmFixture::kPd + 2 * 8, (uint64_t{2} << 21) | 0x87 | kXd, 8);
  g.load(LmFixture::kCode, {0xff, 0xe0});
  g.goto_ring3(LmFixture::kCode);
  g.r(kRax) = 0x400000;
  g.run(2);
  CHECK(g.vector() == kVecPf);
  CHECK(g.stack(0) == (mmu::kPfPresent | mmu::kPfFetch | mmu::kPfUser));
}

TEST_CASE("XD without EFER.NXE is a reserved bit") {
  LmFixture f;
  f.enter_long();
  REQUIRE(f.cpu.load_paging(f.cpu.s.cr[0], f.cpu.s.cr[3], f.cpu.s.cr[4],
                            f.cpu.s.efer & ~uint64_t{kEferNxe}, false));
  f.mem.write_phys(LmFixture::kPd + 2 * 8, (uint64_t{2} << 21) | 0x87 | kXd, 8);
  const GuestFault g = fault_of([&] { f.cpu.write<uint8_t>(kDs, 0x400000, 1); });
  CHECK(g.error == (mmu::kPfPresent | mmu::kPfRsvd | mmu::kPfWrite));
}

}  // namespace
}  // namespace kestrel::cpu
