// SPDX-License-Identifier: MIT
// Bus-master DMA of the IDE channel: reads and writes through PRD tables,
// 64 KiB regions, tables longer and shorter than the transfer, and hostile
// tables (wild addresses, no end mark before the 64 KiB page ends).
#include <doctest/doctest.h>

#include "tests/unit/devices/ide_rig.h"

namespace kestrel::devices::ide {
namespace {

using namespace test;

constexpr uint64_t kTable = 0x1000;

struct DmaRig : Rig {
  DmaRig() {
    ch.attach(0, Drive::Kind::kDisk, &disk);
    ch.reset();
  }
  void prd(uint64_t at, uint32_t addr, uint32_t len, bool eot) {
    mem.write_phys(at, addr, 4);
    mem.write_phys(at + 4, (len & 0xffff) | (eot ? 0x80000000u : 0), 4);
  }
  void start(uint64_t table, bool to_memory) {
    ch.write_bm(kBmPrd, uint32_t(table), 4);
    ch.write_bm(kBmCommand, kBmStart | (to_memory ? kBmToMemory : 0), 1);
  }
  uint8_t bm_status() { return uint8_t(ch.read_bm(kBmStatus, 1)); }
  std::vector<uint8_t> ram(uint64_t pa, size_t n) {
    std::vector<uint8_t> v(n);
    mem.copy_from_phys(pa, v);
    return v;
  }
};

TEST_CASE("READ DMA scatters sectors over the PRD regions") {
  DmaRig r;
  r.prd(kTable, 0x20000, 1024, false);
  r.prd(kTable + 8, 0x30000, 512, true);
  r.lba28(kCmdReadDma, 4, 3);
  CHECK(r.probe.rises == 0);  // waits for the engine
  r.start(kTable, true);
  const auto a = r.ram(0x20000, 1024), b = r.ram(0x30000, 512);
  CHECK(std::equal(a.begin(), a.end(), r.disk.data.begin() + 4 * 512));
  CHECK(std::equal(b.begin(), b.end(), r.disk.data.begin() + 6 * 512));
  CHECK(r.bm_status() == kBmInterrupt);  // done, not active
  CHECK(r.probe.rises == 1);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  r.ch.write_bm(kBmStatus, kBmInterrupt, 1);
  CHECK(r.bm_status() == 0);
}

TEST_CASE("WRITE DMA EXT gathers guest memory; a zero count is a 64 KiB region") {
  DmaRig r;
  std::vector<uint8_t> src(65536);
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i ^ 0x5a);
  r.mem.load_phys(0x100000, src);
  r.prd(kTable, 0x100000, 0, true);
  r.out(kNsect, 0), r.out(kNsect, 128), r.out(kLbal, 0), r.out(kLbal, 16);
  r.out(kLbam, 0), r.out(kLbam, 0), r.out(kLbah, 0), r.out(kLbah, 0), r.out(kDev, 0x40);
  r.start(kTable, false);
  r.out(kCmd, kCmdWriteDmaExt);  // the engine was started first
  CHECK(std::equal(src.begin(), src.end(), r.disk.data.begin() + 16 * 512));
  CHECK(r.bm_status() == kBmInterrupt);
}

TEST_CASE("a table longer than the transfer leaves the engine active") {
  DmaRig r;
  r.prd(kTable, 0x20000, 4096, true);
  r.lba28(kCmdReadDma, 0, 1);
  r.start(kTable, true);
  CHECK(r.bm_status() == (kBmInterrupt | kBmActive));
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
}

TEST_CASE("malformed PRD tables end the command with an error, not a crash") {
  SUBCASE("a region outside guest RAM") {
    DmaRig r;
    r.prd(kTable, 0xf0000000u, 512, true);
    r.lba28(kCmdReadDma, 0, 1);
    r.start(kTable, true);
    CHECK((r.bm_status() & kBmError) != 0);
    CHECK((r.in(kCmd) & kStErr) != 0);
  }
  SUBCASE("a table outside guest RAM") {
    DmaRig r;
    r.lba28(kCmdReadDma, 0, 1);
    r.start(0xfffffff0u, true);
    CHECK((r.bm_status() & kBmError) != 0);
    CHECK((r.in(kCmd) & kStErr) != 0);
  }
  SUBCASE("a table that runs into the next 64 KiB page without an end mark") {
    DmaRig r;
    r.prd(0xfff8, 0x20000, 512, false);
    r.lba28(kCmdReadDma, 0, 2);
    r.start(0xfff8, true);
    CHECK((r.bm_status() & kBmError) != 0);
    CHECK((r.in(kCmd) & kStErr) != 0);
  }
  SUBCASE("a table shorter than the transfer") {
    DmaRig r;
    r.prd(kTable, 0x20000, 512, true);
    r.lba28(kCmdReadDma, 0, 4);
    r.start(kTable, true);
    CHECK((r.bm_status() & (kBmError | kBmActive)) == kBmError);
    CHECK((r.in(kCmd) & kStErr) != 0);
  }
  SUBCASE("a table of 8192 zero-length entries with no end mark") {
    DmaRig r;  // RAM is zero: every entry is a 64 KiB region at address 0
    r.lba28(kCmdReadDma, 0, 0);
    r.start(0x200000, true);
    CHECK((r.in(kCmd) & kStBsy) == 0);
    CHECK(r.probe.rises == 1);
  }
}

TEST_CASE("ATAPI READ(10) by DMA") {
  Rig r;
  MemMedium iso(16 * 2048, false);
  r.ch.attach(1, Drive::Kind::kCdrom, &iso);
  r.ch.reset();
  r.mem.write_phys(kTable, 0x40000, 4);
  r.mem.write_phys(kTable + 4, 0x80000000u | 4096, 4);
  r.out(kDev, 0xb0), r.out(kErr, 1), r.out(kCmd, kCmdPacket);
  const uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 2, 0, 0, 2};
  for (int i = 0; i < 12; i += 2) r.put_word(uint16_t(cdb[i] | cdb[i + 1] << 8));
  r.ch.write_bm(kBmPrd, uint32_t(kTable), 4);
  r.ch.write_bm(kBmCommand, kBmStart | kBmToMemory, 1);
  std::vector<uint8_t> got(4096);
  r.mem.copy_from_phys(0x40000, got);
  CHECK(std::equal(got.begin(), got.end(), iso.data.begin() + 2 * 2048));
  CHECK(r.in(kNsect) == (kIrIo | kIrCoD));
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
}

}  // namespace
}  // namespace kestrel::devices::ide
