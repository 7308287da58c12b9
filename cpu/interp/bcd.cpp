// SPDX-License-Identifier: MIT
// Decimal adjusts (DAA DAS AAA AAS AAM AAD) and the undocumented SALC.
// The algorithms are the SDM's; where the 8086 differs (checked against its
// test vectors) the 8086-only behaviour is selected by the fOnly8086 feature.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

uint8_t al(const Cpu& cpu) { return uint8_t(cpu.s.gpr[kRax]); }
uint8_t ah(const Cpu& cpu) { return uint8_t(cpu.s.gpr[kRax] >> 8); }
void set_ax(Cpu& cpu, uint8_t hi, uint8_t lo) {
  write_gpr<uint16_t>(cpu.s, kRax, uint16_t(hi << 8 | lo));
}

uint32_t szp(uint8_t v) {
  uint32_t f = 0;
  if (v == 0) f |= kZf;
  if (v & 0x80) f |= kSf;
  if (parity_even(v)) f |= kPf;
  return f;
}

bool is_8086(const Cpu& cpu) { return cpu.model->has(isa::fOnly8086); }

/// DAA and DAS (SDM vol. 2): adjust the low digit when it is above 9 or AF
/// is set, then the high digit when the original AL was above 99h or CF was
/// set. The 8086 compares the original AL with 9Fh instead of 99h when AF
/// was set. OF is undefined; it is cleared.
void decimal_adjust(Cpu& cpu, bool subtract) {
  const uint32_t old = arith_flags(cpu.s);
  const uint8_t old_al = al(cpu);
  const bool old_cf = old & kCf, old_af = old & kAf;
  uint8_t v = old_al;
  uint32_t f = 0;
  if ((v & 0x0f) > 9 || old_af) {
    // DAS: CF <- old_CF or the borrow of AL - 6 (SDM vol. 2, DAS); the
    // 8086 does not take the borrow (its SingleStepTests vectors for 2F).
    // For DAA the carry of AL + 6 needs AL > F9h, which the next step covers.
    if (subtract && v < 6 && !is_8086(cpu)) f |= kCf;
    v = uint8_t(subtract ? v - 6 : v + 6);
    f |= kAf;
  }
  const uint8_t limit = old_af && is_8086(cpu) ? 0x9f : 0x99;
  if (old_al > limit || old_cf) {
    v = uint8_t(subtract ? v - 0x60 : v + 0x60);
    f |= kCf;
  }
  set_ax(cpu, ah(cpu), v);
  write_arith_flags(cpu.s, f | szp(v));
}

/// AAA and AAS (SDM vol. 2): adjust AL by 6 and AH by 1 when AL's low digit
/// is above 9 or AF is set, then keep AL's low digit. Later CPUs add or
/// subtract 106h to AX as a whole, so AL's carry reaches AH; the 8086
/// adjusts AL and AH separately. O, S, Z, P are undefined; the choice made
/// here: S, Z, P follow the final AL and OF is cleared.
void ascii_adjust(Cpu& cpu, bool subtract) {
  const uint32_t old = arith_flags(cpu.s);
  uint8_t lo = al(cpu), hi = ah(cpu);
  uint32_t f = 0;
  if ((lo & 0x0f) > 9 || (old & kAf)) {
    if (is_8086(cpu)) {
      lo = uint8_t(subtract ? lo - 6 : lo + 6);
      hi = uint8_t(subtract ? hi - 1 : hi + 1);
    } else {
      const uint16_t ax = uint16_t(hi << 8 | lo);
      const uint16_t r = uint16_t(subtract ? ax - 0x106 : ax + 0x106);
      lo = uint8_t(r);
      hi = uint8_t(r >> 8);
    }
    f |= kAf | kCf;
  }
  lo &= 0x0f;
  set_ax(cpu, hi, lo);
  write_arith_flags(cpu.s, f | szp(lo));
}

}  // namespace

void DAA(Cpu& c, const DecodedInsn&) { decimal_adjust(c, false); }
void DAS(Cpu& c, const DecodedInsn&) { decimal_adjust(c, true); }
void AAA(Cpu& c, const DecodedInsn&) { ascii_adjust(c, false); }
void AAS(Cpu& c, const DecodedInsn&) { ascii_adjust(c, true); }

/// AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0.
/// O, A, C are undefined and cleared. A zero base changes S, Z, P before the
/// fault, as the 8086 and 80286 vectors show: the 8086 sets them as for a
/// zero result, the 80286 from AL >> 1 (an early divide step). Later CPUs
/// are assumed to behave like the 80286.
void AAM_Ib(Cpu& c, const DecodedInsn& i) {
  const uint8_t base = uint8_t(i.imm);
  if (base == 0) {
    write_arith_flags(c.s, szp(is_8086(c) ? 0 : uint8_t(al(c) >> 1)));
    raise(kVecDe);
  }
  const uint8_t v = al(c);
  set_ax(c, uint8_t(v / base), uint8_t(v % base));
  write_arith_flags(c.s, szp(uint8_t(v % base)));
}

/// AAD imm8: AL = AL + AH * imm8, AH = 0. O, A, C are undefined and cleared.
void AAD_Ib(Cpu& c, const DecodedInsn& i) {
  const uint8_t v = uint8_t(al(c) + ah(c) * uint8_t(i.imm));
  set_ax(c, 0, v);
  write_arith_flags(c.s, szp(v));
}

/// SALC (undocumented, D6): AL = CF ? FFh : 00h; no flags change.
void SALC(Cpu& c, const DecodedInsn&) {
  const uint8_t v = carry_flag(c.s) ? 0xff : 0x00;
  write_gpr<uint8_t>(c.s, kRax, v);
}

}  // namespace kestrel::cpu::exec
