// SPDX-License-Identifier: MIT
// The PIIX3 IDE function (PCI 00:01.1, 8086:7010): two channels in legacy
// (compatibility) mode at 0x1F0/0x3F6 and 0x170/0x376 with ISA IRQs 14
// and 15, and the bus-master registers in BAR4. The channels and drives
// are channel.*; the board wires the ports, the IRQ lines and the media.
#pragma once

#include <array>
#include <memory>

#include "devices/device.h"
#include "devices/ide/channel.h"
#include "devices/pci.h"
#include "mmu/mmu.h"

namespace kestrel::devices::ide {

inline constexpr uint16_t kPrimaryCommandPort = 0x1f0, kPrimaryControlPort = 0x3f6;
inline constexpr uint16_t kSecondaryCommandPort = 0x170, kSecondaryControlPort = 0x376;
inline constexpr unsigned kCommandPortCount = 8;
inline constexpr unsigned kPrimaryIrq = 14, kSecondaryIrq = 15;
inline constexpr unsigned kPiixIdeSlot = 1, kPiixIdeFunction = 1;

class PiixIde final : public Device, public PciFunction {
 public:
  /// Plugs itself into `bus` at 00:01.1; DMA reaches guest RAM through `mem`.
  PiixIde(PciBus& bus, mmu::Mmu& mem);

  Channel& channel(unsigned index) { return *channels_.at(index); }

  /// Power-on state of both channels and their drives.
  void reset() override;
  void pci_reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

 private:
  /// The channel and register a port decodes to; false when none.
  bool bm_port(uint16_t port, unsigned& channel, unsigned& reg) const;

  std::array<std::unique_ptr<Channel>, 2> channels_;
};

}  // namespace kestrel::devices::ide
