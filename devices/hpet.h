// SPDX-License-Identifier: MIT
// The HPET at 0xFED00000 (IA-PC HPET 1.0a): a 64-bit main counter at
// 100 MHz on the board's virtual clock, three timers with comparators,
// periodic and 32-bit modes, edge or level interrupts with their status
// register, and legacy replacement (timer 0 -> IRQ 0, timer 1 -> IRQ 8).
// FSB (MSI) delivery is not offered.
#pragma once

#include <array>
#include <cstdint>

#include "devices/irq.h"
#include "devices/scheduler.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint64_t kHpetDefaultBase = 0xfed00000;
inline constexpr uint64_t kHpetSize = 0x400;
inline constexpr unsigned kHpetTimers = 3;
/// One counter tick: 10 ns (100 MHz), reported in femtoseconds.
inline constexpr Nanos kHpetTickNs = 10;

enum HpetReg : uint16_t {
  kHpetCapabilities = 0x000, kHpetConfig = 0x010, kHpetStatus = 0x020,
  kHpetCounter = 0x0f0, kHpetTimer0 = 0x100,  ///< timer n at 0x100 + 0x20 * n
};
/// Offsets inside a timer's block.
enum HpetTimerReg : uint8_t { kHpetTimerConfig = 0x00, kHpetComparator = 0x08, kHpetFsb = 0x10 };

enum HpetConfigBit : uint64_t { kHpetEnable = 1u << 0, kHpetLegacy = 1u << 1 };
enum HpetTimerBit : uint64_t {
  kHpetTnLevel = 1u << 1, kHpetTnEnable = 1u << 2, kHpetTnPeriodic = 1u << 3,
  kHpetTnPeriodicCap = 1u << 4, kHpetTnSize64Cap = 1u << 5, kHpetTnSetVal = 1u << 6,
  kHpetTn32Bit = 1u << 8,
};

class Hpet final : public mmu::MmioHandler {
 public:
  explicit Hpet(Scheduler& clock);

  void reset();
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;

  /// Timer interrupts go to pins of `sink` numbered as GSIs: the route
  /// field's IOAPIC pin, or ISA IRQ 0 / 8 in legacy replacement mode.
  void connect(IrqSink& sink) { sink_ = &sink; }
  /// Asserted while legacy replacement is on: the board then cuts the PIT
  /// from IRQ 0 and the RTC from IRQ 8, as the chipset does.
  IrqLine legacy;
  uint64_t counter() const;

 private:
  struct Timer {
    uint64_t config = 0, comparator = 0, period = 0;
    Scheduler::TimerId id = 0;
    int line = -1;  ///< the pin this timer holds asserted, or -1
  };
  uint64_t read_reg(unsigned reg) const;
  void write_reg(unsigned reg, uint64_t value, uint64_t mask);
  void write_config(uint64_t value);
  void write_timer_config(unsigned n, uint64_t value);
  void write_comparator(unsigned n, uint64_t value, uint64_t mask);
  void set_counter(uint64_t value);
  unsigned route(unsigned n) const;
  void arm(unsigned n);
  void fire(unsigned n);
  void raise(unsigned n);
  void lower(unsigned n);
  bool running() const { return config_ & kHpetEnable; }

  Scheduler& clock_;
  IrqSink* sink_ = nullptr;
  uint64_t config_ = 0, status_ = 0;
  uint64_t counter_base_ = 0;  ///< the counter at ns_base_ (or now, when halted)
  Nanos ns_base_ = 0;
  std::array<Timer, kHpetTimers> timers_{};
};

}  // namespace kestrel::devices
