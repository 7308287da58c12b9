// SPDX-License-Identifier: MIT
// The host's own x87/MMX unit as the oracle of x87_vs_host: one encoded
// instruction run between FRSTOR and FNSAVE in a small generated stub.
// x86-64 hosts only (the one place host #if is allowed: a test oracle).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kestrel::differential {

/// The 108-byte FSAVE image of 32-bit protected mode (SDM 1 figure 8-10).
struct FsaveImage {
  uint8_t b[108];
};

struct HostRun {
  FsaveImage after;
  uint64_t rflags = 0;
  uint64_t rax = 0;
};

#if defined(__x86_64__)
/// Runs FRSTOR in; loads RAX and RFLAGS; runs `insn` (its memory operand
/// addresses [RBX] = data); stores RFLAGS, RAX; FNSAVE out. MXCSR is saved
/// and restored around it so FXRSTOR cannot disturb the test process.
class HostX87 {
 public:
  HostX87();
  ~HostX87();
  HostX87(const HostX87&) = delete;
  HostX87& operator=(const HostX87&) = delete;
  HostRun run(const FsaveImage& in, const uint8_t* insn, size_t len, void* data, uint64_t rax,
              uint64_t rflags);

 private:
  uint8_t* page_;
};
#endif

}  // namespace kestrel::differential
