// SPDX-License-Identifier: MIT
// The board's ACPI tables: RSDP (2.0, with XSDT), RSDT, XSDT, FADT with
// FACS, MADT, HPET, and the DSDT compiled from machine/dsdt.asl. A direct
// boot writes them to the BIOS area, where an OS looks for the RSDP (ACPI
// 6.4 §5.2.5.1); firmware gets them as relocatable blobs (QEMU's table
// loader, machine/table_loader.h) and places them itself.
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

/// A pointer field in a blob: `size` (4 or 8) little-endian bytes at
/// `offset` holding an offset into AcpiBlobs::tables.
struct AcpiPointer {
  uint32_t offset;
  uint8_t size;
};
/// A checksum byte at `offset` that makes [start, start + length) sum to 0.
struct AcpiChecksum {
  uint32_t offset, start, length;
};

/// The tables before they have an address: every pointer holds an offset
/// into `tables`, and the fields to relocate and the checksums to redo
/// (in this order) are listed.
struct AcpiBlobs {
  std::vector<uint8_t> tables;  ///< FACS (at 0, 64-byte aligned), DSDT, FADT, ...
  std::vector<uint8_t> rsdp;    ///< 36 bytes
  std::vector<AcpiPointer> table_pointers, rsdp_pointers;
  std::vector<AcpiChecksum> table_checksums, rsdp_checksums;
};
AcpiBlobs build_acpi_blobs(const AcpiConfig& config);

/// The tables as one image to put at physical `base` (16-byte aligned,
/// within 0xE0000-0xFFFFF); the RSDP is at its start.
std::vector<uint8_t> build_acpi_tables(const AcpiConfig& config, uint64_t base);

/// The DSDT's AML, as iasl compiled it.
std::span<const uint8_t> dsdt_aml();

/// The 8-bit sum ACPI checksums make zero.
uint8_t acpi_checksum(std::span<const uint8_t> bytes);

}  // namespace kestrel::machine
