// SPDX-License-Identifier: MIT
// The bulk path of REP MOVS and REP STOS (cpu/interp/string.cpp) against
// the element loop: the same instruction runs on two machines, one of them
// journaling its memory (which takes every write fast path away, so it
// runs element by element), and must leave the same bytes and registers,
// through overlaps, both directions, page and wrap boundaries and faults.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/port_io.h"

namespace kestrel::cpu {
namespace {

constexpr uint64_t kPd = 0x1000, kPt = 0x2000;
constexpr uint64_t kHole = 0x60000;  ///< a page left not present
constexpr uint64_t kMmioPage = 0x70000;
constexpr uint64_t kLow = 0x8000;  ///< compared memory: [kLow, kHole)

/// Raises a pending interrupt request when read, as a device would.
class IrqOnRead final : public mmu::MmioHandler {
 public:
  explicit IrqOnRead(CpuState& s) : s_(s) {}
  uint64_t mmio_read(uint64_t, unsigned) override {
    s_.pending |= kPendingIrq;
    return 0x5a5a5a5a5a5a5a5aull;
  }
  void mmio_write(uint64_t, uint64_t, unsigned) override {}

 private:
  CpuState& s_;
};

/// 32-bit flat protected mode with paging: 4 MiB identity-mapped but for
/// kHole; kMmioPage holds device registers. `elementwise` journals memory.
struct Machine {
  explicit Machine(bool elementwise)
      : mem(4u << 20, find_cpu_model("max")->phys_addr_bits),
        cpu(*find_cpu_model("max"), mem, ports), irq(cpu.s) {
    cpu.reset();
    mem.write_phys(kPd, kPt | 7, 4);
    for (uint64_t p = 0; p < 1024; ++p) {
      if (p * 4096 != kHole) mem.write_phys(kPt + 4 * p, p * 4096 | 7, 4);
    }
    mem.add_mmio(kMmioPage, 4096, irq);
    REQUIRE(cpu.load_paging(0x80000011, kPd, 0, 0, true));
    const uint16_t data = kAttrPresent | kAttrS | kAttrAccessed | kAttrWritable | kAttrDb | kAttrG;
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) {
      cpu.s.seg[seg] = {0, 0xffffffffu, 0, data};
    }
    cpu.s.seg[kCs].attr |= kAttrCode;
    cpu.insn_rip = 0x100;
    cpu.s.rip = 0x102;
    if (elementwise) mem.set_journal(&journal);
  }
  uint8_t byte(uint64_t pa) { return uint8_t(mem.read_phys(pa, 1)); }

  mmu::Mmu mem;
  OpenBus ports;
  Cpu cpu;
  IrqOnRead irq;
  mmu::Mmu::Journal journal;
};

DecodedInsn rep_insn(unsigned osize, unsigned asize) {
  DecodedInsn i;
  i.rep = kRepE;
  i.osize = uint8_t(osize);
  i.asize = uint8_t(asize);
  return i;
}

/// One REP MOVS (or STOS) of `size`-byte elements; the vector is returned
/// when it faulted, else 0xff. Runs until rCX is 0 or the handler stops
/// early for a reason other than a yield.
uint8_t run(Machine& m, bool movs, unsigned size, const DecodedInsn& i) {
  try {
    for (int rounds = 0; rounds < 100000; ++rounds) {
      m.cpu.s.rip = 0x102;
      if (movs) {
        size == 1 ? exec::MOVSB_Yb_Xb(m.cpu, i) : exec::MOVSW_Yv_Xv(m.cpu, i);
      } else {
        size == 1 ? exec::STOSB_Yb_AL(m.cpu, i) : exec::STOSW_Yv_rAX(m.cpu, i);
      }
      if (m.cpu.s.rip != 0x100) break;  // done; 0x100: yielded to an event
      m.cpu.s.pending = 0;
    }
  } catch (const GuestFault& g) {
    return g.vector;
  }
  return 0xff;
}

struct Setup {
  bool movs = true, down = false;
  unsigned size = 1, asize = 4;
  uint64_t si = 0, di = 0, cx = 0;
  uint64_t base = 0;  ///< of DS and ES
};

/// Runs `c` on a bulk machine and an element-wise one; checks they agree
/// and returns the vector and the bulk machine's slow accesses.
std::pair<uint8_t, uint64_t> compare(const Setup& c, Machine& bulk, Machine& ref) {
  ref.journal.clear();
  for (Machine* m : {&bulk, &ref}) {
    for (uint64_t pa = kLow; pa < kHole; pa += 8) m->mem.write_phys(pa, pa * 0x9e3779b97f4a7c15ull, 8);
    m->cpu.s.seg[kDs].base = m->cpu.s.seg[kEs].base = c.base;
    m->cpu.s.gpr[kRsi] = c.si;
    m->cpu.s.gpr[kRdi] = c.di;
    m->cpu.s.gpr[kRcx] = c.cx;
    m->cpu.s.gpr[kRax] = 0x1122334455667788ull;
    m->cpu.s.rflags = c.down ? (m->cpu.s.rflags | kDf) : (m->cpu.s.rflags & ~uint64_t{kDf});
  }
  const uint64_t slow0 = bulk.mem.stats().slow_accesses;
  const DecodedInsn i = rep_insn(c.size, c.asize);
  const uint8_t v = run(bulk, c.movs, c.size, i);
  CHECK(run(ref, c.movs, c.size, i) == v);
  for (unsigned r : {kRsi, kRdi, kRcx}) CHECK(bulk.cpu.s.gpr[r] == ref.cpu.s.gpr[r]);
  CHECK(bulk.cpu.s.cr[2] == ref.cpu.s.cr[2]);
  std::vector<uint8_t> a(kHole - kLow), b(kHole - kLow);
  bulk.mem.copy_from_phys(kLow, a);
  ref.mem.copy_from_phys(kLow, b);
  CHECK(a == b);
  return {v, bulk.mem.stats().slow_accesses - slow0};
}

TEST_CASE("bulk REP MOVS/STOS: overlaps and directions as element by element") {
  Machine bulk(false), ref(true);
  std::mt19937_64 rng(7);
  for (int n = 0; n < 300; ++n) {
    Setup c;
    c.movs = rng() % 4 != 0;
    c.down = rng() % 2;
    c.size = 1u << (rng() % 4);
    c.asize = rng() % 4 == 0 ? 2 : 4;
    c.si = 0x20000 + rng() % 0x20000;
    // Overlapping by less than an element, by a few, or apart; near pages' ends.
    const int64_t delta = rng() % 3 ? int64_t(rng() % 49) - 24 : int64_t(rng() % 0x10000);
    c.di = uint64_t(int64_t(c.si) + delta);
    if (rng() % 4 == 0) c.di = (c.di | 0xfff) - rng() % 16;
    c.cx = rng() % 3 ? rng() % 64 : rng() % 9000;
    if (c.asize == 2) {  // offsets wrap at FFFF inside a segment at 20000
      c.base = 0x20000;
      c.si = (c.si & 0xffff) | 0x30000;  // upper bits that a 16-bit address size keeps
      c.di &= 0xffff;
    }
    INFO("case " << n << " size " << c.size << " down " << c.down << " si " << c.si << " di "
                 << c.di << " cx " << c.cx);
    compare(c, bulk, ref);
  }
}

TEST_CASE("bulk REP MOVSB runs a page at a time, overlapping forward as a pattern") {
  Machine bulk(false), ref(true);
  Setup c{true, false, 1, 4, 0x20000, 0x20001, 3 * 4096};
  const auto [v, slow] = compare(c, bulk, ref);
  CHECK(v == 0xff);
  CHECK(slow < 32);  // not one slow access per element
  CHECK(bulk.byte(0x20001) == bulk.byte(0x20000));
  CHECK(bulk.byte(0x22fff) == bulk.byte(0x20000));  // the first byte repeated
  CHECK(bulk.cpu.s.gpr[kRsi] == 0x23000);
  CHECK(bulk.cpu.s.gpr[kRdi] == 0x23001);
  CHECK(bulk.cpu.s.gpr[kRcx] == 0);

  Setup d{true, true, 8, 4, 0x30ff8, 0x30ff0, 1024};  // backward, destination below: repeats
  compare(d, bulk, ref);
  CHECK(bulk.cpu.s.gpr[kRsi] == 0x30ff8 - 8 * 1024);
}

TEST_CASE("bulk REP MOVS: a source and destination on one TLB slot still run in bulk") {
  // Linear pages kTlbSize pages apart share a slot of the direct-mapped
  // TLB: 4 MiB, mapped here by a second page table onto RAM 64 KiB up.
  static_assert(mmu::kTlbSize == 1024);
  constexpr uint64_t kPt2 = 0x3000;
  Machine bulk(false), ref(true);
  for (Machine* m : {&bulk, &ref}) {
    m->mem.write_phys(kPd + 4, kPt2 | 7, 4);
    for (uint64_t p = 0; p < 64; ++p) m->mem.write_phys(kPt2 + 4 * p, (p * 4096 + 0x10000) | 7, 4);
  }
  Setup c{true, false, 4, 4, 0x20000, 0x420000, 2 * 4096 / 4};  // lands at 0x30000
  const auto [v, slow] = compare(c, bulk, ref);
  CHECK(v == 0xff);
  CHECK(slow < 32);  // not an element loop of evictions
  CHECK(bulk.mem.read_phys(0x31ffc, 4) == ref.mem.read_phys(0x21ffc, 4));
}

TEST_CASE("bulk REP MOVSD faulting mid-way leaves the element loop's registers") {
  Machine bulk(false), ref(true);
  // The destination runs into the not-present page after 0x400 dwords; an
  // element straddling two pages goes through the element path.
  Setup c{true, false, 4, 4, 0x20002, kHole - 0x1002, 0x2000};
  const auto [v, slow] = compare(c, bulk, ref);
  CHECK(v == kVecPf);
  CHECK(bulk.cpu.s.cr[2] == kHole);
  CHECK(bulk.cpu.s.gpr[kRcx] == 0x2000 - 0x400);
  CHECK(bulk.cpu.s.gpr[kRdi] == kHole - 2);
  CHECK(bulk.cpu.s.gpr[kRsi] == 0x20002 + 0x1000);

  // STOSW downward into the hole from above.
  Setup d{false, true, 2, 4, 0, kHole + 0x1010, 0x100};
  CHECK(compare(d, bulk, ref).first == kVecPf);
  CHECK(bulk.cpu.s.gpr[kRdi] == kHole + 0xffe);
}

TEST_CASE("bulk REP STOS stops at the segment limit with #GP") {
  Machine bulk(false), ref(true);
  for (Machine* m : {&bulk, &ref}) m->cpu.s.seg[kEs].limit = 0x24ffe;
  Setup c{false, false, 4, 4, 0, 0x23000, 0x1000};
  CHECK(compare(c, bulk, ref).first == kVecGp);
  CHECK(bulk.cpu.s.gpr[kRdi] == 0x24ffc);  // the dword at 24FFC would end past the limit
}

TEST_CASE("bulk REP: a pending interrupt is taken between runs and REP resumes") {
  Machine m(false);
  m.cpu.s.rflags |= kIf;
  m.cpu.s.pending = kPendingIrq;  // already due: one iteration, then the event
  m.cpu.s.gpr[kRdi] = 0x20000;
  m.cpu.s.gpr[kRcx] = 0x3000;
  exec::STOSB_Yb_AL(m.cpu, rep_insn(1, 4));
  CHECK(m.cpu.s.gpr[kRcx] == 0x2fff);
  CHECK(m.cpu.s.rip == 0x100);

  // A device raises its request while the source reaches its registers:
  // the bulk run before it completes, the element that reads them too,
  // then the instruction yields.
  m.cpu.s.pending = 0;
  m.cpu.s.rip = 0x102;
  m.cpu.s.gpr[kRsi] = kMmioPage - 0x800;
  m.cpu.s.gpr[kRdi] = 0x40000;
  m.cpu.s.gpr[kRcx] = 0x1000;
  exec::MOVSW_Yv_Xv(m.cpu, rep_insn(4, 4));
  CHECK(m.cpu.s.rip == 0x100);
  CHECK(m.cpu.s.gpr[kRcx] == 0x1000 - 0x200 - 1);
  CHECK(m.cpu.s.gpr[kRsi] == kMmioPage + 4);
  CHECK(m.mem.read_phys(0x40000 + 0x800, 4) == 0x5a5a5a5a);
}

TEST_CASE("bulk REP: single-stepping keeps one iteration per trap") {
  Machine m(false);
  m.cpu.s.rflags |= kTf;
  m.cpu.s.gpr[kRdi] = 0x20000;
  m.cpu.s.gpr[kRcx] = 100;
  exec::STOSB_Yb_AL(m.cpu, rep_insn(1, 4));
  CHECK(m.cpu.s.gpr[kRcx] == 99);
  CHECK(m.cpu.s.rip == 0x100);
}

}  // namespace
}  // namespace kestrel::cpu
