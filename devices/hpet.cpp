// SPDX-License-Identifier: MIT
// The HPET: counter, comparators, periodic reload and interrupt routing.
// Where the specification leaves room, Kestrel does what QEMU's HPET does,
// the device Linux is most tested against.
#include "devices/hpet.h"

#include "devices/device.h"

namespace kestrel::devices {
namespace {

/// Capabilities: vendor 8086, legacy replacement capable, 64-bit counter,
/// timers - 1 in bits 12:8, revision 1; the tick in femtoseconds above.
constexpr uint64_t kCapabilities = uint64_t{kHpetTickNs * 1'000'000} << 32 | 0x8086a001u |
                                   (kHpetTimers - 1) << 8;
/// Timer bits the guest writes: level, enable, periodic, set-value,
/// 32-bit mode and the route (13:9).
constexpr uint64_t kTimerWritable = 0x3f4e;
/// IOAPIC pins a timer may route to (bits 63:32 of its configuration).
constexpr uint64_t kRouteCapability = uint64_t{0x00f00000} << 32;

}  // namespace

Hpet::Hpet(Scheduler& clock) : clock_(clock) {
  for (unsigned n = 0; n < kHpetTimers; ++n) {
    timers_[n].id = clock.add_timer([this, n] { fire(n); });
  }
  reset();
}

void Hpet::reset() {
  for (unsigned n = 0; n < kHpetTimers; ++n) {
    lower(n);
    clock_.disarm(timers_[n].id);
    timers_[n].config = kHpetTnPeriodicCap | kHpetTnSize64Cap | kRouteCapability;
    timers_[n].comparator = ~uint64_t{0};
    timers_[n].period = 0;
  }
  config_ = status_ = 0;
  counter_base_ = 0;
  ns_base_ = clock_.now();
  legacy.lower();
}

uint64_t Hpet::counter() const {
  if (!running()) return counter_base_;
  return counter_base_ + (clock_.now() - ns_base_) / kHpetTickNs;
}

// 64-bit registers take 32-bit accesses to either half (i386 guests read
// the counter that way) and 64-bit accesses whole.
uint64_t Hpet::mmio_read(uint64_t offset, unsigned size) {
  const uint64_t v = read_reg(unsigned(offset & ~uint64_t{7}));
  if (size == 8) return v;
  return (v >> (8 * (offset & 7))) & open_bus(size);
}

void Hpet::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  const unsigned shift = 8 * unsigned(offset & 7);
  const uint64_t mask = (size == 8 ? ~uint64_t{0} : uint64_t{open_bus(size)}) << shift;
  write_reg(unsigned(offset & ~uint64_t{7}), value << shift, mask);
}

uint64_t Hpet::read_reg(unsigned reg) const {
  if (reg >= kHpetTimer0 && reg < kHpetTimer0 + 0x20 * kHpetTimers) {
    const Timer& t = timers_[(reg - kHpetTimer0) / 0x20];
    switch (reg & 0x1f) {
      case kHpetTimerConfig: return t.config;
      case kHpetComparator: return t.comparator;
      default: return 0;  // FSB route: no FSB delivery
    }
  }
  switch (reg) {
    case kHpetCapabilities: return kCapabilities;
    case kHpetConfig: return config_;
    case kHpetStatus: return status_;
    case kHpetCounter: return counter();
    default: return 0;
  }
}

void Hpet::write_reg(unsigned reg, uint64_t value, uint64_t mask) {
  if (reg >= kHpetTimer0 && reg < kHpetTimer0 + 0x20 * kHpetTimers) {
    const unsigned n = (reg - kHpetTimer0) / 0x20;
    Timer& t = timers_[n];
    if ((reg & 0x1f) == kHpetTimerConfig) {
      write_timer_config(n, (t.config & ~mask) | (value & mask));
    } else if ((reg & 0x1f) == kHpetComparator) {
      write_comparator(n, value, mask);
    }
    return;
  }
  switch (reg) {
    case kHpetConfig: write_config((config_ & ~mask) | (value & mask)); break;
    case kHpetStatus:  // write one to clear a level-triggered timer's status
      for (unsigned n = 0; n < kHpetTimers; ++n) {
        if (value & mask & status_ & (1u << n)) lower(n);
      }
      break;
    case kHpetCounter: set_counter((counter() & ~mask) | (value & mask)); break;
    default: break;
  }
}

void Hpet::write_config(uint64_t value) {
  const uint64_t old = config_;
  if (running()) counter_base_ = counter();  // freeze, then restart below if still on
  ns_base_ = clock_.now();
  config_ = value & (kHpetEnable | kHpetLegacy);
  if ((old ^ config_) & kHpetLegacy) {
    // Lines move: drop what the timers held on the old routes.
    for (unsigned n = 0; n < kHpetTimers; ++n) lower(n);
    legacy.set(config_ & kHpetLegacy);
  }
  for (unsigned n = 0; n < kHpetTimers; ++n) {
    if (!running()) {
      lower(n);
      clock_.disarm(timers_[n].id);
    } else if (!(old & kHpetEnable)) {
      arm(n);
    }
  }
}

void Hpet::write_timer_config(unsigned n, uint64_t value) {
  Timer& t = timers_[n];
  const uint64_t old = t.config;
  t.config = (old & ~kTimerWritable) | (value & kTimerWritable);
  if (t.config & kHpetTn32Bit) {
    t.comparator = uint32_t(t.comparator);
    t.period = uint32_t(t.period);
  }
  if ((old ^ t.config) & (kHpetTnLevel | (0x1fu << 9)) || !(t.config & kHpetTnEnable)) lower(n);
  arm(n);
}

// In periodic mode a comparator write sets the period, and the comparator
// itself only with SETVAL, which the write then clears (HPET 1.0a §2.3.9.2.2).
void Hpet::write_comparator(unsigned n, uint64_t value, uint64_t mask) {
  Timer& t = timers_[n];
  if (t.config & kHpetTn32Bit) {
    value = uint32_t(value);
    mask = uint32_t(mask);
  }
  const bool periodic = t.config & kHpetTnPeriodic;
  if (!periodic || (t.config & kHpetTnSetVal)) t.comparator = (t.comparator & ~mask) | (value & mask);
  if (periodic) t.period = (t.period & ~mask) | (value & mask);
  t.config &= ~uint64_t{kHpetTnSetVal};
  arm(n);
}

void Hpet::set_counter(uint64_t value) {
  counter_base_ = value;
  ns_base_ = clock_.now();
  for (unsigned n = 0; n < kHpetTimers; ++n) arm(n);
}

unsigned Hpet::route(unsigned n) const {
  if ((config_ & kHpetLegacy) && n < 2) return n == 0 ? 0 : 8;
  return unsigned(timers_[n].config >> 9) & 0x1f;
}

// The next match: the distance from the counter to the comparator, in the
// timer's width; a comparator already passed matches on the next tick.
void Hpet::arm(unsigned n) {
  Timer& t = timers_[n];
  if (!running() || !(t.config & kHpetTnEnable)) return clock_.disarm(t.id);
  const uint64_t cur = counter();
  uint64_t diff;
  if (t.config & kHpetTn32Bit) {
    const uint32_t d = uint32_t(t.comparator) - uint32_t(cur);
    diff = int32_t(d) > 0 ? d : 1;
  } else {
    const uint64_t d = t.comparator - cur;
    diff = int64_t(d) > 0 ? d : 1;
  }
  clock_.arm(t.id, ns_base_ + (cur + diff - counter_base_) * kHpetTickNs);
}

void Hpet::fire(unsigned n) {
  Timer& t = timers_[n];
  if (!running() || !(t.config & kHpetTnEnable)) return;
  const uint64_t cur = counter();
  if ((t.config & kHpetTnPeriodic) && t.period) {
    // Catch up: the comparator moves past the counter by whole periods.
    const bool narrow = t.config & kHpetTn32Bit;
    do {
      t.comparator += t.period;
      if (narrow) t.comparator = uint32_t(t.comparator);
    } while (narrow ? int32_t(uint32_t(cur) - uint32_t(t.comparator)) >= 0
                    : int64_t(cur - t.comparator) >= 0);
    arm(n);
  }
  raise(n);
}

// Level: the status bit and the line stay until the guest clears the bit.
// Edge: a pulse, and the status bit is not used (QEMU does the same).
void Hpet::raise(unsigned n) {
  Timer& t = timers_[n];
  const unsigned pin = route(n);
  if (t.config & kHpetTnLevel) {
    status_ |= 1u << n;
    if (t.line >= 0 && unsigned(t.line) != pin) lower(n);
    t.line = int(pin);
    if (sink_) sink_->set_irq(pin, true);
    return;
  }
  if (sink_) {
    sink_->set_irq(pin, true);
    sink_->set_irq(pin, false);
  }
}

void Hpet::lower(unsigned n) {
  Timer& t = timers_[n];
  status_ &= ~(uint64_t{1} << n);
  if (t.line < 0) return;
  if (sink_) sink_->set_irq(unsigned(t.line), false);
  t.line = -1;
}

}  // namespace kestrel::devices
