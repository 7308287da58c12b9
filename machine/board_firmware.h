// SPDX-License-Identifier: MIT
// The board's firmware part. The fw_cfg device SeaBIOS reads (e820 map, boot order, files, ACPI tables through the table loader) and the option ROMs.
#pragma once

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Firmware {
 public:
  Firmware() = default;
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;
};

}  // namespace kestrel::machine
