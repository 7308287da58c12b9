// SPDX-License-Identifier: MIT
// Interrupt wiring between devices: a device raises or lowers an IrqLine;
// the board connects each line to an input of an interrupt controller (the
// IrqSink: PIC, IOAPIC, or a fan-out to both). The controller that answers
// the CPU's interrupt acknowledge is an InterruptSource.
#pragma once

#include <cstdint>

namespace kestrel::devices {

/// Something with numbered interrupt inputs.
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  /// Input `pin` is now at `level` (true = asserted). Edge-triggered inputs
  /// act on the change from false to true.
  virtual void set_irq(unsigned pin, bool level) = 0;
};

/// A device's interrupt output; unconnected lines go nowhere.
class IrqLine {
 public:
  void connect(IrqSink& sink, unsigned pin) {
    sink_ = &sink;
    pin_ = pin;
    if (level_) sink_->set_irq(pin_, true);
  }
  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (sink_) sink_->set_irq(pin_, level);
  }
  void raise() { set(true); }
  void lower() { set(false); }
  /// A rising then falling edge (an edge-triggered request).
  void pulse() {
    set(true);
    set(false);
  }
  bool level() const { return level_; }

 private:
  IrqSink* sink_ = nullptr;
  unsigned pin_ = 0;
  bool level_ = false;
};

/// The controller that delivers maskable interrupts to the CPU (the PIC,
/// or the local APIC with the PIC behind it as ExtINT).
class InterruptSource {
 public:
  virtual ~InterruptSource() = default;
  /// Whether INTR is asserted now.
  virtual bool interrupt_pending() const = 0;
  /// The CPU's interrupt-acknowledge cycle: the vector to deliver. Called
  /// only when interrupt_pending() is true and the CPU takes it.
  virtual uint8_t acknowledge() = 0;
};

}  // namespace kestrel::devices
