// SPDX-License-Identifier: MIT
// The ACPI tables of a direct boot (no firmware builds them): RSDP (2.0,
// with XSDT), RSDT, XSDT, FADT with FACS, MADT, HPET, and the DSDT compiled
// from machine/dsdt.asl. They are written to the BIOS area, where an OS
// looks for the RSDP (ACPI 6.4 §5.2.5.1), and describe the board's fixed
// addresses below.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kestrel::machine {

struct AcpiConfig {
  uint16_t pm_base = 0x600;  ///< PM1a_EVT; PM1a_CNT at +4, PM_TMR at +8
  uint8_t sci_irq = 9;
  uint32_t lapic_addr = 0xfee00000;
  uint32_t ioapic_addr = 0xfec00000;
  uint8_t ioapic_id = 1;
  uint32_t hpet_addr = 0xfed00000;
  uint16_t reset_port = 0x64;  ///< the 8042's pulse-reset command
  uint8_t reset_value = 0xfe;
  unsigned cpus = 1;
  uint8_t rtc_century = 0x32;  ///< CMOS index of the century byte
  bool apic = true;  ///< local APIC and IOAPIC present: a MADT describes them
};

/// The tables as one image to put at physical `base` (16-byte aligned,
/// within 0xE0000-0xFFFFF); the RSDP is at its start.
std::vector<uint8_t> build_acpi_tables(const AcpiConfig& config, uint64_t base);

/// The DSDT's AML, as iasl compiled it.
std::span<const uint8_t> dsdt_aml();

/// The 8-bit sum ACPI checksums make zero.
uint8_t acpi_checksum(std::span<const uint8_t> bytes);

}  // namespace kestrel::machine
