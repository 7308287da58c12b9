// SPDX-License-Identifier: MIT
// Random instruction sequences for the Kestrel vs Unicorn differential test:
// the shared memory layout of flat 32-bit protected mode, and a generator
// that encodes rows of cpu/isa/instructions.inc with their memory operands
// aimed into a data window. Running and comparing is unicorn_diff.cpp's job.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/isa/isa.h"
#include "cpu/model.h"
#include "cpu/state.h"

namespace kestrel::differential {

// Physical (= linear, every segment has base 0) layout shared by both sides.
inline constexpr uint32_t kWinBase = 0x1000;   ///< data window, the stack included
inline constexpr uint32_t kWinSize = 0x1000;
inline constexpr uint32_t kGdtBase = 0x2000;   ///< null, flat code 08, flat data 10
inline constexpr uint32_t kIdtBase = 0x2100;   ///< interrupt gates for vectors 0-31
inline constexpr uint32_t kStubBase = 0x2400;  ///< one HLT per vector, 4 bytes apart
inline constexpr uint32_t kCodeBase = 0x3000;  ///< the sequence
inline constexpr uint32_t kCodeMax = 0x1000;
inline constexpr uint32_t kMapSize = 0x10000;  ///< what Unicorn maps
inline constexpr uint16_t kCodeSel = 0x08, kDataSel = 0x10;
inline constexpr unsigned kIdtVectors = 32;

/// One test case: code ending in HLT and the state it starts from.
struct Sequence {
  std::vector<uint8_t> code;
  uint32_t end = 0;  ///< address of the final HLT
  uint32_t gpr[8] = {};
  uint32_t eflags = 2;
  std::array<uint8_t, kWinSize> window{};
  std::vector<std::string> forms;  ///< the rows used, in order (setups excluded)
};

/// Builds sequences from the executable rows that are meaningful in flat
/// 32-bit protected mode at CPL 0 on `model`.
class SequenceGenerator {
 public:
  explicit SequenceGenerator(const cpu::CpuModel& model);
  /// A sequence of 1..max_len generated instructions (plus the setup
  /// instructions they need), deterministic in `seed`.
  Sequence generate(uint64_t seed, unsigned max_len) const;
  const std::vector<const cpu::isa::Row*>& rows() const { return rows_; }

 private:
  std::vector<const cpu::isa::Row*> rows_;
};

/// Flags a row leaves undefined for the generator's static tracking: shifts
/// and rotates may leave any flag as it was (count 0), so count them all.
uint16_t static_undefined(const cpu::isa::Row& r);
/// Flags a row certainly writes (none for count-dependent shifts).
uint16_t static_written(const cpu::isa::Row& r);
bool is_shift(const cpu::isa::Row& r);

}  // namespace kestrel::differential
