// SPDX-License-Identifier: MIT
// The board's firmware section: CMOS boot bytes, OpenFirmware boot paths,
// the table loader run the way SeaBIOS runs it (the tables it places must
// walk from the RSDP with valid checksums), and what a machine with
// firmware serves through fw_cfg (RAM size, e820, files), or without it.
#include "machine/board_firmware.h"

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <string>

#include "devices/rtc.h"
#include "machine/acpi_tables.h"
#include "machine/board_pci.h"
#include "machine/machine.h"
#include "machine/table_loader.h"

namespace kestrel::machine {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

template <class T> T le(const std::vector<uint8_t>& b, size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

std::string name_at(const std::vector<uint8_t>& b, size_t off) {
  return std::string(reinterpret_cast<const char*>(b.data() + off));
}

/// Runs loader commands as SeaBIOS's romfile_loader does, over a flat
/// "memory" of files placed at fixed addresses; returns the memory.
struct LoaderRun {
  std::map<std::string, std::vector<uint8_t>> files;
  std::map<std::string, uint64_t> placed;
  void run(const std::vector<uint8_t>& cmds) {
    REQUIRE(cmds.size() % kLoaderCommandSize == 0);
    for (size_t at = 0; at < cmds.size(); at += kLoaderCommandSize) {
      const uint32_t cmd = le<uint32_t>(cmds, at);
      const std::string file = name_at(cmds, at + 4);
      REQUIRE(files.count(file));
      if (cmd == 1) {
        const uint32_t align = le<uint32_t>(cmds, at + 60);
        const uint8_t zone = cmds[at + 64];
        const uint64_t base = zone == 2 ? 0xf0000 : 0x100000 + 0x10000 * placed.size();
        CHECK(base % align == 0);
        placed[file] = base;
      } else if (cmd == 2) {
        const std::string src = name_at(cmds, at + 60);
        REQUIRE(placed.count(file));
        REQUIRE(placed.count(src));
        const uint32_t off = le<uint32_t>(cmds, at + 116);
        const uint8_t size = cmds[at + 120];
        REQUIRE(off + size <= files[file].size());
        uint64_t v = 0;
        std::memcpy(&v, files[file].data() + off, size);
        v += placed[src];
        std::memcpy(files[file].data() + off, &v, size);
      } else {
        REQUIRE(cmd == 3);
        const uint32_t off = le<uint32_t>(cmds, at + 60);
        const uint32_t start = le<uint32_t>(cmds, at + 64), len = le<uint32_t>(cmds, at + 68);
        std::vector<uint8_t>& f = files[file];
        REQUIRE(start + len <= f.size());
        f[off] = uint8_t(f[off] - acpi_checksum(std::span(f).subspan(start, len)));
      }
    }
  }
  /// The bytes at physical `pa` in whichever placed file holds it.
  const uint8_t* at(uint64_t pa) {
    for (auto& [name, base] : placed) {
      if (pa >= base && pa < base + files[name].size()) return files[name].data() + (pa - base);
    }
    FAIL("address not in a placed file");
    return nullptr;
  }
};

TEST_CASE("board_firmware: CMOS boot bytes follow QEMU's encoding") {
  CHECK(cmos_boot_bytes("") == std::pair<uint8_t, uint8_t>{0x12, 0x31});  // c, a, d
  CHECK(cmos_boot_bytes("d") == std::pair<uint8_t, uint8_t>{0x03, 0x01});
  CHECK(cmos_boot_bytes("ncd") == std::pair<uint8_t, uint8_t>{0x24, 0x31});
}

TEST_CASE("board_firmware: boot paths for IDE, virtio and NICs in -boot order") {
  StorageConfig storage;
  using D = DriveConfig;
  storage.drives = {{nullptr, D::Interface::kIde, D::Media::kCdrom, 2},
                    {nullptr, D::Interface::kVirtio, D::Media::kDisk, 0},
                    {nullptr, D::Interface::kIde, D::Media::kDisk, 1},
                    {nullptr, D::Interface::kIde, D::Media::kDisk, 0}};
  NetConfig net;
  net.nics.resize(2);
  const std::vector<std::string> want = {
      "/pci@i0cf8/ide@1,1/drive@1/disk@0",
      "/pci@i0cf8/ide@1,1/drive@0/disk@0",
      "/pci@i0cf8/ide@1,1/drive@0/disk@1",
      "/pci@i0cf8/scsi@5/disk@0,0",
      "/pci@i0cf8/ethernet@3/ethernet-phy@0",
      "/pci@i0cf8/ethernet@4/ethernet-phy@0",
  };
  CHECK(boot_device_paths("dcn", storage, net) == want);
  CHECK(boot_device_paths("a", storage, net).empty());
}

TEST_CASE("board_firmware: the table loader places tables that walk from the RSDP") {
  AcpiConfig config;
  AcpiBlobs blobs = build_acpi_blobs(config);
  CHECK(blobs.rsdp.size() == 36);
  // The machine's own loader, through fw_cfg.
  MachineConfig c;
  c.ram_bytes = 64 * kMiB;
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware.assign(64 * 1024, 0xf4);
  Machine m(c);
  devices::FwCfg* cfg = m.board().firmware().fw_cfg();
  REQUIRE(cfg);
  LoaderRun run;
  for (const char* f : {"etc/acpi/tables", "etc/acpi/rsdp"}) {
    REQUIRE(cfg->file_key(f));
    run.files[f] = *cfg->item(cfg->file_key(f));
  }
  run.run(*cfg->item(cfg->file_key("etc/table-loader")));
  const uint64_t rsdp = run.placed.at("etc/acpi/rsdp");
  const uint8_t* r = run.at(rsdp);
  CHECK(std::memcmp(r, "RSD PTR ", 8) == 0);
  CHECK(acpi_checksum({r, 20}) == 0);
  CHECK(acpi_checksum({r, 36}) == 0);
  uint64_t xsdt = 0;
  std::memcpy(&xsdt, r + 24, 8);
  const uint8_t* x = run.at(xsdt);
  CHECK(std::memcmp(x, "XSDT", 4) == 0);
  uint32_t xlen = 0;
  std::memcpy(&xlen, x + 4, 4);
  CHECK(acpi_checksum({x, xlen}) == 0);
  uint64_t fadt = 0;
  std::memcpy(&fadt, x + 36, 8);
  const uint8_t* f = run.at(fadt);
  CHECK(std::memcmp(f, "FACP", 4) == 0);
  CHECK(acpi_checksum({f, 244}) == 0);
  uint32_t dsdt = 0, facs = 0;
  std::memcpy(&facs, f + 36, 4);
  std::memcpy(&dsdt, f + 40, 4);
  CHECK(std::memcmp(run.at(dsdt), "DSDT", 4) == 0);
  CHECK(std::memcmp(run.at(facs), "FACS", 4) == 0);
  CHECK(facs % 64 == 0);
}

TEST_CASE("board_firmware: fw_cfg serves RAM size, e820, boot order and CMOS") {
  MachineConfig c;
  c.ram_bytes = 3840 * kMiB;  // 3.5 GiB below the hole, 256 MiB above 4 GiB
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware.assign(256 * 1024, 0xf4);
  c.fw.boot_order = "dc";
  c.fw.reboot_timeout_ms = 0;
  Machine m(c);
  devices::FwCfg& cfg = *m.board().firmware().fw_cfg();
  CHECK(le<uint64_t>(*cfg.item(devices::kFwCfgRamSize), 0) == c.ram_bytes);
  CHECK(le<uint16_t>(*cfg.item(devices::kFwCfgNbCpus), 0) == 1);
  const std::vector<uint8_t>& e820 = *cfg.item(cfg.file_key("etc/e820"));
  REQUIRE(e820.size() == 3 * 20);
  CHECK(le<uint64_t>(e820, 0) == 0);
  CHECK(le<uint64_t>(e820, 8) == 0xe0000000);
  CHECK(le<uint32_t>(e820, 16) == 1);
  CHECK(le<uint64_t>(e820, 20) == uint64_t{1} << 32);
  CHECK(le<uint64_t>(e820, 28) == 256 * kMiB);
  CHECK(le<uint64_t>(e820, 40) == 0xfffc0000);  // the ROM, reserved
  CHECK(le<uint32_t>(e820, 56) == 2);
  CHECK(le<uint32_t>(*cfg.item(cfg.file_key("etc/boot-fail-wait")), 0) == 0);
  // No disks configured: nothing to list, so no bootorder file.
  CHECK(cfg.file_key("bootorder") == 0);
  // Without a display (serial_console false) the console goes to COM1
  // only when the board has no VGA adapter; the VGA BIOS only with one.
  const bool vga = m.board().pci_apic().bus().function(2 << 3) != nullptr;
  CHECK((cfg.file_key("etc/sercon-port") != 0) == !vga);
  CHECK(cfg.file_key("vgaroms/vgabios-stdvga.bin") == 0);  // none configured
  CHECK(m.board().rtc().cmos(0x3d) == 0x23);
  CHECK(m.board().rtc().cmos(0x38) == 0x01);
  // SeaBIOS's RAM size bytes (above 16 MiB in 64 KiB units, above 4 GiB).
  CHECK(m.board().rtc().cmos(0x34) == 0x00);
  CHECK(m.board().rtc().cmos(0x35) == 0xdf);
  CHECK(m.board().rtc().cmos(0x5c) == 0x10);
}

TEST_CASE("board_firmware: -nographic puts the firmware's console on COM1") {
  MachineConfig c;
  c.ram_bytes = 16 * kMiB;
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware.assign(64 * 1024, 0xf4);
  c.fw.serial_console = true;
  c.fw.vga_bios = {0x55, 0xaa, 1};
  Machine m(c);
  devices::FwCfg& cfg = *m.board().firmware().fw_cfg();
  REQUIRE(cfg.file_key("etc/sercon-port"));
  CHECK(le<uint16_t>(*cfg.item(cfg.file_key("etc/sercon-port")), 0) == 0x3f8);
  const bool vga = m.board().pci_apic().bus().function(2 << 3) != nullptr;
  CHECK((cfg.file_key("vgaroms/vgabios-stdvga.bin") != 0) == vga);
}

TEST_CASE("board_firmware: a direct kernel boot has no fw_cfg") {
  MachineConfig c;
  c.ram_bytes = 16 * kMiB;
  c.cpu_model = cpu::find_cpu_model("max");
  Machine m(c);
  CHECK(m.board().firmware().fw_cfg() == nullptr);
}

}  // namespace
}  // namespace kestrel::machine
