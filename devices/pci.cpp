// SPDX-License-Identifier: MIT
// Configuration space, BAR decoding and INTx routing of the PCI bus model.
#include "devices/pci.h"

#include <stdexcept>

namespace kestrel::devices {
namespace {

/// Command bits a function decodes (the rest read as zero).
constexpr uint16_t kCommandWritable = kPciCmdIo | kPciCmdMemory | kPciCmdMaster |
                                      kPciCmdParity | kPciCmdSerr | kPciCmdIntxDisable;
/// Status error bits are write-one-to-clear: parity, SERR, master and
/// target aborts (PCI 3.0 §6.2.3).
constexpr uint16_t kStatusW1c = 0xf900;

bool overlaps(unsigned offset, unsigned size, unsigned first, unsigned last) {
  return offset <= last && offset + size - 1 >= first;
}

}  // namespace

PciFunction::PciFunction(const PciId& id) {
  init_config(kPciVendorId, 2, id.vendor);
  init_config(kPciDeviceId, 2, id.device);
  init_config(kPciRevision, 4, id.class_code << 8 | id.revision);
  init_config(kPciHeaderType, 1, id.multifunction ? 0x80 : 0);
  set_wmask(kPciCommand, 2, kCommandWritable);
  set_w1c(kPciStatus, 2, kStatusW1c);
  set_wmask(kPciCacheLine, 2, 0xffff);
  set_wmask(kPciIntLine, 1, 0xff);
}

void PciFunction::init_config(unsigned offset, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) {
    config_[offset + i] = power_on_[offset + i] = uint8_t(value >> (8 * i));
  }
}

void PciFunction::set_wmask(unsigned offset, unsigned size, uint32_t mask) {
  for (unsigned i = 0; i < size; ++i) wmask_[offset + i] = uint8_t(mask >> (8 * i));
}

void PciFunction::set_w1c(unsigned offset, unsigned size, uint32_t mask) {
  for (unsigned i = 0; i < size; ++i) w1c_[offset + i] = uint8_t(mask >> (8 * i));
}

uint32_t PciFunction::raw(unsigned offset, unsigned size) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint32_t(config_[offset + i]) << (8 * i);
  return v;
}

uint32_t PciFunction::config_read(unsigned offset, unsigned size) const {
  return raw(offset & 0xff, size);
}

void PciFunction::config_write(unsigned offset, uint32_t value, unsigned size) {
  offset &= 0xff;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned o = offset + i;
    const uint8_t b = uint8_t(value >> (8 * i));
    config_[o] = uint8_t((config_[o] & ~wmask_[o]) | (b & wmask_[o]));
    config_[o] &= uint8_t(~(b & w1c_[o]));
  }
  if (overlaps(offset, size, kPciCommand, kPciCommand + 1) ||
      overlaps(offset, size, kPciBar0, kPciBar0 + 4 * kPciBarCount - 1)) {
    update_bars();
    update_intx();
  }
  config_written(offset, size);
}

void PciFunction::pci_reset() {
  for (Bar& bar : bars_) unmap_bar(bar);
  config_ = power_on_;
  intx_ = false;
  update_intx();
}

void PciFunction::define_io_bar(unsigned n, unsigned size, Device& device) {
  bars_[n] = Bar{size, true, false, &device, nullptr, kUnmapped};
  init_config(kPciBar0 + 4 * n, 4, 1);
  set_wmask(kPciBar0 + 4 * n, 4, ~(size - 1) & ~3u);
}

void PciFunction::define_mem_bar(unsigned n, uint64_t size, mmu::MmioHandler& handler,
                                 bool is64, bool prefetchable) {
  bars_[n] = Bar{size, false, is64, nullptr, &handler, kUnmapped};
  const unsigned off = kPciBar0 + 4 * n;
  init_config(off, 4, (is64 ? 4u : 0u) | (prefetchable ? 8u : 0u));
  set_wmask(off, 4, uint32_t(~(size - 1)) & ~0xfu);
  if (is64) set_wmask(off + 4, 4, uint32_t(~(size - 1) >> 32));
}

void PciFunction::set_interrupt_pin(unsigned pin) { init_config(kPciIntPin, 1, pin); }

unsigned PciFunction::add_capability(uint8_t id, unsigned length) {
  const unsigned off = next_cap_;
  init_config(off, 2, id);
  if (last_cap_) {
    init_config(last_cap_ + 1u, 1, off);
  } else {
    init_config(kPciCapPtr, 1, off);
    init_config(kPciStatus, 2, raw(kPciStatus, 2) | kPciStatusCapList);
  }
  last_cap_ = uint8_t(off);
  next_cap_ = (off + length + 3) & ~3u;
  return off;
}

uint64_t PciFunction::bar_address(unsigned n) const {
  const Bar& bar = bars_[n];
  const uint32_t lo = raw(kPciBar0 + 4 * n, 4);
  if (bar.io) return lo & ~3u;
  uint64_t a = lo & ~0xfu;
  if (bar.is64) a |= uint64_t(raw(kPciBar0 + 4 * (n + 1), 4)) << 32;
  return a;
}

// A BAR decodes when its space is enabled in the command register and its
// address is sane: not 0, not wrapping, inside 64 KiB for I/O, below 4 GiB
// for a 32-bit BAR. The last two exclude the all-ones value of a size probe
// (QEMU's pci_bar_address makes the same choice).
void PciFunction::update_bars() {
  const uint16_t cmd = command();
  for (unsigned n = 0; n < kPciBarCount; ++n) {
    Bar& bar = bars_[n];
    if (!bar.size) continue;
    const uint64_t a = bar_address(n), last = a + bar.size - 1;
    const bool on = cmd & (bar.io ? kPciCmdIo : kPciCmdMemory);
    bool valid = a != 0 && last > a;
    if (bar.io) valid = valid && last <= 0xffff;
    if (!bar.io && !bar.is64) valid = valid && last < 0xffffffffu;
    const uint64_t want = on && valid ? a : kUnmapped;
    if (want == bar.mapped) continue;
    unmap_bar(bar);
    map_bar(bar, want);
  }
}

void PciFunction::map_bar(Bar& bar, uint64_t address) {
  if (address == kUnmapped || !bus_) return;
  if (bar.io) {
    bus_->spaces().map_io(uint16_t(address), unsigned(bar.size), *bar.device);
  } else {
    bus_->spaces().map_mmio(address, bar.size, *bar.handler);
  }
  bar.mapped = address;
}

void PciFunction::unmap_bar(Bar& bar) {
  if (bar.mapped == kUnmapped || !bus_) return;
  if (bar.io) {
    bus_->spaces().unmap_io(uint16_t(bar.mapped), unsigned(bar.size), *bar.device);
  } else {
    bus_->spaces().unmap_mmio(bar.mapped, *bar.handler);
  }
  bar.mapped = kUnmapped;
}

void PciFunction::set_intx(bool level) {
  intx_ = level;
  const uint8_t status = config_[kPciStatus];
  config_[kPciStatus] = uint8_t(level ? status | kPciStatusIntx : status & ~kPciStatusIntx);
  update_intx();
}

void PciFunction::update_intx() {
  const unsigned pin = config_[kPciIntPin];
  const bool out = intx_ && pin != 0 && !(command() & kPciCmdIntxDisable);
  if (out == intx_out_) return;
  intx_out_ = out;
  if (bus_) bus_->intx_changed(devfn_, pin, out);
}

void PciBus::attach(unsigned device, unsigned function, PciFunction& fn) {
  const unsigned devfn = (device & 31) << 3 | (function & 7);
  if (functions_[devfn]) throw std::logic_error("PCI slot taken twice");
  functions_[devfn] = &fn;
  fn.bus_ = this;
  fn.devfn_ = uint8_t(devfn);
}

uint32_t PciBus::config_read(unsigned bus, unsigned devfn, unsigned offset,
                             unsigned size) const {
  const PciFunction* fn = bus == 0 ? functions_[devfn & 0xff] : nullptr;
  return fn ? fn->config_read(offset, size) : open_bus(size);
}

void PciBus::config_write(unsigned bus, unsigned devfn, unsigned offset, uint32_t value,
                          unsigned size) {
  PciFunction* fn = bus == 0 ? functions_[devfn & 0xff] : nullptr;
  if (fn) fn->config_write(offset, value, size);
}

void PciBus::reset() {
  for (PciFunction* fn : functions_) {
    if (fn) fn->pci_reset();
  }
}

void PciBus::intx_changed(uint8_t devfn, unsigned pin, bool level) {
  const unsigned pirq = ((devfn >> 3) + pin - 2) & 3;
  unsigned& count = pirq_count_[pirq];
  count = level ? count + 1 : count - 1;
  if (pirq_sink_ && count == (level ? 1u : 0u)) pirq_sink_->set_irq(pirq, level);
}

}  // namespace kestrel::devices
