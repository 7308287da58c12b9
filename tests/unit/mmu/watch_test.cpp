// SPDX-License-Identifier: MIT
// Watched linear ranges (mmu/watch.cpp): hits by kind and overlap, page-
// crossing accesses, the fast path kept where no watch is and lost where
// one is, through TLB refills and flushes, with and without paging.
#include <doctest/doctest.h>

#include <vector>

#include "mmu/mmu.h"

namespace kestrel::mmu {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40;
constexpr uint64_t kPd = 0x10000, kPt = 0x11000;

struct Hits final : WatchSink {
  void watch_hit(const WatchHit& h) override { seen.push_back(h); }
  std::vector<WatchHit> seen;
};

struct Fault {
  uint64_t lin;
};
struct ThrowingSink final : FaultSink {
  void page_fault(uint64_t lin, uint32_t) override { throw Fault{lin}; }
};

/// Counts the accesses of `f` that took the slow path.
template <class F> uint64_t slow(Mmu& m, F&& f) {
  const uint64_t before = m.stats().slow_accesses;
  f();
  return m.stats().slow_accesses - before;
}

TEST_CASE("watch: no watch, no slow path after the first fill") {
  Mmu m(kMiB, 32);
  (void)m.read<uint32_t>(0x5000);
  m.write<uint32_t>(0x5000, 1);
  CHECK(slow(m, [&] {
          for (int i = 0; i < 100; ++i) m.write<uint32_t>(0x5000, m.read<uint32_t>(0x5004));
        }) == 0);
  CHECK(m.watches().empty());
}

TEST_CASE("watch: reads, writes and both are reported by kind with the access") {
  Mmu m(kMiB, 32);
  Hits h;
  const WatchId w = m.add_watch(0x1002, 2, WatchKind::kWrite, h, 7);
  const WatchId r = m.add_watch(0x2000, 1, WatchKind::kRead, h, 8);
  const WatchId a = m.add_watch(0x3004, 4, WatchKind::kAccess, h, 9);
  (void)m.read<uint32_t>(0x1000);  // a read on a write watch
  m.write<uint8_t>(0x1001, 1);     // next to it
  m.write<uint8_t>(0x1004, 1);
  CHECK(h.seen.empty());
  m.write<uint32_t>(0x1000, 5);    // covers 0x1002
  REQUIRE(h.seen.size() == 1);
  CHECK(h.seen[0].linear == 0x1000);
  CHECK(h.seen[0].size == 4);
  CHECK(h.seen[0].access == WatchKind::kWrite);
  CHECK(h.seen[0].id == w);
  CHECK(h.seen[0].tag == 7);
  CHECK(m.read<uint32_t>(0x1000) == 5);  // the write landed
  m.write<uint16_t>(0x1ffe, 3);          // ends before the read watch
  (void)m.read<uint16_t>(0x1fff);        // covers 0x2000
  REQUIRE(h.seen.size() == 2);
  CHECK(h.seen[1].id == r);
  CHECK(h.seen[1].access == WatchKind::kRead);
  (void)m.read<uint64_t>(0x3000);
  m.write<uint8_t>(0x3007, 1);
  REQUIRE(h.seen.size() == 4);
  CHECK(h.seen[2].id == a);
  CHECK(h.seen[2].access == WatchKind::kRead);
  CHECK(h.seen[3].access == WatchKind::kWrite);
  CHECK(h.seen[3].linear == 0x3007);
}

TEST_CASE("watch: only the watched kind loses the fast path, only on its page") {
  Mmu m(kMiB, 32);
  Hits h;
  m.write<uint32_t>(0x4000, 1);
  (void)m.read<uint32_t>(0x4000);
  m.add_watch(0x4800, 4, WatchKind::kWrite, h);
  // Reads of the page and accesses to other pages stay fast.
  CHECK(slow(m, [&] {
          (void)m.read<uint32_t>(0x4800);
          (void)m.read<uint32_t>(0x4000);
        }) == 0);
  CHECK(slow(m, [&] {
          m.write<uint32_t>(0x5000, 2);
          m.write<uint32_t>(0x5000, 2);
        }) == 1);  // the first write to a new page fills
  // Writes anywhere in the watched page take the slow path; only the
  // overlapping one is reported.
  CHECK(slow(m, [&] {
          m.write<uint32_t>(0x4000, 2);
          m.write<uint32_t>(0x4800, 2);
          m.write<uint32_t>(0x4800, 3);
        }) == 3);
  CHECK(h.seen.size() == 2);
}

TEST_CASE("watch: removal gives the page its fast path back") {
  Mmu m(kMiB, 32);
  Hits h, other;
  const WatchId w = m.add_watch(0x6000, 8, WatchKind::kAccess, h);
  m.add_watch(0x7000, 1, WatchKind::kAccess, other);
  m.write<uint64_t>(0x6000, 1);
  CHECK(h.seen.size() == 1);
  CHECK(m.remove_watch(w));
  CHECK_FALSE(m.remove_watch(w));
  CHECK(slow(m, [&] {
          m.write<uint64_t>(0x6000, 2);
          (void)m.read<uint64_t>(0x6000);
        }) == 0);
  CHECK(h.seen.size() == 1);
  m.add_watch(0x6000, 1, WatchKind::kRead, h);
  m.remove_watches(h);  // only h's
  REQUIRE(m.watches().size() == 1);
  CHECK(m.watches()[0].sink == &other);
  (void)m.read<uint8_t>(0x7000);
  CHECK(other.seen.size() == 1);
}

TEST_CASE("watch: page-crossing accesses overlap watches on either page") {
  Mmu m(kMiB, 32);
  Hits h;
  m.add_watch(0x9000, 1, WatchKind::kWrite, h);   // first byte of the second page
  m.add_watch(0xafff, 1, WatchKind::kRead, h);    // last byte of the first page
  m.write<uint32_t>(0x8ffe, 0x11223344);
  REQUIRE(h.seen.size() == 1);
  CHECK(h.seen[0].linear == 0x8ffe);
  CHECK(h.seen[0].size == 4);
  CHECK(m.read<uint32_t>(0x8ffe) == 0x11223344);
  (void)m.read<uint16_t>(0xafff);
  CHECK(h.seen.size() == 2);
  (void)m.read<uint16_t>(0xaffd);  // ends before 0xafff
  CHECK(h.seen.size() == 2);
}

TEST_CASE("watch: a debugger's long watch spans pages; fetches are never reported") {
  Mmu m(kMiB, 32);
  Hits h;
  m.add_watch(0x10800, 0x3000, WatchKind::kAccess, h);
  m.write<uint8_t>(0x107ff, 1);
  (void)m.read<uint8_t>(0x13800);
  CHECK(h.seen.empty());
  m.write<uint8_t>(0x12000, 1);
  (void)m.read<uint8_t>(0x137ff);
  (void)m.fetch<uint8_t>(0x11000);
  CHECK(h.seen.size() == 2);
  CHECK(slow(m, [&] {
          (void)m.fetch<uint8_t>(0x11000);
        }) == 0);  // execution keeps its fast path
}

TEST_CASE("watch: flushes and refills keep watched pages off the fast path") {
  Mmu m(kMiB, 32);
  Hits h;
  m.add_watch(0xc010, 4, WatchKind::kAccess, h);
  m.flush_tlb();
  (void)m.read<uint32_t>(0xc010);  // refill
  (void)m.read<uint32_t>(0xc010);  // would be fast without the watch
  m.invlpg(0xc000);
  m.write<uint32_t>(0xc010, 1);
  m.write<uint32_t>(0xc010, 1);
  CHECK(h.seen.size() == 4);
  m.set_a20(false);  // another full flush
  (void)m.read<uint8_t>(0xc013);
  CHECK(h.seen.size() == 5);
  // Privilege arrays are filled separately; both honour the watch.
  (void)m.read<uint8_t>(0xc012, Priv::kUser);
  (void)m.read<uint8_t>(0xc012, Priv::kUser);
  CHECK(h.seen.size() == 7);
}

TEST_CASE("watch: linear addresses compare within the 32-bit linear width") {
  Mmu m(kMiB, 32);
  Hits h;
  m.add_watch(0x20, 1, WatchKind::kWrite, h);
  m.write<uint8_t>(0x1'0000'0020, 9);  // wraps to 0x20 outside long mode
  REQUIRE(h.seen.size() == 1);
  CHECK(h.seen[0].linear == 0x20);
}

struct PagedFixture {
  PagedFixture() : m(4 * kMiB, 32) {
    m.set_fault_sink(&faults);
    m.write_phys(kPd, kPt | P | RW | US, 4);
    PagingConfig c;
    c.enabled = true;
    c.cr3 = kPd;
    m.set_paging(c, true);
  }
  void map(uint64_t lin, uint64_t phys, uint64_t flags) {
    m.write_phys(kPt + 4 * (lin >> 12), phys | flags, 4);
    m.invlpg(lin);
  }
  Mmu m;
  ThrowingSink faults;
  Hits h;
};

TEST_CASE("watch: with paging, watches are linear, not physical") {
  PagedFixture f;
  f.map(0x100000, 0x200000, P | RW | A | D);
  f.map(0x101000, 0x200000, P | RW | A | D);  // a second mapping of the page
  f.m.add_watch(0x100010, 4, WatchKind::kWrite, f.h);
  f.m.write<uint32_t>(0x101010, 1);
  CHECK(f.h.seen.empty());
  f.m.write<uint32_t>(0x100010, 2);
  CHECK(f.h.seen.size() == 1);
  CHECK(f.m.read<uint32_t>(0x101010) == 2);
  // A CR3 load drops the translation; the refill still misses.
  PagingConfig c = f.m.paging();
  f.m.set_paging(c, true);
  f.m.write<uint32_t>(0x100010, 3);
  f.m.write<uint32_t>(0x100010, 3);
  CHECK(f.h.seen.size() == 3);
}

TEST_CASE("watch: a faulting access reports nothing") {
  PagedFixture f;
  f.map(0x100000, 0x200000, P | RW | A | D);  // 0x101000 is not present
  f.m.add_watch(0x100ffe, 2, WatchKind::kAccess, f.h);
  CHECK_THROWS_AS(f.m.write<uint32_t>(0x100ffe, 1), Fault);
  CHECK_THROWS_AS((void)f.m.read<uint32_t>(0x100ffe), Fault);
  CHECK(f.h.seen.empty());
  CHECK(f.m.read_phys(0x200ffe, 2) == 0);  // nothing was written
}

}  // namespace
}  // namespace kestrel::mmu
