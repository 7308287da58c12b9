// SPDX-License-Identifier: MIT
// The decoders under comparison and the allow-list of known differences.
#include "tests/differential/capstone_quirks.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace kestrel::differential {

Decoders::Decoders(cpu::CodeSize mode) : mode_(mode) {
  model_ = cpu::default_cpu_model();
  model_.name = "all-features";
  model_.features = 0;
  for (unsigned f = 0; f < cpu::isa::kFeatureCount; ++f) {
    if (f != cpu::isa::fOnly8086) model_.features |= uint64_t{1} << f;
  }
  model_.quirks = 0;
  model_.max_insn_len = 15;
  const cs_mode m = mode == cpu::CodeSize::k16   ? CS_MODE_16
                    : mode == cpu::CodeSize::k32 ? CS_MODE_32
                                                 : CS_MODE_64;
  if (cs_open(CS_ARCH_X86, m, &cs_) != CS_ERR_OK) {
    std::fprintf(stderr, "cs_open failed\n");
    std::abort();
  }
  insn_ = cs_malloc(cs_);
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs32_) != CS_ERR_OK) std::abort();
  insn32_ = cs_malloc(cs32_);
}

Decoders::~Decoders() {
  cs_free(insn_, 1);
  cs_close(&cs_);
  cs_free(insn32_, 1);
  cs_close(&cs32_);
}

Outcome Decoders::kestrel(const uint8_t* bytes, size_t n) const {
  cpu::DecodeContext ctx;
  ctx.code = mode_;
  ctx.protected_mode = true;
  ctx.model = &model_;
  Outcome o;
  o.status = cpu::decode({bytes, n}, ctx, o.insn);
  o.valid = o.status == cpu::DecodeStatus::kOk;
  o.len = o.insn.len;
  if (o.valid) {
    const std::string_view f = o.insn.row().form;
    std::memcpy(o.name, f.data(), std::min(f.size(), sizeof o.name - 1));
  }
  return o;
}

namespace {

/// Capstone's mnemonic without the prefix words it prepends ("lock", "rep"...).
Outcome capstone_outcome(csh h, cs_insn* insn, const uint8_t* bytes, size_t n) {
  Outcome o;
  const uint8_t* code = bytes;
  size_t size = n;
  uint64_t addr = 0;
  if (cs_disasm_iter(h, &code, &size, &addr, insn)) {
    o.valid = true;
    o.len = insn->size;
    const char* m = insn->mnemonic;
    if (const char* sp = std::strrchr(m, ' ')) m = sp + 1;
    std::snprintf(o.name, sizeof o.name, "%s", m);
  }
  return o;
}

}  // namespace

Outcome Decoders::capstone(const uint8_t* bytes, size_t n) const {
  return capstone_outcome(cs_, insn_, bytes, n);
}

Outcome Decoders::capstone32(const uint8_t* bytes, size_t n) const {
  return capstone_outcome(cs32_, insn32_, bytes, n);
}

namespace {

/// Records a legacy prefix in `p`; false for any other byte.
bool legacy_prefix(uint8_t x, Parsed& p) {
  switch (x) {
    case 0xf0: p.lock = true; return true;
    case 0x66: p.op66 = true; return true;
    case 0x67: p.ad67 = true; return true;
    case 0xf2:
    case 0xf3: p.last_f2f3 = x; return true;
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65: p.seg = true; return true;
    default: return false;
  }
}

}  // namespace

Parsed parse(const uint8_t* b, size_t n, cpu::CodeSize mode) {
  Parsed p;
  size_t i = 0;
  for (; i < n; ++i) {
    if (mode == cpu::CodeSize::k64 && (b[i] & 0xf0) == 0x40) {
      p.rex = b[i];
      continue;
    }
    if (!legacy_prefix(b[i], p)) break;
    p.rex = 0;  // a legacy prefix after REX cancels it
  }
  p.prefix_end = i;
  if (i < n && b[i] == 0x0f && i + 1 < n) {
    ++i;
    p.map = 1;
    if ((b[i] == 0x38 || b[i] == 0x3a) && i + 1 < n) {
      p.map = b[i] == 0x38 ? 2 : 3;
      ++i;
    }
  }
  p.opcode = i < n ? b[i] : 0;
  if (i + 1 < n) p.modrm = b[i + 1];
  return p;
}

std::string describe(const Outcome& o) {
  if (!o.valid) {
    switch (o.status) {
      case cpu::DecodeStatus::kTooLong: return "too-long";
      case cpu::DecodeStatus::kNeedMore: return "need-more";
      default: return "invalid";
    }
  }
  return std::string(o.name) + "/" + std::to_string(o.len);
}

std::string raw_key(const uint8_t* bytes, size_t n, cpu::CodeSize mode, const Outcome& k,
                    const Outcome& c) {
  const Parsed p = parse(bytes, n, mode);
  static constexpr const char* kMaps[] = {"", "0f ", "0f38 ", "0f3a "};
  char buf[160];
  const char* kind = !k.valid ? "kestrel-invalid" : !c.valid ? "capstone-invalid" : "length";
  std::snprintf(buf, sizeof buf, "%d-bit %s %s%02x /%d%s%s%s%s%s%s", int(mode) * 8, kind,
                kMaps[p.map], p.opcode, p.modrm < 0 ? -1 : (p.modrm >> 3) & 7,
                p.modrm >= 0 && (p.modrm >> 6) == 3 ? " reg" : " mem", p.lock ? " F0" : "",
                p.op66 ? " 66" : "", p.ad67 ? " 67" : "",
                p.last_f2f3 ? (p.last_f2f3 == 0xf2 ? " F2" : " F3") : "", p.rex & 8 ? " W" : "");
  return buf;
}

namespace {

using cpu::DecodeStatus;
using cpu::isa::Pfx;

bool agree(const Outcome& k, const Outcome& c) {
  return k.valid == c.valid && (!k.valid || k.len == c.len);
}
bool is_f2f3(uint8_t b) { return b == 0xf2 || b == 0xf3; }
bool is_rex(cpu::CodeSize mode, uint8_t b) {
  return mode == cpu::CodeSize::k64 && (b & 0xf0) == 0x40;
}

bool has_mnemonic(const Outcome& o, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (std::strcmp(o.name, n) == 0) return true;
  }
  return false;
}

const Quirk* classify_at(const Decoders& dec, const uint8_t* bytes, size_t n, const Outcome& k,
                         const Outcome& c, int depth);

/// The bytes again, with some prefixes removed (padded with zeros) or
/// reordered, and what both decoders make of them.
struct Variant {
  uint8_t bytes[32] = {};
  size_t n = 0;
  size_t removed = 0;
  Outcome k, c;

  void decode(const Decoders& dec) {
    k = dec.kestrel(bytes, n);
    c = dec.capstone(bytes, n);
  }
  /// Both decoders agree on it, or a known class explains why not.
  bool resolved(const Decoders& dec, int depth) const {
    return agree(k, c) || classify_at(dec, bytes, n, k, c, depth + 1) != nullptr;
  }
};

template <class Drop>
Variant without(const Decoders& dec, const uint8_t* bytes, size_t n, const Parsed& p, Drop drop) {
  Variant v;
  v.n = n;
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i < p.prefix_end && drop(bytes[i])) continue;
    v.bytes[j++] = bytes[i];
  }
  v.removed = n - j;
  v.decode(dec);
  return v;
}

/// The prefixes selected by `move` placed last among the legacy prefixes
/// (before a REX prefix that precedes the opcode), in their own order.
template <class Move>
Variant reordered(const Decoders& dec, const uint8_t* bytes, size_t n, const Parsed& p, Move move,
                  bool decode = true) {
  Variant v;
  v.n = n;
  size_t end = p.prefix_end;
  if (end > 0 && is_rex(dec.mode(), bytes[end - 1])) --end;
  size_t j = 0;
  for (size_t i = 0; i < end; ++i) {
    if (!move(bytes[i])) v.bytes[j++] = bytes[i];
  }
  for (size_t i = 0; i < end; ++i) {
    if (move(bytes[i])) v.bytes[j++] = bytes[i];
  }
  for (size_t i = end; i < n; ++i) v.bytes[j++] = bytes[i];
  if (decode) v.decode(dec);
  return v;
}

bool is_66(uint8_t b) { return b == 0x66; }
bool is_66_f2f3(uint8_t b) { return b == 0x66 || is_f2f3(b); }

/// Capstone ignored the removed prefixes: its answer for the original bytes
/// is its answer, or Kestrel's, for the bytes without them.
bool capstone_ignored(const Outcome& c, const Variant& v) {
  if (!c.valid) return false;
  if (v.c.valid && std::strcmp(c.name, v.c.name) == 0 && v.c.len + v.removed == c.len) return true;
  return v.k.valid && v.k.insn.row().mnemonic == c.name && v.k.len + v.removed == c.len;
}

/// One disagreement under examination.
struct Case {
  const Decoders& dec;
  const uint8_t* bytes;
  size_t n;
  const Outcome& k;
  const Outcome& c;
  Parsed p;
  int depth;

  bool only_kestrel_rejects() const { return !k.valid && c.valid; }
  bool only_capstone_rejects() const { return k.valid && !c.valid; }
  bool mode64() const { return dec.mode() == cpu::CodeSize::k64; }
  bool in_map(int map, std::initializer_list<uint8_t> ops) const {
    if (p.map != map) return false;
    for (uint8_t o : ops) {
      if (p.opcode == o) return true;
    }
    return false;
  }
};

bool is_seg(uint8_t b) {
  return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/// 16-bit code as Capstone's 32-bit mode sees it: 67 toggled so the
/// addressing form stays the same. `v.removed` is the length change, negated;
/// at the length limit a segment override makes room for the added 67.
Variant as_32bit_code(const Case& x) {
  if (x.p.ad67) return without(x.dec, x.bytes, x.n, x.p, [](uint8_t b) { return b == 0x67; });
  Variant v;
  v.n = x.n;
  v.bytes[0] = 0x67;
  size_t j = 1;
  bool dropped = x.k.len < 15;
  for (size_t i = 0; i < x.n && j < x.n; ++i) {
    if (!dropped && i < x.p.prefix_end && is_seg(x.bytes[i])) {
      dropped = true;
      continue;
    }
    v.bytes[j++] = x.bytes[i];
  }
  return v;
}

bool cs16_mandatory_prefix(const Case& x) {
  if (x.dec.mode() != cpu::CodeSize::k16 || !x.only_capstone_rejects()) return false;
  const Pfx want = x.k.insn.row().prefix;
  if (want != Pfx::k66 && want != Pfx::kF2 && want != Pfx::kF3) return false;
  // Capstone's 32-bit mode accepts the same instruction (with the prefixes
  // in the order it wants, see prefix-order).
  const Variant v32 = as_32bit_code(x);
  const size_t len32 = x.p.ad67 ? x.k.len - v32.removed : std::min<size_t>(x.k.len + 1, 15);
  const Parsed p32 = parse(v32.bytes, v32.n, cpu::CodeSize::k32);
  for (bool (*move)(uint8_t) : {is_66, is_f2f3, is_66_f2f3}) {
    const Variant v = reordered(x.dec, v32.bytes, v32.n, p32, move, false);
    const Outcome c32 = x.dec.capstone32(v.bytes, v.n);
    if (c32.valid && c32.len == len32) return true;
  }
  return false;
}

bool prefix_order(const Case& x) {
  if (!x.p.op66 && !x.p.last_f2f3) return false;
  const auto same = [&](const Variant& v) {
    return v.k.valid == x.k.valid && v.k.len == x.k.len && v.k.insn.form == x.k.insn.form &&
           agree(v.k, v.c);
  };
  for (bool (*move)(uint8_t) : {is_66, is_f2f3, is_66_f2f3}) {
    if (same(reordered(x.dec, x.bytes, x.n, x.p, move))) return true;
  }
  return false;
}

bool lock_ud(const Case& x) {
  if (!x.only_kestrel_rejects() || !x.p.lock) return false;
  const Variant v = without(x.dec, x.bytes, x.n, x.p, [](uint8_t b) { return b == 0xf0; });
  if (!capstone_ignored(x.c, v) || !v.resolved(x.dec, x.depth)) return false;
  if (!v.k.valid) return v.k.status == DecodeStatus::kTooLong;
  return !(v.k.insn.row().attrs & cpu::isa::a_lock) || v.k.insn.mod == 3;
}

/// Kestrel rejects a 66/F2/F3 that the row it decodes without the prefix
/// does not take, and Capstone ignores the prefix. `drop` selects the
/// prefixes removed (with LOCK, which no such row takes either).
bool reserved_prefix(const Case& x, bool (*drop)(uint8_t)) {
  const Variant v =
      without(x.dec, x.bytes, x.n, x.p, [&](uint8_t b) { return b == 0xf0 || drop(b); });
  if (!v.k.valid || !capstone_ignored(x.c, v) || !v.resolved(x.dec, x.depth)) return false;
  const Pfx want = v.k.insn.row().prefix;
  return want == Pfx::kNone || (want == Pfx::k66 && !drop(0x66));
}
bool reserved_f2f3(const Case& x) {
  if (!x.only_kestrel_rejects() || !x.p.last_f2f3) return false;
  return reserved_prefix(x, is_f2f3) || (x.p.op66 && reserved_prefix(x, is_66_f2f3));
}
bool reserved_66(const Case& x) {
  return x.only_kestrel_rejects() && x.p.op66 && reserved_prefix(x, is_66);
}

bool near_branch_66(const Case& x) {
  if (!x.mode64() || !x.p.op66 || (x.p.rex & 8) || !x.c.valid) return false;
  if (!x.in_map(0, {0xe8, 0xe9}) && !(x.p.map == 1 && (x.p.opcode & 0xf0) == 0x80)) return false;
  if (x.k.valid) return x.k.len == x.c.len + 2;
  return x.k.status == DecodeStatus::kTooLong && x.c.len + 2 > 15;
}

bool ret_iw_66_rexw(const Case& x) {
  return x.mode64() && x.in_map(0, {0xc2}) && (x.p.op66 || x.p.ad67) && (x.p.rex & 8) &&
         x.k.valid && (!x.c.valid || x.c.len == x.k.len + 2);
}

bool sreg_rex_r(const Case& x) {
  return x.mode64() && x.in_map(0, {0x8c, 0x8e}) && (x.p.rex & 4) && x.only_capstone_rejects();
}

bool cs64_67_rexw(const Case& x) {
  if (!x.mode64() || !x.p.ad67 || !(x.p.rex & 8) || x.in_map(0, {0xa0, 0xa1, 0xa2, 0xa3})) {
    return false;
  }
  // Without the 67 Kestrel decodes the same instruction one byte shorter and
  // agrees with Capstone (or a known class explains the difference) ...
  const Variant v = without(x.dec, x.bytes, x.n, x.p, [](uint8_t b) { return b == 0x67; });
  if (!v.resolved(x.dec, x.depth) || v.k.valid != x.k.valid) return false;
  if (x.k.valid && x.k.len != v.k.len + v.removed) return false;
  // ... while Capstone's answer changes, though outside moffs a 67 changes
  // neither validity nor length in 64-bit mode.
  return v.c.valid != x.c.valid ||
         (x.c.valid && (std::strcmp(v.c.name, x.c.name) != 0 || v.c.len + v.removed != x.c.len));
}

bool syscall_legacy(const Case& x) {
  return !x.mode64() && x.only_kestrel_rejects() &&
         has_mnemonic(x.c, {"syscall", "sysret", "swapgs"});
}

bool amd_only(const Case& x) {
  if (!x.only_kestrel_rejects() || x.p.map != 1) return false;
  if (x.in_map(1, {0x0e, 0x0f})) return true;                                      // 3DNow!
  if (x.in_map(1, {0x01}) && x.p.modrm >= 0xd8 && x.p.modrm <= 0xdf) return true;  // SVM
  if (x.in_map(1, {0x78, 0x79})) return has_mnemonic(x.c, {"extrq", "insertq"});   // SSE4a
  if (x.in_map(1, {0x2b})) return has_mnemonic(x.c, {"movntss", "movntsd"});       // SSE4a
  return false;
}

bool via_padlock(const Case& x) { return x.only_kestrel_rejects() && x.in_map(1, {0xa6, 0xa7}); }

bool hint_nop(const Case& x) {
  return x.only_capstone_rejects() &&
         x.in_map(1, {0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}) &&
         x.k.insn.row().mnemonic == "nop";
}

bool fence_rm(const Case& x) {
  return x.only_capstone_rejects() && x.in_map(1, {0xae}) && x.p.modrm >= 0xe8 &&
         has_mnemonic(x.k, {"LFENCE", "MFENCE", "SFENCE"});
}

bool pcommit(const Case& x) { return x.only_kestrel_rejects() && has_mnemonic(x.c, {"pcommit"}); }

bool ud_modrm(const Case& x) {
  if (!x.in_map(1, {0xb9, 0xff})) return false;
  if (!x.k.valid && x.k.status != DecodeStatus::kTooLong) return false;
  return !x.c.valid || !x.k.valid || x.c.len < x.k.len;
}

bool vex_evex_xop(const Case& x) {
  if (!x.only_kestrel_rejects() || x.p.map != 0) return false;
  const uint8_t o = x.p.opcode;
  if (o != 0xc4 && o != 0xc5 && o != 0x62 && o != 0x8f) return false;
  if (x.mode64() && o != 0x8f) return true;
  return x.p.modrm >= 0xc0 || (o == 0x8f && ((x.p.modrm >> 3) & 7) != 0);
}

struct Rule {
  Quirk quirk;
  bool (*match)(const Case&);
};

// The reasons are repeated in docs/conformance.md, "Decoder vs Capstone".
constexpr Rule kRules[] = {
    {{"cs16-mandatory-prefix",
      "Capstone 4 in 16-bit mode ignores the mandatory 66/F2/F3 prefix of SSE encodings and "
      "rejects the forms that exist only with one (66 0F 7C HADDPD, F3 0F B8 POPCNT...); its "
      "32-bit mode accepts the same instruction. Mandatory prefixes do not depend on the mode "
      "(SDM vol. 2A 2.1.2)."},
     cs16_mandatory_prefix},
    {{"prefix-order",
      "Capstone 4 honours a mandatory 66/F2/F3 only when no other legacy prefix follows it "
      "(66 36 0F 7C), and rejects 66 followed by F2/F3 on MOV moffs (66 F3 A1); with the "
      "prefixes reordered it agrees. Legacy prefixes may come in any order (SDM vol. 2A "
      "2.1.1)."},
     prefix_order},
    {{"lock-ud",
      "LOCK on an instruction that is not lockable, or whose destination is a register, is "
      "#UD (SDM vol. 2A 2.1.1 and LOCK); Capstone 4 accepts LOCK anywhere."},
     lock_ud},
    {{"reserved-f2f3",
      "F2/F3 on an opcode whose rows define no F2/F3 form (F3 0F 54, F2 0F FC...): #UD, since "
      "the opcode tables list no such instruction and other uses of F2/F3 are reserved (SDM "
      "vol. 2A 2.1.1, vol. 2 tables A-3 to A-5); Capstone 4 ignores the prefix."},
     reserved_f2f3},
    {{"reserved-66",
      "66 on an NP encoding (MMX, EMMS, SHA, VMREAD...): #UD (SDM vol. 2A 3.1.1.1: NP means "
      "66/F2/F3 are not allowed); Capstone 4 ignores the prefix."},
     reserved_66},
    {{"near-branch-66-64bit",
      "66 on CALL/JMP/Jcc rel32 in 64-bit mode: Intel CPUs ignore it and keep rel32 (operand "
      "size forced to 64 bits, SDM vol. 2A CALL, JMP, Jcc); Capstone 4 decodes rel16 as AMD "
      "CPUs do."},
     near_branch_66},
    {{"ret-iw-66-rexw",
      "66 (or 67) REX.W C2 iw: Capstone 4 reads a 4-byte immediate; RET's immediate is always "
      "16 bits (SDM vol. 2B RET)."},
     ret_iw_66_rexw},
    {{"cs64-67-rexw",
      "In 64-bit code Capstone 4 reads 67 with REX.W as an operand-size prefix (67 48 0F 58 "
      "becomes ADDPD, 67 48 E8 a rel16 CALL); 67 only changes the address size (SDM vol. 1 "
      "3.3.7), which outside moffs (SDM vol. 2A 2.2.1.4) changes neither validity nor length."},
     cs64_67_rexw},
    {{"sreg-rex-r",
      "REX.R with MOV to/from a segment register is ignored (SDM vol. 2A 2.2.1.2: REX.R "
      "extends only GPR, SSE, control and debug registers); Capstone 4 rejects it."},
     sreg_rex_r},
    {{"syscall-outside-64bit",
      "SYSCALL, SYSRET and SWAPGS are #UD outside 64-bit mode on Intel CPUs (SDM vol. 2B: "
      "'Compat/Leg Mode: Invalid'); Capstone 4 decodes them in 16- and 32-bit code (AMD "
      "allows SYSCALL there)."},
     syscall_legacy},
    {{"amd-only",
      "AMD-only extensions (3DNow! 0F 0E/0F 0F, SVM 0F 01 D8-DF, SSE4a "
      "EXTRQ/INSERTQ/MOVNTSS/MOVNTSD) are not in the Intel SDM nor on the modelled CPU: #UD."},
     amd_only},
    {{"via-padlock", "VIA PadLock (0F A6, 0F A7 register forms) is not an Intel instruction: #UD."},
     via_padlock},
    {{"hint-nop-register-forms",
      "0F 18-0F 1F with any ModRM are hint NOPs on P6 and later (SDM vol. 2B NOP; vol. 2 "
      "table A-3, 0F 19-0F 1E 'reserved NOP'); Capstone 4 rejects many register forms (0F 1F "
      "C0, 0F 18 /0-/3 with mod = 11...)."},
     hint_nop},
    {{"fence-rm",
      "LFENCE, MFENCE and SFENCE are the group 15 register forms /5, /6, /7 with any r/m (SDM "
      "vol. 2 table A-6) and ignore REX; Capstone 4 accepts only 0F AE E8, F0 and F8."},
     fence_rm},
    {{"pcommit",
      "PCOMMIT (66 0F AE F8) was withdrawn from the SDM before any CPU implemented it: #UD "
      "(66 on the NP SFENCE)."},
     pcommit},
    {{"ud0-ud1-modrm",
      "UD1 (0F B9 /r) and UD0 (0F FF /r) take a ModRM byte (SDM vol. 2B UD); Capstone 4 "
      "decodes them without one and rejects UD0 after 66/F2/F3."},
     ud_modrm},
    {{"vex-evex-xop",
      "VEX (C4/C5), EVEX (62) and XOP (8F) encodings: the modelled CPU has no AVX, AVX-512 or "
      "XOP, so these are LES/LDS/BOUND/POP forms that are #UD (register forms, or any form in "
      "64-bit mode); Capstone 4 decodes the vector instruction."},
     vex_evex_xop},
};

constexpr int kMaxDepth = 3;

const Quirk* classify_at(const Decoders& dec, const uint8_t* bytes, size_t n, const Outcome& k,
                         const Outcome& c, int depth) {
  if (depth > kMaxDepth) return nullptr;
  const Case x{dec, bytes, n, k, c, parse(bytes, n, dec.mode()), depth};
  for (const Rule& r : kRules) {
    if (r.match(x)) return &r.quirk;
  }
  return nullptr;
}

}  // namespace

std::span<const Quirk> known_quirks() {
  static const auto kList = [] {
    std::array<Quirk, std::size(kRules)> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = kRules[i].quirk;
    return a;
  }();
  return kList;
}

const Quirk* classify(const Decoders& dec, const uint8_t* bytes, size_t n, const Outcome& k,
                      const Outcome& c) {
  return classify_at(dec, bytes, n, k, c, 0);
}

}  // namespace kestrel::differential
