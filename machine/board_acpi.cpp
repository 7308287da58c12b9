// SPDX-License-Identifier: MIT
// The board's ACPI and firmware-tables section: the ACPI PM registers and
// their SCI, and direct kernel boot, which stands in for firmware: at every
// reset it opens A20, turns ACPI mode on, writes the ACPI tables to the BIOS
// area and loads the kernel.
#include <vector>

#include "devices/acpi_pm.h"
#include "devices/system_ports.h"
#include "machine/acpi_tables.h"
#include "machine/board.h"
#include "machine/board_pci.h"
#include "machine/direct_boot.h"

namespace kestrel::machine {
namespace {

/// QEMU's PIIX4 PM base and SCI, which the FADT advertises (acpi_tables.h).
constexpr uint16_t kAcpiPmBase = 0x600;
constexpr unsigned kIrqSci = 9;
/// Where the tables go: the start of the BIOS area, scanned for the RSDP.
constexpr uint64_t kAcpiTablesBase = kBiosAreaStart;

}  // namespace

void Board::wire_acpi_firmware() {
  acpi_pm_ = std::make_unique<devices::AcpiPm>(links_.clock, kAcpiPmBase);
  attach(*acpi_pm_, {{kAcpiPmBase, devices::kAcpiPmPortCount}});
  // Through the router, as every ISA line: to the PIC and the IOAPIC.
  acpi_pm_->sci.connect(pci_apic_->router().input(IrqRouter::kIsa), kIrqSci);
  acpi_pm_->on_power_off = links_.request_power_off;
  if (config_.kernel.empty()) return;
  DirectBootConfig boot{config_.kernel, config_.initrd, config_.append, config_.ram_bytes,
                        links_.cpu.model->has(cpu::isa::fLm)};
  kernel_ = open_kernel(boot);
}

void Board::after_reset_firmware() {
  if (!kernel_) return;
  // What firmware leaves behind for the kernel: A20 open (through port
  // 0x92, so the gate's state agrees), ACPI mode on, the tables in place.
  system_ports_->io_write(devices::kSystemControlPortA, 0x02, 1);
  acpi_pm_->enable_acpi_mode();
  AcpiConfig acpi;
  acpi.apic = pci_apic_ && pci_apic_->lapic();
  const std::vector<uint8_t> tables = build_acpi_tables(acpi, kAcpiTablesBase);
  links_.mmu.load_phys(kAcpiTablesBase, tables);
  kernel_->load(links_.cpu, kAcpiTablesBase);
}

}  // namespace kestrel::machine
