// SPDX-License-Identifier: MIT
// The messages APICs exchange: an interrupt an IOAPIC (or later an MSI)
// sends to local APICs, and the EOI a local APIC broadcasts back for a
// level-triggered vector. The machine implements the bus; the LAPIC and the
// IOAPIC only see this interface, never each other.
#pragma once

#include <cstdint>

namespace kestrel::devices {

/// Delivery modes of redirection entries, LVT entries and the ICR
/// (SDM 3A §10.5.1, §10.6.1; 82093AA datasheet §3.2.4).
enum class ApicDelivery : uint8_t {
  kFixed = 0, kLowest = 1, kSmi = 2, kNmi = 4, kInit = 5, kStartup = 6, kExtInt = 7,
};

/// One interrupt message on the APIC bus.
struct ApicMessage {
  uint8_t vector = 0;
  ApicDelivery mode = ApicDelivery::kFixed;
  bool logical = false;  ///< destination mode: logical (true) or physical APIC ID
  uint8_t dest = 0;      ///< APIC ID, or logical destination bits
  bool level = false;    ///< level-triggered: the LAPIC sets TMR and broadcasts its EOI
};

class ApicBus {
 public:
  virtual ~ApicBus() = default;
  /// Delivers `m` to the local APICs it names.
  virtual void send(const ApicMessage& m) = 0;
  /// A local APIC's EOI of a level-triggered `vector`, for every IOAPIC.
  virtual void broadcast_eoi(uint8_t vector) = 0;
};

}  // namespace kestrel::devices
