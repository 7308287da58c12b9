// SPDX-License-Identifier: MIT
// CPU models as runtime data: the features a model implements and the quirks
// that set it apart. Nothing in the CPU tests for a model by name; it tests
// a feature or a quirk.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cpu/isa/isa.h"

namespace kestrel::cpu {

/// Behaviours that differ between generations where no CPUID bit tells.
enum Quirk : uint32_t {
  kQuirkUnmaskedShift = 1u << 0,   ///< 8086: shift/rotate counts not masked to 5 bits
  kQuirkPushSpNew = 1u << 1,       ///< 8086: PUSH SP pushes the decremented SP
  kQuirkDivFaultNextIp = 1u << 2,  ///< 8086: #DE pushes the next instruction's IP
  kQuirkFlagsHighSet = 1u << 3,    ///< 8086: FLAGS bits 12-15 read as 1
  kQuirkFlagsHighClearReal = 1u << 4,  ///< 286: FLAGS bits 12-15 are 0 in real mode
  kQuirkRepIdivNegate = 1u << 5,   ///< 8086: a REP prefix negates the IDIV quotient
  kQuirkNoUd = 1u << 6,            ///< 8086: no #UD; undefined encodings do something
  kQuirkSegWrap = 1u << 7,         ///< 8086: word access at offset FFFF wraps, no #GP/#SS
  kQuirkIdivMinFaults = 1u << 8,   ///< 8086: an IDIV quotient of exactly -2^(n-1) faults
  kQuirkMul8086Flags = 1u << 9,    ///< 8086: MUL/IMUL/DIV leave ZF etc. as the microcode does
  kQuirkLockAnywhere = 1u << 10,   ///< 8086/286: LOCK before any instruction, no #UD
};

struct CpuModel {
  std::string_view name;
  std::string_view description;
  uint64_t features;       ///< bit i set = has isa::Feature i
  uint32_t quirks;
  uint8_t max_insn_len;    ///< 0 = no limit
  uint32_t phys_addr_bits; ///< width of the physical address bus
  // CPUID identity (leaf 0 / 1), for models that have CPUID.
  std::string_view vendor;
  uint32_t cpuid_signature;

  constexpr bool has(isa::Feature f) const { return features >> f & 1; }
  constexpr bool quirk(Quirk q) const { return (quirks & q) != 0; }
};

/// The models Kestrel offers (`-cpu NAME`); the first is the default.
std::span<const CpuModel> cpu_models();
/// The model named `name`, or nullptr.
const CpuModel* find_cpu_model(std::string_view name);
const CpuModel& default_cpu_model();

}  // namespace kestrel::cpu
