// SPDX-License-Identifier: MIT
// The local APIC of the one CPU (xAPIC, MMIO at IA32_APIC_BASE): ID,
// version, TPR/PPR, ISR/TMR/IRR with priorities, EOI (with the broadcast
// IOAPICs need for level-triggered vectors), LDR/DFR, SVR, the ESR, the ICR
// for IPIs to itself, the LVT and the timer (one-shot, periodic and
// TSC-deadline). The PIC sits behind LINT0 as ExtINT and NMI comes on LINT1.
// The machine couples it to the CPU (CR8, the APIC-base and TSC-deadline
// MSRs) and to the IOAPIC through ApicBus.
#pragma once

#include <array>
#include <cstdint>

#include "devices/apic_bus.h"
#include "devices/irq.h"
#include "devices/scheduler.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint64_t kLapicDefaultBase = 0xfee00000;
inline constexpr uint64_t kLapicSize = 0x1000;

/// Register offsets in the APIC page (SDM 3A table 10-1).
enum LapicReg : uint16_t {
  kLapicId = 0x020, kLapicVersion = 0x030, kLapicTpr = 0x080, kLapicApr = 0x090,
  kLapicPpr = 0x0a0, kLapicEoi = 0x0b0, kLapicRrd = 0x0c0, kLapicLdr = 0x0d0,
  kLapicDfr = 0x0e0, kLapicSvr = 0x0f0, kLapicIsr = 0x100, kLapicTmr = 0x180,
  kLapicIrr = 0x200, kLapicEsr = 0x280, kLapicIcrLow = 0x300, kLapicIcrHigh = 0x310,
  kLapicLvtTimer = 0x320, kLapicLvtThermal = 0x330, kLapicLvtPerf = 0x340,
  kLapicLvtLint0 = 0x350, kLapicLvtLint1 = 0x360, kLapicLvtError = 0x370,
  kLapicTimerInitial = 0x380, kLapicTimerCurrent = 0x390, kLapicTimerDivide = 0x3e0,
};

/// LVT entries, in register order from 0x320.
enum LapicLvt : uint8_t { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError };
inline constexpr unsigned kLvtCount = 6;
inline constexpr uint32_t kLvtMasked = 1u << 16;

/// LVT timer modes (bits 18:17).
enum class LapicTimerMode : uint8_t { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };

/// The APIC timer counts at this rate divided by the divide configuration
/// (QEMU's choice too: a 1 GHz bus clock).
inline constexpr Nanos kLapicTickNs = 1;

class Lapic final : public mmu::MmioHandler, public IrqSink, public InterruptSource {
 public:
  Lapic(Scheduler& clock, uint8_t apic_id = 0);

  void reset();

  // ---- the APIC page ----
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;

  // ---- pins: LINT0 (pin 0, the PIC's INTR) and LINT1 (pin 1, NMI) ----
  void set_irq(unsigned pin, bool level) override;
  /// The 8259 that answers the acknowledge of an ExtINT interrupt.
  void set_ext_int(InterruptSource* pic) { ext_int_ = pic; }

  // ---- the CPU side ----
  /// INTR to the core: asserted while interrupt_pending() holds.
  IrqLine intr;
  /// NMI to the core: one pulse per NMI delivered.
  IrqLine nmi;
  bool interrupt_pending() const override;
  uint8_t acknowledge() override;

  /// IA32_APIC_BASE[11]: cleared, the APIC is off and LINT0/LINT1 reach the
  /// core directly as INTR and NMI (SDM 3A §10.4.3).
  void set_global_enable(bool on);
  bool globally_enabled() const { return global_enable_; }
  uint8_t tpr() const { return uint8_t(tpr_); }
  void set_tpr(uint8_t tpr);
  /// IA32_TSC_DEADLINE: `tsc` is the deadline, `when` the virtual time the
  /// machine computed for it. Ignored outside TSC-deadline mode; 0 disarms.
  void set_tsc_deadline(uint64_t tsc, Nanos when);
  /// Reads 0 outside TSC-deadline mode and once the deadline has passed.
  uint64_t tsc_deadline() const { return timer_mode() == LapicTimerMode::kTscDeadline ? deadline_ : 0; }

  // ---- the APIC bus ----
  /// EOIs of level-triggered vectors go out here (to the IOAPICs).
  void connect_bus(ApicBus& bus) { bus_ = &bus; }
  /// Whether a message for `dest` in that destination mode names this APIC.
  bool accepts(uint8_t dest, bool logical) const;
  /// Takes a message that names this APIC.
  void deliver(const ApicMessage& m);

  uint8_t id() const { return uint8_t(id_ >> 24); }
  uint8_t ppr() const;
  bool in_irr(uint8_t v) const { return irr_[v >> 5] >> (v & 31) & 1; }
  bool in_isr(uint8_t v) const { return isr_[v >> 5] >> (v & 31) & 1; }
  bool in_tmr(uint8_t v) const { return tmr_[v >> 5] >> (v & 31) & 1; }

 private:
  using Bits = std::array<uint32_t, 8>;
  uint32_t read_reg(unsigned reg);
  void write_reg(unsigned reg, uint32_t value);
  void write_lvt(unsigned n, uint32_t value);
  void write_svr(uint32_t value);
  void write_icr(uint32_t value);
  void eoi();
  void accept_fixed(uint8_t vector, bool level);
  void lvt_event(unsigned n);
  void error(uint32_t bit);
  bool software_enabled() const { return svr_ & 0x100; }
  LapicTimerMode timer_mode() const { return LapicTimerMode((lvt_[kLvtTimer] >> 17) & 3); }
  unsigned divide_shift() const;
  uint32_t current_count() const;
  void start_timer();
  void arm_timer();
  void timer_fired();
  void update_intr();
  static int highest(const Bits& b);

  Scheduler& clock_;
  Scheduler::TimerId timer_;
  uint8_t initial_id_;
  ApicBus* bus_ = nullptr;
  InterruptSource* ext_int_ = nullptr;
  bool global_enable_ = true;
  uint32_t id_ = 0, tpr_ = 0, ldr_ = 0, dfr_ = 0, svr_ = 0;
  uint32_t esr_ = 0, esr_pending_ = 0;
  uint32_t icr_low_ = 0, icr_high_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  Bits irr_{}, isr_{}, tmr_{};
  std::array<bool, 2> lint_{};
  bool extint_message_ = false;  ///< an ExtINT message waits for its acknowledge
  // Timer: counting since start_ from initial_ (one-shot, periodic), or the
  // TSC deadline; divide_ is the divide configuration register.
  uint32_t initial_ = 0, divide_ = 0;
  Nanos start_ = 0;
  uint64_t deadline_ = 0;
  bool timer_running_ = false;
};

}  // namespace kestrel::devices
