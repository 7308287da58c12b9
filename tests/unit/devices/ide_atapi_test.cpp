// SPDX-License-Identifier: MIT
// The ATAPI CD-ROM at register level: signature and IDENTIFY PACKET DEVICE,
// the PACKET protocol with its byte count limit, the MMC commands and their
// errors through REQUEST SENSE, and medium changes.
#include <doctest/doctest.h>

#include "tests/unit/devices/ide_rig.h"

namespace kestrel::devices::ide {
namespace {

using namespace test;

struct CdRig : Rig {
  CdRig() : Rig(64 * 2048), iso(32 * 2048, false) {
    ch.attach(0, Drive::Kind::kCdrom, &iso);
    ch.reset();
  }
  /// Sends a packet with a PIO byte count limit; returns the data (all DRQ
  /// blocks) and leaves the status for the caller.
  std::vector<uint8_t> packet(std::vector<uint8_t> cdb, unsigned limit = 0xfffe) {
    cdb.resize(12);
    out(kDev, 0xa0), out(kErr, 0), out(kLbam, uint8_t(limit)), out(kLbah, uint8_t(limit >> 8));
    out(kCmd, kCmdPacket);
    REQUIRE((ch.read_alt_status() & kStDrq) != 0);
    CHECK(in(kNsect) == kIrCoD);
    for (size_t i = 0; i < 12; i += 2) put_word(uint16_t(cdb[i] | cdb[i + 1] << 8));
    std::vector<uint8_t> data;
    blocks = 0;
    while (ch.read_alt_status() & kStDrq) {
      const unsigned n = in(kLbam) | in(kLbah) << 8;
      CHECK(n <= limit);
      CHECK(in(kNsect) == kIrIo);
      auto chunk = read_bytes(n);
      data.insert(data.end(), chunk.begin(), chunk.end());
      ++blocks;
    }
    CHECK(in(kNsect) == (kIrIo | kIrCoD));
    return data;
  }
  uint8_t sense_key() {
    const auto s = packet({0x03, 0, 0, 0, 18});
    asc = s.at(12);
    return s.at(2);
  }
  MemMedium iso;
  int blocks = 0;
  uint8_t asc = 0;
};

TEST_CASE("a CD-ROM has the ATAPI signature and aborts IDENTIFY DEVICE") {
  CdRig r;
  CHECK(r.in(kLbam) == 0x14);
  CHECK(r.in(kLbah) == 0xeb);
  r.out(kDev, 0xa0), r.out(kCmd, kCmdIdentify);
  CHECK((r.in(kCmd) & kStErr) != 0);
  CHECK(r.in(kLbah) == 0xeb);
  r.out(kCmd, kCmdIdentifyPacket);
  CHECK(r.word() == 0x85c0);
  // SET FEATURES (transfer mode) is for packet devices too; READ SECTORS is not.
  r.out(kErr, 0x03), r.out(kNsect, 0x22), r.out(kCmd, kCmdSetFeatures);
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  r.out(kCmd, kCmdReadSectors);
  CHECK((r.in(kCmd) & kStErr) != 0);
}

TEST_CASE("INQUIRY, TEST UNIT READY and READ CAPACITY") {
  CdRig r;
  const auto inq = r.packet({0x12, 0, 0, 0, 36});
  REQUIRE(inq.size() == 36);
  CHECK(inq[0] == 0x05);
  CHECK(inq[1] == 0x80);
  CHECK(std::string(inq.begin() + 8, inq.begin() + 15) == "KESTREL");
  CHECK(r.packet({0x00}).empty());
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  const auto cap = r.packet({0x25});
  REQUIRE(cap.size() == 8);
  CHECK(cap[3] == 31);  // last LBA
  CHECK((cap[6] << 8 | cap[7]) == 2048);
}

TEST_CASE("READ(10) and READ(12) move whole blocks within the byte count limit") {
  CdRig r;
  const auto d = r.packet({0x28, 0, 0, 0, 0, 3, 0, 0, 2}, 2048);
  REQUIRE(d.size() == 4096);
  CHECK(r.blocks == 2);
  CHECK(std::equal(d.begin(), d.end(), r.iso.data.begin() + 3 * 2048));
  const auto e = r.packet({0xa8, 0, 0, 0, 0, 1, 0, 0, 0, 3}, 5000);
  CHECK(e.size() == 3 * 2048);
  CHECK(r.blocks == 2);  // 4096 + 2048
  r.packet({0x28, 0, 0, 0, 0, 31, 0, 0, 2});
  CHECK((r.in(kCmd) & kStErr) != 0);
  const int key = r.in(kErr) >> 4;
  CHECK(key == kSenseIllegalRequest);
  CHECK(r.sense_key() == kSenseIllegalRequest);
  CHECK(r.asc == kAscLbaOutOfRange);
}

TEST_CASE("READ TOC formats 0 and 1, LBA and MSF") {
  CdRig r;
  const auto toc = r.packet({0x43, 0, 0, 0, 0, 0, 0, 0, 100});
  REQUIRE(toc.size() == 20);
  CHECK(toc[1] == 18);
  CHECK(toc[6] == 1);     // track 1
  CHECK(toc[14] == 0xaa);  // lead-out
  CHECK(toc[19] == 32);    // at LBA 32
  const auto msf = r.packet({0x43, 2, 0, 0, 0, 0, 0, 0, 100});
  CHECK(msf[9] == 0);
  CHECK(msf[10] == 2);  // track 1 at 00:02:00
  const auto session = r.packet({0x43, 0, 1, 0, 0, 0, 0, 0, 12});
  CHECK(session.size() == 12);
  r.packet({0x43, 0, 0, 0, 0, 0, 5, 0, 100});  // no track 5
  CHECK((r.in(kCmd) & kStErr) != 0);
}

TEST_CASE("MODE SENSE(10), GET CONFIGURATION and GET EVENT STATUS") {
  CdRig r;
  const auto caps = r.packet({0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64});
  REQUIRE(caps.size() == 28);
  CHECK(caps[8] == 0x2a);
  r.packet({0x5a, 0, 0x05, 0, 0, 0, 0, 0, 64});
  CHECK(r.sense_key() == kSenseIllegalRequest);
  CHECK(r.asc == kAscInvalidField);
  const auto conf = r.packet({0x46, 0, 0, 0, 0, 0, 0, 0, 255});
  CHECK((conf[6] << 8 | conf[7]) == 0x0008);  // the CD-ROM profile is current
  const auto ev = r.packet({0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8});
  REQUIRE(ev.size() == 8);
  CHECK(ev[4] == 0);
  CHECK(ev[5] == 0x02);  // medium present
  r.packet({0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8});  // asynchronous: not supported
  CHECK(r.sense_key() == kSenseIllegalRequest);
}

TEST_CASE("unknown packets, no disc, a medium change and a locked tray") {
  CdRig r;
  r.packet({0xff});
  CHECK(r.sense_key() == kSenseIllegalRequest);
  CHECK(r.asc == kAscInvalidOpcode);
  r.packet({0x1e, 0, 0, 0, 1});  // prevent removal
  r.packet({0x1b, 0, 0, 0, 2});  // eject
  CHECK(r.sense_key() == kSenseIllegalRequest);
  CHECK(r.asc == kAscRemovalPrevented);
  r.packet({0x1e, 0, 0, 0, 0});
  r.packet({0x1b, 0, 0, 0, 2});
  r.packet({0x00});
  CHECK(r.sense_key() == kSenseNotReady);
  CHECK(r.asc == kAscNoMedium);
  r.ch.change_medium(0, &r.iso);
  r.packet({0x00});
  CHECK(r.sense_key() == kSenseUnitAttention);
  CHECK(r.asc == kAscMediumChanged);
  const auto ev = r.packet({0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8});
  CHECK(ev[4] == 2);  // new media
  r.packet({0x00});
  CHECK(r.in(kCmd) == (kStDrdy | kStDsc));
  r.ch.change_medium(0, nullptr);
  r.packet({0x25});
  CHECK(r.sense_key() == kSenseNotReady);
}

TEST_CASE("a host read error is a MEDIUM ERROR") {
  CdRig r;
  r.iso.fail_io = true;
  r.packet({0x28, 0, 0, 0, 0, 0, 0, 0, 1});
  CHECK((r.in(kCmd) & kStErr) != 0);
  r.iso.fail_io = false;
  CHECK(r.sense_key() == kSenseMediumError);
}

}  // namespace
}  // namespace kestrel::devices::ide
