// SPDX-License-Identifier: MIT
// The std VGA's PCI function: its header, BARs and expansion ROM BAR.
#include "devices/vga/vga_pci.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace kestrel::devices {
namespace {

constexpr uint32_t kClassVga = 0x030000;
/// Revision 2 announces QEMU's extended registers at BAR2 + 0x600.
constexpr uint8_t kRevision = 2;
constexpr uint32_t kRomEnable = 1;
constexpr uint32_t kMinRomBar = 2048;  // PCI 3.0 §6.2.5.2: bits 31-11 decode

}  // namespace

VgaPci::VgaPci(Vga& vga, PciSpaces& spaces, std::vector<uint8_t> rom)
    : PciFunction(PciId{kVgaPciVendor, kVgaPciDevice, kClassVga, kRevision}), spaces_(spaces) {
  lfb_.vga = &vga;
  regs_.vga = &vga;
  define_mem_bar(0, vga.vram_size(), lfb_, false, true);
  define_mem_bar(2, kVgaMmioBarSize, regs_);
  init_config(kPciSubsystemVendor, 4, 0x11001af4);  // QEMU's subsystem ids
  if (!rom.empty() && rom.size() <= (16u << 20)) {
    rom_size_ = std::max(kMinRomBar, std::bit_ceil(uint32_t(rom.size())));
    rom_.image = std::move(rom);
    set_wmask(kPciRomBar, 4, ~(rom_size_ - 1) | kRomEnable);
  }
}

uint64_t VgaPci::Rom::mmio_read(uint64_t offset, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t at = offset + i;
    v |= uint64_t(at < image.size() ? image[at] : 0xff) << (8 * i);
  }
  return v;
}

void VgaPci::pci_reset() {
  PciFunction::pci_reset();
  update_rom();
}

void VgaPci::config_written(unsigned offset, unsigned size) {
  if ((offset <= kPciCommand + 1 && offset + size > kPciCommand) ||
      (offset + size > kPciRomBar && offset < kPciRomBar + 4)) {
    update_rom();
  }
}

void VgaPci::update_rom() {
  if (rom_size_ == 0) return;
  const uint32_t bar = raw(kPciRomBar, 4);
  const uint64_t base = bar & ~(rom_size_ - 1) & ~uint32_t{kRomEnable};
  const bool on = (bar & kRomEnable) && (command() & kPciCmdMemory) && base != 0 &&
                  base + rom_size_ - 1 < 0xffffffffu;
  const uint64_t want = on ? base : kUnmapped;
  if (want == rom_mapped_) return;
  if (rom_mapped_ != kUnmapped) spaces_.unmap_mmio(rom_mapped_, rom_);
  rom_mapped_ = want;
  if (want != kUnmapped) spaces_.map_mmio(want, rom_size_, rom_);
}

}  // namespace kestrel::devices
