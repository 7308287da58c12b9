// SPDX-License-Identifier: MIT
// The 82093AA-style I/O APIC at 0xFEC00000: IOREGSEL/IOWIN, ID, version
// (24 redirection entries), the redirection table, remote IRR cleared by
// the local APICs' EOI broadcast, and the EOI register of version 0x20.
// Its 24 input pins are an IrqSink; messages leave through ApicBus.
#pragma once

#include <array>
#include <cstdint>

#include "devices/apic_bus.h"
#include "devices/irq.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint64_t kIoapicDefaultBase = 0xfec00000;
inline constexpr uint64_t kIoapicSize = 0x100;
inline constexpr unsigned kIoapicPins = 24;

/// MMIO offsets and indirect register indices.
enum IoapicReg : uint8_t {
  kIoapicRegSel = 0x00, kIoapicWindow = 0x10, kIoapicEoi = 0x40,
  kIoapicId = 0x00, kIoapicVersion = 0x01, kIoapicArb = 0x02, kIoapicRedirection = 0x10,
};

/// Redirection entry bits (82093AA datasheet §3.2.4).
inline constexpr uint64_t kRteDeliveryStatus = 1u << 12;
inline constexpr uint64_t kRtePolarityLow = 1u << 13;
inline constexpr uint64_t kRteRemoteIrr = 1u << 14;
inline constexpr uint64_t kRteLevel = 1u << 15;
inline constexpr uint64_t kRteMasked = 1u << 16;

class Ioapic final : public mmu::MmioHandler, public IrqSink {
 public:
  explicit Ioapic(ApicBus& bus, uint8_t id = 0);

  void reset();
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;
  /// Input pin `pin` (0-23) is asserted or not. The level is the logical
  /// one: the polarity bit is kept for the guest but not applied, as in
  /// QEMU, so boards drive "asserted" whatever the wire's sense.
  void set_irq(unsigned pin, bool level) override;
  /// The EOI of `vector` by a local APIC: remote IRR of the level-triggered
  /// entries with that vector clears, and a pin still asserted fires again.
  void eoi(uint8_t vector);

  uint64_t entry(unsigned pin) const { return rte_[pin]; }

 private:
  uint32_t read_reg(uint8_t index) const;
  void write_reg(uint8_t index, uint32_t value);
  void service(unsigned pin);

  ApicBus& bus_;
  uint8_t initial_id_;
  uint32_t id_ = 0;
  uint8_t select_ = 0;
  std::array<uint64_t, kIoapicPins> rte_{};
  uint32_t level_ = 0;  ///< pin levels
  uint32_t irr_ = 0;    ///< requests not yet delivered (latched edges, asserted levels)
};

}  // namespace kestrel::devices
