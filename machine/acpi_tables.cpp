// SPDX-License-Identifier: MIT
// Building the ACPI tables byte by byte. Field offsets are the ACPI
// specification's (6.4, chapter 5.2); the revisions chosen are those of
// ACPI 2.0 (FADT 3), which every Linux since 2.6 reads.
#include "machine/acpi_tables.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace kestrel::machine {
namespace {

constexpr uint8_t kDsdtAml[] = {
#include "machine/dsdt_aml.inc"
};

constexpr std::string_view kOemId = "KESTRL";
constexpr std::string_view kOemTableId = "KESTREL ";
constexpr size_t kHeaderSize = 36;
constexpr uint32_t kRsdpSize = 36;

/// One growing image; tables are appended and patched in place.
class Image {
 public:
  size_t size() const { return bytes_.size(); }
  void align(size_t a) { bytes_.resize((bytes_.size() + a - 1) / a * a, 0); }
  template <class T> void put(size_t off, T v) {
    if (off + sizeof v > bytes_.size()) bytes_.resize(off + sizeof v, 0);
    std::memcpy(bytes_.data() + off, &v, sizeof v);
  }
  void put_text(size_t off, std::string_view s) {
    if (off + s.size() > bytes_.size()) bytes_.resize(off + s.size(), 0);
    std::memcpy(bytes_.data() + off, s.data(), s.size());
  }
  void append(std::span<const uint8_t> b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  std::span<const uint8_t> range(size_t off, size_t n) const { return {bytes_.data() + off, n}; }
  /// A `size`-byte field holding the offset `target` into the tables blob;
  /// it becomes an address once the blob is placed.
  void put_pointer(size_t off, uint8_t size, uint64_t target) {
    if (size == 4) put<uint32_t>(off, uint32_t(target));
    else put<uint64_t>(off, target);
    pointers.push_back({uint32_t(off), size});
  }
  /// The byte at `off` makes [start, start + length) sum to zero.
  void put_checksum(size_t off, size_t start, size_t length) {
    put<uint8_t>(off, 0);
    put<uint8_t>(off, uint8_t(-acpi_checksum(range(start, length))));
    checksums.push_back({uint32_t(off), uint32_t(start), uint32_t(length)});
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

  std::vector<AcpiPointer> pointers;
  std::vector<AcpiChecksum> checksums;

 private:
  std::vector<uint8_t> bytes_;
};

/// Starts a table with the standard header at the end of the image (16-byte
/// aligned); returns its offset.
size_t begin_table(Image& img, std::string_view signature, uint8_t revision) {
  img.align(16);
  const size_t t = img.size();
  img.put_text(t, signature);
  img.put<uint8_t>(t + 8, revision);
  img.put_text(t + 10, kOemId);
  img.put_text(t + 16, kOemTableId);
  img.put<uint32_t>(t + 24, 1);        // OEM revision
  img.put_text(t + 28, "KSTR");        // creator ID
  img.put<uint32_t>(t + 32, 1);        // creator revision
  return t;
}

/// Sets the table's length to the end of the image and its checksum.
void end_table(Image& img, size_t t) {
  const uint32_t length = uint32_t(img.size() - t);
  img.put<uint32_t>(t + 4, length);
  img.put_checksum(t + 9, t, length);
}

/// A Generic Address Structure (§5.2.3.2) in system I/O space.
void put_gas_io(Image& img, size_t off, uint8_t bit_width, uint64_t port) {
  img.put<uint8_t>(off, 1);  // system I/O
  img.put<uint8_t>(off + 1, bit_width);
  img.put<uint8_t>(off + 2, 0);
  img.put<uint8_t>(off + 3, 0);  // access size: legacy
  img.put<uint64_t>(off + 4, port);
}

size_t add_facs(Image& img) {
  img.align(64);  // §5.2.10: 64-byte aligned
  const size_t t = img.size();
  img.put_text(t, "FACS");
  img.put<uint32_t>(t + 4, 64);
  img.put<uint8_t>(t + 32, 1);  // version (ACPI 2.0)
  img.put<uint8_t>(t + 63, 0);
  return t;
}

size_t add_fadt(Image& img, const AcpiConfig& c, uint64_t facs, uint64_t dsdt) {
  const size_t t = begin_table(img, "FACP", 3);
  img.put_pointer(t + 36, 4, facs);
  img.put_pointer(t + 40, 4, dsdt);
  img.put<uint16_t>(t + 46, c.sci_irq);
  // SMI_CMD (48) stays 0: no SMM handoff, the board is in ACPI mode from
  // reset and SCI_EN is set (§5.2.9, table 5.9).
  img.put<uint32_t>(t + 56, c.pm_base);      // PM1a_EVT_BLK
  img.put<uint32_t>(t + 64, c.pm_base + 4);  // PM1a_CNT_BLK
  img.put<uint32_t>(t + 76, c.pm_base + 8);  // PM_TMR_BLK
  img.put<uint8_t>(t + 88, 4);               // PM1_EVT_LEN
  img.put<uint8_t>(t + 89, 2);               // PM1_CNT_LEN
  img.put<uint8_t>(t + 91, 4);               // PM_TMR_LEN
  img.put<uint16_t>(t + 96, 0x0fff);         // P_LVL2_LAT > 100: no C2
  img.put<uint16_t>(t + 98, 0x0fff);         // P_LVL3_LAT > 1000: no C3
  img.put<uint8_t>(t + 108, c.rtc_century);
  img.put<uint16_t>(t + 109, 0x0003);        // IAPC_BOOT_ARCH: LEGACY_DEVICES, 8042
  // Flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (none fixed),
  // FIX_RTC, RESET_REG_SUP. The PM timer is 24 bits wide (no TMR_VAL_EXT).
  img.put<uint32_t>(t + 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) |
                                 (1u << 10));
  put_gas_io(img, t + 116, 8, c.reset_port);
  img.put<uint8_t>(t + 128, c.reset_value);
  // X_FIRMWARE_CTRL (132) stays 0: FIRMWARE_CTRL already gives the FACS,
  // and only one of the two may be set (§5.2.9, table 5.9).
  img.put_pointer(t + 140, 8, dsdt);         // X_DSDT
  put_gas_io(img, t + 148, 32, c.pm_base);
  put_gas_io(img, t + 172, 16, c.pm_base + 4);
  put_gas_io(img, t + 208, 32, c.pm_base + 8);
  img.put<uint8_t>(t + 243, 0);              // X_GPE1_BLK ends the 244 bytes
  end_table(img, t);
  return t;
}

void add_override(Image& img, size_t off, uint8_t irq, uint32_t gsi, uint16_t flags) {
  img.put<uint8_t>(off, 2);  // Interrupt Source Override
  img.put<uint8_t>(off + 1, 10);
  img.put<uint8_t>(off + 2, 0);  // ISA
  img.put<uint8_t>(off + 3, irq);
  img.put<uint32_t>(off + 4, gsi);
  img.put<uint16_t>(off + 8, flags);
}

size_t add_madt(Image& img, const AcpiConfig& c) {
  const size_t t = begin_table(img, "APIC", 1);
  img.put<uint32_t>(t + 36, c.lapic_addr);
  img.put<uint32_t>(t + 40, 1);  // PCAT_COMPAT: the 8259s are there too
  size_t off = t + 44;
  for (unsigned cpu = 0; cpu < c.cpus; ++cpu, off += 8) {
    img.put<uint8_t>(off, 0);  // Processor Local APIC
    img.put<uint8_t>(off + 1, 8);
    img.put<uint8_t>(off + 2, uint8_t(cpu));  // ACPI processor UID
    img.put<uint8_t>(off + 3, uint8_t(cpu));  // APIC ID
    img.put<uint32_t>(off + 4, 1);            // enabled
  }
  img.put<uint8_t>(off, 1);  // I/O APIC
  img.put<uint8_t>(off + 1, 12);
  img.put<uint8_t>(off + 2, c.ioapic_id);
  img.put<uint32_t>(off + 4, c.ioapic_addr);
  img.put<uint32_t>(off + 8, 0);  // GSI base
  off += 12;
  // The PIT's IRQ 0 is wired to pin 2; the SCI and the PCI link IRQs are
  // level-triggered, active high (flags: polarity 01, trigger 11).
  constexpr uint16_t kLevelHigh = 0x000d;
  add_override(img, off, 0, 2, 0);
  off += 10;
  for (uint8_t irq : {c.sci_irq, uint8_t{5}, uint8_t{10}, uint8_t{11}}) {
    add_override(img, off, irq, irq, kLevelHigh);
    off += 10;
  }
  img.put<uint8_t>(off, 4);  // Local APIC NMI: LINT1 of every processor
  img.put<uint8_t>(off + 1, 6);
  img.put<uint8_t>(off + 2, 0xff);
  img.put<uint16_t>(off + 3, 0);
  img.put<uint8_t>(off + 5, 1);
  end_table(img, t);
  return t;
}

size_t add_hpet(Image& img, const AcpiConfig& c) {
  const size_t t = begin_table(img, "HPET", 1);
  // Event timer block ID: vendor 8086, legacy replacement capable, 64-bit
  // counter, 3 comparators, revision 1 (what the HPET's GCAP_ID reports).
  img.put<uint32_t>(t + 36, 0x8086a201);
  img.put<uint8_t>(t + 40, 0);  // base address: system memory
  img.put<uint8_t>(t + 41, 64);
  img.put<uint64_t>(t + 44, c.hpet_addr);
  img.put<uint8_t>(t + 52, 0);        // HPET number
  img.put<uint16_t>(t + 53, 0x0080);  // minimum periodic tick
  img.put<uint8_t>(t + 55, 0);        // no page protection
  end_table(img, t);
  return t;
}

/// The RSDP (§5.2.5.3): the first checksum covers the ACPI 1.0 part, the
/// extended one all 36 bytes, so it is computed second.
void add_rsdp(Image& img, uint64_t rsdt, uint64_t xsdt) {
  img.put<uint8_t>(kRsdpSize - 1, 0);  // the reserved bytes end it
  img.put_text(0, "RSD PTR ");
  img.put_text(9, kOemId);
  img.put<uint8_t>(15, 2);  // ACPI 2.0 and later
  img.put_pointer(16, 4, rsdt);
  img.put<uint32_t>(20, kRsdpSize);
  img.put_pointer(24, 8, xsdt);
  img.put_checksum(8, 0, 20);
  img.put_checksum(32, 0, kRsdpSize);
}

/// Adds `base` to every pointer field and recomputes the checksums, in
/// their order, over the relocated bytes.
void relocate(std::vector<uint8_t>& bytes, size_t at, uint64_t base,
              const std::vector<AcpiPointer>& pointers,
              const std::vector<AcpiChecksum>& checksums) {
  for (const AcpiPointer& p : pointers) {
    uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at + p.offset, p.size);
    v += base;
    std::memcpy(bytes.data() + at + p.offset, &v, p.size);
  }
  for (const AcpiChecksum& c : checksums) {
    bytes[at + c.offset] = 0;
    bytes[at + c.offset] =
        uint8_t(-acpi_checksum(std::span(bytes).subspan(at + c.start, c.length)));
  }
}

}  // namespace

std::span<const uint8_t> dsdt_aml() { return kDsdtAml; }

uint8_t acpi_checksum(std::span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = uint8_t(sum + b);
  return sum;
}

// Every address is first an offset into the tables blob (which starts
// with the FACS, 64-byte aligned); placing the blob adds its address.
AcpiBlobs build_acpi_blobs(const AcpiConfig& config) {
  Image img;
  const uint64_t facs = add_facs(img);
  img.align(16);
  const uint64_t dsdt = img.size();
  img.append(dsdt_aml());
  std::vector<uint64_t> tables = {add_fadt(img, config, facs, dsdt)};
  if (config.apic) {
    tables.push_back(add_madt(img, config));
    tables.push_back(add_hpet(img, config));
  }
  const size_t rsdt = begin_table(img, "RSDT", 1);
  for (size_t i = 0; i < tables.size(); ++i) {
    img.put_pointer(rsdt + kHeaderSize + 4 * i, 4, tables[i]);
  }
  end_table(img, rsdt);
  const size_t xsdt = begin_table(img, "XSDT", 1);
  for (size_t i = 0; i < tables.size(); ++i) {
    img.put_pointer(xsdt + kHeaderSize + 8 * i, 8, tables[i]);
  }
  end_table(img, xsdt);
  Image rsdp;
  add_rsdp(rsdp, rsdt, xsdt);
  AcpiBlobs out;
  out.table_pointers = std::move(img.pointers);
  out.table_checksums = std::move(img.checksums);
  out.tables = img.take();
  out.rsdp_pointers = std::move(rsdp.pointers);
  out.rsdp_checksums = std::move(rsdp.checksums);
  out.rsdp = rsdp.take();
  return out;
}

// The RSDP first (in the 64 bytes kept for it), the blob after it.
std::vector<uint8_t> build_acpi_tables(const AcpiConfig& config, uint64_t base) {
  constexpr size_t kTablesAt = 64;
  const AcpiBlobs blobs = build_acpi_blobs(config);
  std::vector<uint8_t> img(kTablesAt + blobs.tables.size(), 0);
  std::copy(blobs.rsdp.begin(), blobs.rsdp.end(), img.begin());
  std::copy(blobs.tables.begin(), blobs.tables.end(), img.begin() + kTablesAt);
  relocate(img, kTablesAt, base + kTablesAt, blobs.table_pointers, blobs.table_checksums);
  relocate(img, 0, base + kTablesAt, blobs.rsdp_pointers, blobs.rsdp_checksums);
  return img;
}

}  // namespace kestrel::machine
