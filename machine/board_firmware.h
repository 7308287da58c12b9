// SPDX-License-Identifier: MIT
// The board's firmware part: the fw_cfg device SeaBIOS reads (RAM size,
// e820 map, boot order, files, the ACPI tables through the table loader),
// the CMOS bytes firmware on QEMU reads, and the firmware's debug port
// (0x402). A direct kernel boot (-kernel) has none of it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "devices/debug_ports.h"
#include "devices/device.h"
#include "devices/fw_cfg.h"
#include "machine/net_config.h"
#include "machine/storage_config.h"

namespace kestrel::machine {

/// Where firmware's debug log goes on QEMU's pc (SeaBIOS's DEBUG_IO port).
inline constexpr uint16_t kFirmwareLogPort = 0x402;
/// COM1, which etc/sercon-port names for a serial console.
inline constexpr uint16_t kSerconPort = 0x3f8;

/// OpenFirmware device paths of the boot devices `order` names ('c' disks,
/// 'd' CD-ROMs, 'n' NICs), for SeaBIOS's "bootorder" file: IDE at 00:01.1,
/// NICs from 00:03.0, virtio-blk functions after the NICs.
std::vector<std::string> boot_device_paths(const std::string& order, const StorageConfig& storage,
                                           const NetConfig& net);

/// CMOS 0x3D and 0x38 for `order` (QEMU's encoding: 1 floppy, 2 disk,
/// 3 CD-ROM, 4 network per nibble; 0x38 bit 0 skips the floppy signature
/// check). An empty order is QEMU's default, "cad".
std::pair<uint8_t, uint8_t> cmos_boot_bytes(const std::string& order);

/// Everything of the section, owned together; the Board keeps one. As a
/// device it is reset after the ACPI PM device, whose ACPI mode it turns
/// on: the FADT has no SMI command port, so firmware leaves the board in
/// ACPI mode as a direct boot does.
class Firmware final : public devices::Device {
 public:
  Firmware() = default;
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;

  /// Null without firmware (a direct kernel boot).
  devices::FwCfg* fw_cfg() { return fw_cfg_.get(); }

  void reset() override {
    if (after_reset_) after_reset_();
  }

 private:
  friend class Board;
  std::unique_ptr<devices::FwCfg> fw_cfg_;
  std::unique_ptr<devices::DebugConsole> log_;
  std::function<void()> after_reset_;
};

}  // namespace kestrel::machine
