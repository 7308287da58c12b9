// SPDX-License-Identifier: MIT
// The SSE4.2 string compares PCMPESTRI, PCMPESTRM, PCMPISTRI and PCMPISTRM:
// element format, aggregation, polarity and output selection from imm8,
// after SDM 2 §4.1 ("Imm8 Control Byte Operation for PCMPESTRI /
// PCMPESTRM / PCMPISTRI / PCMPISTRM"). Their m128 operand may be unaligned.
#include <bit>
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/sse4.h"

namespace kestrel::cpu::exec {
namespace {

/// Element i of x in the format imm8[1:0]: unsigned bytes, unsigned words,
/// signed bytes, signed words.
int element(const Xmm& x, unsigned i, uint8_t imm) {
  switch (imm & 3) {
    case 0: return x.get<uint8_t>(i);
    case 1: return x.get<uint16_t>(i);
    case 2: return x.get<int8_t>(i);
    default: return x.get<int16_t>(i);
  }
}

unsigned element_count(uint8_t imm) { return imm & 1 ? 8 : 16; }

/// An explicit length: the absolute value of EAX/EDX (RAX/RDX with REX.W),
/// saturated to the element count (SDM 2 §4.1.1).
unsigned explicit_length(const CpuState& s, unsigned reg, bool rex_w, unsigned n) {
  const int64_t v = rex_w ? int64_t(s.gpr[reg]) : int64_t(int32_t(s.gpr[reg]));
  const uint64_t mag = v < 0 ? uint64_t{0} - uint64_t(v) : uint64_t(v);
  return mag > n ? n : unsigned(mag);
}

/// An implicit length: the index of the first null element.
unsigned implicit_length(const Xmm& x, uint8_t imm) {
  const unsigned n = element_count(imm);
  for (unsigned i = 0; i < n; ++i) {
    if (element(x, i, imm) == 0) return i;
  }
  return n;
}

/// IntRes1: bit j for element j of b (the W operand), comparing with a (V).
/// Invalid elements follow the overrides of SDM 2 table 4-7.
unsigned aggregate(const Xmm& a, unsigned la, const Xmm& b, unsigned lb, uint8_t imm) {
  const unsigned n = element_count(imm);
  unsigned res = 0;
  for (unsigned j = 0; j < n; ++j) {
    bool hit = false;
    switch (imm >> 2 & 3) {
      case 0:  // equal any: b[j] is one of a[0..la)
        for (unsigned i = 0; i < la && j < lb && !hit; ++i) hit = element(b, j, imm) == element(a, i, imm);
        break;
      case 1:  // ranges: a[i] <= b[j] <= a[i+1] for an even i
        for (unsigned i = 0; i + 1 < la && j < lb && !hit; i += 2) {
          const int v = element(b, j, imm);
          hit = element(a, i, imm) <= v && v <= element(a, i + 1, imm);
        }
        break;
      case 2:  // equal each: both invalid compare true, one invalid false
        hit = (j >= la && j >= lb) || (j < la && j < lb && element(a, j, imm) == element(b, j, imm));
        break;
      default:  // equal ordered: a occurs in b from j (an invalid a[i] matches)
        hit = true;
        for (unsigned i = 0; j + i < n && hit; ++i) {
          hit = i >= la || (j + i < lb && element(b, j + i, imm) == element(a, i, imm));
        }
        break;
    }
    res |= unsigned(hit) << j;
  }
  return res;
}

/// Runs the compare and writes the flags; returns IntRes2.
unsigned string_compare(Cpu& cpu, const DecodedInsn& insn, bool explicit_lengths) {
  sse_check(cpu);
  const uint8_t imm = imm8(insn);
  const unsigned n = element_count(imm);
  const Xmm b = read_w(cpu, insn, Align::kAny);
  const Xmm a = read_v(cpu, insn);
  const bool rex_w = insn.rex & 8;
  const unsigned la = explicit_lengths ? explicit_length(cpu.s, kRax, rex_w, n) : implicit_length(a, imm);
  const unsigned lb = explicit_lengths ? explicit_length(cpu.s, kRdx, rex_w, n) : implicit_length(b, imm);
  unsigned res = aggregate(a, la, b, lb, imm);
  switch (imm >> 4 & 3) {
    case 1: res ^= (1u << n) - 1; break;   // negative polarity
    case 3: res ^= (1u << lb) - 1; break;  // masked: only valid elements of b
    default: break;
  }
  uint32_t flags = 0;
  if (res) flags |= kCf;
  if (lb < n) flags |= kZf;
  if (la < n) flags |= kSf;
  if (res & 1) flags |= kOf;
  write_arith_flags(cpu.s, flags);
  return res;
}

/// ECX = the least (imm8[6] = 0) or most significant set bit of IntRes2,
/// or the element count when there is none.
void write_index(Cpu& cpu, const DecodedInsn& insn, unsigned res) {
  const uint8_t imm = imm8(insn);
  unsigned index = element_count(imm);
  if (res) index = imm & 0x40 ? 31 - unsigned(std::countl_zero(res)) : unsigned(std::countr_zero(res));
  write_gpr<uint32_t>(cpu.s, kRcx, index);
}

/// XMM0 = IntRes2 as a bit mask (imm8[6] = 0) or expanded to one all-ones
/// or all-zeros element per bit.
void write_mask(Cpu& cpu, const DecodedInsn& insn, unsigned res) {
  const uint8_t imm = imm8(insn);
  Xmm r;
  if (!(imm & 0x40)) {
    r.set<uint16_t>(0, uint16_t(res));
  } else if (imm & 1) {
    for (unsigned i = 0; i < 8; ++i) r.set<uint16_t>(i, (res >> i & 1) ? 0xffff : 0);
  } else {
    for (unsigned i = 0; i < 16; ++i) r.b[i] = (res >> i & 1) ? 0xff : 0;
  }
  write_xmm(cpu.s, 0, r);
}

}  // namespace

void PCMPESTRM_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  write_mask(cpu, insn, string_compare(cpu, insn, true));
}
void PCMPESTRI_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  write_index(cpu, insn, string_compare(cpu, insn, true));
}
void PCMPISTRM_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  write_mask(cpu, insn, string_compare(cpu, insn, false));
}
void PCMPISTRI_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  write_index(cpu, insn, string_compare(cpu, insn, false));
}

}  // namespace kestrel::cpu::exec
