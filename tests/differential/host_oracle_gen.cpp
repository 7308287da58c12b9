// SPDX-License-Identifier: MIT
// The host-oracle case generator (host_oracle_gen.h). A case is a list of
// groups: the setup instructions of one generated instruction (MOV r64,
// imm64 for pointers and counts, CMP to define flags) followed by it.
// Relative branches only jump forward to a group start, so every group
// runs whole or not at all and the sequence always reaches its end.
#include "tests/differential/host_oracle_gen.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>
#include <string_view>

#include "cpu/state.h"

namespace kestrel::differential::oracle {

using cpu::isa::Am;
using cpu::isa::Map;
using cpu::isa::Ot;
using cpu::isa::Pfx;
using cpu::isa::Row;
namespace fl = cpu::isa::fl;

namespace {

bool has_am(const Row& r, Am am) {
  return std::any_of(r.ops.begin(), r.ops.end(), [&](const auto& o) { return o.am == am; });
}
bool is_mn(const Row& r, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), r.mnemonic) != names.end();
}
bool is_string(const Row& r) { return has_am(r, Am::kX) || has_am(r, Am::kY); }
bool is_shift(const Row& r) {
  return is_mn(r, {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd"});
}
/// Near branches the generator can aim inside the sequence.
bool relative_branch(const Row& r) { return has_am(r, Am::kJ); }

}  // namespace

const char* exclusion(const Row& r, bool (*host_has)(unsigned)) {
  using namespace cpu::isa;
  if (!r.executable) return "not implemented (decode-only row)";
  if (r.attrs & a_prefix) return "a prefix";
  if (r.modes & i64) return "invalid in 64-bit mode";
  if (r.feature == fOnly8086) return "8086 only";
  if (!host_has(r.feature)) return "the host CPU lacks the feature";
  if (r.attrs & a_priv) return "privileged (CPL 0)";
  if (r.feature == fX87 || (r.map == Map::kPrimary && r.opcode >= 0xd8 && r.opcode <= 0xdf) ||
      is_mn(r, {"wait", "fxsave", "fxrstor", "xsave", "xrstor", "xsaveopt", "xsavec", "xsaves", "xrstors"}))
    return "x87 state: not part of the compared state (x87_vs_host covers it)";
  if (r.feature == fMmx || has_am(r, Am::kP) || has_am(r, Am::kQ) || has_am(r, Am::kN))
    return "MMX state: not part of the compared state (x87_vs_host covers it)";
  if (is_mn(r, {"cpuid", "rdtsc", "rdtscp", "rdpmc", "rdrand", "rdseed", "xgetbv"}))
    return "machine- or time-dependent result";
  if (is_mn(r, {"rcpps", "rcpss", "rsqrtps", "rsqrtss"}))
    return "approximation whose bits are implementation-specific (SDM: relative error <= 1.5*2^-12)";
  if (is_mn(r, {"in", "out", "ins", "insb", "outs", "outsb"})) return "port I/O";
  if (is_mn(r, {"syscall", "sysenter", "sysexit", "sysret", "int", "int1", "int3", "into", "iret",
                "ret", "lret", "lcall", "ljmp", "hlt"}) ||
      ((r.attrs & a_branch) && !relative_branch(r) && !is_mn(r, {"div", "idiv"})))
    return "control transfer out of the sequence";
  // Reading a selector is compared (Linux's are CS 33h, SS 2Bh, the rest
  // 0); loading one is not.
  const bool loads_sreg = (r.ops[0].am == Am::kS || r.ops[0].am == Am::kSreg) && r.mnemonic != "push";
  if (r.mnemonic == "push" && r.ops[0].am == Am::kSreg)
    return "PUSH Sreg: the slot's upper bytes are implementation-specific (SDM vol. 2, PUSH)";
  if (loads_sreg || has_am(r, Am::kA) || is_mn(r, {"lss", "lfs", "lgs", "lds", "les"}))
    return "segment register loads: the system-instruction tests cover them";
  if (is_mn(r, {"sgdt", "sidt", "sldt", "str", "smsw", "lar", "lsl", "verr", "verw", "cli", "sti"}))
    return "system state (UMIP, IOPL, descriptor tables) the host sets differently";
  if (r.attrs & a_serial) return "serializing system instruction";
  return nullptr;
}

namespace {

uint64_t interesting(std::mt19937_64& rng) {
  static constexpr uint64_t kEdges[] = {
      0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
      0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull, 0x3f, 0x40, 0x1f};
  switch (rng() % 10) {
    case 0: return rng() % 256;
    case 1: return kEdges[rng() % std::size(kEdges)];
    case 2: return uint64_t(int64_t(int32_t(rng())));
    case 3: return uint32_t(rng());
    default: return rng();
  }
}

/// A float or double bit pattern with the special values SSE cares about.
void random_lanes(std::mt19937_64& rng, uint8_t* out) {
  static constexpr uint32_t kF[] = {0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
                                    0x7fc00000, 0xffc00000, 0x7fa00000, 0x00000001, 0x807fffff,
                                    0x7f7fffff, 0x4b000000, 0x4f000000, 0xcf000000};
  static constexpr uint64_t kD[] = {0, 0x8000000000000000ull, 0x3ff0000000000000ull,
                                    0x7ff0000000000000ull, 0xfff8000000000000ull,
                                    0x7ff4000000000000ull, 0x0000000000000001ull,
                                    0x43e0000000000000ull, 0xc3e0000000000000ull,
                                    0x41e0000000000000ull, 0x4330000000000000ull};
  switch (rng() % 4) {
    case 0:
      for (int l = 0; l < 4; ++l) {
        const uint32_t v = rng() % 2 ? kF[rng() % std::size(kF)]
                                     : uint32_t(0x3f000000 + rng() % 0x1000000) ^ (rng() % 2 ? 0x80000000u : 0);
        std::memcpy(out + 4 * l, &v, 4);
      }
      return;
    case 1:
      for (int l = 0; l < 2; ++l) {
        const uint64_t v = rng() % 2 ? kD[rng() % std::size(kD)]
                                     : (0x3fe0000000000000ull + rng() % (1ull << 53)) ^ (rng() % 2 ? 1ull << 63 : 0);
        std::memcpy(out + 8 * l, &v, 8);
      }
      return;
    default:
      for (int l = 0; l < 2; ++l) {
        const uint64_t v = interesting(rng);
        std::memcpy(out + 8 * l, &v, 8);
      }
  }
}

class Builder {
 public:
  Builder(uint64_t seed, const std::vector<const Row*>& rows) : rng_(seed), rows_(rows) {}
  Case build(unsigned max_len);

 private:
  struct Fixup {
    size_t at;        ///< where the 1- or 4-byte field is
    unsigned size;
    size_t insn_end;  ///< code offset the field is relative to
    unsigned target;  ///< group index (branches) ...
    uint64_t abs;     ///< ... or an absolute address (RIP-relative operands)
  };
  /// One instruction under construction.
  struct Enc {
    bool o16 = false, a32 = false, rex = false, w = false;
    uint8_t rex_bits = 0;  // R, X, B
    std::vector<uint8_t> pre, body;
    int rip_fix = -1;      // offset in body of a RIP-relative disp32
    uint64_t rip_target = 0;
  };

  unsigned pick(unsigned n) { return unsigned(rng_() % n); }
  uint64_t target(unsigned align = 1) {
    return (kDataBase + 0x400 + rng_() % (kDataSize - 0x800)) & ~uint64_t(align - 1);
  }
  void mov_imm(unsigned reg, uint64_t v) {
    code_.push_back(uint8_t(0x48 | (reg >> 3)));
    code_.push_back(uint8_t(0xb8 + (reg & 7)));
    for (unsigned b = 0; b < 8; ++b) code_.push_back(uint8_t(v >> (8 * b)));
  }
  uint64_t data_at(uint64_t addr) const {
    uint64_t v;
    std::memcpy(&v, case_.data.data() + (addr - kDataBase), 8);
    return v;
  }
  bool avoided(unsigned r) const { return std::find(avoid_.begin(), avoid_.end(), r) != avoid_.end(); }
  /// A GPR number for an operand: never RSP (the stack stays in the data),
  /// 0-7 without REX; byte operands without REX may use 4-7 (AH-BH).
  unsigned gpr(const Enc& e, bool avoid_setups) {
    for (;;) {
      const unsigned r = pick(e.rex ? 16 : 8);
      if (r == 4 || (avoid_setups && avoided(r))) continue;
      return r;
    }
  }
  /// An XMM register number (or a GPR when `xmm` is false).
  unsigned reg_for(const Enc& e, bool xmm) { return xmm ? pick(e.rex ? 16 : 8) : gpr(e, false); }

  void group(const Row& r, unsigned g);
  void encode(const Row& r, unsigned g);
  void prefixes(const Row& r, Enc& e, bool mem);
  void memory(Enc& e, unsigned reg_field, uint64_t addr);
  void immediates(const Row& r, Enc& e, unsigned g, int& fix_at, unsigned& fix_size);
  void special_setups(const Row& r, Enc& e, unsigned reg_field, bool mem, uint64_t addr);

  std::mt19937_64 rng_;
  const std::vector<const Row*>& rows_;
  Case case_;
  std::vector<uint8_t> code_;
  std::vector<uint32_t> starts_;
  std::vector<Fixup> fixups_;
  std::vector<unsigned> avoid_;
  unsigned len_ = 0, skip_until_ = 0, jump_target_ = 0;
  uint16_t undef_ = 0;
};

Case Builder::build(unsigned max_len) {
  RegState& in = case_.in;
  for (unsigned i = 0; i < 16; ++i) in.gpr[i] = interesting(rng_);
  in.gpr[cpu::kRsp] = kDataBase + 0x1c00 + 8 * pick(0x80);
  in.rflags = 0x202 | (rng_() & fl::OSZAPC) | (pick(4) == 0 ? fl::D : 0);
  for (auto& x : in.xmm) random_lanes(rng_, x);
  // Mostly the default MXCSR; often another rounding mode, DAZ/FTZ and
  // sticky flags; sometimes unmasked exceptions (#XM).
  in.mxcsr = 0x1f80;
  if (pick(3) == 0) in.mxcsr = uint32_t(0x1f80 | (rng_() & 0xe07f));
  if (pick(12) == 0) in.mxcsr = uint32_t(rng_() & 0xffff);
  for (size_t i = 0; i < kDataSize; i += 16) random_lanes(rng_, case_.data.data() + i);
  len_ = 1 + pick(max_len);
  for (unsigned g = 0; g < len_; ++g) {
    starts_.push_back(uint32_t(code_.size()));
    const Row& r = *rows_[pick(unsigned(rows_.size()))];
    case_.forms.emplace_back(r.form);
    group(r, g);
  }
  starts_.push_back(uint32_t(code_.size()));
  for (const Fixup& f : fixups_) {
    const int64_t to = f.size == 4 && f.abs ? int64_t(f.abs) - int64_t(kSeqBase)
                                             : int64_t(starts_[f.target]);
    const int64_t rel = to - int64_t(f.insn_end);
    for (unsigned b = 0; b < f.size; ++b) code_[f.at + b] = uint8_t(uint64_t(rel) >> (8 * b));
  }
  case_.code = std::move(code_);
  return std::move(case_);
}

void Builder::group(const Row& r, unsigned g) {
  // CMP r64, imm8 defines the arithmetic flags before an instruction reads
  // one that is undefined, so undefined inputs never reach results.
  uint16_t local = undef_;
  if (r.flags_read & local & fl::OSZAPC) {
    code_.insert(code_.end(), {0x48, uint8_t(0x83), uint8_t(0xf8 | pick(8)), uint8_t(rng_())});
    local &= uint16_t(~fl::OSZAPC);
  }
  encode(r, g);
  uint16_t written = r.flags_written, und = r.flags_undefined;
  if (is_shift(r)) written = 0, und = fl::OSZAPC;  // the count decides
  if (is_string(r)) written = 0;  // a REP count of 0 writes no flag
  if (is_mn(r, {"bt", "bts", "btr", "btc"})) written &= uint16_t(~fl::Z);
  if (g < skip_until_) undef_ = undef_ | und;  // might be jumped over
  else undef_ = uint16_t((local & ~written) | und);
}

/// Legacy prefixes in a random mix that keeps the instruction meaningful:
/// no 66 on branches (AMD would truncate rIP) or BSWAP (undefined), LOCK
/// only on lockable memory forms, REP only on string instructions, segment
/// overrides only CS/SS/DS/ES (ignored in 64-bit mode; FS and GS bases are
/// the host's).
void Builder::prefixes(const Row& r, Enc& e, bool mem) {
  using namespace cpu::isa;
  const bool addressed = mem || is_string(r) || has_am(r, Am::kO) || r.mnemonic == "xlat";
  e.o16 = r.prefix == Pfx::kAny && !relative_branch(r) && !(r.modes & w1) &&
          !is_mn(r, {"bswap", "movsxd"}) && pick(4) == 0;
  e.a32 = (addressed || is_mn(r, {"loop", "loope", "loopne", "jcxz"})) && pick(5) == 0;
  if (e.o16) e.pre.push_back(0x66);
  if (e.a32) e.pre.push_back(0x67);
  if (addressed && pick(6) == 0) {
    static constexpr uint8_t kSeg[] = {0x26, 0x2e, 0x36, 0x3e};
    e.pre.push_back(kSeg[pick(4)]);
  }
  if ((r.attrs & a_lock) && mem && pick(3) == 0) e.pre.push_back(0xf0);
  if ((r.attrs & a_rep) && pick(2)) e.pre.push_back(pick(2) ? 0xf3 : 0xf2);
  if (r.prefix == Pfx::kF3) e.pre.push_back(0xf3);
  if (r.prefix == Pfx::kF2) e.pre.push_back(0xf2);
  if (r.prefix == Pfx::k66) e.pre.push_back(0x66);
  // REX.W turns CMPXCHG8B into CMPXCHG16B: a different row.
  e.w = (r.modes & w1) || (r.mnemonic != "cmpxchg8b" && pick(2) == 0);
  e.rex = e.w || pick(2) == 0;
}

/// A ModRM memory operand at `addr`: [base+disp], SIB with index and scale,
/// [disp32] or RIP-relative; base and index get MOV setups. 32-bit
/// addressing (67) gives the registers random upper halves.
void Builder::memory(Enc& e, unsigned reg_field, uint64_t addr) {
  auto hi = [&](uint64_t v) { return e.a32 ? (rng_() & 0xffffffff00000000ull) | uint32_t(v) : v; };
  auto put = [&](uint64_t v, unsigned n) {
    for (unsigned b = 0; b < n; ++b) e.body.push_back(uint8_t(v >> (8 * b)));
  };
  const unsigned kind = pick(8);
  const uint8_t reg3 = uint8_t((reg_field & 7) << 3);
  if (kind == 0) {  // RIP-relative
    e.body.push_back(uint8_t(reg3 | 5));
    e.rip_fix = int(e.body.size());
    e.rip_target = addr;
    put(0, 4);
    return;
  }
  if (kind == 1) {  // [disp32] through a SIB without base or index
    e.body.insert(e.body.end(), {uint8_t(reg3 | 4), 0x25});
    put(addr, 4);
    return;
  }
  unsigned mod = 1 + pick(2);
  const int32_t disp = mod == 1 ? int8_t(rng_()) : int32_t(rng_() % 0x20000) - 0x10000;
  const unsigned base = gpr(e, true);
  if (kind < 5) {
    if (pick(3) == 0 && (base & 7) != 5) mod = 0;
    if ((base & 7) == 4) {
      e.body.insert(e.body.end(), {uint8_t(mod << 6 | reg3 | 4), uint8_t(0x20 | (base & 7))});
    } else {
      e.body.push_back(uint8_t(mod << 6 | reg3 | (base & 7)));
    }
    e.rex_bits |= base >> 3;
    const int64_t d = mod == 0 ? 0 : disp;
    put(uint64_t(d), mod == 1 ? 1 : mod == 2 ? 4 : 0);
    mov_imm(base, hi(addr - uint64_t(d)));
    return;
  }
  unsigned index = gpr(e, true);
  const unsigned scale = pick(4);
  const uint64_t ival = uint64_t(int64_t(pick(64)) - 32);
  if (index == base) index = 4;  // none
  e.body.insert(e.body.end(), {uint8_t(mod << 6 | reg3 | 4),
                               uint8_t(scale << 6 | (index & 7) << 3 | (base & 7))});
  e.rex_bits |= uint8_t((base >> 3) | (index >> 3) << 1);
  put(uint64_t(int64_t(disp)), mod == 1 ? 1 : 4);
  const uint64_t scaled = index == 4 ? 0 : ival << scale;
  if (index != 4) mov_imm(index, hi(ival));
  mov_imm(base, hi(addr - scaled - uint64_t(int64_t(disp))));
}

void Builder::immediates(const Row& r, Enc& e, unsigned g, int& fix_at, unsigned& fix_size) {
  auto put = [&](uint64_t v, unsigned n) {
    for (unsigned b = 0; b < n; ++b) e.body.push_back(uint8_t(v >> (8 * b)));
  };
  const unsigned osize = e.w ? 8 : e.o16 ? 2 : (r.modes & (cpu::isa::d64 | cpu::isa::f64)) ? 8 : 4;
  const bool narrow_shld = osize == 2 && is_mn(r, {"shld", "shrd"});
  for (const auto& o : r.ops) {
    if (o.am == Am::kI) {
      unsigned n = o.ot == Ot::kB ? 1 : o.ot == Ot::kW ? 2 : o.ot == Ot::kV ? osize : osize == 2 ? 2 : 4;
      uint64_t v = interesting(rng_);
      if (r.mnemonic == "enter") v = n == 2 ? pick(65) : pick(4);
      if (narrow_shld) v = pick(17);  // counts over 16 leave the result undefined
      put(v, n);
    } else if (o.am == Am::kO) {
      put(target(), e.a32 ? 4 : 8);
    } else if (o.am == Am::kJ) {
      fix_size = o.ot == Ot::kB ? 1 : 4;
      fix_at = int(e.body.size());
      put(0, fix_size);
      jump_target_ = g + 1 + pick(len_ - g);
      skip_until_ = std::max(skip_until_, jump_target_);
    }
  }
}

/// Setups for implicit operands: string pointers and counts, XLAT's table,
/// ENTER/LEAVE's frame, POPF's value, BT's bit offset, divisors that do
/// not always fault, CMPXCHG* comparands that sometimes match.
void Builder::special_setups(const Row& r, Enc& e, unsigned reg_field, bool mem, uint64_t addr) {
  auto hi = [&](uint64_t v) { return e.a32 ? (rng_() & 0xffffffff00000000ull) | uint32_t(v) : v; };
  auto set = [&](unsigned reg, uint64_t v) {
    mov_imm(reg, v);
    avoid_.push_back(reg);
  };
  if (is_string(r)) {
    // Some runs overlap (MOVS then repeats or keeps its bytes by direction)
    // and some cross a page boundary (the interpreter's bulk path splits there).
    uint64_t si = target(), di = target();
    const unsigned shape = pick(4);
    if (shape == 0) di = si + pick(33) - 16;
    if (shape == 1) di = (di | (kPage - 1)) - pick(24);
    set(cpu::kRsi, hi(si));
    set(cpu::kRdi, hi(di));
    set(cpu::kRcx, hi(pick(17)));
  }
  if (r.mnemonic == "xlat") set(cpu::kRbx, hi(target()));
  if (r.mnemonic == "maskmovdqu") set(cpu::kRdi, hi(target()));
  if (mem && r.mnemonic == "ldmxcsr") {
    // Mostly a valid MXCSR; otherwise a reserved bit other than 17, which
    // AMD parts accept as their misaligned-exception mask (MXCSR_MASK).
    uint32_t v = uint32_t(rng_() & 0xffff);
    if (pick(8) == 0) v |= 1u << (18 + pick(14));
    std::memcpy(case_.data.data() + (addr - kDataBase), &v, 4);
  }
  if (is_mn(r, {"enter", "leave"})) set(cpu::kRbp, target(8));
  if (r.mnemonic == "popf") {
    // Arithmetic flags and DF; TF would trap, AC would check alignment.
    const uint32_t v = 0x202 | uint32_t(rng_() & (fl::OSZAPC | fl::D));
    code_.push_back(0x68);
    for (unsigned b = 0; b < 4; ++b) code_.push_back(uint8_t(v >> (8 * b)));
  }
  if (mem && is_mn(r, {"bt", "bts", "btr", "btc"}) && has_am(r, Am::kG))
    set(reg_field, uint64_t(int64_t(pick(1024)) - 512));
  if (is_mn(r, {"div", "idiv"}) && pick(2)) {
    if (r.ops[0].ot == Ot::kB) set(cpu::kRax, pick(0x400));
    else set(cpu::kRdx, pick(2) ? 0 : ~0ull);
  }
  if (is_mn(r, {"shld", "shrd"}) && has_am(r, Am::kReg)) set(cpu::kRcx, pick(e.o16 ? 17 : 64));
  if (mem && is_mn(r, {"cmpxchg", "cmpxchg8b", "cmpxchg16b"}) && pick(2)) {
    set(cpu::kRax, data_at(addr));
    if (r.mnemonic != "cmpxchg") {
      set(cpu::kRdx, r.mnemonic == "cmpxchg8b" ? data_at(addr) >> 32 : data_at(addr + 8));
    }
  }
}

void Builder::encode(const Row& r, unsigned g) {
  using namespace cpu::isa;
  Enc e;
  avoid_.clear();
  const bool mem = r.modrm.present && (r.modrm.mod == 0 || (r.modrm.mod < 0 && pick(2) == 0));
  prefixes(r, e, mem);
  // Memory operands: mostly 16-byte aligned for SSE and CMPXCHG16B, which
  // fault otherwise; the rest anywhere.
  const uint64_t addr = target(pick(4) ? 16 : 1);
  unsigned reg_field = 0;
  const bool byte_g = std::any_of(r.ops.begin(), r.ops.end(),
                                  [](const auto& o) { return o.am == Am::kG && o.ot == Ot::kB; });
  if (r.modrm.present) {
    reg_field = r.modrm.reg >= 0 ? unsigned(r.modrm.reg) : reg_for(e, has_am(r, Am::kV));
    if (byte_g && !e.rex && r.modrm.reg < 0 && pick(2)) reg_field = 4 + pick(4);  // AH..BH
  }
  special_setups(r, e, reg_field, mem, addr);
  if (r.modrm.present) {
    if (is_mn(r, {"shld", "shrd"})) avoid_.push_back(cpu::kRcx);
    if (r.modrm.reg < 0) e.rex_bits |= uint8_t((reg_field >> 3) << 2);
  }
  if (r.map != Map::kPrimary) e.body.push_back(0x0f);
  if (r.map == Map::k0F38) e.body.push_back(0x38);
  if (r.map == Map::k0F3A) e.body.push_back(0x3a);
  uint8_t op = r.opcode;
  if (has_am(r, Am::kZ)) {
    // PUSH may name RSP (it only reads it); no other Z form writes it.
    const unsigned z = r.mnemonic == "push" ? pick(e.rex ? 16 : 8) : gpr(e, false);
    op = uint8_t(op + (z & 7));
    e.rex_bits |= z >> 3;
  }
  e.body.push_back(op);
  if (r.modrm.present) {
    if (mem) {
      memory(e, reg_field, addr);
    } else {
      const unsigned rm = r.modrm.rm >= 0 ? unsigned(r.modrm.rm)
                          : reg_for(e, has_am(r, Am::kU) || has_am(r, Am::kW));
      e.body.push_back(uint8_t(0xc0 | (reg_field & 7) << 3 | (rm & 7)));
      if (r.modrm.rm < 0) e.rex_bits |= rm >> 3;
    }
  }
  int fix_at = -1;
  unsigned fix_size = 0;
  immediates(r, e, g, fix_at, fix_size);
  if (e.rex_bits) e.rex = true;
  code_.insert(code_.end(), e.pre.begin(), e.pre.end());
  if (e.rex) code_.push_back(uint8_t(0x40 | (e.w ? 8 : 0) | e.rex_bits));
  const size_t body = code_.size();
  code_.insert(code_.end(), e.body.begin(), e.body.end());
  case_.starts.push_back(uint32_t(body - e.pre.size() - (e.rex ? 1 : 0)));
  if (fix_size) fixups_.push_back({body + size_t(fix_at), fix_size, code_.size(), jump_target_, 0});
  if (e.rip_fix >= 0) fixups_.push_back({body + size_t(e.rip_fix), 4, code_.size(), 0, e.rip_target});
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Generator::Generator(const std::vector<std::string>& only, bool (*host_has)(unsigned)) {
  std::vector<std::string> want;
  for (const std::string& o : only) want.push_back(lower(o));
  for (const Row& r : cpu::isa::kRows) {
    if (exclusion(r, host_has)) continue;
    if (!want.empty() && std::find(want.begin(), want.end(), lower(std::string(r.mnemonic))) == want.end() &&
        std::find(want.begin(), want.end(), lower(std::string(r.form))) == want.end())
      continue;
    rows_.push_back(&r);
  }
}

Case Generator::generate(uint64_t seed, unsigned max_len) const {
  return Builder(seed, rows_).build(max_len);
}

}  // namespace kestrel::differential::oracle
