// SPDX-License-Identifier: MIT
// Block discovery: decodes the guest block at CS:rIP with the interpreter's
// decoder and block rules (cpu/interp/interpreter.cpp): at most 64
// instructions, one linear page, ending at a branch, a mode change, the IP
// wrap. An instruction that crosses into the next page ends the block,
// which then depends on where that page maps too; instructions that fault
// at decode are left to the interpreter's uncached path.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decode.h"

namespace kestrel::jit::frontend {

struct Discovered {
  std::vector<cpu::DecodedInsn> insns;
  uint32_t bytes = 0;  ///< guest code bytes
  /// The physical page (number) the last instruction continues on when
  /// it crosses into the next linear page, else kNoPage.
  uint64_t second_page = kNoPage;
  static constexpr uint64_t kNoPage = ~uint64_t{0};
};

/// The decoding context of the current mode.
cpu::DecodeContext decode_context(const cpu::Cpu& cpu);
/// rIP's width in the current mode.
uint64_t ip_mask(const cpu::Cpu& cpu);
/// Decodes the block at CS:rIP (its first byte at `phys`); empty when the
/// first instruction must run uncached. May throw cpu::GuestFault (fetch).
/// At most `max_insns` instructions (and never more than 64).
Discovered discover(cpu::Cpu& cpu, uint64_t phys, unsigned max_insns = 64);

}  // namespace kestrel::jit::frontend
