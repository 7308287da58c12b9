// SPDX-License-Identifier: MIT
// virtio-blk and the virtio PCI transport, driven by a fake guest: PCI
// identity and capabilities, feature negotiation, queue setup, reads,
// writes, flush, GET_ID, interrupts, and malformed chains.
#include "devices/virtio/virtio_blk.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/devices/virtio_guest.h"

namespace kestrel::devices {
namespace {

using test::GuestQueue;
using test::VirtioGuest;

constexpr uint64_t kVersion1 = uint64_t{1} << kVirtioFVersion1;
constexpr uint64_t kQueueBase = 0x100000;
constexpr uint64_t kHdr = 0x200000, kData = 0x201000, kStatus = 0x203000;
constexpr uint8_t kGuard = 0xa5;

struct MemDisk final : BlockBackend {
  explicit MemDisk(size_t bytes, bool rw = true) : data(bytes), rw(rw) {
    for (size_t i = 0; i < bytes; ++i) data[i] = uint8_t(i * 7 + i / 512);
  }
  uint64_t size() const override { return data.size(); }
  bool writable() const override { return rw; }
  bool read(uint64_t off, std::span<uint8_t> out) override {
    if (off > data.size() || out.size() > data.size() - off) return false;
    std::copy_n(data.begin() + ptrdiff_t(off), out.size(), out.begin());
    return true;
  }
  bool write(uint64_t off, std::span<const uint8_t> in) override {
    if (!rw || off > data.size() || in.size() > data.size() - off) return false;
    std::copy(in.begin(), in.end(), data.begin() + ptrdiff_t(off));
    return true;
  }
  bool flush() override { return ++flushes, true; }
  std::string name() const override { return "/images/kestrel-disk.img"; }
  std::vector<uint8_t> data;
  bool rw;
  int flushes = 0;
};

struct Rig {
  explicit Rig(size_t disk_bytes = 64 * 1024, bool rw = true)
      : disk(disk_bytes, rw), blk(g.mmu, disk) {
    g.plug(blk);
  }
  /// Negotiates `features`, sets queue 0 up with `size` entries, DRIVER_OK.
  void start(uint64_t features = kVersion1, uint16_t size = 16) {
    REQUIRE(g.negotiate(features));
    q = g.setup_queue(0, size, kQueueBase);
    g.driver_ok();
    REQUIRE(g.status() == 0x0f);
  }
  void header(uint32_t type, uint64_t sector) {
    g.mmu.write_phys(kHdr, type, 4);
    g.mmu.write_phys(kHdr + 4, 0, 4);
    g.mmu.write_phys(kHdr + 8, sector, 8);
  }
  /// header -> data (`len` bytes, device-writable for reads) -> status;
  /// returns the status byte the device wrote.
  uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool data_in) {
    header(type, sector);
    g.mmu.write_phys(kStatus, 0xff, 1);
    g.set_desc(q, 0, kHdr, 16, kVirtqDescNext, 1);
    uint16_t next = 1;
    if (len) {
      g.set_desc(q, 1, kData, len, kVirtqDescNext | (data_in ? kVirtqDescWrite : 0), 2);
      next = 2;
    }
    g.set_desc(q, next, kStatus, 1, kVirtqDescWrite);
    g.submit(q, 0);
    return uint8_t(g.mmu.read_phys(kStatus, 1));
  }
  VirtioGuest g;
  MemDisk disk;
  VirtioBlk blk;
  GuestQueue q;
};

TEST_CASE("virtio-pci: identity, BAR4 and the vendor capabilities") {
  Rig r;
  VirtioBlk& f = r.blk;
  CHECK(f.config_read(kPciVendorId, 2) == 0x1af4);
  CHECK(f.config_read(kPciDeviceId, 2) == 0x1042);
  CHECK(f.config_read(kPciRevision, 1) == 1);
  CHECK((f.config_read(kPciClassProg, 4) >> 8) == 0x0100);  // mass storage, SCSI
  CHECK(f.config_read(kPciSubsystemVendor, 2) == 0x1af4);
  CHECK(f.config_read(kPciSubsystemVendor + 2, 2) == 0x1100);
  CHECK(f.config_read(kPciIntPin, 1) == 1);
  CHECK((f.config_read(kPciBar0 + 16, 4) & 0x7) == 0x4);  // 64-bit memory BAR
  CHECK(f.bar_mapped(kVirtioBar) == test::kBarBase);
  // Walk the capability list: common, ISR, device, notify, all in BAR4.
  std::vector<unsigned> types;
  for (unsigned cap = f.config_read(kPciCapPtr, 1); cap; cap = f.config_read(cap + 1, 1)) {
    REQUIRE(types.size() < 8);
    CHECK(f.config_read(cap, 1) == 0x09);
    CHECK(f.config_read(cap + 4, 1) == kVirtioBar);
    const unsigned type = f.config_read(cap + 3, 1);
    types.push_back(type);
    if (type == kVirtioCapNotify) {
      CHECK(f.config_read(cap + 2, 1) == 20);
      CHECK(f.config_read(cap + 8, 4) == kVirtioNotifyCfg);
      CHECK(f.config_read(cap + 16, 4) == kVirtioNotifyMultiplier);
    }
    if (type == kVirtioCapCommon) CHECK(f.config_read(cap + 12, 4) >= 0x38);
  }
  CHECK(types == std::vector<unsigned>{kVirtioCapCommon, kVirtioCapIsr, kVirtioCapDevice,
                                       kVirtioCapNotify});
  CHECK(r.g.rd(kVirtioNumQueues, 2) == 1);
  CHECK(r.g.rd(kVirtioMsixConfig, 2) == 0xffff);
}

TEST_CASE("virtio-pci: feature negotiation requires VERSION_1 and offered bits only") {
  Rig r;
  const uint64_t dev = r.g.device_features();
  CHECK(bool(dev & kVersion1));
  CHECK(bool(dev & uint64_t{1} << kVirtioBlkFFlush));
  CHECK(bool(dev & uint64_t{1} << kVirtioBlkFSegMax));
  CHECK_FALSE(bool(dev & uint64_t{1} << kVirtioBlkFRo));
  CHECK_FALSE(r.g.negotiate(0));  // a legacy driver: FEATURES_OK refused
  CHECK_FALSE(r.g.negotiate(kVersion1 | uint64_t{1} << 40));  // not offered
  CHECK(r.g.negotiate(kVersion1 | uint64_t{1} << kVirtioBlkFFlush));
  CHECK(r.blk.driver_features() == (kVersion1 | uint64_t{1} << kVirtioBlkFFlush));
  // Features are frozen after FEATURES_OK.
  r.g.wr(kVirtioDriverFeatureSelect, 0, 4);
  r.g.wr(kVirtioDriverFeature, 0, 4);
  CHECK(r.blk.driver_features() == (kVersion1 | uint64_t{1} << kVirtioBlkFFlush));
  // Writing 0 resets everything.
  r.g.set_status(0);
  CHECK(r.g.status() == 0);
  CHECK(r.blk.driver_features() == 0);
}

TEST_CASE("virtio-blk: configuration space") {
  Rig r(1 << 20);
  CHECK(r.g.rd(kVirtioDeviceCfg + 0, 4) == 2048);  // capacity in sectors
  CHECK(r.g.rd(kVirtioDeviceCfg + 4, 4) == 0);
  CHECK(r.g.rd(kVirtioDeviceCfg + 12, 4) == kVirtioBlkQueueSize - 2);  // seg_max
  CHECK(r.g.rd(kVirtioDeviceCfg + 20, 4) == 512);                      // blk_size
}

TEST_CASE("virtio-pci: queue registers") {
  Rig r;
  REQUIRE(r.g.negotiate(kVersion1));
  r.g.wr(kVirtioQueueSelect, 0, 2);
  CHECK(r.g.rd(kVirtioQueueSize, 2) == kVirtioBlkQueueSize);
  r.g.wr(kVirtioQueueSize, 100, 2);  // not a power of two: ignored
  CHECK(r.g.rd(kVirtioQueueSize, 2) == kVirtioBlkQueueSize);
  r.g.wr(kVirtioQueueSize, 512, 2);  // above the maximum: ignored
  CHECK(r.g.rd(kVirtioQueueSize, 2) == kVirtioBlkQueueSize);
  r.g.wr(kVirtioQueueSize, 64, 2);
  CHECK(r.g.rd(kVirtioQueueSize, 2) == 64);
  r.g.wr(kVirtioQueueDesc, 0x123456789000ull, 8);
  CHECK(r.g.rd(kVirtioQueueDesc, 4) == 0x56789000);
  CHECK(r.g.rd(kVirtioQueueDesc + 4, 4) == 0x1234);
  // Rings outside RAM: the queue stays disabled and the device wants a reset.
  r.g.wr(kVirtioQueueEnable, 1, 2);
  CHECK(r.g.rd(kVirtioQueueEnable, 2) == 0);
  CHECK(bool(r.g.status() & kVirtioNeedsReset));
  r.g.wr(kVirtioQueueSelect, 5, 2);  // no such queue
  CHECK(r.g.rd(kVirtioQueueSize, 2) == 0);
  r.g.set_status(0);
  CHECK(r.g.status() == 0);
  r.g.wr(kVirtioQueueSelect, 0, 2);
  CHECK(r.g.rd(kVirtioQueueDesc, 4) == 0);
}

TEST_CASE("virtio-blk: write, read back, flush, GET_ID, unsupported") {
  Rig r;
  r.start(kVersion1 | uint64_t{1} << kVirtioBlkFFlush);
  std::vector<uint8_t> pattern(1024);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i ^ 0x5a);
  r.g.poke(kData, pattern);
  CHECK(r.request(kVirtioBlkOut, 3, 1024, false) == kVirtioBlkOk);
  CHECK(std::equal(pattern.begin(), pattern.end(), r.disk.data.begin() + 3 * 512));
  CHECK(r.g.used_idx(r.q) == 1);
  CHECK(r.g.used(r.q, 0).len == 1);  // only the status byte was written

  r.g.fill(kData, 1024, 0);
  r.g.fill(kData + 1024, 16, kGuard);
  CHECK(r.request(kVirtioBlkIn, 3, 1024, true) == kVirtioBlkOk);
  CHECK(r.g.peek(kData, 1024) == pattern);
  CHECK(r.g.untouched(kData + 1024, 16, kGuard));
  CHECK(r.g.used(r.q, 1).len == 1025);

  CHECK(r.request(kVirtioBlkFlush, 0, 0, false) == kVirtioBlkOk);
  CHECK(r.disk.flushes == 1);

  r.g.fill(kData, 20, 0xee);
  CHECK(r.request(kVirtioBlkGetId, 0, 20, true) == kVirtioBlkOk);
  const std::vector<uint8_t> id = r.g.peek(kData, 20);
  CHECK(std::string(id.begin(), id.end()) == "ges/kestrel-disk.img");
  CHECK(r.request(77, 0, 0, false) == kVirtioBlkUnsupp);
  CHECK(r.blk.requests(kVirtioBlkOk) == 4);
  CHECK(r.blk.requests(kVirtioBlkUnsupp) == 1);
}

TEST_CASE("virtio-blk: requests outside the medium and on a read-only one fail") {
  Rig r(8 * 512, false);
  CHECK(bool(r.g.device_features() & uint64_t{1} << kVirtioBlkFRo));
  r.start();
  r.g.fill(kData, 1024, kGuard);
  CHECK(r.request(kVirtioBlkIn, 7, 1024, true) == kVirtioBlkIoErr);  // runs off the end
  CHECK(r.g.untouched(kData, 1024, kGuard));
  CHECK(r.request(kVirtioBlkIn, ~uint64_t{0} / 2, 512, true) == kVirtioBlkIoErr);
  CHECK(r.request(kVirtioBlkIn, 0, 100, true) == kVirtioBlkIoErr);  // not whole sectors
  CHECK(r.request(kVirtioBlkIn, 7, 512, true) == kVirtioBlkOk);     // the last sector
  CHECK(r.request(kVirtioBlkOut, 0, 512, false) == kVirtioBlkIoErr);
  CHECK(r.blk.requests(kVirtioBlkIoErr) == 4);
}

TEST_CASE("virtio-blk: INTx follows the ISR, which clears on read") {
  Rig r;
  r.start();
  CHECK_FALSE(r.g.irq());
  CHECK(r.request(kVirtioBlkIn, 0, 512, true) == kVirtioBlkOk);
  CHECK(r.blk.isr() == kVirtioIsrQueue);
  CHECK(r.g.irq());
  CHECK(r.g.rd(kVirtioIsrCfg, 1) == kVirtioIsrQueue);
  CHECK_FALSE(r.g.irq());
  CHECK(r.g.rd(kVirtioIsrCfg, 1) == 0);
  // VIRTQ_AVAIL_F_NO_INTERRUPT: the driver polls, no interrupt.
  r.g.mmu.write_phys(r.q.avail, kVirtqAvailNoInterrupt, 2);
  CHECK(r.request(kVirtioBlkIn, 0, 512, true) == kVirtioBlkOk);
  CHECK(r.g.used_idx(r.q) == 2);
  CHECK_FALSE(r.g.irq());
  // INTx disable in the command register keeps the pin from the bus.
  r.g.mmu.write_phys(r.q.avail, 0, 2);
  r.blk.config_write(kPciCommand, kPciCmdMemory | kPciCmdIntxDisable, 2);
  CHECK(r.request(kVirtioBlkIn, 0, 512, true) == kVirtioBlkOk);
  CHECK_FALSE(r.g.irq());
  CHECK(bool(r.blk.config_read(kPciStatus, 2) & kPciStatusIntx));
}

TEST_CASE("virtio-blk: indirect descriptors and wrapping rings") {
  Rig r;
  r.start(kVersion1 | uint64_t{1} << kVirtioFIndirectDesc, 4);
  constexpr uint64_t kTable = 0x300000;
  for (unsigned n = 0; n < 10; ++n) {  // more requests than entries: the rings wrap
    r.header(kVirtioBlkIn, n);
    r.g.set_desc_at(kTable, kHdr, 16, kVirtqDescNext, 1);
    r.g.set_desc_at(kTable + 16, kData, 256, kVirtqDescNext | kVirtqDescWrite, 2);
    r.g.set_desc_at(kTable + 32, kData + 256, 256, kVirtqDescNext | kVirtqDescWrite, 3);
    r.g.set_desc_at(kTable + 48, kStatus, 1, kVirtqDescWrite, 0);
    const uint16_t head = uint16_t(n % 4);
    r.g.set_desc(r.q, head, kTable, 64, kVirtqDescIndirect);
    r.g.submit(r.q, head);
    CHECK(r.g.mmu.read_phys(kStatus, 1) == kVirtioBlkOk);
    CHECK(r.g.used_idx(r.q) == n + 1);
    CHECK(r.g.used(r.q, uint16_t(n)).id == head);
    CHECK(r.g.used(r.q, uint16_t(n)).len == 513);
    CHECK(r.g.peek(kData, 512) ==
          std::vector<uint8_t>(r.disk.data.begin() + n * 512, r.disk.data.begin() + (n + 1) * 512));
  }
}

TEST_CASE("virtio-blk: buffers queued before DRIVER_OK are served at DRIVER_OK") {
  Rig r;
  REQUIRE(r.g.negotiate(kVersion1));
  r.q = r.g.setup_queue(0, 8, kQueueBase);
  r.header(kVirtioBlkIn, 1);
  r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
  r.g.set_desc(r.q, 1, kData, 512, kVirtqDescNext | kVirtqDescWrite, 2);
  r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
  r.g.submit(r.q, 0);
  CHECK(r.g.used_idx(r.q) == 0);
  r.g.driver_ok();
  CHECK(r.g.used_idx(r.q) == 1);
}

/// One malformed chain: the device must either refuse the queue
/// (DEVICE_NEEDS_RESET) or answer with an error, never write outside the
/// buffers it was given, and work again after a reset.
struct Malformed {
  const char* what;
  void (*build)(Rig& r);
};

void plain_tail(Rig& r) {
  r.g.set_desc(r.q, 1, kData, 512, kVirtqDescNext | kVirtqDescWrite, 2);
  r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
}

const Malformed kMalformed[] = {
    {"loop", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, kData, 512, kVirtqDescNext, 0);
     }},
    {"self loop", [](Rig& r) { r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 0); }},
    {"next out of the table", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 200);
     }},
    {"buffer beyond RAM", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, test::kGuestRam - 256, 512, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
     }},
    {"buffer wrapping the address space", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, ~uint64_t{0} - 100, 512, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
     }},
    {"buffer on the device's own registers", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, test::kBarBase, 512, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
     }},
    {"buffer in the VGA/BIOS window", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, 0xf0000, 512, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
     }},
    {"zero length", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, kData, 0, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kStatus, 1, kVirtqDescWrite);
     }},
    {"readable after writable", [](Rig& r) {
       r.g.set_desc(r.q, 0, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc(r.q, 1, kStatus, 1, kVirtqDescNext | kVirtqDescWrite, 2);
       r.g.set_desc(r.q, 2, kData, 512, 0);
     }},
    {"indirect inside indirect", [](Rig& r) {
       r.g.set_desc_at(0x300000, 0x300100, 16, kVirtqDescIndirect, 0);
       r.g.set_desc_at(0x300100, kHdr, 16, 0, 0);
       r.g.set_desc(r.q, 0, 0x300000, 16, kVirtqDescIndirect);
     }},
    {"indirect with NEXT", [](Rig& r) {
       r.g.set_desc_at(0x300000, kHdr, 16, 0, 0);
       r.g.set_desc(r.q, 0, 0x300000, 16, kVirtqDescIndirect | kVirtqDescNext, 1);
       plain_tail(r);
     }},
    {"indirect table of odd length", [](Rig& r) {
       r.g.set_desc(r.q, 0, 0x300000, 20, kVirtqDescIndirect);
     }},
    {"indirect chain longer than the queue", [](Rig& r) {
       for (uint16_t i = 0; i < 40; ++i) {
         r.g.set_desc_at(0x300000 + 16u * i, kData + 16u * i, 16, kVirtqDescNext, uint16_t(i + 1));
       }
       r.g.set_desc(r.q, 0, 0x300000, 40 * 16, kVirtqDescIndirect);
     }},
    {"indirect loop", [](Rig& r) {
       r.g.set_desc_at(0x300000, kHdr, 16, kVirtqDescNext, 1);
       r.g.set_desc_at(0x300010, kData, 16, kVirtqDescNext, 0);
       r.g.set_desc(r.q, 0, 0x300000, 32, kVirtqDescIndirect);
     }},
};

TEST_CASE("virtio-blk: malformed chains break the queue, never memory") {
  for (const Malformed& m : kMalformed) {
    CAPTURE(m.what);
    Rig r;
    r.start(kVersion1, 16);
    r.g.fill(kData - 64, 512 + 128, kGuard);
    r.g.fill(kStatus - 16, 33, kGuard);
    r.g.fill(0xf0000, 1024, kGuard);
    r.header(kVirtioBlkIn, 0);
    m.build(r);
    r.g.submit(r.q, 0);
    CHECK(bool(r.g.status() & kVirtioNeedsReset));
    CHECK(r.g.used_idx(r.q) == 0);
    CHECK(r.g.untouched(kData - 64, 512 + 128, kGuard));
    CHECK(r.g.untouched(kStatus - 16, 33, kGuard));
    CHECK(r.g.untouched(0xf0000, 1024, kGuard));
    CHECK(r.g.rd(kVirtioIsrCfg, 1) == kVirtioIsrConfig);
    // Further notifies are ignored; a reset brings the device back.
    r.g.kick(r.q);
    CHECK(r.g.used_idx(r.q) == 0);
    r.start(kVersion1, 16);
    CHECK(r.request(kVirtioBlkIn, 0, 512, true) == kVirtioBlkOk);
  }
}

TEST_CASE("virtio-blk: bad ring indexes break the queue") {
  SUBCASE("head index beyond the queue") {
    Rig r;
    r.start(kVersion1, 16);
    r.g.submit(r.q, 16);
    CHECK(bool(r.g.status() & kVirtioNeedsReset));
  }
  SUBCASE("more available than the ring holds") {
    Rig r;
    r.start(kVersion1, 16);
    r.g.mmu.write_phys(r.q.avail + 2, 17, 2);
    r.g.kick(r.q);
    CHECK(bool(r.g.status() & kVirtioNeedsReset));
    CHECK(r.g.used_idx(r.q) == 0);
  }
}

TEST_CASE("virtio-blk: requests without a header or status get no status") {
  Rig r;
  r.start();
  r.g.fill(kStatus, 1, kGuard);
  SUBCASE("header too short") {
    r.g.set_desc(r.q, 0, kHdr, 8, kVirtqDescNext, 1);
    r.g.set_desc(r.q, 1, kStatus, 1, kVirtqDescWrite);
  }
  SUBCASE("no writable status byte") { r.g.set_desc(r.q, 0, kHdr, 16, 0); }
  r.header(kVirtioBlkIn, 0);
  r.g.submit(r.q, 0);
  CHECK(r.g.used_idx(r.q) == 1);
  CHECK(r.g.used(r.q, 0).len == 0);
  CHECK(r.g.untouched(kStatus, 1, kGuard));
  CHECK(r.blk.requests(kVirtioBlkIoErr) == 1);
  CHECK_FALSE(bool(r.g.status() & kVirtioNeedsReset));
}

TEST_CASE("virtio-pci: reset() unmaps BAR4 and forgets the driver") {
  Rig r;
  r.start();
  r.blk.reset();
  CHECK(r.blk.status() == 0);
  CHECK(r.blk.bar_mapped(kVirtioBar) == PciFunction::kUnmapped);
  CHECK(r.g.mmu.read_phys(test::kBarBase, 4) == 0xffffffff);
}

}  // namespace
}  // namespace kestrel::devices
