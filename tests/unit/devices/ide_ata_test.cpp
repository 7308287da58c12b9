// SPDX-License-Identifier: MIT
// The IDE channel with an ATA disk at register level: IDENTIFY, PIO reads
// and writes in LBA28, LBA48 and CHS, MULTIPLE, FLUSH CACHE, errors,
// nIEN and SRST.
#include <doctest/doctest.h>

#include "tests/unit/devices/ide_rig.h"

namespace kestrel::devices::ide {
namespace {

using test::Rig;
using namespace test;

struct DiskRig : Rig {
  DiskRig() {
    ch.attach(0, Drive::Kind::kDisk, &disk);
    ch.reset();
  }
};

std::vector<uint16_t> identify(Rig& r) {
  r.out(kDev, 0xa0);
  r.out(kCmd, kCmdIdentify);
  std::vector<uint16_t> w;
  for (int i = 0; i < 256; ++i) w.push_back(r.word());
  return w;
}

TEST_CASE("IDENTIFY DEVICE reports the geometry and the LBA28 and LBA48 capacity") {
  DiskRig r;
  const auto w = identify(r);
  const uint64_t sectors = r.disk.size() / 512;
  CHECK(w[0] == 0x0040);
  CHECK(w[3] == 16);
  CHECK(w[6] == 63);
  CHECK(w[1] == sectors / (16 * 63));
  CHECK((w[60] | uint32_t(w[61]) << 16) == sectors);
  CHECK(w[100] == uint16_t(sectors));
  CHECK((w[83] & (1u << 10)) != 0);  // 48-bit address feature set
  CHECK((w[49] & 0x0300) == 0x0300);  // LBA and DMA
  CHECK(w[27] == ('K' << 8 | 'E'));
  CHECK(r.probe.rises == 1);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));  // the data phase ended
}

TEST_CASE("READ SECTORS returns the medium's bytes and interrupts once per block") {
  DiskRig r;
  r.lba28(kCmdReadSectors, 5, 2);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc | kStDrq));  // acknowledges, as a driver does
  auto data = r.read_bytes(512);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc | kStDrq));  // the second block, acknowledged
  const auto second = r.read_bytes(512);
  data.insert(data.end(), second.begin(), second.end());
  CHECK(std::equal(data.begin(), data.end(), r.disk.data.begin() + 5 * 512));
  CHECK(r.probe.rises == 2);
  CHECK(r.ch.read_alt_status() == (kStDrdy | kStDsc));
}

TEST_CASE("WRITE SECTORS EXT at an LBA48 address writes the medium") {
  DiskRig r;
  // LBA 0x000000000123 with the high bytes through the HOB latches.
  r.out(kNsect, 0), r.out(kNsect, 1);
  r.out(kLbal, 0), r.out(kLbal, 0x23);
  r.out(kLbam, 0), r.out(kLbam, 0x01);
  r.out(kLbah, 0), r.out(kLbah, 0);
  r.out(kDev, 0x40);
  r.out(kCmd, kCmdWriteSectorsExt);
  CHECK(r.probe.rises == 0);  // no interrupt before the first data-out block
  for (int i = 0; i < 256; ++i) r.put_word(0xabcd);
  CHECK(r.disk.data[0x123 * 512] == 0xcd);
  CHECK(r.disk.data[0x123 * 512 + 511] == 0xab);
  CHECK(r.probe.rises == 1);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
}

TEST_CASE("HOB in the device control register reads the previous register bytes") {
  DiskRig r;
  r.out(kLbal, 0x11), r.out(kLbal, 0x22);
  CHECK(r.in(kLbal) == 0x22);
  r.ch.write_control(kCtlHob);
  CHECK(r.in(kLbal) == 0x11);
}

TEST_CASE("an address past the end of the disk fails with IDNF") {
  DiskRig r;
  const uint32_t sectors = uint32_t(r.disk.size() / 512);
  r.lba28(kCmdReadSectors, sectors - 1, 2);
  CHECK((r.in(kCmd) & kStErr) != 0);
  CHECK((r.in(kErr) & kErIdnf) != 0);
}

TEST_CASE("CHS addressing goes through INITIALIZE DEVICE PARAMETERS' geometry") {
  DiskRig r;
  r.out(kNsect, 63), r.out(kDev, 0xa0 | 15);
  r.out(kCmd, kCmdInitParams);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  // Cylinder 0, head 1, sector 1 = LBA 63.
  r.out(kNsect, 1), r.out(kLbal, 1), r.out(kLbam, 0), r.out(kLbah, 0), r.out(kDev, 0xa1);
  r.out(kCmd, kCmdReadSectors);
  const auto data = r.read_bytes(512);
  CHECK(std::equal(data.begin(), data.end(), r.disk.data.begin() + 63 * 512));
  // Sector 0 does not exist in CHS.
  r.out(kLbal, 0), r.out(kCmd, kCmdReadSectors);
  CHECK((r.in(kCmd) & kStErr) != 0);
}

TEST_CASE("READ MULTIPLE needs SET MULTIPLE and then moves blocks of N sectors") {
  DiskRig r;
  r.lba28(kCmdReadMultiple, 0, 8);
  CHECK((r.in(kCmd) & kStErr) != 0);
  r.out(kNsect, 3), r.out(kCmd, kCmdSetMultiple);
  CHECK((r.in(kCmd) & kStErr) != 0);  // not a power of two
  r.out(kNsect, 4), r.out(kCmd, kCmdSetMultiple);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  const int before = r.probe.rises;
  r.lba28(kCmdReadMultiple, 0, 8);
  r.in(kCmd);
  auto data = r.read_bytes(4 * 512);
  r.in(kCmd);
  const auto second = r.read_bytes(4 * 512);
  data.insert(data.end(), second.begin(), second.end());
  CHECK(std::equal(data.begin(), data.end(), r.disk.data.begin()));
  CHECK(r.probe.rises - before == 2);  // two blocks of four sectors
  CHECK(identify(r)[59] == 0x104);
}

TEST_CASE("FLUSH CACHE reaches the backend; a host error becomes an ATA error") {
  DiskRig r;
  r.out(kDev, 0xa0), r.out(kCmd, kCmdFlushCacheExt);
  CHECK(r.disk.flushes == 1);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  r.disk.fail_io = true;
  r.out(kCmd, kCmdFlushCache);
  CHECK((r.in(kCmd) & kStErr) != 0);
  r.lba28(kCmdReadSectors, 0, 1);
  CHECK((r.in(kCmd) & kStErr) != 0);
  CHECK((r.in(kErr) & kErUnc) != 0);
  r.lba28(kCmdReadVerify, 0, 1);
  CHECK((r.in(kCmd) & kStErr) != 0);
}

TEST_CASE("a read-only disk aborts writes") {
  Rig r;
  test::MemMedium ro(1 << 20, false);
  r.ch.attach(0, Drive::Kind::kDisk, &ro);
  r.ch.reset();
  r.lba28(kCmdWriteSectors, 0, 1);
  CHECK((r.in(kCmd) & kStErr) != 0);
  CHECK(r.in(kErr) == kErAbrt);
}

TEST_CASE("nIEN keeps INTRQ low; reading the status acknowledges it") {
  DiskRig r;
  r.ch.write_control(kCtlNien);
  r.out(kDev, 0xa0), r.out(kCmd, kCmdCheckPower);
  CHECK(!r.probe.level);
  r.ch.write_control(0);
  CHECK(r.probe.level);  // still pending
  CHECK(r.in(kNsect) == 0xff);
  r.ch.read_alt_status();
  CHECK(r.probe.level);  // the alternate status does not acknowledge
  r.in(kCmd);
  CHECK(!r.probe.level);
}

TEST_CASE("SRST leaves the signature; an absent slave reads status 0; an empty channel floats") {
  DiskRig r;
  r.out(kNsect, 0x55);
  r.ch.write_control(kCtlSrst);
  CHECK(r.ch.read_alt_status() == kStBsy);
  r.ch.write_control(0);
  CHECK(r.in(kNsect) == 1);
  CHECK(r.in(kLbal) == 1);
  CHECK(r.in(kLbam) == 0);
  CHECK(r.in(kErr) == 1);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  r.out(kDev, 0xb0);
  CHECK(r.in(kCmd) == 0);
  r.out(kCmd, kCmdIdentify);  // ignored by the absent drive
  CHECK(r.in(kCmd) == 0);
  Rig empty;
  CHECK(empty.in(kCmd) == 0xff);
  CHECK(empty.in(kNsect) == 0xff);
}

TEST_CASE("unknown commands and packet commands abort on a disk") {
  DiskRig r;
  r.out(kDev, 0xa0);
  for (uint8_t cmd : {uint8_t(0x00), uint8_t(kCmdPacket), uint8_t(kCmdIdentifyPacket), uint8_t(0xb0)}) {
    r.out(kCmd, cmd);
    CHECK((r.in(kCmd) & kStErr) != 0);
    CHECK(r.in(kErr) == kErAbrt);
  }
  // SET FEATURES: a valid transfer mode is taken, a bad one aborts.
  r.out(kErr, 0x03), r.out(kNsect, 0x22), r.out(kCmd, kCmdSetFeatures);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  CHECK((identify(r)[63] & 0x0400) != 0);
  r.out(kErr, 0x03), r.out(kNsect, 0x47), r.out(kCmd, kCmdSetFeatures);
  CHECK((r.in(kCmd) & kStErr) != 0);
}

}  // namespace
}  // namespace kestrel::devices::ide
