// SPDX-License-Identifier: MIT
// The fw_cfg device as firmware drives it: signature and ID through the
// ports, the file directory, DMA reads, skips and selections, and the
// malformed DMA requests a hostile guest can make (descriptor or buffer
// outside RAM, lengths that wrap, writes), which must fail cleanly.
#include "devices/fw_cfg.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

namespace kestrel::devices {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kRam = 2 * kMiB;
constexpr uint64_t kDesc = 0x1000;  // where the tests put DMA descriptors
constexpr uint64_t kBuf = 0x2000;   // and their buffers

struct Rig {
  Rig() : mmu(kRam, 32), cfg(mmu) { cfg.reset(); }
  void select(uint16_t key) { cfg.io_write(kFwCfgSelectorPort, key, 2); }
  std::string read(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(char(cfg.io_read(kFwCfgDataPort, 1)));
    return s;
  }
  uint32_t be32_at(uint64_t pa) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; ++i) v = v << 8 | uint32_t(mmu.read_phys(pa + i, 1));
    return v;
  }
  void put_be(uint64_t pa, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) {
      mmu.write_phys(pa + i, (v >> (8 * (bytes - 1 - i))) & 0xff, 1);
    }
  }
  /// Writes a descriptor at `desc` and starts it as SeaBIOS does: a
  /// byte-swapped OUTL of the low dword to 0x518 (after the high one).
  void dma(uint32_t control, uint32_t length, uint64_t address, uint64_t desc = kDesc) {
    if (desc + 16 <= kRam) {
      put_be(desc, control, 4);
      put_be(desc + 4, length, 4);
      put_be(desc + 8, address, 8);
    }
    cfg.io_write(kFwCfgDmaPort, __builtin_bswap32(uint32_t(desc >> 32)), 4);
    cfg.io_write(kFwCfgDmaPort + 4, __builtin_bswap32(uint32_t(desc)), 4);
  }
  std::string ram(uint64_t pa, size_t n) {
    std::string s(n, '\0');
    mmu.copy_from_phys(pa, std::span(reinterpret_cast<uint8_t*>(s.data()), n));
    return s;
  }
  mmu::Mmu mmu;
  FwCfg cfg;
};

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST_CASE("fw_cfg: signature, ID with the DMA bit, and numeric items") {
  Rig r;
  r.select(kFwCfgSignature);
  CHECK(r.read(4) == "QEMU");
  CHECK(r.read(2) == std::string(2, '\0'));  // past the end: zeros
  r.select(kFwCfgId);
  CHECK(r.cfg.io_read(kFwCfgDataPort, 1) == (kFwCfgTraditional | kFwCfgDma));
  r.cfg.set_u64(kFwCfgRamSize, 0x123456789a);
  r.select(kFwCfgRamSize);
  CHECK(r.cfg.io_read(kFwCfgDataPort, 4) == 0x3456789a);  // little-endian, in order
  CHECK(r.cfg.io_read(kFwCfgDataPort, 4) == 0x12);
  // A key that holds nothing reads as zeros; the write-channel bit is no key.
  r.select(0x1234);
  CHECK(r.read(3) == std::string(3, '\0'));
  r.select(0x4000 | kFwCfgSignature);
  CHECK(r.read(4) == "QEMU");
  // The DMA register reads "QEMU CFG" from port 0x514 up.
  CHECK(r.cfg.io_read(kFwCfgDmaPort, 4) == 0x554d4551);
  CHECK(r.cfg.io_read(kFwCfgDmaPort + 4, 4) == 0x47464320);
  CHECK(r.cfg.io_read(kFwCfgDmaPort + 7, 1) == 'G');
  // Reset returns to the signature at offset 0.
  r.select(kFwCfgId);
  r.cfg.reset();
  CHECK(r.read(4) == "QEMU");
}

TEST_CASE("fw_cfg: the file directory lists files sorted, big-endian") {
  Rig r;
  const uint16_t k1 = r.cfg.add_file("etc/zeta", bytes("zz"));
  const uint16_t k2 = r.cfg.add_file("bootorder", bytes("/pci@i0cf8\n"));
  CHECK(k1 == kFwCfgFileFirst);
  CHECK(k2 == kFwCfgFileFirst + 1);
  CHECK(r.cfg.add_file("etc/zeta", bytes("zzz")) == k1);  // replaced, same key
  CHECK(r.cfg.file_key("bootorder") == k2);
  CHECK(r.cfg.file_key("missing") == 0);
  CHECK_THROWS(r.cfg.add_file(std::string(56, 'x'), {}));
  r.select(kFwCfgFileDir);
  const std::string dir = r.read(4 + 2 * 64);
  CHECK(dir.substr(0, 4) == std::string("\0\0\0\2", 4));
  // Entry: size (BE32), select (BE16), reserved, name[56].
  CHECK(dir.substr(4, 4) == std::string("\0\0\0\x0b", 4));
  CHECK(uint8_t(dir[8]) == 0);
  CHECK(uint8_t(dir[9]) == k2);
  CHECK(dir.substr(12, 9) == "bootorder");
  CHECK(dir[12 + 9] == '\0');
  CHECK(dir.substr(68, 4) == std::string("\0\0\0\3", 4));
  CHECK(dir.substr(76, 8) == "etc/zeta");
  r.select(k1);
  CHECK(r.read(3) == "zzz");
}

TEST_CASE("fw_cfg: DMA select+read, skip, then read to the end and beyond") {
  Rig r;
  const uint16_t key = r.cfg.add_file("etc/data", bytes("0123456789"));
  r.dma(uint32_t(key) << 16 | kFwCfgDmaSelect | kFwCfgDmaRead, 4, kBuf);
  CHECK(r.be32_at(kDesc) == 0);  // completed without error
  CHECK(r.ram(kBuf, 4) == "0123");
  r.dma(kFwCfgDmaSkip, 3, 0);
  CHECK(r.be32_at(kDesc) == 0);
  // 3 bytes remain; the other 3 asked for are zeros.
  r.mmu.load_phys(kBuf, bytes("xxxxxxx"));
  r.dma(kFwCfgDmaRead, 6, kBuf);
  CHECK(r.be32_at(kDesc) == 0);
  CHECK(r.ram(kBuf, 7) == std::string("789\0\0\0x", 7));
  // A port read continues where DMA left off (at the end).
  CHECK(r.cfg.io_read(kFwCfgDataPort, 1) == 0);
  // A selection alone resets the offset; port reads follow.
  r.dma(uint32_t(key) << 16 | kFwCfgDmaSelect, 0, 0);
  CHECK(r.be32_at(kDesc) == 0);
  CHECK(r.read(2) == "01");
  // The address register reads as zero after a transfer: a second
  // transfer with only the low dword written lands at the same place.
  r.cfg.io_write(kFwCfgDmaPort + 4, __builtin_bswap32(uint32_t(kDesc)), 4);
  CHECK(r.be32_at(kDesc) == 0);
  CHECK(r.cfg.dma_errors() == 0);
}

TEST_CASE("fw_cfg: malformed DMA requests fail with the error bit, RAM untouched") {
  Rig r;
  const uint16_t key = r.cfg.add_file("etc/data", bytes("0123456789"));
  const std::string before = r.ram(kRam - 16, 16);
  SUBCASE("a buffer that runs past the end of RAM") {
    r.dma(uint32_t(key) << 16 | kFwCfgDmaSelect | kFwCfgDmaRead, 32, kRam - 16);
    CHECK(r.be32_at(kDesc) == kFwCfgDmaError);
    CHECK(r.ram(kRam - 16, 16) == before);
  }
  SUBCASE("a length that wraps the address space") {
    r.dma(kFwCfgDmaRead, 0xffffffff, 0xffffffffffffff00ull);
    CHECK(r.be32_at(kDesc) == kFwCfgDmaError);
  }
  SUBCASE("a 4 GiB length into 2 MiB of RAM") {
    r.dma(kFwCfgDmaRead, 0xffffffff, kBuf);
    CHECK(r.be32_at(kDesc) == kFwCfgDmaError);
  }
  SUBCASE("a buffer in the PCI hole") {
    r.dma(kFwCfgDmaRead, 4, 0xfec00000);
    CHECK(r.be32_at(kDesc) == kFwCfgDmaError);
  }
  SUBCASE("a write: no item is writable") {
    r.dma(uint32_t(key) << 16 | kFwCfgDmaSelect | kFwCfgDmaWrite, 4, kBuf);
    CHECK(r.be32_at(kDesc) == kFwCfgDmaError);
    r.select(key);
    CHECK(r.read(4) == "0123");
  }
  SUBCASE("a descriptor outside RAM is dropped") {
    r.dma(kFwCfgDmaRead, 4, kBuf, 0xfffffff8);
    r.dma(kFwCfgDmaRead, 4, kBuf, kRam - 8);  // straddles the end
    r.dma(kFwCfgDmaRead, 4, kBuf, 0x123456789abcdef0ull);
    CHECK(r.cfg.dma_errors() == 3);
  }
  SUBCASE("a huge skip stops at the end of the item") {
    r.dma(uint32_t(key) << 16 | kFwCfgDmaSelect | kFwCfgDmaSkip, 0xffffffff, 0);
    r.dma(kFwCfgDmaSkip, 0xffffffff, 0);
    CHECK(r.be32_at(kDesc) == 0);
    CHECK(r.cfg.io_read(kFwCfgDataPort, 1) == 0);
  }
}

TEST_CASE("fw_cfg: byte-wise writes to the DMA register assemble a big-endian address") {
  Rig r;
  const uint16_t key = r.cfg.add_file("etc/data", bytes("abcd"));
  r.put_be(kDesc, uint32_t(key) << 16 | kFwCfgDmaSelect | kFwCfgDmaRead, 4);
  r.put_be(kDesc + 4, 4, 4);
  r.put_be(kDesc + 8, kBuf, 8);
  for (unsigned i = 0; i < 8; ++i) {
    r.cfg.io_write(uint16_t(kFwCfgDmaPort + i), (kDesc >> (8 * (7 - i))) & 0xff, 1);
  }
  CHECK(r.be32_at(kDesc) == 0);
  CHECK(r.ram(kBuf, 4) == "abcd");
}

}  // namespace
}  // namespace kestrel::devices
