// SPDX-License-Identifier: MIT
// The x87 register stack and status-word bookkeeping (cpu/x87/fpu.h).
#include "cpu/x87/fpu.h"

namespace kestrel::cpu::x87 {

Tag tag_of(Float80 v) {
  switch (classify(v)) {
    case Class::kZero: return kTagZero;
    case Class::kNormal: return kTagValid;
    default: return kTagSpecial;  // NaN, infinity, denormal, unsupported
  }
}

void write_reg(CpuState& s, unsigned reg, Float80 v) {
  s.st[reg].mantissa = v.mant;
  s.st[reg].sign_exp = v.se;
  set_tag(s, reg, tag_of(v));
}

void push(CpuState& s, Float80 v) {
  set_top(s, top(s) - 1);
  set_st(s, 0, v);
}

void pop(CpuState& s) {
  set_tag(s, phys(s, 0), kTagEmpty);
  set_top(s, top(s) + 1);
}

uint16_t stored_tag_word(const CpuState& s) {
  uint16_t tw = 0;
  for (unsigned r = 0; r < 8; ++r) {
    const unsigned t = tag(s, r) == kTagEmpty ? kTagEmpty : tag_of(reg_value(s, r));
    tw = uint16_t(tw | t << (2 * r));
  }
  return tw;
}

void load_tag_word(CpuState& s, uint16_t tw) {
  for (unsigned r = 0; r < 8; ++r) {
    const bool is_empty = ((tw >> (2 * r)) & 3) == kTagEmpty;
    set_tag(s, r, is_empty ? kTagEmpty : tag_of(reg_value(s, r)));
  }
}

uint8_t abridged_tag_word(const CpuState& s) {
  uint8_t tw = 0;
  for (unsigned r = 0; r < 8; ++r) {
    if (tag(s, r) != kTagEmpty) tw = uint8_t(tw | 1u << r);
  }
  return tw;
}

void load_abridged_tag_word(CpuState& s, uint8_t tw) {
  for (unsigned r = 0; r < 8; ++r) {
    set_tag(s, r, (tw >> r) & 1 ? tag_of(reg_value(s, r)) : kTagEmpty);
  }
}

void update_summary(CpuState& s) {
  if (s.fsw & ~s.fcw & kExceptionMask) s.fsw |= kSwEs | kSwBusy;
  else s.fsw &= uint16_t(~(kSwEs | kSwBusy));
}

void raise_flags(CpuState& s, uint16_t flags) {
  s.fsw |= flags & (kExceptionMask | kSwSf);
  update_summary(s);
}

void finit(CpuState& s) {
  s.fcw = 0x037f;
  s.fsw = 0;
  s.ftw = 0xffff;
  s.fop = 0;
  s.fip = s.fdp = 0;
  s.fcs = s.fds = 0;
}

void mmx_enter(CpuState& s) {
  set_top(s, 0);
  s.ftw = 0;
}

void mmx_write(CpuState& s, unsigned n, uint64_t v) {
  s.st[n & 7].mantissa = v;
  s.st[n & 7].sign_exp = 0xffff;
}

}  // namespace kestrel::cpu::x87
