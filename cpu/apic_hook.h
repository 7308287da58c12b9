// SPDX-License-Identifier: MIT
// What the CPU core sees of its local APIC: the task priority behind CR8,
// and the MSRs that belong to the APIC (IA32_APIC_BASE's effect,
// IA32_TSC_DEADLINE). The machine implements it over devices/lapic; the CPU
// never includes a device header (DESIGN.md, "The rooms").
#pragma once

#include <cstdint>

namespace kestrel::cpu {

class ApicHook {
 public:
  virtual ~ApicHook() = default;
  /// MOV from CR8: TPR bits 7:4 (SDM 3A §10.8.6.1).
  virtual uint64_t read_cr8() const = 0;
  /// MOV to CR8 with a value already checked to be 0-15: TPR = value << 4.
  virtual void write_cr8(uint64_t value) = 0;
  /// IA32_APIC_BASE was written and committed (`value` is the new MSR):
  /// the APIC moves to the new base, or turns off when bit 11 is clear.
  virtual void apic_base_written(uint64_t value) = 0;
  /// IA32_TSC_DEADLINE (MSR 0x6E0); `tsc` is the time-stamp counter now.
  virtual uint64_t read_tsc_deadline() const = 0;
  virtual void write_tsc_deadline(uint64_t deadline, uint64_t tsc) = 0;
};

}  // namespace kestrel::cpu
