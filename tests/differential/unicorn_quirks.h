// SPDX-License-Identifier: MIT
// The allow-list of the Kestrel vs Unicorn differential test: classes of
// disagreement where Unicorn (QEMU's TCG) is wrong, each with its reason.
#pragma once

#include <span>

#include "tests/differential/unicorn_runners.h"

namespace kestrel::differential {

struct Quirk {
  const char* id;
  const char* reason;  ///< why Unicorn is wrong, with the SDM reference
};

std::span<const Quirk> known_quirks();

/// The exclusion that keeps a row out of the generated sequences, for rows
/// Unicorn does not execute as hardware does; nullptr for the others.
const Quirk* excluded_row(const cpu::isa::Row& r);

/// Arithmetic flags Unicorn may get wrong after a row (with a LOCK or REP
/// prefix when `locked` or `rep`); the generator keeps flag readers from
/// seeing them.
uint16_t unreliable_flags(const cpu::isa::Row& r, bool locked, bool rep);

/// The class that explains a disagreement, or nullptr.
const Quirk* classify(const Sequence& seq, const Outcome& k, const Outcome& u,
                      const Undefined& und);

}  // namespace kestrel::differential
