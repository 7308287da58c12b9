// SPDX-License-Identifier: MIT
// The i440FX: configuration mechanism #1, PAM shadowing and reset control.
#include "devices/pci_host.h"

namespace kestrel::devices {
namespace {

constexpr PciId kI440fxId{0x8086, 0x1237, 0x060000, 0x02, false};
constexpr uint32_t kConfigEnable = 1u << 31;
constexpr uint8_t kPamCount = 7;
static_assert(unsigned{kPamRead} == mmu::Mmu::kShadowReadRam &&
              unsigned{kPamWrite} == mmu::Mmu::kShadowWriteRam);

/// Reset control (0xCF9, PIIX3 datasheet §4.1.23): bit 1 SYS_RST (hard
/// reset), bit 2 RST_CPU (the reset happens on its 0 -> 1 edge).
constexpr uint8_t kRcrSysReset = 1u << 1, kRcrCpuReset = 1u << 2;

/// Segment `s` of the BIOS area: 0-11 are the 16 KiB segments from 0xC0000
/// (PAM1 low nibble to PAM6 high nibble), 12 is 0xF0000-0xFFFFF (PAM0).
struct Segment {
  uint64_t base, size;
};
constexpr Segment segment(unsigned s) {
  return s < 12 ? Segment{0xc0000 + uint64_t{s} * 0x4000, 0x4000} : Segment{0xf0000, 0x10000};
}

}  // namespace

I440fx::I440fx(PciBus& bus, mmu::Mmu& memory)
    : PciFunction(kI440fxId), bus_(bus), memory_(memory) {
  init_config(kPciCommand, 2, kPciCmdIo | kPciCmdMemory | kPciCmdMaster);
  // Only what the chipset keeps: PAM0's high nibble, PAM1-6 whole, SMRAM.
  set_wmask(kI440fxPam0, 1, 0xf0);
  for (unsigned i = 1; i < kPamCount; ++i) set_wmask(kI440fxPam0 + i, 1, 0xff);
  init_config(kI440fxSmram, 1, 0x02);
  set_wmask(kI440fxSmram, 1, 0x78);
  // QEMU's subsystem IDs (Red Hat, "QEMU virtual machine"): SeaBIOS takes
  // them on the host bridge as the sign that fw_cfg is there.
  init_config(kPciSubsystemVendor, 2, 0x1af4);
  init_config(kPciSubsystemVendor + 2, 2, 0x1100);
  bus.attach(0, 0, *this);
}

void I440fx::reset() {
  address_ = 0;
  reset_control_ = 0;
  pci_reset();
}

void I440fx::pci_reset() {
  PciFunction::pci_reset();
  apply_pam();
}

// Only a dword access to 0xCF8 is the address register; a byte at 0xCF9
// is reset control, and the data window takes any access inside its dword
// at the byte offset of its port.
uint32_t I440fx::io_read(uint16_t port, unsigned size) {
  if (port == kPciConfigAddressPort && size == 4) return address_;
  if (port == kPciResetControlPort && size == 1) return reset_control_;
  if (port < kPciConfigDataPort || !(address_ & kConfigEnable)) return open_bus(size);
  const unsigned offset = (address_ & 0xfc) | (port & 3);
  if ((port & 3) + size > 4) return open_bus(size);
  return bus_.config_read((address_ >> 16) & 0xff, (address_ >> 8) & 0xff, offset, size);
}

void I440fx::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port == kPciConfigAddressPort && size == 4) {
    address_ = value & 0x80fffffc;  // reserved bits 30:24 and 1:0 read as zero
    return;
  }
  if (port == kPciResetControlPort && size == 1) {
    const bool edge = (value & kRcrCpuReset) && !(reset_control_ & kRcrCpuReset);
    reset_control_ = uint8_t(value & (kRcrSysReset | kRcrCpuReset | 1u << 3));
    if (edge && on_reset) on_reset();
    return;
  }
  if (port < kPciConfigDataPort || !(address_ & kConfigEnable)) return;
  if ((port & 3) + size > 4) return;
  const unsigned offset = (address_ & 0xfc) | (port & 3);
  bus_.config_write((address_ >> 16) & 0xff, (address_ >> 8) & 0xff, offset, value, size);
}

void I440fx::config_written(unsigned offset, unsigned size) {
  if (offset + size > kI440fxPam0 && offset < kI440fxPam0 + kPamCount) apply_pam();
}

void I440fx::shadow_all_ram() {
  config_write(kI440fxPam0, 0x30, 1);
  for (unsigned i = 1; i < kPamCount; ++i) config_write(kI440fxPam0 + i, 0x33, 1);
}

// Only segments whose route changed are told to the MMU, which drops their
// TLB entries; a PAM write that changes nothing costs nothing.
void I440fx::apply_pam() {
  for (unsigned s = 0; s < routed_.size(); ++s) {
    const unsigned reg = s < 12 ? unsigned{kI440fxPam0} + 1 + s / 2 : unsigned{kI440fxPam0};
    const uint8_t pam = uint8_t(raw(reg, 1));
    const uint8_t route = (s < 12 && !(s & 1) ? pam : pam >> 4) & (kPamRead | kPamWrite);
    if (routes_valid_ && routed_[s] == route) continue;
    routed_[s] = route;
    memory_.set_shadow(segment(s).base, segment(s).size, route);
  }
  routes_valid_ = true;
}

}  // namespace kestrel::devices
