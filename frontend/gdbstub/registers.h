// SPDX-License-Identifier: MIT
// The register layouts gdb sees (x86-64 and i386), their target-description
// XML for qXfer:features:read, and the conversion between CpuState and the
// target byte order of the 'g'/'p' packets. Which layout a CPU model gets,
// and why it does not change with the guest's mode, is in docs/debugging.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/cpu.h"

namespace kestrel::frontend::gdbstub {

/// Where a register's value lives.
enum class RegSource : uint8_t {
  kGpr, kPc, kFlags, kSelector, kSegBase, kSt, kFctrl, kFstat, kFtag, kFiseg, kFioff,
  kFoseg, kFooff, kFop, kXmm, kMxcsr, kCr, kEfer,
};

struct RegInfo {
  std::string_view name;
  unsigned bits;
  std::string_view type;  ///< the target-description type
  RegSource source;
  unsigned index;  ///< GPR, segment, x87, XMM or CR number
};

/// One layout: its registers in 'g' packet order and its XML.
class RegisterLayout {
 public:
  /// x86-64 (gdb's i386:x86-64) when `long_mode`, else i386.
  explicit RegisterLayout(bool long_mode);
  bool long_mode() const { return long_mode_; }
  std::span<const RegInfo> registers() const { return regs_; }
  const std::string& target_xml() const { return xml_; }

  /// The register's bytes, little-endian, regs()[n].bits / 8 of them.
  std::vector<uint8_t> read(const cpu::Cpu& cpu, unsigned n) const;
  /// Writes register n from `bytes` (exactly its size); registers a
  /// debugger must not change behind the CPU's back (selectors outside
  /// real mode, control registers, EFER) keep their value. False on a
  /// size mismatch or an unknown register.
  bool write(cpu::Cpu& cpu, unsigned n, std::span<const uint8_t> bytes) const;
  /// Every register, concatenated ('g').
  std::vector<uint8_t> read_all(const cpu::Cpu& cpu) const;
  /// Bytes of the 'g' packet.
  size_t total_bytes() const;

 private:
  bool long_mode_;
  std::vector<RegInfo> regs_;
  std::string xml_;
};

/// The program counter gdb sees: the linear address of the next
/// instruction (CS.base + rIP, cut to 32 bits outside 64-bit mode), so that
/// breakpoints, disassembly and `x/i $pc` agree in real and protected mode.
uint64_t linear_pc(const cpu::Cpu& cpu);

}  // namespace kestrel::frontend::gdbstub
