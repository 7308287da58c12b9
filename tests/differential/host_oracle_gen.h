// SPDX-License-Identifier: MIT
// The case generator of the host-oracle test: walks cpu/isa/instructions.inc
// for the rows that are meaningful in 64-bit user mode and encodes them
// with random legacy prefixes, REX, ModRM/SIB (RIP-relative and 32-bit
// addressing included) and immediates, memory operands aimed at the
// scratch data. Which rows are left out, and why, is listed here too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/isa/isa.h"
#include "tests/differential/host_oracle.h"

namespace kestrel::differential::oracle {

/// Why a row is not generated, or nullptr when it is eligible. `host_has`
/// tells whether the host CPU has a feature.
const char* exclusion(const cpu::isa::Row& r, bool (*host_has)(unsigned));

class Generator {
 public:
  /// `only`: mnemonics or form names (case-insensitive); empty for all rows.
  Generator(const std::vector<std::string>& only, bool (*host_has)(unsigned));
  /// A case of 1..max_len generated instructions (plus their setup
  /// instructions), deterministic in `seed`.
  Case generate(uint64_t seed, unsigned max_len) const;
  const std::vector<const cpu::isa::Row*>& rows() const { return rows_; }

 private:
  std::vector<const cpu::isa::Row*> rows_;
};

}  // namespace kestrel::differential::oracle
