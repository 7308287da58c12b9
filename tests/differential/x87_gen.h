// SPDX-License-Identifier: MIT
// Random cases for x87_vs_host: an x87 or MMX row of the instruction
// table encoded with its memory operand at [EBX]/[RBX], a random FPU state
// (control word, status, tags, registers of every operand class) and a
// memory operand of the row's type.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "cpu/isa/isa.h"
#include "cpu/x87/float80.h"

namespace kestrel::differential {

inline constexpr unsigned kDataSize = 512;

/// What the memory operand of a row holds.
enum class MemKind : uint8_t {
  kNone, kF32, kF64, kF80, kI16, kI32, kI64, kBcd, kWord, kEnv, kSave, kFxImage, kQword, kDword,
};

struct Case {
  cpu::isa::Form form = cpu::isa::Form::kInvalid;
  uint8_t code[16] = {};
  unsigned len = 0;
  bool mem = false;            ///< the ModRM names memory
  MemKind kind = MemKind::kNone;
  uint16_t fcw = 0, fsw = 0, ftw = 0;  ///< ftw in physical order
  cpu::x87::Float80 st[8];     ///< ST(0)..ST(7)
  uint64_t rflags = 0x202;
  uint32_t eax = 0;
  alignas(16) uint8_t data[kDataSize] = {};
};

class CaseGen {
 public:
  explicit CaseGen(uint64_t seed);
  /// The rows under test: every executable x87, MMX and FXSAVE/FXRSTOR row.
  const std::vector<cpu::isa::Form>& forms() const { return forms_; }
  Case next();
  Case next(cpu::isa::Form form);

 private:
  uint64_t u64() { return rng_(); }
  unsigned below(unsigned n) { return unsigned(rng_() % n); }
  cpu::x87::Float80 f80();
  cpu::x87::Float80 near_pi_multiple(bool sign);
  uint32_t f32();
  uint64_t f64();
  uint64_t integer(unsigned bits);
  void bcd(uint8_t* out);
  uint16_t control_word();
  void state(Case& c);
  void encode(Case& c);
  void fill_memory(Case& c);
  void fill_env(uint8_t* p, bool with_regs);
  void fill_fx(uint8_t* p);

  std::mt19937_64 rng_;
  std::vector<cpu::isa::Form> forms_;
};

MemKind mem_kind(cpu::isa::Form form);

}  // namespace kestrel::differential
