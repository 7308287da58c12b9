// SPDX-License-Identifier: MIT
// The board's PCI and APIC wiring: configuration space on the machine's
// ports, the APIC windows in its memory map, ISA and PCI interrupts through
// the router to both the PIC and the IOAPIC, the LAPIC in front of the CPU,
// and the PAM state each kind of boot starts from.
#include "machine/board_pci.h"

#include <doctest/doctest.h>

#include <vector>

#include "devices/pic.h"
#include "cpu/msr.h"
#include "machine/machine.h"

namespace kestrel::machine {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

MachineConfig config(const char* model = "max", bool firmware = false) {
  MachineConfig c;
  c.ram_bytes = 16 * kMiB;
  c.cpu_model = cpu::find_cpu_model(model);
  c.clock.mode = ClockMode::kInstructions;
  if (firmware) c.firmware = std::vector<uint8_t>(64 * 1024, 0xf4);
  return c;
}

uint32_t config_read(Machine& m, unsigned devfn, unsigned reg) {
  m.io().out(devices::kPciConfigAddressPort, 0x80000000u | devfn << 8 | reg, 4);
  return m.io().in(devices::kPciConfigDataPort, 4);
}

TEST_CASE("the host bridge and the PIIX3 answer on the machine's configuration ports") {
  Machine m(config());
  CHECK(config_read(m, 0, 0) == 0x12378086);
  CHECK(config_read(m, 1 << 3, 0) == 0x70008086);
  CHECK(config_read(m, 2 << 3, 0) == 0x11111234);  // the VGA adapter
  CHECK(config_read(m, 9 << 3, 0) == 0xffffffff);  // an empty slot
}

TEST_CASE("the LAPIC, IOAPIC and HPET registers are in the memory map") {
  Machine m(config());
  mmu::Mmu& mem = m.memory();
  CHECK(mem.read_phys(devices::kLapicDefaultBase + devices::kLapicVersion, 4) == 0x50014);
  mem.write_phys(devices::kIoapicDefaultBase, devices::kIoapicVersion, 4);
  CHECK(mem.read_phys(devices::kIoapicDefaultBase + devices::kIoapicWindow, 4) == 0x170020);
  CHECK(mem.read_phys(devices::kHpetDefaultBase, 4) == 0x8086a201);
}

TEST_CASE("a CPU without an APIC keeps the PIC; one before the 386 has no PCI either") {
  Machine i386(config("80386"));
  CHECK(i386.board().pci_apic().lapic() == nullptr);
  CHECK(&i386.board().interrupt_source() ==
        static_cast<devices::InterruptSource*>(&i386.board().pic()));
  CHECK(config_read(i386, 0, 0) == 0x12378086);
  Machine at(config("80286", true));
  CHECK(config_read(at, 0, 0) == 0xffffffff);
  CHECK(at.memory().shadow(0xf0000) == mmu::Mmu::kNotShadowed);
}

TEST_CASE("without firmware the BIOS area is RAM; with firmware PAM starts closed") {
  Machine direct(config());
  direct.memory().write_phys(0xe0000, 0x5a, 1);
  CHECK(direct.memory().read_phys(0xe0000, 1) == 0x5a);
  CHECK((config_read(direct, 0, 0x58) >> 8) == 0x333330);
  Machine bios(config("max", true));
  bios.memory().write_phys(0xffff0, 0x00, 1);
  CHECK(bios.memory().read_phys(0xffff0, 1) == 0xf4);  // the ROM
  CHECK(bios.memory().shadow(0xc0000) == mmu::Mmu::kShadowBus);
}

TEST_CASE("an ISA IRQ reaches the PIC and the IOAPIC, IRQ 0 on pin 2, and the LAPIC takes it") {
  Machine m(config());
  PciApic& p = m.board().pci_apic();
  devices::Lapic& lapic = *p.lapic();
  mmu::Mmu& mem = m.memory();
  mem.write_phys(devices::kLapicDefaultBase + devices::kLapicSvr, 0x1ff, 4);
  mem.write_phys(devices::kIoapicDefaultBase, devices::kIoapicRedirection + 2 * 2, 4);
  mem.write_phys(devices::kIoapicDefaultBase + devices::kIoapicWindow, 0x30, 4);
  devices::IrqSink& isa = p.router().input(IrqRouter::kIsa);
  isa.set_irq(0, true);
  CHECK(lapic.in_irr(0x30));
  CHECK(m.board().pic().interrupt_pending());  // the PIC has IRQ 0 as well
  CHECK(&m.board().interrupt_source() == static_cast<devices::InterruptSource*>(&lapic));
  CHECK(m.board().interrupt_source().acknowledge() == 0x30);
  isa.set_irq(0, false);
}

TEST_CASE("HPET legacy replacement cuts the PIT's IRQ 0 from both controllers") {
  Machine m(config());
  PciApic& p = m.board().pci_apic();
  mmu::Mmu& mem = m.memory();
  mem.write_phys(devices::kLapicDefaultBase + devices::kLapicSvr, 0x1ff, 4);
  mem.write_phys(devices::kIoapicDefaultBase, devices::kIoapicRedirection + 2 * 2, 4);
  mem.write_phys(devices::kIoapicDefaultBase + devices::kIoapicWindow, 0x30, 4);
  mem.write_phys(devices::kHpetDefaultBase + devices::kHpetConfig, devices::kHpetLegacy, 4);
  p.router().input(IrqRouter::kIsa).set_irq(0, true);
  CHECK_FALSE(p.lapic()->in_irr(0x30));
  p.router().input(IrqRouter::kIsa).set_irq(0, false);
}

TEST_CASE("PCI INTx through the PIIX3 route reaches IOAPIC pin and PIC input alike") {
  Machine m(config());
  PciApic& p = m.board().pci_apic();
  mmu::Mmu& mem = m.memory();
  mem.write_phys(devices::kLapicDefaultBase + devices::kLapicSvr, 0x1ff, 4);
  mem.write_phys(devices::kIoapicDefaultBase, devices::kIoapicRedirection + 2 * 11, 4);
  mem.write_phys(devices::kIoapicDefaultBase + devices::kIoapicWindow,
                 devices::kRteLevel | 0x41, 4);
  m.io().out(devices::kPciConfigAddressPort, 0x80000860, 4);  // 00:01.0 reg 0x60
  m.io().out(devices::kPciConfigDataPort + 1, 11, 1);         // PIRQB -> IRQ 11
  p.piix3().set_irq(1, true);
  CHECK(p.lapic()->in_irr(0x41));
  CHECK(p.lapic()->in_tmr(0x41));
  CHECK(p.lapic()->acknowledge() == 0x41);
  p.piix3().set_irq(1, false);
  mem.write_phys(devices::kLapicDefaultBase + devices::kLapicEoi, 0, 4);
  CHECK((p.ioapic()->entry(11) & devices::kRteRemoteIrr) == 0);
}

TEST_CASE("IA32_APIC_BASE moves the APIC page and its enable bit turns the APIC off") {
  Machine m(config());
  PciApic& p = m.board().pci_apic();
  mmu::Mmu& mem = m.memory();
  p.apic_base_written(0xfed80000 | 1u << 11 | 1u << 8);
  CHECK(mem.read_phys(0xfed80000 + devices::kLapicVersion, 4) == 0x50014);
  CHECK(mem.read_phys(devices::kLapicDefaultBase + devices::kLapicVersion, 4) == 0xffffffff);
  p.apic_base_written(0xfed80000);
  CHECK_FALSE(p.lapic()->globally_enabled());
  CHECK(mem.read_phys(0xfed80000 + devices::kLapicVersion, 4) == 0xffffffff);
  // A reset brings it back at the default base.
  m.reset();
  CHECK(mem.read_phys(devices::kLapicDefaultBase + devices::kLapicVersion, 4) == 0x50014);
  CHECK(p.lapic()->globally_enabled());
}

TEST_CASE("CR8 is the TPR's high nibble") {
  Machine m(config());
  PciApic& p = m.board().pci_apic();
  p.write_cr8(0xa);
  CHECK(p.lapic()->tpr() == 0xa0);
  m.memory().write_phys(devices::kLapicDefaultBase + devices::kLapicTpr, 0x3c, 4);
  CHECK(p.read_cr8() == 3);
}

}  // namespace
}  // namespace kestrel::machine

namespace kestrel::machine {
namespace {

TEST_CASE("the CPU's MSRs reach the LAPIC: IA32_APIC_BASE and IA32_TSC_DEADLINE") {
  Machine m(config());
  devices::Lapic& lapic = *m.board().pci_apic().lapic();
  REQUIRE(m.cpu().apic != nullptr);
  cpu::write_msr(m.cpu(), cpu::kMsrApicBase, 0xfed00000 | 1u << 11);
  CHECK(m.memory().read_phys(0xfed00000 + devices::kLapicVersion, 4) == 0x50014);
  cpu::write_msr(m.cpu(), cpu::kMsrApicBase, devices::kLapicDefaultBase | 1u << 11);
  m.memory().write_phys(devices::kLapicDefaultBase + devices::kLapicLvtTimer, 0x40000 | 0x40, 4);
  const uint64_t tsc = cpu::read_tsc(m.cpu());
  cpu::write_msr(m.cpu(), cpu::kMsrTscDeadline, tsc + 1000);
  CHECK(cpu::read_msr(m.cpu(), cpu::kMsrTscDeadline) == tsc + 1000);
  CHECK(lapic.tsc_deadline() == tsc + 1000);
}

TEST_CASE("without a LAPIC the TSC-deadline MSR does not exist") {
  Machine m(config("80386"));
  CHECK(m.cpu().apic == nullptr);
}

}  // namespace
}  // namespace kestrel::machine
