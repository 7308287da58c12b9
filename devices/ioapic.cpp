// SPDX-License-Identifier: MIT
// The I/O APIC: indirect registers, pin sensing and message delivery.
#include "devices/ioapic.h"

#include "devices/device.h"

namespace kestrel::devices {
namespace {

/// Version 0x20 (it has the EOI register), maximum entry 23 in bits 23:16.
constexpr uint32_t kVersion = 0x20 | (kIoapicPins - 1) << 16;
/// Guest-writable entry bits: vector, delivery mode, destination mode,
/// polarity, trigger mode, mask and the destination byte.
constexpr uint64_t kRteWritable = 0xff000000'0001afffull;

}  // namespace

Ioapic::Ioapic(ApicBus& bus, uint8_t id) : bus_(bus), initial_id_(id) { reset(); }

void Ioapic::reset() {
  id_ = uint32_t(initial_id_) << 24;
  select_ = 0;
  rte_.fill(kRteMasked);
  // Pin levels are the wires', not the chip's state: they stay.
  irr_ = 0;
}

uint64_t Ioapic::mmio_read(uint64_t offset, unsigned size) {
  uint32_t v = 0;
  if ((offset & ~uint64_t{3}) == kIoapicRegSel) v = select_;
  if ((offset & ~uint64_t{3}) == kIoapicWindow) v = read_reg(select_);
  if (size >= 4) return v;
  return (v >> (8 * (offset & 3))) & open_bus(size);
}

void Ioapic::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  (void)size;
  switch (offset) {
    case kIoapicRegSel: select_ = uint8_t(value); break;
    case kIoapicWindow: write_reg(select_, uint32_t(value)); break;
    case kIoapicEoi: eoi(uint8_t(value)); break;
    default: break;
  }
}

uint32_t Ioapic::read_reg(uint8_t index) const {
  if (index >= kIoapicRedirection && index < kIoapicRedirection + 2 * kIoapicPins) {
    const uint64_t e = rte_[(index - kIoapicRedirection) / 2];
    return index & 1 ? uint32_t(e >> 32) : uint32_t(e);
  }
  switch (index) {
    case kIoapicId: return id_;
    case kIoapicVersion: return kVersion;
    case kIoapicArb: return id_;
    default: return 0;
  }
}

void Ioapic::write_reg(uint8_t index, uint32_t value) {
  if (index == kIoapicId) {
    id_ = value & 0x0f000000;
    return;
  }
  if (index < kIoapicRedirection || index >= kIoapicRedirection + 2 * kIoapicPins) return;
  const unsigned pin = (index - kIoapicRedirection) / 2;
  uint64_t& e = rte_[pin];
  const uint64_t v = index & 1 ? uint64_t{value} << 32 | uint32_t(e) : (e >> 32) << 32 | value;
  e = (e & ~kRteWritable) | (v & kRteWritable);
  // An edge entry has no remote IRR (82093AA §3.2.4: undefined; cleared here).
  if (!(e & kRteLevel)) e &= ~kRteRemoteIrr;
  service(pin);
}

void Ioapic::set_irq(unsigned pin, bool level) {
  if (pin >= kIoapicPins) return;
  const uint32_t bit = 1u << pin;
  const bool was = level_ & bit;
  level_ = level ? level_ | bit : level_ & ~bit;
  if (rte_[pin] & kRteLevel) {
    irr_ = level ? irr_ | bit : irr_ & ~bit;
  } else if (level && !was) {
    irr_ |= bit;  // a rising edge is latched until delivered
  }
  service(pin);
}

// A request leaves when the entry is unmasked and, for a level-triggered
// entry, when the last one was EOIed (remote IRR clear). A masked edge stays
// latched and goes on unmask, as QEMU's IOAPIC does.
void Ioapic::service(unsigned pin) {
  const uint32_t bit = 1u << pin;
  uint64_t& e = rte_[pin];
  if (!(irr_ & bit) || (e & kRteMasked)) return;
  const bool level = e & kRteLevel;
  if (level && (e & kRteRemoteIrr)) return;
  ApicMessage m;
  m.vector = uint8_t(e);
  m.mode = ApicDelivery((e >> 8) & 7);
  m.logical = e & (1u << 11);
  m.dest = uint8_t(e >> 56);
  // Only fixed and lowest-priority vectors come back with an EOI.
  m.level = level && (m.mode == ApicDelivery::kFixed || m.mode == ApicDelivery::kLowest);
  if (m.level) {
    e |= kRteRemoteIrr;
  } else if (!level) {
    irr_ &= ~bit;
  }
  bus_.send(m);
}

void Ioapic::eoi(uint8_t vector) {
  for (unsigned pin = 0; pin < kIoapicPins; ++pin) {
    uint64_t& e = rte_[pin];
    if (!(e & kRteLevel) || uint8_t(e) != vector || !(e & kRteRemoteIrr)) continue;
    e &= ~kRteRemoteIrr;
    service(pin);
  }
}

}  // namespace kestrel::devices
