// SPDX-License-Identifier: MIT
// The host-oracle differential test: what the generator, the native runner
// and the Kestrel runner share. A Case is a random instruction sequence and
// the user-mode state it starts from; both runners turn it into a Result.
// The linear layout below is the same on the host and in the guest.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::differential::oracle {

inline constexpr uint64_t kPage = 4096;
/// Register save/load area of the native child (host only, never guest).
inline constexpr uint64_t kCtlBase = 0x10000000;
/// Scratch data: every memory operand and the stack point into it.
inline constexpr uint64_t kDataBase = 0x10100000;
inline constexpr uint64_t kDataSize = 0x4000;
/// The native child's prologue and epilogue (host only).
inline constexpr uint64_t kStubBase = 0x10200000;
/// The sequence under test; it ends where the epilogue jump starts.
inline constexpr uint64_t kSeqBase = 0x10300000;
inline constexpr uint64_t kSeqMax = 0x3000;

/// The user-visible state both sides load and report.
struct RegState {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x202;
  uint32_t mxcsr = 0x1f80;
  uint32_t pad = 0;
  alignas(16) uint8_t xmm[16][16] = {};
};

/// One test case: code that falls through to its end, and its inputs.
struct Case {
  std::vector<uint8_t> code;
  RegState in;
  std::array<uint8_t, kDataSize> data{};
  std::vector<std::string> forms;   ///< the generated rows, in order
  std::vector<uint32_t> starts;     ///< code offset of each generated instruction
};

/// What a run left: on a fault, the state at the faulting instruction.
struct Result {
  RegState out;
  int vector = -1;   ///< exception vector, -1 when the code ran to its end
  std::array<uint8_t, kDataSize> data{};
  std::string error;  ///< the side could not run the case (timeout, crash)
  uint16_t undef_flags = 0;  ///< Kestrel side: flags the executed code left undefined
  uint32_t insns = 0;        ///< Kestrel side: instructions executed
};

}  // namespace kestrel::differential::oracle
