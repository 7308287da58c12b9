// SPDX-License-Identifier: MIT
// The PIIX3 IDE function's configuration header and port decoding
// (devices/ide/piix_ide.h).
#include "devices/ide/piix_ide.h"

namespace kestrel::devices::ide {
namespace {

/// Mass storage, IDE, legacy mode on both channels, bus-master capable.
constexpr uint32_t kClassIde = 0x010180;
constexpr unsigned kBmBar = 4, kBmBarSize = 16;
/// IDETIM (primary, secondary) and SIDETIM (PIIX datasheet §2.4).
constexpr unsigned kRegIdetim = 0x40, kRegSidetim = 0x44;
/// IDETIM bit 15: the channel's legacy ports decode.
constexpr uint32_t kIdetimDecode = 0x8000;

}  // namespace

PiixIde::PiixIde(PciBus& bus, mmu::Mmu& mem)
    : PciFunction(PciId{0x8086, 0x7010, kClassIde, 0x00, false}) {
  for (unsigned i = 0; i < 2; ++i) channels_[i] = std::make_unique<Channel>(mem, i);
  define_io_bar(kBmBar, kBmBarSize, *this);
  // The decode bits are on at power-on, not left to firmware, so a kernel
  // booted with -kernel finds both channels enabled (Linux's ata_piix checks
  // them); the ports decode whatever they say, as on QEMU.
  init_config(kRegIdetim, 2, kIdetimDecode);
  init_config(kRegIdetim + 2, 2, kIdetimDecode);
  set_wmask(kRegIdetim, 4, 0xffffffff);
  set_wmask(kRegSidetim, 1, 0xff);
  bus.attach(kPiixIdeSlot, kPiixIdeFunction, *this);
}

void PiixIde::reset() {
  for (auto& c : channels_) c->reset();
}

void PiixIde::pci_reset() { PciFunction::pci_reset(); }

bool PiixIde::bm_port(uint16_t port, unsigned& channel, unsigned& reg) const {
  const uint64_t base = bar_mapped(kBmBar);
  if (base == kUnmapped || port < base || port >= base + kBmBarSize) return false;
  channel = unsigned(port - base) / 8;
  reg = unsigned(port - base) % 8;
  return true;
}

uint32_t PiixIde::io_read(uint16_t port, unsigned size) {
  if (port >= kPrimaryCommandPort && port < kPrimaryCommandPort + kCommandPortCount) {
    return channels_[0]->read_command_block(port - kPrimaryCommandPort, size);
  }
  if (port >= kSecondaryCommandPort && port < kSecondaryCommandPort + kCommandPortCount) {
    return channels_[1]->read_command_block(port - kSecondaryCommandPort, size);
  }
  if (port == kPrimaryControlPort) return channels_[0]->read_alt_status();
  if (port == kSecondaryControlPort) return channels_[1]->read_alt_status();
  unsigned ch = 0, reg = 0;
  if (bm_port(port, ch, reg)) return channels_[ch]->read_bm(reg, size);
  return open_bus(size);
}

void PiixIde::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port >= kPrimaryCommandPort && port < kPrimaryCommandPort + kCommandPortCount) {
    return channels_[0]->write_command_block(port - kPrimaryCommandPort, value, size);
  }
  if (port >= kSecondaryCommandPort && port < kSecondaryCommandPort + kCommandPortCount) {
    return channels_[1]->write_command_block(port - kSecondaryCommandPort, value, size);
  }
  if (port == kPrimaryControlPort) return channels_[0]->write_control(uint8_t(value));
  if (port == kSecondaryControlPort) return channels_[1]->write_control(uint8_t(value));
  unsigned ch = 0, reg = 0;
  if (bm_port(port, ch, reg)) channels_[ch]->write_bm(reg, value, size);
}

}  // namespace kestrel::devices::ide
