// SPDX-License-Identifier: MIT
// The i440FX: configuration mechanism #1, the PCI bus model (BAR probing
// and mapping, status and command masks, capabilities, INTx to PIRQ) and
// PAM routing of the BIOS area.
#include "devices/pci_host.h"

#include <doctest/doctest.h>

#include <vector>

#include "devices/piix3.h"
#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

struct Mapping {
  bool io;
  uint64_t base, size;
  bool mapped;  ///< false: an unmap
  bool operator==(const Mapping&) const = default;
};

struct RecordingSpaces final : PciSpaces {
  void map_io(uint16_t base, unsigned size, Device&) override { log.push_back({true, base, size, true}); }
  void unmap_io(uint16_t base, unsigned size, Device&) override {
    log.push_back({true, base, size, false});
  }
  void map_mmio(uint64_t base, uint64_t size, mmu::MmioHandler&) override {
    log.push_back({false, base, size, true});
  }
  void unmap_mmio(uint64_t base, mmu::MmioHandler&) override { log.push_back({false, base, 0, false}); }
  std::vector<Mapping> log;
};

struct NullDevice final : Device, mmu::MmioHandler {
  void reset() override {}
  uint64_t mmio_read(uint64_t, unsigned) override { return 0; }
  void mmio_write(uint64_t, uint64_t, unsigned) override {}
};

/// A function with an I/O BAR, a 32-bit and a 64-bit memory BAR, INTA#
/// and two capabilities, the shape of a NIC or virtio device.
struct TestFunction final : PciFunction {
  explicit TestFunction(NullDevice& d) : PciFunction({0x1af4, 0x1000, 0x020000, 1, false}) {
    define_io_bar(0, 0x20, d);
    define_mem_bar(1, 0x1000, d);
    define_mem_bar(2, 0x4000, d, true, true);
    set_interrupt_pin(1);
    msi = add_capability(0x05, 10);
    vendor = add_capability(0x09, 16);
  }
  unsigned msi = 0, vendor = 0;
};

struct Rig {
  Rig() : mmu(2 * kMiB, 32), bus(spaces), host(bus, mmu), piix3(bus) {
    host.reset();
    piix3.reset();
  }
  uint32_t cfg_read(unsigned devfn, unsigned off, unsigned size) {
    host.io_write(kPciConfigAddressPort, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    return host.io_read(uint16_t(kPciConfigDataPort + (off & 3)), size);
  }
  void cfg_write(unsigned devfn, unsigned off, uint32_t v, unsigned size) {
    host.io_write(kPciConfigAddressPort, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    host.io_write(uint16_t(kPciConfigDataPort + (off & 3)), v, size);
  }
  RecordingSpaces spaces;
  mmu::Mmu mmu;
  PciBus bus;
  I440fx host;
  Piix3 piix3;
};

TEST_CASE("configuration mechanism #1 reads the i440FX at 00:00.0 at every width") {
  Rig r;
  CHECK(r.cfg_read(0, 0x00, 4) == 0x12378086);
  CHECK(r.cfg_read(0, 0x02, 2) == 0x1237);
  CHECK(r.cfg_read(0, 0x01, 1) == 0x80);
  CHECK(r.cfg_read(0, 0x03, 1) == 0x12);
  CHECK((r.cfg_read(0, 0x08, 4) >> 8) == 0x060000);  // host bridge class
  CHECK(r.cfg_read(0, 0x0e, 1) == 0x00);
  CHECK(r.cfg_read(0, 0x72, 1) == 0x02);  // SMRAM's power-on value
}

TEST_CASE("the address register keeps enable, bus, device, function and register") {
  Rig r;
  r.host.io_write(kPciConfigAddressPort, 0xffffffff, 4);
  CHECK(r.host.io_read(kPciConfigAddressPort, 4) == 0x80fffffc);
  // Byte and word accesses to 0xCF8 are not the address register.
  r.host.io_write(kPciConfigAddressPort, 0x12, 1);
  CHECK(r.host.config_address() == 0x80fffffc);
  // Without the enable bit the data window floats.
  r.host.io_write(kPciConfigAddressPort, 0x00000000, 4);
  CHECK(r.host.io_read(kPciConfigDataPort, 4) == 0xffffffff);
}

TEST_CASE("absent functions and other buses read all ones; writes to them go nowhere") {
  Rig r;
  CHECK(r.cfg_read(5 << 3, 0, 4) == 0xffffffff);
  CHECK(r.cfg_read(0x0a, 0, 2) == 0xffff);
  r.host.io_write(kPciConfigAddressPort, 0x80010000, 4);  // bus 1, 00.0
  CHECK(r.host.io_read(kPciConfigDataPort, 4) == 0xffffffff);
  r.cfg_write(5 << 3, 0x04, 7, 2);
}

TEST_CASE("the PIIX3 answers at 00:01.0 as a multi-function ISA bridge") {
  Rig r;
  CHECK(r.cfg_read(1 << 3, 0x00, 4) == 0x70008086);
  CHECK(r.cfg_read(1 << 3, 0x0a, 2) == 0x0601);
  CHECK(r.cfg_read(1 << 3, 0x0e, 1) == 0x80);
  CHECK(r.cfg_read(1 << 3, 0x60, 4) == 0x80808080);  // PIRQ routes disabled
}

TEST_CASE("read-only header fields ignore writes; status error bits clear on a written one") {
  NullDevice d;
  RecordingSpaces spaces;
  PciBus bus(spaces);
  TestFunction f(d);
  bus.attach(3, 0, f);
  f.config_write(kPciVendorId, 0xffffffff, 4);
  CHECK(f.config_read(kPciVendorId, 4) == 0x10001af4);
  f.config_write(kPciCommand, 0xffff, 2);
  CHECK(f.command() == 0x0547);
  f.pci_reset();
  CHECK(f.command() == 0);
}

TEST_CASE("BAR sizing: writing all ones reads back the size mask and the type bits") {
  NullDevice d;
  RecordingSpaces spaces;
  PciBus bus(spaces);
  TestFunction f(d);
  bus.attach(3, 0, f);
  CHECK(f.config_read(0x10, 4) == 0x1);  // I/O
  CHECK(f.config_read(0x14, 4) == 0x0);  // 32-bit memory
  CHECK(f.config_read(0x18, 4) == 0xc);  // 64-bit prefetchable
  for (unsigned off = 0x10; off < 0x28; off += 4) f.config_write(off, 0xffffffff, 4);
  CHECK(f.config_read(0x10, 4) == 0xffffffe1);
  CHECK(f.config_read(0x14, 4) == 0xfffff000);
  CHECK(f.config_read(0x18, 4) == 0xffffc00c);
  CHECK(f.config_read(0x1c, 4) == 0xffffffff);
  CHECK(f.config_read(0x20, 4) == 0);  // not implemented
  CHECK(spaces.log.empty());  // decoding is off: nothing mapped while probing
}

TEST_CASE("BARs map when the command register enables decoding and follow their moves") {
  NullDevice d;
  RecordingSpaces spaces;
  PciBus bus(spaces);
  TestFunction f(d);
  bus.attach(3, 0, f);
  f.config_write(0x10, 0xc000, 4);
  f.config_write(0x14, 0xfebf0000, 4);
  f.config_write(0x18, 0x00000000, 4);
  f.config_write(0x1c, 0x00000001, 4);  // 64-bit BAR at 4 GiB
  CHECK(spaces.log.empty());
  f.config_write(kPciCommand, kPciCmdIo, 2);
  REQUIRE(spaces.log.size() == 1);
  CHECK(spaces.log[0] == Mapping{true, 0xc000, 0x20, true});
  CHECK(f.bar_mapped(0) == 0xc000);
  f.config_write(kPciCommand, kPciCmdIo | kPciCmdMemory, 2);
  REQUIRE(spaces.log.size() == 3);
  CHECK(spaces.log[1] == Mapping{false, 0xfebf0000, 0x1000, true});
  CHECK(spaces.log[2] == Mapping{false, 0x100000000, 0x4000, true});
  // A move unmaps the old window before mapping the new one.
  f.config_write(0x10, 0xc040, 4);
  REQUIRE(spaces.log.size() == 5);
  CHECK(spaces.log[3] == Mapping{true, 0xc000, 0x20, false});
  CHECK(spaces.log[4] == Mapping{true, 0xc040, 0x20, true});
  // The all-ones probe of a decoding 32-bit BAR does not map it at the top.
  f.config_write(0x14, 0xffffffff, 4);
  CHECK(spaces.log.back() == Mapping{false, 0xfebf0000, 0, false});
  CHECK(f.bar_mapped(1) == PciFunction::kUnmapped);
  f.config_write(0x14, 0xfebf0000, 4);
  f.config_write(kPciCommand, 0, 2);
  CHECK(f.bar_mapped(0) == PciFunction::kUnmapped);
  CHECK(f.bar_mapped(1) == PciFunction::kUnmapped);
  CHECK(f.bar_mapped(2) == PciFunction::kUnmapped);
}

TEST_CASE("the capability list chains from 0x34 with the status bit set") {
  NullDevice d;
  TestFunction f(d);
  CHECK((f.config_read(kPciStatus, 2) & kPciStatusCapList) != 0);
  CHECK(f.config_read(kPciCapPtr, 1) == f.msi);
  CHECK(f.msi == 0x40);
  CHECK(f.config_read(f.msi, 1) == 0x05);
  CHECK(f.config_read(f.msi + 1, 1) == f.vendor);
  CHECK(f.vendor == 0x4c);
  CHECK(f.config_read(f.vendor, 1) == 0x09);
  CHECK(f.config_read(f.vendor + 1, 1) == 0);
}

TEST_CASE("INTx goes through the slot swizzle and the PIIX3 route to an ISA IRQ") {
  Rig r;
  NullDevice d;
  TestFunction f(d);
  r.bus.attach(3, 0, f);  // slot 3, INTA#: PIRQ (3 + 0 - 1) & 3 = C
  test::PinRecorder isa;
  r.piix3.connect_isa(isa);
  f.set_intx(true);
  CHECK((f.config_read(kPciStatus, 2) & kPciStatusIntx) != 0);
  CHECK_FALSE(isa.level(11));  // route disabled
  r.cfg_write(1 << 3, kPiix3PirqRoute + 2, 11, 1);
  CHECK(r.piix3.route(2) == 11);
  CHECK(isa.level(11));
  f.config_write(kPciCommand, kPciCmdIntxDisable, 2);
  CHECK_FALSE(isa.level(11));
  f.config_write(kPciCommand, 0, 2);
  CHECK(isa.level(11));
  // Moving the route moves the line; a reserved IRQ routes nowhere.
  r.cfg_write(1 << 3, kPiix3PirqRoute + 2, 10, 1);
  CHECK_FALSE(isa.level(11));
  CHECK(isa.level(10));
  r.cfg_write(1 << 3, kPiix3PirqRoute + 2, 13, 1);
  CHECK(r.piix3.route(2) == -1);
  CHECK_FALSE(isa.level(10));
  r.cfg_write(1 << 3, kPiix3PirqRoute + 2, 10, 1);
  f.set_intx(false);
  CHECK_FALSE(isa.level(10));
}

TEST_CASE("two functions sharing a PIRQ keep it asserted until both let go") {
  Rig r;
  NullDevice d;
  TestFunction a(d), b(d);
  r.bus.attach(3, 0, a);
  r.bus.attach(7, 0, b);  // (7 + 0 - 1) & 3 = C as well
  test::PinRecorder isa;
  r.piix3.connect_isa(isa);
  r.cfg_write(1 << 3, kPiix3PirqRoute + 2, 11, 1);
  a.set_intx(true);
  b.set_intx(true);
  a.set_intx(false);
  CHECK(isa.level(11));
  b.set_intx(false);
  CHECK_FALSE(isa.level(11));
}

// ---- PAM -------------------------------------------------------------------

std::vector<uint8_t> bios_image() {
  std::vector<uint8_t> v(128 * 1024);
  for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(0xa5 ^ (i >> 12));
  return v;
}

TEST_CASE("PAM at power-on sends the BIOS area to the bus: the ROM where one is mapped") {
  Rig r;
  const auto rom = bios_image();
  r.mmu.add_rom(0xe0000, rom);
  CHECK(r.mmu.read<uint8_t>(0xf0000) == rom[0x10000]);
  r.mmu.write<uint8_t>(0xf0000, 0x00);
  CHECK(r.mmu.read<uint8_t>(0xf0000) == rom[0x10000]);
  CHECK(r.mmu.shadow(0xc0000) == mmu::Mmu::kShadowBus);
  // Where the bus has nothing, the RAM beneath shows through (QEMU's pc
  // keeps its option-ROM area memory the same way).
  r.mmu.write_phys(0xc0000, 0x12, 1);
  CHECK(r.mmu.read_phys(0xc0000, 1) == 0x12);
}

TEST_CASE("a BIOS shadows itself: write-only RAM, copy, then read from RAM") {
  Rig r;
  const auto rom = bios_image();
  r.mmu.add_rom(0xe0000, rom);
  r.cfg_write(0, kI440fxPam0, 0x20, 1);  // F segment: writes to RAM, reads from ROM
  for (uint64_t a = 0xf0000; a < 0xf0010; ++a) {
    r.mmu.write<uint8_t>(a, uint8_t(r.mmu.read<uint8_t>(a) + 1));
  }
  CHECK(r.mmu.read<uint8_t>(0xf0000) == rom[0x10000]);  // still the ROM
  r.cfg_write(0, kI440fxPam0, 0x10, 1);  // read RAM, writes to the (ROM) bus
  CHECK(r.mmu.read<uint8_t>(0xf0000) == uint8_t(rom[0x10000] + 1));
  r.mmu.write<uint8_t>(0xf0000, 0x77);
  CHECK(r.mmu.read<uint8_t>(0xf0000) == uint8_t(rom[0x10000] + 1));
  r.cfg_write(0, kI440fxPam0, 0x30, 1);
  r.mmu.write<uint8_t>(0xf0000, 0x77);
  CHECK(r.mmu.read<uint8_t>(0xf0000) == 0x77);
  CHECK(r.cfg_read(0, kI440fxPam0, 1) == 0x30);
}

TEST_CASE("each PAM nibble routes its own 16 KiB segment") {
  Rig r;
  const std::vector<uint8_t> option_roms(0x30000, 0xee);  // 0xC0000-0xEFFFF
  r.mmu.add_rom(0xc0000, option_roms);
  r.cfg_write(0, kI440fxPam0 + 1, 0x30, 1);  // PAM1 high nibble: 0xC4000-0xC7FFF
  r.mmu.write<uint32_t>(0xc4000, 0xdeadbeef);
  r.mmu.write<uint32_t>(0xc0000, 0xdeadbeef);
  CHECK(r.mmu.read<uint32_t>(0xc4000) == 0xdeadbeef);
  CHECK(r.mmu.read<uint32_t>(0xc0000) == 0xeeeeeeee);
  CHECK(r.mmu.read<uint32_t>(0xc8000) == 0xeeeeeeee);
  r.cfg_write(0, kI440fxPam0 + 6, 0x03, 1);  // PAM6 low nibble: 0xE8000-0xEBFFF
  r.mmu.write<uint16_t>(0xe8000, 0x1234);
  CHECK(r.mmu.read<uint16_t>(0xe8000) == 0x1234);
  CHECK(r.mmu.read<uint16_t>(0xec000) == 0xeeee);
  CHECK(r.mmu.shadow(0xec000) == mmu::Mmu::kShadowBus);
  CHECK(r.mmu.shadow(0xe8000) == mmu::Mmu::kShadowRam);
  // RAM outside the window never changes route.
  CHECK(r.mmu.shadow(0xbffff) == mmu::Mmu::kNotShadowed);
  CHECK(r.mmu.shadow(0x100000) == mmu::Mmu::kNotShadowed);
}

TEST_CASE("shadow RAM gets the fast path, and a PAM change drops it") {
  Rig r;
  const auto rom = bios_image();
  r.mmu.add_rom(0xe0000, rom);
  r.host.shadow_all_ram();
  r.mmu.write<uint32_t>(0xf1000, 0x11223344);
  (void)r.mmu.read<uint32_t>(0xf1000);
  const uint64_t slow = r.mmu.stats().slow_accesses;
  CHECK(r.mmu.read<uint32_t>(0xf1000) == 0x11223344);
  r.mmu.write<uint32_t>(0xf1004, 0x55667788);
  CHECK(r.mmu.stats().slow_accesses == slow);
  r.cfg_write(0, kI440fxPam0, 0x00, 1);
  CHECK(r.mmu.read<uint32_t>(0xf1000) == uint32_t(0x01010101u * uint8_t(0xa5 ^ 0x11)));
  r.cfg_write(0, kI440fxPam0, 0x30, 1);
  CHECK(r.mmu.read<uint32_t>(0xf1000) == 0x11223344);
}

struct CodeWrites final : mmu::CodeWriteListener {
  void code_page_written(uint64_t page) override { pages.push_back(page); }
  std::vector<uint64_t> pages;
};

TEST_CASE("code decoded from the BIOS area goes stale when its reads change source") {
  Rig r;
  CodeWrites listener;
  r.mmu.set_code_listener(&listener);
  r.mmu.mark_code_page(0xf0);
  r.cfg_write(0, kI440fxPam0, 0x20, 1);  // writes only: fetches still see the ROM
  CHECK(listener.pages.empty());
  r.cfg_write(0, kI440fxPam0, 0x30, 1);
  CHECK(listener.pages == std::vector<uint64_t>{0xf0});
}

TEST_CASE("a reset puts PAM back at zero") {
  Rig r;
  const auto rom = bios_image();
  r.mmu.add_rom(0xe0000, rom);
  r.host.shadow_all_ram();
  r.mmu.write<uint8_t>(0xe0000, 0x42);
  CHECK(r.mmu.read<uint8_t>(0xe0000) == 0x42);
  r.host.reset();
  CHECK(r.cfg_read(0, kI440fxPam0, 1) == 0);
  CHECK(r.cfg_read(0, 0x5c, 4) == 0);
  CHECK(r.mmu.read<uint8_t>(0xe0000) == rom[0]);
}

TEST_CASE("reset control at 0xCF9 resets on a 0 -> 1 edge of RST_CPU") {
  Rig r;
  unsigned resets = 0;
  r.host.on_reset = [&] { ++resets; };
  r.host.io_write(kPciResetControlPort, 0x02, 1);
  CHECK(resets == 0);
  r.host.io_write(kPciResetControlPort, 0x06, 1);
  CHECK(resets == 1);
  CHECK(r.host.io_read(kPciResetControlPort, 1) == 0x06);
  r.host.io_write(kPciResetControlPort, 0x06, 1);
  CHECK(resets == 1);
}

}  // namespace
}  // namespace kestrel::devices
