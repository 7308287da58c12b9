// SPDX-License-Identifier: MIT
// The std VGA's PCI function, as QEMU's "VGA" device: 1234:1111, class
// 0x0300, BAR0 the prefetchable linear framebuffer, BAR2 the MMIO registers
// (vga.h), and an expansion ROM BAR holding the VGA BIOS when one is given.
// The legacy ports and window are decoded whatever the command register
// says, as on a PC's primary VGA.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/pci.h"
#include "devices/vga/vga.h"

namespace kestrel::devices {

inline constexpr uint16_t kVgaPciVendor = 0x1234, kVgaPciDevice = 0x1111;
inline constexpr uint64_t kVgaMmioBarSize = 0x1000;

class VgaPci final : public PciFunction {
 public:
  /// `rom` (may be empty) is the VGA BIOS image behind the ROM BAR;
  /// `spaces` is where that BAR maps (the bus the function plugs into).
  VgaPci(Vga& vga, PciSpaces& spaces, std::vector<uint8_t> rom);
  void pci_reset() override;

 protected:
  void config_written(unsigned offset, unsigned size) override;

 private:
  struct Lfb final : mmu::MmioHandler {
    Vga* vga = nullptr;
    uint64_t mmio_read(uint64_t offset, unsigned size) override {
      return vga->lfb_read(offset, size);
    }
    void mmio_write(uint64_t offset, uint64_t value, unsigned size) override {
      vga->lfb_write(offset, value, size);
    }
  };
  struct Regs final : mmu::MmioHandler {
    Vga* vga = nullptr;
    uint64_t mmio_read(uint64_t offset, unsigned size) override {
      return vga->regs_read(offset, size);
    }
    void mmio_write(uint64_t offset, uint64_t value, unsigned size) override {
      vga->regs_write(offset, value, size);
    }
  };
  struct Rom final : mmu::MmioHandler {
    std::vector<uint8_t> image;
    uint64_t mmio_read(uint64_t offset, unsigned size) override;
    void mmio_write(uint64_t, uint64_t, unsigned) override {}
  };
  void update_rom();

  PciSpaces& spaces_;
  Lfb lfb_;
  Regs regs_;
  Rom rom_;
  uint32_t rom_size_ = 0;  ///< the BAR's size: a power of two, 0 without a ROM
  uint64_t rom_mapped_ = kUnmapped;
};

}  // namespace kestrel::devices
