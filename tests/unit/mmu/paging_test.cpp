// SPDX-License-Identifier: MIT
// Paging in the MMU: 32-bit, PSE/PSE-36 and PAE walks built in guest RAM,
// every #PF error-code bit, WP, U/S, NX, A/D updates, the TLB (fast path,
// privilege arrays, global pages, INVLPG, flushes) and code pages seen
// through a second mapping.
#include <doctest/doctest.h>

#include <tuple>
#include <utility>
#include <vector>

#include "mmu/mmu.h"

namespace kestrel::mmu {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
constexpr uint64_t XD = uint64_t{1} << 63;
constexpr uint64_t kPd = 0x10000, kPt = 0x100000;            // 32-bit tables
constexpr uint64_t kPdpt = 0x20000, kPaePd = 0x21000, kPaePt = 0x200000;  // PAE tables
constexpr uint64_t kNoFault = 0xffffffff;

struct Fault {
  uint64_t lin;
  uint32_t err;
};
struct ThrowingSink final : FaultSink {
  void page_fault(uint64_t lin, uint32_t err) override { throw Fault{lin, err}; }
};
struct CodeWrites final : CodeWriteListener {
  void code_page_written(uint64_t page) override { pages.push_back(page); }
  std::vector<uint64_t> pages;
};

struct Fixture {
  explicit Fixture(unsigned bits = 36) : m(16 * kMiB, bits) { m.set_fault_sink(&sink); }
  void set32(uint64_t at, uint64_t v) { m.write_phys(at, v, 4); }
  void set64(uint64_t at, uint64_t v) { m.write_phys(at, v, 8); }
  uint64_t get(uint64_t at, unsigned size = 4) { return m.read_phys(at, size); }
  bool enable(PagingConfig c, bool cr3_load = true) {
    c.enabled = true;
    if (!c.cr3) c.cr3 = c.pae ? kPdpt : kPd;
    return m.set_paging(c, cr3_load);
  }
  /// 32-bit paging: one page table per 4 MiB region, at kPt + region * 4 KiB.
  uint64_t map32(uint64_t lin, uint64_t phys, uint64_t flags, uint64_t pde = P | RW | US) {
    const uint64_t pdi = lin >> 22, pt = kPt + pdi * 0x1000;
    set32(kPd + 4 * pdi, pt | pde);
    set32(pt + 4 * ((lin >> 12) & 0x3ff), phys | flags);
    return pt + 4 * ((lin >> 12) & 0x3ff);
  }
  /// PAE paging: PD per PDPTE at kPaePd + i * 4 KiB, PT per 2 MiB region.
  uint64_t map_pae(uint64_t lin, uint64_t phys, uint64_t flags, uint64_t pde = P | RW | US) {
    const uint64_t pdpi = lin >> 30, pd = kPaePd + pdpi * 0x1000;
    const uint64_t pt = kPaePt + ((lin >> 21) & 0x7ff) * 0x1000;
    set64(kPdpt + 8 * pdpi, pd | P);
    set64(pd + 8 * ((lin >> 21) & 511), pt | pde);
    set64(pt + 8 * ((lin >> 12) & 511), phys | flags);
    return pt + 8 * ((lin >> 12) & 511);
  }
  /// The #PF error code `f` raises (kNoFault if none); `cr2` gets the address.
  template <class F> uint64_t pf(F&& f) {
    try {
      f();
    } catch (const Fault& e) {
      cr2 = e.lin;
      return e.err;
    }
    return kNoFault;
  }
  uint64_t pf_read(uint64_t lin, Priv p = Priv::kSupervisor) {
    return pf([&] { (void)m.read<uint32_t>(lin, p); });
  }
  uint64_t pf_write(uint64_t lin, Priv p = Priv::kSupervisor) {
    return pf([&] { m.write<uint32_t>(lin, 0x5a5a5a5a, p); });
  }
  uint64_t pf_fetch(uint64_t lin, Priv p = Priv::kSupervisor) {
    return pf([&] { (void)m.fetch<uint8_t>(lin, p); });
  }

  Mmu m;
  ThrowingSink sink;
  uint64_t cr2 = 0;
};

TEST_CASE("32-bit paging translates through the directory and a table") {
  Fixture f;
  f.map32(0x00405000, 0x7000, P | RW | US);
  f.m.write_phys(0x7123, 0xcafef00d, 4);
  REQUIRE(f.enable({}));
  CHECK(f.m.read<uint32_t>(0x00405123) == 0xcafef00d);
  CHECK(f.m.translate(0x00405fff, Access::kRead) == 0x7fff);
  f.m.write<uint16_t>(0x00405200, 0x1234);
  CHECK(f.get(0x7200, 2) == 0x1234);
  CHECK(f.m.paging().cr3 == kPd);
}

TEST_CASE("#PF error codes: not present, writes, user accesses, CR2") {
  Fixture f;
  f.map32(0x1000, 0x7000, 0);  // PTE not present
  REQUIRE(f.enable({}));
  CHECK(f.pf_read(0x1010) == 0);
  CHECK(f.cr2 == 0x1010);
  CHECK(f.pf_write(0x1020) == kPfWrite);
  CHECK(f.cr2 == 0x1020);
  CHECK(f.pf_read(0x1030, Priv::kUser) == kPfUser);
  CHECK(f.pf_write(0x1040, Priv::kUser) == (kPfUser | kPfWrite));
  CHECK(f.pf_read(0x00800000) == 0);  // PDE not present
  CHECK(f.cr2 == 0x00800000);
  // No I/D bit without NX: 32-bit paging never reports it (SDM 3A §4.7).
  CHECK(f.pf_fetch(0x1050) == 0);
  // An access crossing into a missing page faults on the second page's
  // first byte and writes nothing on the first.
  f.map32(0x0000, 0x6000, P | RW | US);
  f.enable({});
  CHECK(f.pf_write(0x0ffe) == kPfWrite);
  CHECK(f.cr2 == 0x1000);
  CHECK(f.get(0x6ffe, 2) == 0);
}

TEST_CASE("U/S: user accesses need the U bit at every level") {
  Fixture f;
  f.map32(0x1000, 0x7000, P | RW);                 // supervisor page
  f.map32(0x00400000, 0x8000, P | RW | US, P | RW);  // supervisor directory entry
  REQUIRE(f.enable({}));
  CHECK(f.pf_read(0x1000, Priv::kUser) == (kPfPresent | kPfUser));
  CHECK(f.pf_write(0x1000, Priv::kUser) == (kPfPresent | kPfUser | kPfWrite));
  CHECK(f.pf_fetch(0x1000, Priv::kUser) == (kPfPresent | kPfUser));
  CHECK(f.pf_read(0x00400000, Priv::kUser) == (kPfPresent | kPfUser));
  CHECK(f.pf_read(0x1000) == kNoFault);  // the supervisor may
  CHECK(f.pf_read(0x00400000) == kNoFault);
  // The supervisor's TLB entry does not serve the user.
  CHECK(f.pf_read(0x1000, Priv::kUser) == (kPfPresent | kPfUser));
}

TEST_CASE("R/W and CR0.WP: user writes always fault, supervisor writes only with WP") {
  Fixture f;
  f.map32(0x1000, 0x7000, P | US);  // read-only
  REQUIRE(f.enable({}));
  CHECK(f.pf_read(0x1000, Priv::kUser) == kNoFault);
  CHECK(f.pf_write(0x1000, Priv::kUser) == (kPfPresent | kPfUser | kPfWrite));
  CHECK(f.pf_write(0x1000) == kNoFault);  // WP = 0
  CHECK(f.get(0x7000) == 0x5a5a5a5a);
  PagingConfig wp;
  wp.wp = true;
  REQUIRE(f.enable(wp, false));  // a WP change drops the entry that allowed it
  CHECK(f.pf_write(0x1000) == (kPfPresent | kPfWrite));
  CHECK(f.pf_read(0x1000) == kNoFault);
  // Read-only in the directory entry is read-only too.
  f.map32(0x00400000, 0x8000, P | RW | US, P | US);
  f.enable(wp);
  CHECK(f.pf_write(0x00400000) == (kPfPresent | kPfWrite));
}

TEST_CASE("accessed and dirty bits: A on use, D on the first write, none on a fault") {
  Fixture f;
  const uint64_t pte = f.map32(0x1000, 0x7000, P | RW | US);
  const uint64_t ro = f.map32(0x2000, 0x8000, P | US);
  REQUIRE(f.enable({}));
  CHECK(f.m.read<uint8_t>(0x1000) == 0);
  CHECK((f.get(kPd) & (A | D)) == A);
  CHECK((f.get(pte) & (A | D)) == A);
  // A write after a read must not use a fast path while D is clear.
  f.m.write<uint8_t>(0x1001, 1);
  CHECK((f.get(pte) & (A | D)) == (A | D));
  CHECK((f.get(kPd) & D) == 0);  // D only in the entry that maps the page
  // A faulting access sets nothing.
  CHECK(f.pf_write(0x2000, Priv::kUser) != kNoFault);
  CHECK((f.get(ro) & (A | D)) == 0);
}

TEST_CASE("the TLB serves repeated accesses without walking") {
  Fixture f;
  const uint64_t pte = f.map32(0x3000, 0x7000, P | RW | US);
  REQUIRE(f.enable({}));
  f.m.write<uint32_t>(0x3000, 1);  // walks once, sets A and D
  const Mmu::Stats before = f.m.stats();
  for (uint32_t i = 0; i < 100; ++i) {
    f.m.write<uint32_t>(0x3000 + 4 * i, i);
    CHECK(f.m.read<uint32_t>(0x3000 + 4 * i) == i);
  }
  CHECK(f.m.stats().slow_accesses == before.slow_accesses);
  CHECK(f.m.stats().walks == before.walks);
  // The TLB keeps a stale translation until the guest invalidates it.
  f.m.write_phys(0x8000, 0xdead, 4);
  f.set32(pte, 0x8000 | P | RW | US | A | D);
  CHECK(f.m.read<uint32_t>(0x3000) == 0);
  f.m.invlpg(0x3abc);
  CHECK(f.m.read<uint32_t>(0x3000) == 0xdead);
  CHECK(f.m.stats().walks == before.walks + 1);
}

TEST_CASE("PSE: 4 MiB pages, only with CR4.PSE, and PSE-36 high address bits") {
  Fixture f;
  f.set32(kPd + 4 * 2, 0x00c00000 | PS | P | RW | US);
  f.set32(0xc12345, 0x77);
  PagingConfig pse;
  pse.pse = true;
  REQUIRE(f.enable(pse));
  CHECK(f.m.read<uint8_t>(0x00812345) == 0x77);
  CHECK((f.get(kPd + 8) & (A | D)) == A);
  f.m.write<uint8_t>(0x00812346, 1);
  CHECK((f.get(kPd + 8) & D) == D);
  // PSE-36: PDE bits 16:13 are physical bits 35:32 on a 36-bit bus.
  f.set32(kPd + 4 * 3, 0x00400000 | (0x3 << 13) | PS | P | RW);
  CHECK(f.m.translate(0x00c01234, Access::kRead) == 0x3'0040'1234);
  // Bit 17 is beyond MAXPHYADDR 36: reserved.
  f.set32(kPd + 4 * 4, 0x00400000 | (1u << 17) | PS | P | RW);
  CHECK(f.pf_read(0x01000000) == (kPfPresent | kPfRsvd));
  // Bit 21 is always reserved.
  f.set32(kPd + 4 * 5, 0x00400000 | (1u << 21) | PS | P | RW);
  CHECK(f.pf_write(0x01400000) == (kPfPresent | kPfRsvd | kPfWrite));
  // Without CR4.PSE the PS bit is ignored: the entry points at a table.
  Fixture g;
  g.set32(kPd + 4 * 2, 0x00c00000 | PS | P | RW | US);
  g.set32(0x00c00000 + 4 * 0x12, 0x9000 | P | RW);
  REQUIRE(g.enable({}));
  CHECK(g.m.translate(0x00812345, Access::kRead) == 0x9345);
}

TEST_CASE("PSE-36 bits are reserved on a 32-bit bus") {
  Fixture f(32);
  f.set32(kPd, 0x00400000 | (1u << 13) | PS | P | RW);
  PagingConfig pse;
  pse.pse = true;
  REQUIRE(f.enable(pse));
  CHECK(f.pf_read(0x1000) == (kPfPresent | kPfRsvd));
}

TEST_CASE("PAE: 4 KiB and 2 MiB pages, PDPTE registers") {
  Fixture f;
  f.map_pae(0x40001000, 0x7000, P | RW | US);
  f.set64(kPaePd + 8 * 1, 0x600000 | PS | P | RW | US);  // 2 MiB at 0x200000
  f.set64(kPdpt, kPaePd | P);
  f.m.write_phys(0x7010, 0x11, 1);
  f.m.write_phys(0x654321, 0x22, 1);
  PagingConfig pae;
  pae.pae = true;
  REQUIRE(f.enable(pae));
  CHECK(f.m.read<uint8_t>(0x40001010) == 0x11);
  CHECK(f.m.read<uint8_t>(0x00254321) == 0x22);
  CHECK((f.get(kPaePd + 8, 8) & (A | D)) == A);
  // A 2 MiB entry's bits 20:13 are reserved; so are bits 51:MAXPHYADDR.
  f.set64(kPaePd + 8 * 2, 0x800000 | (1u << 13) | PS | P | RW);
  CHECK(f.pf_read(0x00400000) == (kPfPresent | kPfRsvd));
  f.set64(kPaePd + 8 * 3, 0x800000 | (uint64_t{1} << 40) | PS | P | RW);
  CHECK(f.pf_read(0x00600000) == (kPfPresent | kPfRsvd));
  // XD is reserved while EFER.NXE is clear.
  f.set64(kPaePd + 8 * 4, 0x800000 | XD | PS | P | RW);
  CHECK(f.pf_read(0x00800000) == (kPfPresent | kPfRsvd));
  // A PDPTE that is not present faults with P = 0.
  CHECK(f.pf_read(0x80200000) == 0);
  // The PDPTEs are loaded with CR3: a change in memory shows after a reload.
  f.set64(kPdpt + 8 * 2, kPaePd | P);
  CHECK(f.pf_read(0x80200000) == 0);
  REQUIRE(f.enable(pae));
  CHECK(f.pf_read(0x80200000) == kNoFault);
}

TEST_CASE("PAE: a PDPTE with a reserved bit makes the CR3 load fail and changes nothing") {
  Fixture f;
  f.set64(kPdpt, kPaePd | P);
  PagingConfig pae;
  pae.pae = true;
  REQUIRE(f.enable(pae));
  f.set64(0x30000, kPaePd | P | RW);  // bit 1 is reserved in a PDPTE
  PagingConfig bad = pae;
  bad.cr3 = 0x30000;
  CHECK(!f.enable(bad));
  CHECK(f.m.paging().cr3 == kPdpt);
  f.set64(0x30000, kPaePd | RW);  // not present: its other bits are not checked
  CHECK(f.enable(bad));
}

TEST_CASE("NX: fetches from XD pages fault with I/D; I/D also for missing pages") {
  Fixture f;
  f.map_pae(0x1000, 0x7000, XD | P | RW | US);
  f.map_pae(0x2000, 0x8000, P | RW | US);
  PagingConfig nx;
  nx.pae = true;
  nx.nxe = true;
  REQUIRE(f.enable(nx));
  CHECK(f.pf_read(0x1000) == kNoFault);
  CHECK(f.pf_fetch(0x1000) == (kPfPresent | kPfFetch));
  CHECK(f.pf_fetch(0x1000, Priv::kUser) == (kPfPresent | kPfFetch | kPfUser));
  CHECK(f.pf_fetch(0x2000) == kNoFault);
  CHECK(f.pf_fetch(0x3000) == kPfFetch);
  // XD in a directory entry covers the whole table.
  f.map_pae(0x00200000, 0x9000, P | RW | US, XD | P | RW | US);
  f.enable(nx);
  CHECK(f.pf_fetch(0x00200000) == (kPfPresent | kPfFetch));
}

TEST_CASE("global pages survive a CR3 load, not INVLPG or a PGE change") {
  Fixture f;
  const uint64_t g = f.map32(0x1000, 0x7000, P | RW | US | G);
  const uint64_t n = f.map32(0x2000, 0x8000, P | RW | US);
  PagingConfig pge;
  pge.pge = true;
  REQUIRE(f.enable(pge));
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x7000);
  CHECK(f.m.translate(0x2000, Access::kRead) == 0x8000);
  f.set32(g, 0x9000 | P | RW | US | G);
  f.set32(n, 0xa000 | P | RW | US);
  REQUIRE(f.enable(pge, true));  // MOV CR3
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x7000);  // global: kept
  CHECK(f.m.translate(0x2000, Access::kRead) == 0xa000);  // walked again
  f.m.invlpg(0x1000);
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x9000);
  // Without CR4.PGE the G bit means nothing.
  f.set32(g, 0xb000 | P | RW | US | G);
  REQUIRE(f.enable({}, true));  // PGE cleared: everything goes
  CHECK(f.m.translate(0x1000, Access::kRead) == 0xb000);
  f.set32(g, 0xc000 | P | RW | US | G);
  REQUIRE(f.enable({}, true));
  CHECK(f.m.translate(0x1000, Access::kRead) == 0xc000);
}

TEST_CASE("a CR3 load drops every local entry, wherever filled, and keeps the global ones") {
  Fixture f;
  // Pages 0x400-0x7ff (one page table): even ones local, odd ones global,
  // each at its own TLB index.
  std::vector<uint64_t> ptes;
  for (uint64_t page = 0x400; page < 0x800; ++page) {
    ptes.push_back(f.map32(page << 12, page << 12, P | RW | (page & 1 ? G : 0)));
  }
  PagingConfig pge;
  pge.pge = true;
  REQUIRE(f.enable(pge));
  for (uint64_t page = 0x400; page < 0x800; ++page) f.m.translate(page << 12, Access::kRead);
  for (uint64_t page = 0x400; page < 0x800; ++page) {
    f.set32(ptes[page - 0x400], (page + 0x800) << 12 | P | RW | (page & 1 ? G : 0));
  }
  REQUIRE(f.enable(pge, true));  // MOV CR3
  unsigned local_walked = 0, global_kept = 0;
  for (uint64_t page = 0x400; page < 0x800; ++page) {
    const uint64_t pa = f.m.translate(page << 12, Access::kRead) >> 12;
    if (page & 1) global_kept += pa == page;
    else local_walked += pa == page + 0x800;
  }
  CHECK(local_walked == 0x200);
  CHECK(global_kept == 0x200);
}

TEST_CASE("the global generation moves on flushes that can drop global translations") {
  Fixture f;
  f.map32(0x1000, 0x7000, P | RW | US | G);
  f.map32(0x400000, 0x8000, P | RW | US);
  PagingConfig pge;
  pge.pge = true;
  REQUIRE(f.enable(pge));
  const auto gens = [&] { return std::pair{f.m.tlb_generation(), f.m.global_generation()}; };
  f.m.translate(0x1000, Access::kExec);
  f.m.translate(0x400000, Access::kExec);
  CHECK(f.m.cached_global(0x1abc, Priv::kSupervisor));
  CHECK_FALSE(f.m.cached_global(0x400000, Priv::kSupervisor));
  CHECK_FALSE(f.m.cached_global(0x1000, Priv::kUser));  // nothing cached there
  auto [local, global] = gens();
  REQUIRE(f.enable(pge, true));  // MOV CR3: global translations stay
  CHECK(f.m.tlb_generation() > local);
  CHECK(f.m.global_generation() == global);
  // INVLPG moves a generation only where code was noted under it.
  f.m.note_code_region(0x1000, true);
  f.m.note_code_region(0x400000, false);
  std::tie(local, global) = gens();
  f.m.invlpg(0x800000);
  CHECK(gens() == std::pair{local, global});
  f.m.invlpg(0x400000);
  CHECK(f.m.tlb_generation() > local);
  CHECK(f.m.global_generation() == global);
  f.m.invlpg(0x1000);
  CHECK(f.m.global_generation() > global);
  CHECK(f.m.global_generation() == f.m.tlb_generation());
  // A CR3 load forgets local regions, not global ones; a full flush both.
  f.m.note_code_region(0x1000, true);
  REQUIRE(f.enable(pge, true));
  global = f.m.global_generation();
  f.m.invlpg(0x1000);
  CHECK(f.m.global_generation() > global);
  global = f.m.global_generation();
  REQUIRE(f.enable({}, true));  // PGE cleared
  CHECK(f.m.global_generation() > global);
  CHECK(f.m.global_generation() == f.m.tlb_generation());
}

TEST_CASE("INVLPG drops every 4 KiB slice of a large page") {
  Fixture f;
  f.set32(kPd, 0x00400000 | PS | P | RW | US);
  PagingConfig pse;
  pse.pse = true;
  REQUIRE(f.enable(pse));
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x401000);
  CHECK(f.m.translate(0x3ff000, Access::kRead) == 0x7ff000);
  f.set32(kPd, 0x00800000 | PS | P | RW | US);
  f.m.invlpg(0x2000);
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x801000);
  CHECK(f.m.translate(0x3ff000, Access::kRead) == 0xbff000);
}

TEST_CASE("INVLPG finds the slices of a global large page kept across a CR3 load") {
  Fixture f;
  f.set32(kPd, 0x00400000 | PS | P | RW | US | G);
  PagingConfig cfg;
  cfg.pse = true;
  cfg.pge = true;
  REQUIRE(f.enable(cfg));
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x401000);
  CHECK(f.m.translate(0x3ff000, Access::kRead) == 0x7ff000);
  REQUIRE(f.enable(cfg, true));  // MOV CR3: the global slices stay
  f.set32(kPd, 0x00800000 | PS | P | RW | US | G);
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x401000);
  f.m.invlpg(0x2000);  // a slice never cached, of the same page
  CHECK(f.m.translate(0x1000, Access::kRead) == 0x801000);
  CHECK(f.m.translate(0x3ff000, Access::kRead) == 0xbff000);
}

TEST_CASE("INVLPG among many cached large pages drops the right slices only") {
  Fixture f;
  PagingConfig pse;
  pse.pse = true;
  constexpr unsigned kPages = 40;
  for (unsigned i = 0; i < kPages; ++i) f.set32(kPd + 4 * i, (0x00400000 * (i + 1)) | PS | P | RW | US);
  REQUIRE(f.enable(pse));
  for (unsigned i = 0; i < kPages; ++i) {
    CHECK(f.m.translate(0x00400000 * i + 0x1000 * (i + 1), Access::kRead) ==
          0x00400000 * (i + 1) + 0x1000 * (i + 1));
  }
  f.set32(kPd + 4 * 7, 0x00400000 * 60 | PS | P | RW | US);
  f.m.invlpg(0x00400000 * 7);
  CHECK(f.m.translate(0x00400000 * 7 + 0x8000, Access::kRead) == 0x00400000 * 60 + 0x8000);
  // A 4 KiB page elsewhere: only its own entry goes.
  CHECK(f.m.translate(0x00400000 * 3 + 0x4000, Access::kRead) == 0x00400000 * 4 + 0x4000);
}

TEST_CASE("a write through a second mapping of a code page reaches the listener") {
  Fixture f;
  CodeWrites listener;
  f.m.set_code_listener(&listener);
  f.map32(0x1000, 0x7000, P | RW | US);
  f.map32(0x5000, 0x7000, P | RW | US);  // alias
  REQUIRE(f.enable({}));
  f.m.write<uint8_t>(0x1000, 1);  // both mappings get write fast paths
  f.m.write<uint8_t>(0x5000, 1);
  f.m.write<uint8_t>(0x5000, 2, Priv::kUser);
  f.m.mark_code_page(7);
  f.m.write<uint8_t>(0x5004, 3, Priv::kUser);
  CHECK(listener.pages == std::vector<uint64_t>{7});
  f.m.mark_code_page(7);
  f.m.write<uint8_t>(0x1004, 4);
  CHECK(listener.pages == std::vector<uint64_t>{7, 7});
  CHECK(f.get(0x7004, 1) == 4);
}

TEST_CASE("the walker runs 4-level paging when EFER.LMA is set") {
  Fixture f;
  const uint64_t lin = (uint64_t{1} << 39) | (uint64_t{2} << 30) | (3u << 21) | (4u << 12) | 0x56;
  f.set64(0x40000 + 8 * 1, 0x41000 | P | RW | US);
  f.set64(0x41000 + 8 * 2, 0x42000 | P | RW | US);
  f.set64(0x42000 + 8 * 3, 0x43000 | P | RW | US);
  f.set64(0x43000 + 8 * 4, 0x7000 | P | RW | US);
  f.set64(0x41000 + 8 * 3, 0x40000000 | PS | P | RW);  // 1 GiB page
  f.set64(0x40000 + 8 * 2, 0x44000 | PS | P | RW);     // PS is reserved in a PML4E
  PagingConfig lm;
  lm.pae = true;
  lm.lma = true;
  lm.cr3 = 0x40000;
  REQUIRE(f.enable(lm));
  CHECK(f.m.translate(lin, Access::kRead) == 0x7056);
  CHECK((f.get(0x40008, 8) & A) == A);
  const uint64_t big = (uint64_t{1} << 39) | (uint64_t{3} << 30) | 0x12345678;
  CHECK(f.m.translate(big, Access::kRead) == 0x52345678);
  CHECK(f.pf_read(uint64_t{2} << 39) == (kPfPresent | kPfRsvd));
  CHECK(f.cr2 == uint64_t{2} << 39);
}

TEST_CASE("paging off: linear addresses wrap at 4 GiB on a wider bus") {
  Fixture f;
  CHECK(f.m.translate(0x1'0000'1234, Access::kRead) == 0x1234);
  f.m.set_a20(false);
  CHECK(f.m.translate(0x101234, Access::kRead) == 0x1234);
}

}  // namespace
}  // namespace kestrel::mmu
