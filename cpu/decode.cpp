// SPDX-License-Identifier: MIT
// The table-driven decoder. Its index over the instruction table is built at
// compile time: for every (map, opcode) the rows that may match, in table
// order. Decoding = prefixes, opcode, row choice (feature, mode, ModRM,
// mandatory prefix), operand and address size, ModRM/SIB/displacement,
// immediates, then the LOCK and length rules.
#include "cpu/decode.h"

#include <algorithm>
#include <array>

namespace kestrel::cpu {
namespace {

using isa::Am;
using isa::Map;
using isa::Ot;
using isa::Pfx;
using isa::Row;

constexpr bool has_operand(const Row& r, Am am) {
  for (const isa::Operand& o : r.ops) {
    if (o.am == am) return true;
  }
  return false;
}

constexpr bool has_zreg(const Row& r) { return has_operand(r, Am::kZ); }

/// Row indices for each (map, opcode); register-in-opcode rows appear under
/// all eight of their opcodes.
constexpr size_t count_entries() {
  size_t n = 0;
  for (const Row& r : isa::kRows) n += has_zreg(r) ? 8 : 1;
  return n;
}

struct Index {
  static constexpr size_t kSlots = 4 * 256;
  std::array<uint16_t, kSlots + 1> start{};
  std::array<uint16_t, count_entries()> rows{};
};

constexpr size_t slot(Map m, unsigned opcode) { return size_t(m) * 256 + opcode; }

constexpr Index build_index() {
  Index ix;
  std::array<uint16_t, Index::kSlots> count{};
  for (const Row& r : isa::kRows) {
    const unsigned n = has_zreg(r) ? 8 : 1;
    for (unsigned k = 0; k < n; ++k) ++count[slot(r.map, r.opcode + k)];
  }
  for (size_t s = 0; s < Index::kSlots; ++s) ix.start[s + 1] = uint16_t(ix.start[s] + count[s]);
  std::array<uint16_t, Index::kSlots> fill{};
  for (size_t i = 0; i < isa::kRows.size(); ++i) {
    const Row& r = isa::kRows[i];
    const unsigned n = has_zreg(r) ? 8 : 1;
    for (unsigned k = 0; k < n; ++k) {
      const size_t s = slot(r.map, r.opcode + k);
      ix.rows[ix.start[s] + fill[s]++] = uint16_t(i);
    }
  }
  return ix;
}

constexpr Index kIndex = build_index();

/// Reads bytes, enforcing the buffer's end and the model's length limit.
struct Reader {
  std::span<const uint8_t> bytes;
  size_t max;
  size_t pos = 0;
  DecodeStatus status = DecodeStatus::kOk;

  bool need(size_t n) {
    if (pos + n > max) {
      status = DecodeStatus::kTooLong;
      return false;
    }
    if (pos + n > bytes.size()) {
      status = DecodeStatus::kNeedMore;
      return false;
    }
    return true;
  }
  uint64_t take(unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) v |= uint64_t(bytes[pos + i]) << (8 * i);
    pos += n;
    return v;
  }
};

int64_t sign_extend(uint64_t v, unsigned bytes) {
  const unsigned shift = 64 - 8 * bytes;
  return int64_t(v << shift) >> shift;
}

struct Prefixes {
  uint8_t seg = kSegNone;
  bool op66 = false;
  bool ad67 = false;
  bool lock = false;
  uint8_t f2f3 = 0;
  uint8_t rex = 0;
};

/// Legacy prefixes, then REX (64-bit mode; it counts only right before the opcode).
bool read_prefixes(Reader& rd, const DecodeContext& ctx, Prefixes& p) {
  const bool has386 = ctx.model->has(isa::f386);
  const bool mode64 = ctx.code == CodeSize::k64;
  for (;;) {
    if (!rd.need(1)) return false;
    const uint8_t b = rd.bytes[rd.pos];
    switch (b) {
      case 0x26: p.seg = kEs; break;
      case 0x2e: p.seg = kCs; break;
      case 0x36: p.seg = kSs; break;
      case 0x3e: p.seg = kDs; break;
      case 0xf0: p.lock = true; break;
      case 0xf2:
      case 0xf3: p.f2f3 = b; break;
      case 0x64:
      case 0x65:
        if (!has386) return true;
        p.seg = b == 0x64 ? kFs : kGs;
        break;
      case 0x66:
      case 0x67:
        if (!has386) return true;
        (b == 0x66 ? p.op66 : p.ad67) = true;
        break;
      default:
        if (mode64 && (b & 0xf0) == 0x40) {
          p.rex = b;
          ++rd.pos;
          continue;
        }
        return true;
    }
    p.rex = 0;  // a legacy prefix after REX cancels it
    ++rd.pos;
  }
}

bool prefix_matches(Pfx want, const Prefixes& p) {
  switch (want) {
    case Pfx::kAny: return true;
    case Pfx::kNone: return !p.op66 && !p.f2f3;
    case Pfx::k66: return p.op66 && !p.f2f3;
    case Pfx::kF3: return p.f2f3 == 0xf3;
    case Pfx::kF2: return p.f2f3 == 0xf2;
  }
  return false;
}

bool mode_allows(uint16_t modes, const DecodeContext& ctx) {
  const bool mode64 = ctx.code == CodeSize::k64;
  if ((modes & isa::i64) && mode64) return false;
  if ((modes & isa::o64) && !mode64) return false;
  if ((modes & isa::pm) && (!ctx.protected_mode || ctx.v86)) return false;
  if ((modes & isa::nov86) && ctx.v86) return false;
  return true;
}

/// The first row for (map, opcode) that this model, mode, ModRM and prefix
/// set accept; nullptr for an invalid encoding.
const Row* choose_row(Map map, uint8_t opcode, int modrm, const Prefixes& p,
                      const DecodeContext& ctx) {
  const size_t s = slot(map, opcode);
  for (size_t k = kIndex.start[s]; k < kIndex.start[s + 1]; ++k) {
    const Row& r = isa::kRows[kIndex.rows[k]];
    if (!ctx.model->has(r.feature) || !mode_allows(r.modes, ctx)) continue;
    if (!prefix_matches(r.prefix, p) || ((r.modes & isa::w1) && !(p.rex & 8))) continue;
    if (r.modrm.present && !r.modrm.matches(uint8_t(modrm))) continue;
    return &r;
  }
  return nullptr;
}

/// Whether the opcode takes a ModRM byte: decided by the first row this
/// model has, so the ModRM byte can be read before the row is chosen.
int modrm_presence(Map map, uint8_t opcode, const DecodeContext& ctx) {
  const size_t s = slot(map, opcode);
  for (size_t k = kIndex.start[s]; k < kIndex.start[s + 1]; ++k) {
    const Row& r = isa::kRows[kIndex.rows[k]];
    if (ctx.model->has(r.feature)) return r.modrm.present ? 1 : 0;
  }
  return -1;
}

void decode_sizes(const Row& r, const Prefixes& p, const DecodeContext& ctx, DecodedInsn& out) {
  // A 66 that serves as a mandatory prefix does not change the operand size.
  const bool op66 = p.op66 && r.prefix != Pfx::k66;
  switch (ctx.code) {
    case CodeSize::k16:
      out.osize = op66 ? 4 : 2;
      out.asize = p.ad67 ? 4 : 2;
      break;
    case CodeSize::k32:
      out.osize = op66 ? 2 : 4;
      out.asize = p.ad67 ? 2 : 4;
      break;
    case CodeSize::k64:
      out.asize = p.ad67 ? 4 : 8;
      if ((p.rex & 8) || (r.modes & isa::f64)) {
        out.osize = 8;  // Intel ignores 66 on near branches in 64-bit mode
      } else if (r.modes & isa::d64) {
        out.osize = op66 ? 2 : 8;
      } else {
        out.osize = op66 ? 2 : 4;
      }
      break;
  }
}

/// ModRM memory operand: base, index, scale, displacement, default segment.
bool decode_modrm_mem(Reader& rd, const Prefixes& p, const DecodeContext& ctx, DecodedInsn& out) {
  const unsigned mod = out.mod, rm = out.modrm & 7;
  uint8_t default_seg = kDs;
  unsigned disp_bytes = mod == 1 ? 1 : 0;
  if (out.asize == 2) {
    static constexpr uint8_t kBase[8] = {kRbx, kRbx, kRbp, kRbp, kRsi, kRdi, kRbp, kRbx};
    static constexpr uint8_t kIndex16[8] = {kRsi, kRdi, kRsi, kRdi, kNoReg, kNoReg, kNoReg, kNoReg};
    if (mod == 2) disp_bytes = 2;
    if (mod == 0 && rm == 6) {
      disp_bytes = 2;
    } else {
      out.base = kBase[rm];
      out.index = kIndex16[rm];
      if (out.base == kRbp) default_seg = kSs;
    }
  } else {
    if (mod == 2) disp_bytes = 4;
    unsigned base = rm;
    if (rm == 4) {
      if (!rd.need(1)) return false;
      const uint8_t sib = uint8_t(rd.take(1));
      out.scale = sib >> 6;
      const unsigned index = ((sib >> 3) & 7) | (p.rex & 2 ? 8 : 0);
      if (index != 4) out.index = uint8_t(index);
      base = sib & 7;
      if (base == 5 && mod == 0) {
        disp_bytes = 4;
        base = kNoReg;
      }
    } else if (rm == 5 && mod == 0) {
      disp_bytes = 4;
      base = ctx.code == CodeSize::k64 ? kRipReg : kNoReg;
    }
    if (base < 8) {
      if (base == kRsp || base == kRbp) default_seg = kSs;
      base |= p.rex & 1 ? 8 : 0;
    }
    out.base = uint8_t(base);
  }
  if (!rd.need(disp_bytes)) return false;
  if (disp_bytes) out.disp = sign_extend(rd.take(disp_bytes), disp_bytes);
  out.seg = default_seg;
  return true;
}

/// Size in bytes of an immediate-like operand; 0 for operands with none.
unsigned immediate_bytes(const isa::Operand& o, const DecodedInsn& out) {
  switch (o.am) {
    case Am::kI:
    case Am::kJ:
      switch (o.ot) {
        case Ot::kB: return 1;
        case Ot::kW: return 2;
        case Ot::kD: return 4;
        case Ot::kZ: return out.osize == 2 ? 2 : 4;
        case Ot::kV: return out.osize;
        default: return 0;
      }
    case Am::kA: return out.osize == 2 ? 4 : 6;
    case Am::kO: return out.asize;
    default: return 0;
  }
}

/// Immediates in operand order: the first goes to imm, a second to imm2.
/// Iw and moffs are unsigned; other first immediates are sign-extended to 64
/// bits (users of a byte truncate); a second immediate (ENTER's Ib) is unsigned.
bool decode_immediates(Reader& rd, const Row& r, DecodedInsn& out) {
  bool first = true;
  for (const isa::Operand& o : r.ops) {
    const unsigned n = immediate_bytes(o, out);
    if (n == 0) continue;
    if (!rd.need(n)) return false;
    if (o.am == Am::kA) {
      out.imm = rd.take(n - 2);
      out.imm2 = uint32_t(rd.take(2));
    } else {
      const uint64_t v = rd.take(n);
      const bool is_signed = o.am != Am::kO && o.ot != Ot::kW;
      if (first) out.imm = is_signed ? uint64_t(sign_extend(v, n)) : v;
      else out.imm2 = uint32_t(v);
    }
    first = false;
  }
  return true;
}

/// Register-operand rules of particular rows; false for a reserved encoding.
bool register_rules(const Row& r, const CpuModel& model, DecodedInsn& out) {
  // MOV to/from CR and DR ignore ModRM.mod: r/m is always a register (SDM
  // vol. 2B MOV-Move to/from Control Registers).
  if (has_operand(r, Am::kR)) out.mod = 3;
  // REX.R and REX.B extend only GPR, XMM, control and debug registers (SDM
  // vol. 2A 2.2.1.2): not segment, MMX or x87 registers.
  if (has_operand(r, Am::kS) || has_operand(r, Am::kP)) out.reg &= 7;
  if (has_operand(r, Am::kN) || has_operand(r, Am::kQ) || has_operand(r, Am::kSti)) out.rm &= 7;
  // Segment registers 6 and 7 are reserved: #UD from the 80386 on.
  return !(has_operand(r, Am::kS) && out.reg >= 6 && model.has(isa::f386));
}

}  // namespace

DecodeStatus decode(std::span<const uint8_t> bytes, const DecodeContext& ctx, DecodedInsn& out) {
  out = DecodedInsn{};
  const CpuModel& model = *ctx.model;
  Reader rd{bytes, model.max_insn_len ? model.max_insn_len : size_t(-1)};
  Prefixes p;
  auto fail = [&](DecodeStatus st) {
    out.form = isa::Form::kInvalid;
    out.len = uint8_t(std::min<size_t>(rd.pos, 255));
    return st;
  };
  if (!read_prefixes(rd, ctx, p)) return fail(rd.status);

  Map map = Map::kPrimary;
  uint8_t opcode = uint8_t(rd.take(1));
  if (opcode == 0x0f && !model.has(isa::fOnly8086)) {
    if (!rd.need(1)) return fail(rd.status);
    map = Map::k0F;
    opcode = uint8_t(rd.take(1));
    if (opcode == 0x38 || opcode == 0x3a) {
      if (!rd.need(1)) return fail(rd.status);
      map = opcode == 0x38 ? Map::k0F38 : Map::k0F3A;
      opcode = uint8_t(rd.take(1));
    }
  }
  out.opcode = opcode;

  const int has_modrm = modrm_presence(map, opcode, ctx);
  if (has_modrm < 0) return fail(DecodeStatus::kInvalid);
  if (has_modrm) {
    if (!rd.need(1)) return fail(rd.status);
    out.modrm = uint8_t(rd.take(1));
    out.mod = out.modrm >> 6;
  } else {
    out.mod = 3;  // no memory operand
  }
  const Row* row = choose_row(map, opcode, out.modrm, p, ctx);
  // 90 is NOP (PAUSE with F3) unless REX.B turns it into XCHG r8, rAX.
  if (row && (row == &isa::row(isa::Form::NOP) || row == &isa::row(isa::Form::PAUSE)) &&
      (p.rex & 1)) {
    row = &isa::row(isa::Form::XCHG_Zv_rAX);
  }
  if (!row) return fail(DecodeStatus::kInvalid);

  out.form = isa::Form(row - isa::kRows.data());
  out.rex = p.rex;
  out.lock = p.lock;
  out.op66 = p.op66;
  out.f2f3 = p.f2f3;
  const bool mandatory_rep = row->prefix == Pfx::kF2 || row->prefix == Pfx::kF3;
  out.rep = mandatory_rep ? kRepNone : p.f2f3 == 0xf3 ? kRepE : p.f2f3 == 0xf2 ? kRepNE : kRepNone;
  decode_sizes(*row, p, ctx, out);

  if (has_zreg(*row)) {
    out.reg = uint8_t((opcode & 7) | (p.rex & 1 ? 8 : 0));
  } else if (has_modrm) {
    out.reg = uint8_t(((out.modrm >> 3) & 7) | (p.rex & 4 ? 8 : 0));
    out.rm = uint8_t((out.modrm & 7) | (p.rex & 1 ? 8 : 0));
    if (!register_rules(*row, model, out)) return fail(DecodeStatus::kInvalid);
    if (out.mod != 3 && !decode_modrm_mem(rd, p, ctx, out)) return fail(rd.status);
  }
  // Segment of the memory operand (also DS:rSI and moffs): an override wins,
  // except that 64-bit mode ignores ES, CS, SS and DS overrides.
  out.seg_override = p.seg;
  if (p.seg != kSegNone && (ctx.code != CodeSize::k64 || p.seg >= kFs)) out.seg = p.seg;

  if (!decode_immediates(rd, *row, out)) return fail(rd.status);

  // LOCK needs a lockable instruction with a memory destination (SDM 2 §2.1.1);
  // the 8086 and 80286 accept it anywhere.
  if (p.lock && !model.quirk(kQuirkLockAnywhere) &&
      (!(row->attrs & isa::a_lock) || out.mod == 3)) {
    return fail(DecodeStatus::kInvalid);
  }
  out.len = uint8_t(rd.pos);
  return DecodeStatus::kOk;
}

}  // namespace kestrel::cpu
