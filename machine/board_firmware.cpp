// SPDX-License-Identifier: MIT
// Wiring of the board's firmware section (machine/board_firmware.h): what
// the fw_cfg device serves, as QEMU's pc machine serves it to SeaBIOS.
#include "machine/board_firmware.h"

#include <algorithm>
#include <cstdio>

#include "devices/acpi_pm.h"
#include "devices/rtc.h"
#include "machine/acpi_tables.h"
#include "machine/board.h"
#include "machine/board_pci.h"
#include "machine/table_loader.h"

namespace kestrel::machine {
namespace {

/// CMOS registers of QEMU's boot order (the Bochs BIOS layout).
constexpr uint8_t kCmosBootFlag1 = 0x38, kCmosBootFlag2 = 0x3d;
/// PCI slots of the pc machine: IDE at 00:01.1, VGA at 00:02.0, NICs from 00:03.0.
constexpr unsigned kVgaSlot = 2, kFirstNicSlot = 3;
constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;

void put_le(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

std::vector<uint8_t> le_bytes(uint64_t v, unsigned bytes) {
  std::vector<uint8_t> out;
  put_le(out, v, bytes);
  return out;
}

/// QEMU's boot device codes per letter; 0 for letters without one.
uint8_t boot_code(char c) {
  switch (c) {
    case 'a': case 'b': return 1;
    case 'c': return 2;
    case 'd': return 3;
    case 'n': case 'o': case 'p': return 4;
    default: return 0;
  }
}

std::string ide_path(unsigned index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "/pci@i0cf8/ide@1,1/drive@%x/disk@%x", index / 2, index % 2);
  return buf;
}

/// "etc/e820": 20-byte entries (address, length, type), little-endian.
std::vector<uint8_t> e820_file(const mmu::Mmu& mmu, size_t rom_size) {
  std::vector<uint8_t> out;
  auto add = [&out](uint64_t base, uint64_t length, uint32_t type) {
    put_le(out, base, 8);
    put_le(out, length, 8);
    put_le(out, type, 4);
  };
  add(0, mmu.low_ram(), kE820Ram);
  if (mmu.ram_size() > mmu.low_ram()) {
    add(mmu::Mmu::kHighRamBase, mmu.ram_size() - mmu.low_ram(), kE820Ram);
  }
  // The firmware image at the top of 4 GiB.
  if (rom_size) add(mmu::Mmu::kHighRamBase - rom_size, rom_size, kE820Reserved);
  return out;
}

/// The tables, the RSDP and the loader commands that place them: the
/// tables anywhere in high memory, the RSDP in the F segment where an OS
/// scans for it (ACPI 6.4 §5.2.5.1).
void add_acpi_files(devices::FwCfg& fw, const AcpiConfig& config) {
  constexpr std::string_view kTables = "etc/acpi/tables", kRsdp = "etc/acpi/rsdp";
  AcpiBlobs blobs = build_acpi_blobs(config);
  TableLoader loader;
  loader.allocate(kTables, 64, LoaderZone::kHigh);  // the FACS needs 64
  loader.allocate(kRsdp, 16, LoaderZone::kFseg);
  for (const AcpiPointer& p : blobs.table_pointers) {
    loader.add_pointer(kTables, kTables, p.offset, p.size);
  }
  for (const AcpiChecksum& c : blobs.table_checksums) {
    loader.add_checksum(kTables, c.offset, c.start, c.length);
  }
  for (const AcpiPointer& p : blobs.rsdp_pointers) {
    loader.add_pointer(kRsdp, kTables, p.offset, p.size);
  }
  for (const AcpiChecksum& c : blobs.rsdp_checksums) {
    loader.add_checksum(kRsdp, c.offset, c.start, c.length);
  }
  fw.add_file(kTables, std::move(blobs.tables));
  fw.add_file(kRsdp, std::move(blobs.rsdp));
  fw.add_file("etc/table-loader", loader.bytes());
}

}  // namespace

std::pair<uint8_t, uint8_t> cmos_boot_bytes(const std::string& order) {
  const std::string o = order.empty() ? "cad" : order;
  uint8_t codes[3] = {};
  for (size_t i = 0; i < 3 && i < o.size(); ++i) codes[i] = boot_code(o[i]);
  // 0x38 bit 0: skip the floppy boot-signature check (no floppy here).
  return {uint8_t(codes[0] | codes[1] << 4), uint8_t(codes[2] << 4 | 1)};
}

// The paths SeaBIOS builds for the devices it finds (src/boot.c) and
// matches as prefixes: /pci@i0cf8/<name>@<slot>[,<fn>]/... .
std::vector<std::string> boot_device_paths(const std::string& order, const StorageConfig& storage,
                                           const NetConfig& net) {
  using Drive = DriveConfig;
  std::vector<const Drive*> ide, virtio;
  for (const Drive& d : storage.drives) {
    (d.interface == Drive::Interface::kIde ? ide : virtio).push_back(&d);
  }
  auto by_index = [](const Drive* a, const Drive* b) { return a->index < b->index; };
  std::sort(ide.begin(), ide.end(), by_index);
  std::sort(virtio.begin(), virtio.end(), by_index);
  std::vector<std::string> paths;
  char buf[64];
  for (char c : order) {
    const Drive::Media media = c == 'd' ? Drive::Media::kCdrom : Drive::Media::kDisk;
    if (c == 'c' || c == 'd') {
      for (const Drive* d : ide) {
        if (d->media == media) paths.push_back(ide_path(d->index));
      }
    }
    if (c == 'c') {
      for (size_t i = 0; i < virtio.size(); ++i) {
        const unsigned slot = unsigned(kFirstNicSlot + net.nics.size() + i);
        std::snprintf(buf, sizeof buf, "/pci@i0cf8/scsi@%x/disk@0,0", slot);
        paths.push_back(buf);
      }
    }
    if (c == 'n') {
      for (size_t i = 0; i < net.nics.size(); ++i) {
        std::snprintf(buf, sizeof buf, "/pci@i0cf8/ethernet@%x/ethernet-phy@0",
                      unsigned(kFirstNicSlot + i));
        paths.push_back(buf);
      }
    }
  }
  return paths;
}

void Board::wire_firmware() {
  firmware_ = std::make_unique<Firmware>();
  Firmware& f = *firmware_;
  const FirmwareConfig& fw = config_.fw;
  if (fw.log) {
    // SeaBIOS logs only when the port reads back 0xE9, as QEMU's debugcon does.
    f.log_ = std::make_unique<devices::DebugConsole>(fw.log);
    attach(*f.log_, {{kFirmwareLogPort, 1}});
  }
  if (config_.firmware.empty()) return;

  const auto [boot1, boot2] = cmos_boot_bytes(fw.boot_order);
  rtc_->set_cmos(kCmosBootFlag2, boot1);
  rtc_->set_cmos(kCmosBootFlag1, boot2);

  f.fw_cfg_ = std::make_unique<devices::FwCfg>(links_.mmu);
  devices::FwCfg& cfg = *f.fw_cfg_;
  attach(cfg, {{devices::kFwCfgSelectorPort, devices::kFwCfgPortCount}});
  const unsigned cpus = 1;
  cfg.set_u64(devices::kFwCfgRamSize, config_.ram_bytes);
  cfg.set_u16(devices::kFwCfgNbCpus, cpus);
  cfg.set_u16(devices::kFwCfgMaxCpus, cpus);
  cfg.set_u16(devices::kFwCfgNographic, fw.serial_console);
  cfg.set_u16(devices::kFwCfgBootMenu, fw.boot_menu);
  cfg.add_file("etc/e820", e820_file(links_.mmu, config_.firmware.size()));
  cfg.add_file("etc/boot-fail-wait", le_bytes(uint32_t(fw.reboot_timeout_ms), 4));

  // One path a line, NUL-terminated, as QEMU writes it.
  std::vector<uint8_t> bootorder;
  for (const std::string& p : boot_device_paths(fw.boot_order, config_.storage, config_.net)) {
    bootorder.insert(bootorder.end(), p.begin(), p.end());
    bootorder.push_back('\n');
  }
  if (!bootorder.empty()) {
    bootorder.push_back(0);
    cfg.add_file("bootorder", std::move(bootorder));
  }

  // The VGA BIOS only for an adapter that is there (class 03h at 00:02.0);
  // without one the firmware's screen goes to COM1.
  const uint32_t vga_class =
      pci_apic_->bus().config_read(0, kVgaSlot << 3, devices::kPciRevision, 4) >> 16;
  const bool vga = vga_class == 0x0300;
  if (vga && !fw.vga_bios.empty()) cfg.add_file("vgaroms/vgabios-stdvga.bin", fw.vga_bios);
  if (fw.serial_console || !vga) cfg.add_file("etc/sercon-port", le_bytes(kSerconPort, 2));

  AcpiConfig acpi;
  acpi.apic = pci_apic_->lapic() != nullptr;
  acpi.cpus = cpus;
  add_acpi_files(cfg, acpi);

  attach(f, {});
  devices::AcpiPm& pm = *acpi_pm_;
  f.after_reset_ = [&pm] { pm.enable_acpi_mode(); };
}

}  // namespace kestrel::machine
