// SPDX-License-Identifier: MIT
// The i440FX host bridge (PCI 00:00.0, 8086:1237): PCI configuration
// mechanism #1 on ports 0xCF8-0xCFF, the PAM registers that route the BIOS
// area 0xC0000-0xFFFFF to RAM or to ROM per segment, and the reset control
// register at 0xCF9. The bus model is devices/pci.h; the PIIX3 is piix3.*.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "devices/device.h"
#include "devices/pci.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint16_t kPciConfigAddressPort = 0xcf8;
inline constexpr uint16_t kPciResetControlPort = 0xcf9;
inline constexpr uint16_t kPciConfigDataPort = 0xcfc;
/// Ports the host decodes: the address dword and the data dword.
inline constexpr uint16_t kPciHostFirstPort = 0xcf8;
inline constexpr unsigned kPciHostPortCount = 8;

/// i440FX configuration registers (82441FX datasheet §3.2).
enum I440fxReg : uint8_t {
  kI440fxPam0 = 0x59,   ///< 0xF0000-0xFFFFF in bits 5:4; PAM1-6 follow
  kI440fxSmram = 0x72,  ///< accepted, without effect (no SMM)
};

/// PAM nibble bits: reads (RE) and writes (WE) go to DRAM; clear, they go
/// to PCI, where the ROMs are. They equal mmu::Mmu's shadow route bits.
enum PamBits : uint8_t { kPamRead = 1, kPamWrite = 2 };

class I440fx final : public Device, public PciFunction {
 public:
  /// Plugs itself into `bus` at 00:00.0; PAM routes go to `memory`.
  I440fx(PciBus& bus, mmu::Mmu& memory);

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  void pci_reset() override;

  uint32_t config_address() const { return address_; }
  /// What a write to 0xCF9 with SYS_RST or RST_CPU set calls (the board's reset).
  std::function<void()> on_reset;
  /// Shadows the whole BIOS area as RAM, read and write, as firmware leaves
  /// it before an OS runs (for a direct kernel boot without firmware).
  void shadow_all_ram();

 private:
  void config_written(unsigned offset, unsigned size) override;
  void apply_pam();

  PciBus& bus_;
  mmu::Mmu& memory_;
  uint32_t address_ = 0;
  uint8_t reset_control_ = 0;
  std::array<uint8_t, 13> routed_{};  ///< route applied to each PAM segment
  bool routes_valid_ = false;
};

}  // namespace kestrel::devices
