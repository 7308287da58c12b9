// SPDX-License-Identifier: MIT
// The sequence generator: picks rows, encodes them with random prefixes,
// ModRM/SIB forms and immediates, and puts "setup" instructions (MOV r32,
// imm32 and friends) in front where an operand must point into the data
// window or a flag must be defined before it is read.
#include "tests/differential/unicorn_gen.h"

#include <algorithm>
#include <random>
#include <string_view>

#include "tests/differential/unicorn_quirks.h"

namespace kestrel::differential {

using cpu::isa::Am;
using cpu::isa::Ot;
using cpu::isa::Row;
namespace fl = cpu::isa::fl;

namespace {

bool has_am(const Row& r, Am am) {
  return std::any_of(r.ops.begin(), r.ops.end(), [&](const auto& o) { return o.am == am; });
}
bool is_mn(const Row& r, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), r.mnemonic) != names.end();
}
bool uses_string_operands(const Row& r) { return has_am(r, Am::kX) || has_am(r, Am::kY); }

/// Whether the generator may use a row in flat 32-bit protected mode at CPL 0.
bool eligible(const Row& r, const cpu::CpuModel& m) {
  using namespace cpu::isa;
  if (!r.executable || !m.has(r.feature) || (r.modes & (o64 | w1)) || (r.attrs & a_prefix)) return false;
  // The integer instruction set only: no x87 (D8-DF, FCMOVcc), MMX or SSE.
  static constexpr Feature kInteger[] = {f8086, f186, f286, f386, f486, fPentium, fP6, fCmov, fCx8};
  if (std::find(std::begin(kInteger), std::end(kInteger), r.feature) == std::end(kInteger)) return false;
  if (r.map == Map::kPrimary && r.opcode >= 0xd8 && r.opcode <= 0xdf) return false;
  if (r.map == Map::kPrimary && r.opcode == 0x9b) return false;  // FWAIT
  // Privileged and serializing instructions act on system state (CRs, MSRs,
  // caches) rather than integer state.
  if (r.attrs & (a_priv | a_serial)) return false;
  if (is_mn(r, {"rdpmc", "rdtscp"})) return false;
  // Far pointers, control/debug registers: outside a flat, user-data test.
  if (has_am(r, Am::kA) || has_am(r, Am::kC) || has_am(r, Am::kD)) return false;
  // Port I/O has no devices behind it on the Unicorn side.
  if (is_mn(r, {"in", "out", "ins", "insb", "outs", "outsb"})) return false;
  // Machine-specific values (time stamp, CPUID leaves) and state this test
  // does not set up the same way (descriptor tables, CR0 writes).
  if (is_mn(r, {"rdtsc", "cpuid", "lgdt", "lidt", "lmsw", "hlt"})) return false;
  // Segment register loads: the flat GDT would allow them, but they belong
  // to the protected-mode segmentation tests.
  if (is_mn(r, {"les", "lds", "lss", "lfs", "lgs"})) return false;
  // Descriptor-table instructions (LDTR, TR, selector checks) likewise.
  if (is_mn(r, {"sldt", "str", "lldt", "ltr", "verr", "verw", "lar", "lsl"})) return false;
  if (excluded_row(r)) return false;
  if (r.mnemonic == "pop" && r.ops[0].am == Am::kSreg) return false;
  if (r.mnemonic == "mov" && r.ops[0].am == Am::kS) return false;
  if (r.attrs & a_branch) {
    // Near relative branches get a forward target inside the sequence;
    // DIV, IDIV and BOUND are marked as branches only because they fault.
    if (!has_am(r, Am::kJ) && !is_mn(r, {"div", "idiv", "bound"})) return false;
    if (r.mnemonic == "int" || r.mnemonic == "into") return false;
  }
  return true;
}

/// Register-operand values with the edge cases flags depend on.
uint32_t interesting(std::mt19937_64& rng) {
  static constexpr uint32_t kEdges[] = {0,      1,      0x7f,       0x80,       0xff,
                                        0x7fff, 0x8000, 0xffff,     0x7fffffff, 0x80000000,
                                        0xffffffff, 0xfffffffe, 0x10, 0x1f, 0x20};
  switch (rng() % 8) {
    case 0:
    case 1: return uint32_t(rng() % 256);
    case 2: return kEdges[rng() % std::size(kEdges)];
    default: return uint32_t(rng());
  }
}

/// Builds one sequence. Instructions are grouped: a group is the setup
/// instructions of one generated instruction followed by it, and branch
/// targets are always group starts, so setups always run with their group.
class Builder {
 public:
  Builder(uint64_t seed, const std::vector<const Row*>& rows) : rng_(seed), rows_(rows) {}

  Sequence build(unsigned max_len) {
    Sequence seq;
    seq_forms_ = &seq.forms;
    for (unsigned i = 0; i < 8; ++i) seq.gpr[i] = interesting(rng_);
    seq.gpr[cpu::kRsp] = kWinBase + 0x700 + uint32_t(rng_() % 0x100) * 4;
    seq.eflags = 2 | uint32_t(rng_() & (fl::OSZAPC)) | (rng_() % 2 ? fl::D : 0);
    for (size_t i = 0; i < kWinSize; i += 8) {
      const uint64_t r = rng_();
      std::copy_n(reinterpret_cast<const uint8_t*>(&r), 8, seq.window.data() + i);
    }
    len_ = 1 + unsigned(rng_() % max_len);
    for (unsigned g = 0; g < len_; ++g) {
      starts_.push_back(uint32_t(code_.size()));
      const Row& r = *rows_[rng_() % rows_.size()];
      seq.forms.emplace_back(r.form);
      group(r, g);
    }
    starts_.push_back(uint32_t(code_.size()));
    for (const Fixup& f : fixups_) {
      const int32_t rel = int32_t(starts_[f.target]) - int32_t(f.insn_end);
      for (unsigned b = 0; b < f.size; ++b) code_[f.at + b] = uint8_t(uint32_t(rel) >> (8 * b));
    }
    seq.end = kCodeBase + uint32_t(code_.size());
    code_.push_back(0xf4);  // HLT
    seq.code = std::move(code_);
    return seq;
  }

 private:
  struct Fixup {
    size_t at;
    unsigned size;
    size_t insn_end;
    unsigned target;
  };
  struct Enc {
    bool o16 = false, a16 = false;
    std::vector<uint8_t> pre, body;  // prefixes; opcode onwards
  };

  unsigned pick(unsigned n) { return unsigned(rng_() % n); }
  uint32_t window_target() { return kWinBase + 0x200 + uint32_t(rng_() % (kWinSize - 0x400)); }

  void mov_imm(unsigned reg, uint32_t v) {
    code_.push_back(uint8_t(0xb8 + reg));
    for (unsigned b = 0; b < 4; ++b) code_.push_back(uint8_t(v >> (8 * b)));
  }
  /// A pointer-register value for 16-bit addressing: random high half.
  uint32_t hi16(uint32_t low) { return (uint32_t(rng_()) & 0xffff0000u) | (low & 0xffff); }

  void group(const Row& r, unsigned g) {
    // CMP r32, imm8 defines all six arithmetic flags before a reader of
    // possibly undefined ones (the comparison masks only what the last
    // writer left undefined, so undefined inputs must not reach results).
    uint16_t local = undef_;
    if (r.flags_read & local & fl::OSZAPC) {
      code_.push_back(0x83);
      code_.push_back(uint8_t(0xf8 | pick(8)));
      code_.push_back(uint8_t(rng_()));
      local &= uint16_t(~fl::OSZAPC);
    }
    locked_ = rep_ = false;
    encode(r, g);
    uint16_t und = static_undefined(r);
    // Flags Unicorn gets wrong (unicorn_quirks.cpp) must not reach a flag
    // reader either, or one wrong flag would spread into registers.
    if (const uint16_t bad = unreliable_flags(r, locked_, rep_)) {
      und |= bad;
      if (locked_) seq_forms_->back() += "+lock";
      if (rep_) seq_forms_->back() += "+rep";
    }
    if (g < skip_until_) undef_ = undef_ | und;
    else undef_ = uint16_t((local & ~static_written(r)) | und);
  }

  void prefixes(const Row& r, Enc& e, bool mem);
  void encode(const Row& r, unsigned g);
  void modrm(const Row& r, Enc& e, uint8_t reg_field, bool mem);
  void mem32(Enc& e, uint8_t reg_field, uint32_t target);
  void mem16(Enc& e, uint8_t reg_field, uint32_t target);
  void immediates(const Row& r, Enc& e, unsigned g, size_t& fix_at, unsigned& fix_size);
  void special_setups(const Row& r, const Enc& e, uint8_t reg_field, bool mem);

  std::mt19937_64 rng_;
  const std::vector<const Row*>& rows_;
  std::vector<uint8_t> code_;
  std::vector<uint32_t> starts_;
  std::vector<Fixup> fixups_;
  unsigned len_ = 0;
  unsigned skip_until_ = 0;
  unsigned jump_target_ = 0;
  bool locked_ = false, rep_ = false;
  std::vector<std::string>* seq_forms_ = nullptr;
  uint16_t undef_ = 0;
  std::vector<unsigned> avoid_;  ///< registers a memory operand must not use
};

void Builder::mem32(Enc& e, uint8_t reg_field, uint32_t target) {
  static constexpr uint8_t kPtr[] = {0, 1, 2, 3, 5, 6, 7};
  auto choose = [&] {
    for (;;) {
      const uint8_t r = kPtr[pick(7)];
      if (std::find(avoid_.begin(), avoid_.end(), r) == avoid_.end()) return r;
    }
  };
  const unsigned kind = pick(5);
  const uint8_t mod = kind == 3 ? 0 : uint8_t(pick(3));
  const int32_t disp = mod == 1 ? int8_t(rng_()) : mod == 2 ? int32_t(rng_()) : 0;
  auto put_disp = [&](uint32_t d, unsigned n) {
    for (unsigned b = 0; b < n; ++b) e.body.push_back(uint8_t(d >> (8 * b)));
  };
  if (kind == 3) {  // [disp32]
    e.body.push_back(uint8_t(reg_field << 3 | 5));
    put_disp(target, 4);
    return;
  }
  if (kind < 3) {  // [base + disp]
    uint8_t base = choose();
    if (mod == 0 && base == 5) base = 3;
    e.body.push_back(uint8_t(mod << 6 | reg_field << 3 | base));
    put_disp(uint32_t(disp), mod == 1 ? 1 : mod == 2 ? 4 : 0);
    mov_imm(base, target - uint32_t(disp));
    return;
  }
  // SIB: base (or none with mod 0 and base 5), index (4 = none), scale.
  const uint8_t base = choose();
  uint8_t index = pick(4) == 0 ? 4 : choose();
  if (index == base) index = 4;
  const uint8_t scale = uint8_t(pick(4));
  const uint32_t ival = index == 4 ? 0 : uint32_t(pick(64));
  e.body.push_back(uint8_t(mod << 6 | reg_field << 3 | 4));
  e.body.push_back(uint8_t(scale << 6 | index << 3 | base));
  const uint32_t rest = target - (ival << scale);
  if (index != 4) mov_imm(index, ival);
  if (mod == 0 && base == 5) {
    put_disp(rest, 4);
    return;
  }
  put_disp(uint32_t(disp), mod == 1 ? 1 : mod == 2 ? 4 : 0);
  mov_imm(base, rest - uint32_t(disp));
}

void Builder::mem16(Enc& e, uint8_t reg_field, uint32_t target) {
  // ModRM.rm -> base, index for 16-bit addressing (SDM vol. 2 table 2-1).
  static constexpr int8_t kBase[] = {3, 3, 5, 5, 6, 7, 5, 3};
  static constexpr int8_t kIndex[] = {6, 7, 6, 7, -1, -1, -1, -1};
  uint8_t rm = uint8_t(pick(8));
  for (int tries = 0; tries < 16; ++tries) {
    const bool clash = std::find(avoid_.begin(), avoid_.end(), unsigned(kBase[rm])) != avoid_.end() ||
                       (kIndex[rm] >= 0 &&
                        std::find(avoid_.begin(), avoid_.end(), unsigned(kIndex[rm])) != avoid_.end());
    if (!clash) break;
    rm = uint8_t(pick(8));
  }
  const uint8_t mod = uint8_t(pick(3));
  const int32_t disp = mod == 1 ? int8_t(rng_()) : mod == 2 ? int16_t(rng_()) : 0;
  e.body.push_back(uint8_t(mod << 6 | reg_field << 3 | rm));
  if (mod == 0 && rm == 6) {  // [disp16]
    e.body.push_back(uint8_t(target));
    e.body.push_back(uint8_t(target >> 8));
    return;
  }
  if (mod == 1) e.body.push_back(uint8_t(disp));
  if (mod == 2) {
    e.body.push_back(uint8_t(disp));
    e.body.push_back(uint8_t(disp >> 8));
  }
  uint32_t ival = 0;
  if (kIndex[rm] >= 0) {
    ival = uint32_t(pick(64));
    mov_imm(unsigned(kIndex[rm]), hi16(ival));
  }
  mov_imm(unsigned(kBase[rm]), hi16(target - uint32_t(disp) - ival));
}

/// Register operands never name ESP (except as a byte register, AH), so
/// the stack stays inside the data window.
uint8_t reg_operand(std::mt19937_64& rng, bool byte) {
  for (;;) {
    const uint8_t r = uint8_t(rng() % 8);
    if (byte || r != 4) return r;
  }
}

void Builder::modrm(const Row& r, Enc& e, uint8_t reg_field, bool mem) {
  if (!mem) {
    const bool byte_e = std::any_of(r.ops.begin(), r.ops.end(), [](const auto& o) {
      return (o.am == Am::kE || o.am == Am::kR) && o.ot == Ot::kB;
    });
    uint8_t rm = reg_operand(rng_, byte_e);
    if (r.modrm.rm >= 0) rm = uint8_t(r.modrm.rm);
    e.body.push_back(uint8_t(0xc0 | reg_field << 3 | rm));
    return;
  }
  const uint32_t target = window_target();
  if (e.a16) mem16(e, reg_field, target);
  else mem32(e, reg_field, target);
}

void Builder::immediates(const Row& r, Enc& e, unsigned g, size_t& fix_at, unsigned& fix_size) {
  auto put = [&](uint32_t v, unsigned n) {
    for (unsigned b = 0; b < n; ++b) e.body.push_back(uint8_t(v >> (8 * b)));
  };
  const bool shld16 = e.o16 && is_mn(r, {"shld", "shrd"});
  for (const auto& o : r.ops) {
    if (o.am == Am::kI) {
      const unsigned n = o.ot == Ot::kB ? 1 : o.ot == Ot::kW ? 2 : e.o16 ? 2 : 4;
      uint32_t v = interesting(rng_);
      if (r.mnemonic == "enter") v = n == 2 ? pick(65) : pick(4);  // frame size, level
      if (shld16) v = pick(17);  // counts over 16 leave the result undefined
      put(v, n);
    } else if (o.am == Am::kO) {
      put(window_target(), e.a16 ? 2 : 4);
    } else if (o.am == Am::kJ) {
      fix_size = o.ot == Ot::kB ? 1 : 4;
      fix_at = e.body.size();
      put(0, fix_size);
      jump_target_ = g + 1 + pick(len_ - g);
      skip_until_ = std::max(skip_until_, jump_target_);
    }
  }
}

/// Setup instructions for implicit operands: string pointers and counts,
/// XLAT's table, the frame pointer of ENTER/LEAVE, POPF's value, a defined
/// bit offset for BT* on memory, divisors that often do not fault.
void Builder::special_setups(const Row& r, const Enc& e, uint8_t reg_field, bool mem) {
  auto ptr = [&](unsigned reg) { mov_imm(reg, e.a16 ? hi16(window_target()) : window_target()); };
  if (uses_string_operands(r)) {
    ptr(cpu::kRsi);
    ptr(cpu::kRdi);
    mov_imm(cpu::kRcx, e.a16 ? hi16(pick(17)) : pick(17));
  }
  if (r.mnemonic == "xlat") ptr(cpu::kRbx);
  if (r.mnemonic == "enter" || r.mnemonic == "leave") mov_imm(cpu::kRbp, window_target() & ~3u);
  if (r.mnemonic == "push" && r.ops[0].am == Am::kSreg) {
    // Zero the slot first: a 32-bit PUSH Sreg may write only 16 bits
    // (PUSH, SDM vol. 2), and both sides then agree on the other 16.
    // PUSH 0; LEA ESP, [ESP+4] (flags untouched).
    for (uint8_t b : {0x6a, 0x00, 0x8d, 0x64, 0x24, 0x04}) code_.push_back(b);
  }
  if (r.mnemonic == "popf") {
    // TF would trap after POPF; everything else POPF may set is compared.
    code_.push_back(0x68);
    const uint32_t v = uint32_t(rng_()) & 0x003f7ed5u;
    for (unsigned b = 0; b < 4; ++b) code_.push_back(uint8_t(v >> (8 * b)));
  }
  if (mem && is_mn(r, {"bt", "bts", "btr", "btc"}) && has_am(r, Am::kG))
    mov_imm(reg_field, uint32_t(int32_t(pick(1024)) - 512));
  if (is_mn(r, {"div", "idiv"}) && pick(2)) {
    if (r.ops[0].ot == Ot::kB) mov_imm(cpu::kRax, pick(0x400));
    else mov_imm(cpu::kRdx, pick(2) ? 0 : 0xffffffff);
  }
  if (e.o16 && is_mn(r, {"shld", "shrd"}) && has_am(r, Am::kReg)) mov_imm(cpu::kRcx, pick(17));
}

/// Random legacy prefixes that keep the instruction meaningful here: no 66
/// on branches (it would truncate EIP) or BSWAP (undefined result), LOCK only
/// on lockable memory forms, REP only on string instructions.
void Builder::prefixes(const Row& r, Enc& e, bool mem) {
  using namespace cpu::isa;
  const bool branch = has_am(r, Am::kJ);
  const bool addressed = mem || uses_string_operands(r) || has_am(r, Am::kO) ||
                         r.mnemonic == "xlat";
  e.o16 = !branch && r.mnemonic != "bswap" && pick(4) == 0;
  e.a16 = (addressed || is_mn(r, {"loop", "loope", "loopne", "jcxz"})) && pick(5) == 0;
  if (e.o16) e.pre.push_back(0x66);
  if (e.a16) e.pre.push_back(0x67);
  if (addressed && pick(6) == 0) {
    static constexpr uint8_t kSeg[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
    e.pre.push_back(kSeg[pick(6)]);
  }
  if ((r.attrs & a_lock) && mem && pick(3) == 0) {
    e.pre.push_back(0xf0);
    locked_ = true;
  }
  if ((r.attrs & a_rep) && pick(2)) {
    e.pre.push_back(pick(2) ? 0xf3 : 0xf2);
    rep_ = true;
  }
  if (r.prefix == Pfx::kF3) e.pre.push_back(0xf3);
  if (r.prefix == Pfx::kF2) e.pre.push_back(0xf2);
  if (r.prefix == Pfx::k66 && !e.o16) e.pre.push_back(0x66);
}

void Builder::encode(const Row& r, unsigned g) {
  using namespace cpu::isa;
  Enc e;
  const bool mem = r.modrm.present &&
                   (r.modrm.mod == 0 || (r.modrm.mod < 0 && pick(2) == 0));
  prefixes(r, e, mem);
  if (r.map != Map::kPrimary) e.body.push_back(0x0f);
  if (r.map == Map::k0F38) e.body.push_back(0x38);
  if (r.map == Map::k0F3A) e.body.push_back(0x3a);
  uint8_t op = r.opcode;
  if (has_am(r, Am::kZ)) {
    const bool byte = std::any_of(r.ops.begin(), r.ops.end(),
                                  [](const auto& o) { return o.am == Am::kZ && o.ot == Ot::kB; });
    // PUSH ESP only reads ESP; every other Z form would write it.
    op = uint8_t(op + (r.mnemonic == "push" ? pick(8) : reg_operand(rng_, byte)));
  }
  e.body.push_back(op);
  uint8_t reg_field = 0;
  avoid_.clear();
  if (r.modrm.present) {
    const bool byte_g = std::any_of(r.ops.begin(), r.ops.end(),
                                    [](const auto& o) { return o.am == Am::kG && o.ot == Ot::kB; });
    reg_field = r.modrm.reg >= 0 ? uint8_t(r.modrm.reg)
                : has_am(r, Am::kS) ? uint8_t(pick(6))
                                    : reg_operand(rng_, byte_g);
    if (mem && is_mn(r, {"bt", "bts", "btr", "btc"}) && has_am(r, Am::kG)) avoid_.push_back(reg_field);
    if (is_mn(r, {"shld", "shrd"})) avoid_.push_back(cpu::kRcx);
    special_setups(r, e, reg_field, mem);
    modrm(r, e, reg_field, mem);
  } else {
    special_setups(r, e, reg_field, mem);
  }
  size_t fix_at = 0;
  unsigned fix_size = 0;
  immediates(r, e, g, fix_at, fix_size);
  const size_t start = code_.size() + e.pre.size();
  code_.insert(code_.end(), e.pre.begin(), e.pre.end());
  code_.insert(code_.end(), e.body.begin(), e.body.end());
  if (r.mnemonic == "smsw" && !mem && !e.o16) {
    // SMSW r32 leaves the upper half undefined (SDM vol. 2, SMSW): MOVZX
    // r32, r16 defines it before anything reads it.
    const uint8_t rm = uint8_t(e.body.back() & 7);
    for (uint8_t b : {uint8_t(0x0f), uint8_t(0xb7), uint8_t(0xc0 | rm << 3 | rm)}) code_.push_back(b);
  }
  if (fix_size) fixups_.push_back({start + fix_at, fix_size, code_.size(), jump_target_});
}

}  // namespace

uint16_t static_undefined(const Row& r) {
  return is_shift(r) ? uint16_t(fl::OSZAPC) : r.flags_undefined;
}
uint16_t static_written(const Row& r) {
  if (is_shift(r)) return 0;
  // BT, BTS, BTR, BTC leave ZF unaffected (SDM vol. 2, BT "Flags Affected"),
  // though the table lists it among the written flags.
  if (is_mn(r, {"bt", "bts", "btr", "btc"})) return uint16_t(r.flags_written & ~fl::Z);
  return r.flags_written;
}
bool is_shift(const Row& r) {
  return is_mn(r, {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd"});
}

SequenceGenerator::SequenceGenerator(const cpu::CpuModel& model) {
  for (const Row& r : cpu::isa::kRows) {
    if (eligible(r, model)) rows_.push_back(&r);
  }
}

Sequence SequenceGenerator::generate(uint64_t seed, unsigned max_len) const {
  return Builder(seed, rows_).build(max_len);
}

}  // namespace kestrel::differential
