// SPDX-License-Identifier: MIT
// The local APIC: register file, interrupt acceptance and priorities, the
// LVT and the timer. SDM 3A chapter 10 throughout.
#include "devices/lapic.h"

#include <bit>

#include "devices/device.h"

namespace kestrel::devices {
namespace {

/// Version register: version 0x14 (integrated xAPIC), max LVT entry 5 (six
/// entries, no CMCI) in bits 23:16 (SDM 3A §10.4.8).
constexpr uint32_t kVersion = 0x14 | (kLvtCount - 1) << 16;
constexpr uint32_t kSvrEnable = 1u << 8;
/// The bits each LVT entry keeps (SDM 3A figure 10-8); delivery status
/// (bit 12) reads as idle and remote IRR (bit 14) is read-only.
constexpr uint32_t kLvtWritable[kLvtCount] = {
    0x700ff,  // timer: vector, mask, mode
    0x107ff,  // thermal: vector, delivery mode, mask
    0x107ff,  // performance counters
    0x1a7ff,  // LINT0: also polarity and trigger mode
    0x1a7ff,  // LINT1
    0x100ff,  // error: vector and mask
};
/// ESR bits (SDM 3A §10.5.3).
constexpr uint32_t kEsrSendIllegal = 1u << 5, kEsrReceiveIllegal = 1u << 6;

ApicDelivery delivery(uint32_t entry) { return ApicDelivery((entry >> 8) & 7); }

}  // namespace

Lapic::Lapic(Scheduler& clock, uint8_t apic_id)
    : clock_(clock), timer_(clock.add_timer([this] { timer_fired(); })), initial_id_(apic_id) {
  reset();
}

// Power-on state (SDM 3A §10.4.7.1), except that LINT0 is ExtINT and
// unmasked, as QEMU resets the bootstrap processor's APIC: the PIC reaches
// the core in virtual-wire mode with no firmware to program it.
void Lapic::reset() {
  id_ = uint32_t(initial_id_) << 24;
  tpr_ = ldr_ = 0;
  dfr_ = 0xffffffff;
  svr_ = 0xff;
  esr_ = esr_pending_ = 0;
  icr_low_ = icr_high_ = 0;
  lvt_.fill(kLvtMasked);
  lvt_[kLvtLint0] = uint32_t(ApicDelivery::kExtInt) << 8;
  irr_ = isr_ = tmr_ = Bits{};
  extint_message_ = false;
  initial_ = divide_ = 0;
  deadline_ = 0;
  timer_running_ = false;
  clock_.disarm(timer_);
  global_enable_ = true;
  update_intr();
}

int Lapic::highest(const Bits& b) {
  for (int i = 7; i >= 0; --i) {
    if (b[unsigned(i)]) return i * 32 + 31 - std::countl_zero(b[unsigned(i)]);
  }
  return -1;
}

// PPR: the TPR, or the class of the highest in-service vector when that is
// higher (SDM 3A §10.8.3.1).
uint8_t Lapic::ppr() const {
  const int isrv = highest(isr_);
  const uint32_t isr_class = isrv < 0 ? 0 : uint32_t(isrv) & 0xf0;
  return uint8_t((tpr_ & 0xf0) >= isr_class ? tpr_ : isr_class);
}

// ---- registers ----

uint64_t Lapic::mmio_read(uint64_t offset, unsigned size) {
  offset &= kLapicSize - 1;
  // Registers sit at the start of 16-byte slots; the rest of a slot reads 0.
  const uint32_t v = (offset & 0xc) || offset >= 0x400 ? 0 : read_reg(unsigned(offset) & 0xff0);
  if (size >= 4) return v;
  return (v >> (8 * (offset & 3))) & open_bus(size);
}

// Registers take only aligned 32-bit accesses (SDM 3A §10.4.1); narrower
// writes are dropped, the low dword of a 64-bit one is taken.
void Lapic::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  offset &= kLapicSize - 1;
  if (size < 4 || (offset & 0xf) || offset >= 0x400) return;
  write_reg(unsigned(offset), uint32_t(value));
}

uint32_t Lapic::read_reg(unsigned reg) {
  if (reg >= kLapicIsr && reg < kLapicIsr + 0x80) return isr_[(reg - kLapicIsr) >> 4];
  if (reg >= kLapicTmr && reg < kLapicTmr + 0x80) return tmr_[(reg - kLapicTmr) >> 4];
  if (reg >= kLapicIrr && reg < kLapicIrr + 0x80) return irr_[(reg - kLapicIrr) >> 4];
  if (reg >= kLapicLvtTimer && reg <= kLapicLvtError) return lvt_[(reg - kLapicLvtTimer) >> 4];
  switch (reg) {
    case kLapicId: return id_;
    case kLapicVersion: return kVersion;
    case kLapicTpr: return tpr_;
    case kLapicPpr: return ppr();
    case kLapicLdr: return ldr_;
    case kLapicDfr: return dfr_;
    case kLapicSvr: return svr_;
    case kLapicEsr: return esr_;
    case kLapicIcrLow: return icr_low_;
    case kLapicIcrHigh: return icr_high_;
    case kLapicTimerInitial: return initial_;
    case kLapicTimerCurrent: return current_count();
    case kLapicTimerDivide: return divide_;
    default: return 0;  // APR, RRD, EOI and reserved slots
  }
}

void Lapic::write_reg(unsigned reg, uint32_t value) {
  if (reg >= kLapicLvtTimer && reg <= kLapicLvtError) {
    return write_lvt((reg - kLapicLvtTimer) >> 4, value);
  }
  switch (reg) {
    case kLapicId: id_ = value & 0xff000000; break;
    case kLapicTpr: set_tpr(uint8_t(value)); break;
    case kLapicEoi: eoi(); break;
    case kLapicLdr: ldr_ = value & 0xff000000; break;
    case kLapicDfr: dfr_ = value | 0x0fffffff; break;
    case kLapicSvr: write_svr(value); break;
    case kLapicEsr:  // a write latches the errors seen since the last one
      esr_ = esr_pending_;
      esr_pending_ = 0;
      break;
    case kLapicIcrLow: write_icr(value); break;
    case kLapicIcrHigh: icr_high_ = value & 0xff000000; break;
    case kLapicTimerInitial:
      if (timer_mode() == LapicTimerMode::kTscDeadline) break;  // SDM 3A §10.5.4.1
      initial_ = value;
      start_timer();
      break;
    case kLapicTimerDivide:
      divide_ = value & 0xb;
      arm_timer();
      break;
    default: break;  // read-only and reserved registers
  }
}

// A software-disabled APIC keeps every LVT entry masked (SDM 3A §10.4.7.2).
void Lapic::write_lvt(unsigned n, uint32_t value) {
  uint32_t v = (value & kLvtWritable[n]) | (lvt_[n] & ~kLvtWritable[n] & (1u << 14));
  if (!software_enabled()) v |= kLvtMasked;
  const LapicTimerMode old_mode = timer_mode();
  lvt_[n] = v;
  if (n == kLvtTimer && old_mode != timer_mode()) {
    // Switching into or out of TSC-deadline mode disarms the timer.
    if (old_mode == LapicTimerMode::kTscDeadline || timer_mode() == LapicTimerMode::kTscDeadline) {
      initial_ = 0;
      deadline_ = 0;
      timer_running_ = false;
    }
    arm_timer();
  }
  update_intr();
}

void Lapic::write_svr(uint32_t value) {
  svr_ = value & 0x3ff;  // vector, APIC enable, focus check (ignored)
  if (!software_enabled()) {
    for (uint32_t& e : lvt_) e |= kLvtMasked;
  }
  update_intr();
}

void Lapic::set_tpr(uint8_t tpr) {
  tpr_ = tpr;
  update_intr();
}

// ---- interrupts ----

void Lapic::accept_fixed(uint8_t vector, bool level) {
  if (vector < 16) return error(kEsrReceiveIllegal);
  irr_[vector >> 5] |= 1u << (vector & 31);
  if (level) {
    tmr_[vector >> 5] |= 1u << (vector & 31);
  } else {
    tmr_[vector >> 5] &= ~(1u << (vector & 31));
  }
  update_intr();
}

void Lapic::deliver(const ApicMessage& m) {
  if (!global_enable_) return;
  switch (m.mode) {
    case ApicDelivery::kFixed:
    case ApicDelivery::kLowest:  // one CPU: the lowest-priority one is this one
      accept_fixed(m.vector, m.level);
      break;
    case ApicDelivery::kNmi: nmi.pulse(); break;
    case ApicDelivery::kExtInt:
      extint_message_ = true;
      update_intr();
      break;
    default: break;  // INIT, SIPI, SMI: no other CPU to start, no SMM
  }
}

// An LVT interrupt: fixed vectors enter the IRR, NMI goes to the core;
// ExtINT on LINT0 is level-sensitive and read from the pin itself.
void Lapic::lvt_event(unsigned n) {
  const uint32_t e = lvt_[n];
  if (e & kLvtMasked) return;
  const ApicDelivery mode = n == kLvtTimer || n == kLvtError ? ApicDelivery::kFixed : delivery(e);
  if (mode == ApicDelivery::kFixed) accept_fixed(uint8_t(e), false);
  if (mode == ApicDelivery::kNmi) nmi.pulse();
}

void Lapic::error(uint32_t bit) {
  esr_pending_ |= bit;
  lvt_event(kLvtError);
}

void Lapic::set_irq(unsigned pin, bool level) {
  pin &= 1;
  const bool rising = level && !lint_[pin];
  lint_[pin] = level;
  if (!global_enable_) {
    if (pin == 1 && rising) nmi.pulse();
  } else if (rising && delivery(lvt_[kLvtLint0 + pin]) != ApicDelivery::kExtInt) {
    lvt_event(kLvtLint0 + pin);
  }
  update_intr();
}

bool Lapic::interrupt_pending() const {
  if (!global_enable_) return lint_[0] && ext_int_;
  if (software_enabled()) {
    const int v = highest(irr_);
    if (v >= 0 && (unsigned(v) & 0xf0) > (ppr() & 0xf0u)) return true;
  }
  const uint32_t lint0 = lvt_[kLvtLint0];
  const bool wire = lint_[0] && !(lint0 & kLvtMasked) && delivery(lint0) == ApicDelivery::kExtInt;
  return ext_int_ && (extint_message_ || wire);
}

// Fixed interrupts first, then the PIC's; when the request went away between
// INTR and the acknowledge, the spurious vector (SDM 3A §10.9).
uint8_t Lapic::acknowledge() {
  if (global_enable_ && software_enabled()) {
    const int v = highest(irr_);
    if (v >= 0 && (unsigned(v) & 0xf0) > (ppr() & 0xf0u)) {
      irr_[unsigned(v) >> 5] &= ~(1u << (v & 31));
      isr_[unsigned(v) >> 5] |= 1u << (v & 31);
      update_intr();
      return uint8_t(v);
    }
  }
  uint8_t vector = uint8_t(svr_);
  if (interrupt_pending() && ext_int_) {
    extint_message_ = false;
    vector = ext_int_->acknowledge();
  }
  update_intr();
  return vector;
}

void Lapic::eoi() {
  const int v = highest(isr_);
  if (v < 0) return;
  isr_[unsigned(v) >> 5] &= ~(1u << (v & 31));
  if (in_tmr(uint8_t(v))) {
    tmr_[unsigned(v) >> 5] &= ~(1u << (v & 31));
    if (bus_) bus_->broadcast_eoi(uint8_t(v));
  }
  update_intr();
}

// IPIs: this is the only CPU, so only the ones that name it arrive.
void Lapic::write_icr(uint32_t value) {
  icr_low_ = value & 0x000ccfff & ~(1u << 12);
  const auto mode = ApicDelivery((value >> 8) & 7);
  const uint8_t vector = uint8_t(value);
  bool to_self = false;
  switch ((value >> 18) & 3) {
    case 0: to_self = accepts(uint8_t(icr_high_ >> 24), value & (1u << 11)); break;
    case 1: case 2: to_self = true; break;
    default: break;  // all excluding self: nobody
  }
  if ((mode == ApicDelivery::kFixed || mode == ApicDelivery::kLowest) && vector < 16) {
    return error(kEsrSendIllegal);
  }
  if (!to_self) return;
  if (mode == ApicDelivery::kFixed || mode == ApicDelivery::kLowest) accept_fixed(vector, false);
  if (mode == ApicDelivery::kNmi) nmi.pulse();
}

bool Lapic::accepts(uint8_t dest, bool logical) const {
  if (dest == 0xff) return true;  // broadcast, in either mode
  if (!logical) return dest == id();
  const uint8_t ldr = uint8_t(ldr_ >> 24);
  if ((dfr_ >> 28) == 0xf) return (ldr & dest) != 0;  // flat model
  return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;  // cluster model
}

void Lapic::set_global_enable(bool on) {
  if (on == global_enable_) return;
  // Re-enabled, the APIC comes back in its power-on state (SDM 3A §10.4.3).
  reset();
  global_enable_ = on;
  update_intr();
}

void Lapic::update_intr() { intr.set(interrupt_pending()); }

// ---- timer ----

unsigned Lapic::divide_shift() const {
  const uint32_t v = (divide_ & 3) | ((divide_ >> 1) & 4);
  return (v + 1) & 7;  // 111b divides by 1, 000b by 2 ... 110b by 128
}

uint32_t Lapic::current_count() const {
  if (!timer_running_ || timer_mode() == LapicTimerMode::kTscDeadline) return 0;
  const uint64_t ticks = ((clock_.now() - start_) / kLapicTickNs) >> divide_shift();
  if (timer_mode() == LapicTimerMode::kPeriodic) return initial_ - uint32_t(ticks % initial_);
  return ticks >= initial_ ? 0 : initial_ - uint32_t(ticks);
}

void Lapic::start_timer() {
  start_ = clock_.now();
  timer_running_ = initial_ != 0;
  arm_timer();
}

void Lapic::arm_timer() {
  if (timer_mode() == LapicTimerMode::kTscDeadline) return;
  if (!timer_running_) return clock_.disarm(timer_);
  const Nanos period = (Nanos{initial_} << divide_shift()) * kLapicTickNs;
  Nanos next = start_ + period;
  if (timer_mode() == LapicTimerMode::kPeriodic) {
    const Nanos now = clock_.now();
    if (now >= next) next = start_ + ((now - start_) / period + 1) * period;
  }
  clock_.arm(timer_, next);
}

void Lapic::set_tsc_deadline(uint64_t tsc, Nanos when) {
  if (timer_mode() != LapicTimerMode::kTscDeadline) return;  // SDM 3A §10.5.4.1
  deadline_ = tsc;
  if (tsc == 0) return clock_.disarm(timer_);
  clock_.arm(timer_, when);
}

void Lapic::timer_fired() {
  if (timer_mode() == LapicTimerMode::kTscDeadline) {
    if (deadline_ == 0) return;
    deadline_ = 0;
    return lvt_event(kLvtTimer);
  }
  if (!timer_running_) return;
  lvt_event(kLvtTimer);
  if (timer_mode() == LapicTimerMode::kPeriodic) {
    arm_timer();
  } else {
    timer_running_ = false;
  }
}

}  // namespace kestrel::devices
