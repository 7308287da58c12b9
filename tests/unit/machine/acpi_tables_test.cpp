// SPDX-License-Identifier: MIT
// The ACPI tables as an OS walks them: RSDP checksums and pointers, every
// table's checksum and length, the FADT's PM registers, the MADT's entries
// and overrides, the HPET base, and the DSDT's _S5 name.
#include "machine/acpi_tables.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <string_view>

namespace kestrel::machine {
namespace {

constexpr uint64_t kBase = 0xe0000;

struct Tables {
  explicit Tables(const AcpiConfig& c = {}) : img(build_acpi_tables(c, kBase)) {}
  template <class T> T at(uint64_t pa) const {
    T v;
    std::memcpy(&v, img.data() + (pa - kBase), sizeof v);
    return v;
  }
  std::string_view sig(uint64_t pa) const {
    return {reinterpret_cast<const char*>(img.data() + (pa - kBase)), 4};
  }
  std::span<const uint8_t> table(uint64_t pa) const {
    return {img.data() + (pa - kBase), at<uint32_t>(pa + 4)};
  }
  /// The table the XSDT lists with `signature`, or 0.
  uint64_t find(std::string_view signature) const {
    const uint64_t xsdt = at<uint64_t>(kBase + 24);
    const uint32_t n = (at<uint32_t>(xsdt + 4) - 36) / 8;
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t t = at<uint64_t>(xsdt + 36 + 8 * i);
      if (sig(t) == signature) return t;
    }
    return 0;
  }
  std::vector<uint8_t> img;
};

TEST_CASE("acpi_tables: RSDP, RSDT and XSDT") {
  Tables t;
  CHECK(std::string_view(reinterpret_cast<const char*>(t.img.data()), 8) == "RSD PTR ");
  CHECK(acpi_checksum(std::span(t.img).first(20)) == 0);
  CHECK(acpi_checksum(std::span(t.img).first(36)) == 0);
  CHECK(t.img[15] == 2);
  const uint64_t rsdt = t.at<uint32_t>(kBase + 16);
  const uint64_t xsdt = t.at<uint64_t>(kBase + 24);
  CHECK(t.sig(rsdt) == "RSDT");
  CHECK(t.sig(xsdt) == "XSDT");
  CHECK(acpi_checksum(t.table(rsdt)) == 0);
  CHECK(acpi_checksum(t.table(xsdt)) == 0);
  CHECK(t.at<uint32_t>(rsdt + 4) == 36 + 3 * 4);
  CHECK(t.at<uint32_t>(xsdt + 4) == 36 + 3 * 8);
  CHECK(t.img.size() < 0x10000);  // fits the BIOS area with room to spare
  for (std::string_view s : {"FACP", "APIC", "HPET"}) {
    const uint64_t p = t.find(s);
    REQUIRE(p != 0);
    CHECK(p % 16 == 0);
    CHECK(acpi_checksum(t.table(p)) == 0);
  }
}

TEST_CASE("acpi_tables: the FADT describes the PM registers, SCI and reset") {
  Tables t;
  const uint64_t fadt = t.find("FACP");
  CHECK(t.at<uint32_t>(fadt + 4) == 244);
  CHECK(t.img[fadt - kBase + 8] == 3);
  CHECK(t.at<uint16_t>(fadt + 46) == 9);
  CHECK(t.at<uint32_t>(fadt + 56) == 0x600);
  CHECK(t.at<uint32_t>(fadt + 64) == 0x604);
  CHECK(t.at<uint32_t>(fadt + 76) == 0x608);
  CHECK(t.at<uint8_t>(fadt + 91) == 4);
  CHECK(t.at<uint64_t>(fadt + 208 + 4) == 0x608);  // X_PM_TMR_BLK address
  CHECK((t.at<uint32_t>(fadt + 112) & (1u << 10)) != 0);  // RESET_REG_SUP
  CHECK(t.at<uint64_t>(fadt + 116 + 4) == 0x64);
  CHECK(t.at<uint8_t>(fadt + 128) == 0xfe);
  const uint64_t facs = t.at<uint32_t>(fadt + 36);
  CHECK(t.sig(facs) == "FACS");
  CHECK(facs % 64 == 0);
  const uint64_t dsdt = t.at<uint32_t>(fadt + 40);
  CHECK(t.at<uint64_t>(fadt + 140) == dsdt);
  CHECK(t.sig(dsdt) == "DSDT");
  CHECK(acpi_checksum(t.table(dsdt)) == 0);
  const std::span<const uint8_t> aml = t.table(dsdt);
  CHECK(std::string_view(reinterpret_cast<const char*>(aml.data()), aml.size()).find("_S5_") !=
        std::string_view::npos);
}

TEST_CASE("acpi_tables: the MADT lists the CPU, the IOAPIC and the overrides") {
  Tables t;
  const uint64_t madt = t.find("APIC");
  CHECK(t.at<uint32_t>(madt + 36) == 0xfee00000);
  CHECK(t.at<uint32_t>(madt + 40) == 1);
  uint64_t p = madt + 44;
  const uint64_t end = madt + t.at<uint32_t>(madt + 4);
  unsigned cpus = 0, ioapics = 0;
  std::string overrides;
  while (p < end) {
    const uint8_t type = t.at<uint8_t>(p), len = t.at<uint8_t>(p + 1);
    REQUIRE(len >= 2);
    if (type == 0) cpus += t.at<uint32_t>(p + 4) & 1;
    if (type == 1) {
      ++ioapics;
      CHECK(t.at<uint32_t>(p + 4) == 0xfec00000);
    }
    if (type == 2) {
      overrides += std::to_string(t.at<uint8_t>(p + 3)) + "->" +
                   std::to_string(t.at<uint32_t>(p + 4)) + "/" +
                   std::to_string(t.at<uint16_t>(p + 8)) + " ";
    }
    p += len;
  }
  CHECK(p == end);
  CHECK(cpus == 1);
  CHECK(ioapics == 1);
  CHECK(overrides == "0->2/0 9->9/13 5->5/13 10->10/13 11->11/13 ");
  const uint64_t hpet = t.find("HPET");
  CHECK(t.at<uint64_t>(hpet + 44) == 0xfed00000);
}

TEST_CASE("acpi_tables: without an APIC only the FADT is listed") {
  AcpiConfig c;
  c.apic = false;
  Tables t(c);
  CHECK(t.find("FACP") != 0);
  CHECK(t.find("APIC") == 0);
  CHECK(t.find("HPET") == 0);
}

}  // namespace
}  // namespace kestrel::machine
