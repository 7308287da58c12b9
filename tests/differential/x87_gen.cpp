// SPDX-License-Identifier: MIT
// Random x87/MMX cases (tests/differential/x87_gen.h).
#include "tests/differential/x87_gen.h"

#include <cstring>
#include <string_view>

namespace kestrel::differential {
namespace {

using cpu::isa::Feature;
using cpu::x87::Float80;
namespace isa = cpu::isa;

bool under_test(const isa::Row& r) {
  if (!r.executable) return false;
  if (r.feature == isa::fX87 || r.feature == isa::fMmx) return true;
  if (r.feature == isa::fCmov && r.form[0] == 'F') return true;
  return r.form == "FXSAVE_M" || r.form == "FXRSTOR_M";
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void put(uint8_t* p, uint64_t v, unsigned n) { std::memcpy(p, &v, n); }

}  // namespace

MemKind mem_kind(isa::Form form) {
  const isa::Row& r = isa::row(form);
  const std::string_view f = r.form;
  if (r.feature == isa::fMmx) {
    if (starts(f, "MOVD")) return MemKind::kDword;
    if (starts(f, "PUNPCKL")) return MemKind::kDword;
    return MemKind::kQword;
  }
  if (f == "FXSAVE_M" || f == "FXRSTOR_M") return MemKind::kFxImage;
  if (starts(f, "FLDENV") || starts(f, "FNSTENV")) return MemKind::kEnv;
  if (starts(f, "FRSTOR") || starts(f, "FNSAVE")) return MemKind::kSave;
  if (starts(f, "FBLD") || starts(f, "FBSTP")) return MemKind::kBcd;
  const bool integer = starts(f, "FI");
  switch (r.ops[0].ot) {
    case isa::Ot::kD: return integer ? MemKind::kI32 : MemKind::kF32;
    case isa::Ot::kQ: return integer ? MemKind::kI64 : MemKind::kF64;
    case isa::Ot::kW: return integer ? MemKind::kI16 : MemKind::kWord;
    case isa::Ot::kT: return MemKind::kF80;
    default: return MemKind::kNone;
  }
}

CaseGen::CaseGen(uint64_t seed) : rng_(seed) {
  for (const isa::Row& r : isa::kRows) {
    if (under_test(r)) forms_.push_back(isa::Form(&r - isa::kRows.data()));
  }
}

Float80 CaseGen::f80() {
  const bool sign = below(2);
  const uint64_t m = u64();
  const auto mk = [&](uint64_t mant, unsigned exp) { return cpu::x87::make80(sign, uint16_t(exp), mant); };
  switch (below(24)) {
    case 0: return mk(0, 0);
    case 1: return mk((m >> below(64)) & ~cpu::x87::kIntBit, 0);           // denormal
    case 2: return mk(m | cpu::x87::kIntBit, 0);                            // pseudo-denormal
    case 3: return mk(cpu::x87::kIntBit, 0x7fff);                           // infinity
    case 4: return mk(m | (uint64_t{3} << 62), 0x7fff);                     // QNaN
    case 5: return mk(((m & ~cpu::x87::kQuietBit) | cpu::x87::kIntBit) | 1, 0x7fff);  // SNaN
    case 6: return mk(m & ~cpu::x87::kIntBit, 1 + below(0x7fff));           // unsupported
    case 7: return mk((m | cpu::x87::kIntBit) & ~((uint64_t{1} << below(64)) - 1), 0x3fff + below(64));
    case 8: return mk(m | cpu::x87::kIntBit, 1 + below(70));                // near underflow
    case 9: return mk(m | cpu::x87::kIntBit, 0x7ffe - below(70));           // near overflow
    case 10: return mk((m | cpu::x87::kIntBit) & ~((uint64_t{1} << 40) - 1), 0x3fff - 40 + below(80));
    case 11: return mk(~uint64_t{0} << below(64), 0x3fff - 5 + below(10));
    case 12: return mk(m | cpu::x87::kIntBit, 0x3fff - 2 + below(66));      // trig range
    case 13: return mk(m | cpu::x87::kIntBit, 0x3fff - 70 + below(70));     // small
    case 14: return near_pi_multiple(sign);
    case 15: return below(2) ? mk(cpu::x87::kIntBit + (m >> below(64)), 0x3fff)  // near 1
                             : mk(~uint64_t{0} - (m >> below(64)), 0x3ffe);
    default: return mk(m | cpu::x87::kIntBit, 0x3fff - 200 + below(400));
  }
}

/// k × pi/2 for a random k, a few ulps either way: the trigonometric
/// instructions' reduction is at its most delicate there.
Float80 CaseGen::near_pi_multiple(bool sign) {
  constexpr uint64_t kPi = 0xc90fdaa22168c235;  // FLDPI's significand
  const uint64_t k = 1 + (u64() >> below(64) >> 4);
  const cpu::x87::u128 p = cpu::x87::u128(kPi) * k;
  const int lz = cpu::x87::clz128(p);
  const uint64_t mant = uint64_t((p << lz) >> 64) + (u64() % 9) - 4;
  const int exp = 0x3fff + 1 - 1 + (127 - lz) - 63;  // pi/2 = kPi × 2^-63
  if (exp >= 0x403e || (mant >> 63) == 0) return cpu::x87::make80(sign, 0x3fff, kPi);
  return cpu::x87::make80(sign, uint16_t(exp), mant);
}

uint32_t CaseGen::f32() {
  const uint32_t sign = below(2) << 31, m = uint32_t(u64());
  switch (below(10)) {
    case 0: return sign;
    case 1: return sign | (m & 0x7fffff);                                   // denormal
    case 2: return sign | 0x7f800000;                                       // infinity
    case 3: return sign | 0x7fc00000 | (m & 0x3fffff);                      // QNaN
    case 4: return sign | 0x7f800000 | ((m & 0x3fffff) | 1);                // SNaN
    case 5: return sign | (0x3f800000 + (below(24) << 23)) | (m & 0x7fff00);
    default: return sign | ((1 + below(254)) << 23) | (m & 0x7fffff);
  }
}

uint64_t CaseGen::f64() {
  const uint64_t sign = uint64_t(below(2)) << 63, m = u64() & ((uint64_t{1} << 52) - 1);
  const uint64_t inf = uint64_t{0x7ff} << 52;
  switch (below(10)) {
    case 0: return sign;
    case 1: return sign | m;
    case 2: return sign | inf;
    case 3: return sign | inf | (uint64_t{1} << 51) | m;
    case 4: return sign | inf | ((m & ~(uint64_t{1} << 51)) | 1);
    case 5: return sign | (uint64_t(0x3ff + below(54)) << 52) | (m & ~uint64_t{0xffffff});
    default: return sign | (uint64_t(1 + below(2046)) << 52) | m;
  }
}

uint64_t CaseGen::integer(unsigned bits) {
  const uint64_t v = u64();
  switch (below(4)) {
    case 0: return v >> (64 - bits) << (64 - bits) >> (64 - bits);          // full width
    case 1: return uint64_t(1) << (bits - 1);                               // the minimum
    case 2: return uint64_t(int64_t(int8_t(v)));
    default: return v >> below(64);
  }
}

void CaseGen::bcd(uint8_t* out) {
  for (unsigned i = 0; i < 9; ++i) out[i] = uint8_t(below(10) | below(10) << 4);
  if (below(8) == 0) out[below(9)] |= 0xa0;  // an invalid digit: undefined result
  out[9] = below(2) ? 0x80 : 0;
}

uint16_t CaseGen::control_word() {
  const uint16_t masks = below(4) == 0 ? uint16_t(below(64)) : 0x3f;
  return uint16_t(0x40 | masks | below(4) << 8 | below(4) << 10 | (below(8) == 0 ? 0x1000 : 0));
}

/// Control word, a status word with only masked exceptions raised (none
/// pending: the instruction must not meet #MF), tags and registers.
void CaseGen::state(Case& c) {
  c.fcw = control_word();
  const uint16_t flags = uint16_t(below(2) ? u64() & c.fcw & 0x3f : 0);
  const uint16_t sf = (flags & 1) && below(2) ? 0x40 : 0;
  const unsigned top = below(8);
  c.fsw = uint16_t(flags | sf | (u64() & 0x4700) | top << 11);
  const unsigned full = below(4) == 0 ? 8 : below(9);
  const bool scatter = below(10) == 0;
  c.ftw = 0xffff;
  for (unsigned i = 0; i < 8; ++i) {
    c.st[i] = f80();
    const bool used = scatter ? below(2) == 0 : i < full;
    if (used) c.ftw = uint16_t(c.ftw & ~(3u << (2 * ((top + i) & 7))));
  }
  c.rflags = 0x202 | (u64() & 0x8d5);
  c.eax = uint32_t(u64());
}

void CaseGen::fill_env(uint8_t* p, bool with_regs) {
  const uint16_t top = uint16_t(below(8) << 11);
  put(p + 0, 0xffff0000u | control_word(), 4);
  put(p + 4, 0xffff0000u | (u64() & 0xc7ff) | top, 4);
  put(p + 8, 0xffff0000u | uint32_t(u64() & 0xffff), 4);
  for (unsigned k = 12; k < 28; k += 4) put(p + k, u64(), 4);
  if (!with_regs) return;
  for (unsigned i = 0; i < 8; ++i) {
    const Float80 v = f80();
    put(p + 28 + 10 * i, v.mant, 8);
    put(p + 36 + 10 * i, v.se, 2);
  }
}

void CaseGen::fill_fx(uint8_t* p) {
  put(p + 0, control_word(), 2);
  put(p + 2, (u64() & 0xc7ff) | below(8) << 11, 2);
  p[4] = uint8_t(u64());
  put(p + 24, u64() & 0xffbf, 4);  // MXCSR without DAZ or reserved bits
  for (unsigned i = 0; i < 8; ++i) {
    const Float80 v = f80();
    put(p + 32 + 16 * i, v.mant, 8);
    put(p + 40 + 16 * i, v.se, 2);
  }
}

void CaseGen::fill_memory(Case& c) {
  for (unsigned k = 0; k < kDataSize; k += 8) put(c.data + k, u64(), 8);
  uint8_t* p = c.data;
  switch (c.kind) {
    case MemKind::kF32: put(p, f32(), 4); break;
    case MemKind::kF64: put(p, f64(), 8); break;
    case MemKind::kF80: { const Float80 v = f80(); put(p, v.mant, 8); put(p + 8, v.se, 2); break; }
    case MemKind::kI16: put(p, integer(16), 2); break;
    case MemKind::kI32: put(p, integer(32), 4); break;
    case MemKind::kI64: put(p, integer(64), 8); break;
    case MemKind::kBcd: bcd(p); break;
    case MemKind::kWord: put(p, u64() & 0xffff, 2); break;
    case MemKind::kEnv: fill_env(p, false); break;
    case MemKind::kSave: fill_env(p, true); break;
    case MemKind::kFxImage: fill_fx(p); break;
    case MemKind::kQword: if (below(2)) put(p, u64() >> below(64), 8); break;
    case MemKind::kDword: case MemKind::kNone: break;
  }
}

/// The row's bytes: 0F for the 0F map, the opcode, a ModRM byte that fits
/// (memory is always [EBX]/[RBX]; a register Ey is EAX), an Ib.
void CaseGen::encode(Case& c) {
  const isa::Row& r = isa::row(c.form);
  unsigned n = 0;
  if (r.map == isa::Map::k0F) c.code[n++] = 0x0f;
  c.code[n++] = r.opcode;
  if (r.modrm.present) {
    const isa::ModrmSpec& m = r.modrm;
    unsigned reg = m.reg >= 0 ? unsigned(m.reg) : below(8);
    bool mem = m.mod == 0 || (m.mod < 0 && below(2));
    unsigned rm = m.rm >= 0 ? unsigned(m.rm) : below(8);
    const bool gpr_rm = r.ops[0].am == isa::Am::kE || r.ops[1].am == isa::Am::kE;
    if (!mem && gpr_rm) rm = 0;
    c.mem = mem;
    c.code[n++] = uint8_t(mem ? (reg << 3 | 3) : (0xc0 | reg << 3 | rm));
  }
  for (const isa::Operand& o : r.ops) {
    if (o.am == isa::Am::kI) c.code[n++] = uint8_t(below(4) ? below(80) : u64());
  }
  c.len = n;
}

Case CaseGen::next() { return next(forms_[below(unsigned(forms_.size()))]); }

Case CaseGen::next(isa::Form form) {
  Case c;
  c.form = form;
  encode(c);
  c.kind = c.mem ? mem_kind(form) : MemKind::kNone;
  state(c);
  // F2XM1 and FYL2XP1 are defined on a small interval: mostly stay inside.
  const std::string_view name = isa::row(form).form;
  if ((name == "F2XM1" || name == "FYL2XP1") && below(4) != 0) {
    const unsigned top = name == "F2XM1" ? 0x3ffe : 0x3ffc;  // below 1, or 0.25
    c.st[0] = cpu::x87::make80(below(2), uint16_t(top - below(80)), u64() | cpu::x87::kIntBit);
  }
  fill_memory(c);
  return c;
}

}  // namespace kestrel::differential
