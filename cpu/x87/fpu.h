// SPDX-License-Identifier: MIT
// The x87 register stack in CpuState: TOP, the tag word, ST(i), pushes and
// pops, and the status-word bookkeeping of exceptions (SDM 1 §8.1).
// CpuState::st[] holds the physical registers R0-R7 (MMi is Ri) and
// CpuState::ftw the full two-bit tags in physical order. Stores of the tag
// word recompute the tags from the contents; loads keep only "empty".
#pragma once

#include "cpu/state.h"
#include "cpu/x87/float80.h"

namespace kestrel::cpu::x87 {

/// FSW bits beyond the exception flags.
enum StatusBit : uint16_t {
  kSwSf = 1u << 6, kSwEs = 1u << 7, kSwC0 = 1u << 8, kSwC1 = 1u << 9, kSwC2 = 1u << 10,
  kSwTop = 7u << 11, kSwC3 = 1u << 14, kSwBusy = 1u << 15,
};
inline constexpr uint16_t kSwCond = kSwC0 | kSwC1 | kSwC2 | kSwC3;

enum Tag : uint8_t { kTagValid = 0, kTagZero = 1, kTagSpecial = 2, kTagEmpty = 3 };

inline unsigned top(const CpuState& s) { return (s.fsw >> 11) & 7; }
inline void set_top(CpuState& s, unsigned t) {
  s.fsw = uint16_t((s.fsw & ~kSwTop) | (t & 7) << 11);
}
/// The physical register of ST(i).
inline unsigned phys(const CpuState& s, unsigned i) { return (top(s) + i) & 7; }
inline unsigned tag(const CpuState& s, unsigned reg) { return (s.ftw >> (2 * reg)) & 3; }
inline void set_tag(CpuState& s, unsigned reg, unsigned t) {
  s.ftw = uint16_t((s.ftw & ~(3u << (2 * reg))) | t << (2 * reg));
}
inline bool empty(const CpuState& s, unsigned i) { return tag(s, phys(s, i)) == kTagEmpty; }

inline Float80 reg_value(const CpuState& s, unsigned reg) {
  return {s.st[reg].mantissa, s.st[reg].sign_exp};
}
inline Float80 st(const CpuState& s, unsigned i) { return reg_value(s, phys(s, i)); }

/// The tag a value gets when written (SDM 1 §8.1.7).
Tag tag_of(Float80 v);
/// Writes physical register `reg` and tags it from its contents.
void write_reg(CpuState& s, unsigned reg, Float80 v);
inline void set_st(CpuState& s, unsigned i, Float80 v) { write_reg(s, phys(s, i), v); }
/// Decrements TOP and writes ST(0); stack overflow is the caller's check.
void push(CpuState& s, Float80 v);
/// Tags ST(0) empty and increments TOP.
void pop(CpuState& s);

/// The tag word as FSTENV/FSAVE store it: recomputed from the contents.
uint16_t stored_tag_word(const CpuState& s);
/// FLDENV/FRSTOR: only "empty" is taken from the image.
void load_tag_word(CpuState& s, uint16_t tw);
/// FXSAVE's abridged tag byte (1 = not empty), and its reverse.
uint8_t abridged_tag_word(const CpuState& s);
void load_abridged_tag_word(CpuState& s, uint8_t tw);

/// ES and B follow the exception flags left unmasked by FCW.
void update_summary(CpuState& s);
/// Merges an operation's exceptions into FSW: sticky flags, SF, ES/B.
/// C1 is the caller's: its meaning differs between instructions.
void raise_flags(CpuState& s, uint16_t flags);
/// The environment of an operation under the current FCW.
inline Env env_of(const CpuState& s) { return Env::from_fcw(s.fcw); }
/// Sets the condition-code bits selected by `mask` to `bits`.
inline void set_cc(CpuState& s, uint16_t mask, uint16_t bits) {
  s.fsw = uint16_t((s.fsw & ~mask) | (bits & mask));
}

/// FNINIT: control word 037Fh, status 0, all registers empty, pointers 0.
void finit(CpuState& s);

/// MMX: every MMX instruction sets TOP to 0 and tags all registers valid;
/// a written register gets exponent bits of ones (SDM 1 §9.5).
void mmx_enter(CpuState& s);
inline uint64_t mmx_read(const CpuState& s, unsigned n) { return s.st[n & 7].mantissa; }
void mmx_write(CpuState& s, unsigned n, uint64_t v);

}  // namespace kestrel::cpu::x87
