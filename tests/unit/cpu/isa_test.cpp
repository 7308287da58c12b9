// SPDX-License-Identifier: MIT
// Sanity of the instruction table (cpu/isa/instructions.inc): unique form
// names, consistent columns, ModRM presence that every model can decide
// from the opcode alone, no row shadowed by an earlier one, and coverage of
// the one-byte and 0F opcode maps.
#include "cpu/isa/isa.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/model.h"

namespace kestrel::cpu::isa {
namespace {

constexpr bool uses_modrm(Am am) {
  switch (am) {
    case Am::kC:
    case Am::kD:
    case Am::kE:
    case Am::kG:
    case Am::kM:
    case Am::kN:
    case Am::kP:
    case Am::kQ:
    case Am::kR:
    case Am::kS:
    case Am::kU:
    case Am::kV:
    case Am::kW:
    case Am::kSti: return true;
    default: return false;
  }
}

bool has_z(const Row& r) {
  for (const Operand& o : r.ops) {
    if (o.am == Am::kZ) return true;
  }
  return false;
}

/// The opcodes a row stands for (eight for register-in-opcode rows).
std::vector<unsigned> opcodes_of(const Row& r) {
  std::vector<unsigned> v;
  for (unsigned k = 0; k < (has_z(r) ? 8u : 1u); ++k) v.push_back(r.opcode + k);
  return v;
}

uint64_t all_features() {
  uint64_t f = 0;
  for (unsigned i = 0; i < kFeatureCount; ++i) {
    if (i != fOnly8086) f |= uint64_t{1} << i;
  }
  return f;
}

std::string where(const Row& r) {
  return std::string(r.form) + " (map " + std::to_string(int(r.map)) + ", opcode " +
         std::to_string(r.opcode) + ")";
}

TEST_CASE("isa: form names are unique and follow MNEMONIC_Op1_Op2") {
  std::set<std::string_view> seen;
  for (const Row& r : kRows) {
    INFO(where(r));
    CHECK(seen.insert(r.form).second);
    CHECK(!r.mnemonic.empty());
    for (char ch : r.form)
      CHECK(((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
             (ch >= 'a' && ch <= 'z')));
    CHECK(r.form[0] >= 'A');
    CHECK(r.form[0] <= 'Z');
  }
  CHECK(kRows.size() == kFormCount);
}

TEST_CASE("isa: every row's columns are in range and consistent") {
  constexpr uint16_t kModeBits = i64 | o64 | d64 | f64 | pm | nov86 | w1;
  constexpr uint16_t kAttrBits = a_lock | a_rep | a_branch | a_priv | a_serial | a_stop | a_prefix;
  for (const Row& r : kRows) {
    INFO(where(r));
    CHECK(r.feature < kFeatureCount);
    CHECK((r.modes & ~kModeBits) == 0);
    CHECK(!((r.modes & i64) && (r.modes & o64)));
    CHECK(!((r.modes & d64) && (r.modes & f64)));
    CHECK(!((r.modes & o64) && r.feature == fOnly8086));
    if (r.modes & w1) CHECK((r.modes & o64));  // REX.W exists only in 64-bit mode
    CHECK((r.attrs & ~kAttrBits) == 0);
    for (uint16_t f : {r.flags_read, r.flags_written, r.flags_undefined})
      CHECK((f & ~fl::ALL) == 0);
    CHECK((r.flags_undefined & ~r.flags_written) == 0);  // undefined flags are written
    // Operands from ModRM need a ModRM byte; exact-ModRM forms are register forms.
    for (const Operand& o : r.ops) {
      if (uses_modrm(o.am)) CHECK(r.modrm.present);
    }
    if (r.modrm.rm >= 0) CHECK(r.modrm.mod == 3);
    if (!r.modrm.present) CHECK((r.modrm.reg < 0 && r.modrm.mod < 0 && r.modrm.rm < 0));
    if (has_z(r)) CHECK((r.opcode & 7) == 0);
    // Mandatory prefixes belong to the 0F maps, except F3 90 PAUSE.
    if (r.map == Map::kPrimary && r.prefix != Pfx::kAny) CHECK(r.form == "PAUSE");
    // LOCK needs a memory destination.
    if (r.attrs & a_lock) CHECK((r.ops[0].am == Am::kE || r.ops[0].am == Am::kM));
    // Memory-only operands need a ModRM spec that excludes register forms,
    // except MOV CR/DR whose R operand ignores ModRM.mod.
    if (r.ops[0].am == Am::kM || r.ops[1].am == Am::kM) CHECK(r.modrm.mod == 0);
  }
}

/// For each model, the rows it may match for one (map, opcode) agree on
/// whether a ModRM byte follows: the decoder reads it before choosing a row.
TEST_CASE("isa: ModRM presence is decided by the opcode for every model") {
  std::vector<CpuModel> models(cpu_models().begin(), cpu_models().end());
  CpuModel all = models.front();
  all.features = all_features();
  models.push_back(all);
  for (const CpuModel& m : models) {
    for (unsigned map = 0; map < 4; ++map) {
      for (unsigned opc = 0; opc < 256; ++opc) {
        int presence = -1;
        for (const Row& r : kRows) {
          if (unsigned(r.map) != map || !m.has(r.feature)) continue;
          bool here = false;
          for (unsigned o : opcodes_of(r)) here |= o == opc;
          if (!here) continue;
          INFO(m.name, " ", where(r));
          if (presence < 0) presence = r.modrm.present;
          CHECK(presence == int(r.modrm.present));
        }
      }
    }
  }
}

/// Whether every encoding `later` matches is matched by `earlier` first.
bool shadows(const Row& earlier, const Row& later) {
  constexpr uint16_t kRestrict = i64 | o64 | pm | nov86 | w1;
  if (earlier.feature != later.feature) return false;
  if ((earlier.modes & kRestrict) & ~(later.modes & kRestrict)) return false;
  if (earlier.prefix != Pfx::kAny && earlier.prefix != later.prefix) return false;
  const ModrmSpec& a = earlier.modrm;
  const ModrmSpec& b = later.modrm;
  if (a.present != b.present) return false;
  if (a.reg >= 0 && a.reg != b.reg) return false;
  if (a.mod >= 0 && a.mod != b.mod) return false;
  return a.rm < 0 || a.rm == b.rm;
}

TEST_CASE("isa: no row is shadowed by an earlier row") {
  for (size_t j = 0; j < kRows.size(); ++j) {
    const Row& later = kRows[j];
    for (size_t i = 0; i < j; ++i) {
      const Row& earlier = kRows[i];
      if (earlier.map != later.map) continue;
      bool overlap = false;
      for (unsigned o : opcodes_of(earlier)) overlap |= o == later.opcode;
      if (!overlap) continue;
      // 90 is NOP, and XCHG r8 with REX.B: the decoder picks XCHG_Zv_rAX then.
      if (earlier.form == "NOP" && later.form == "XCHG_Zv_rAX") continue;
      INFO(where(earlier), " shadows ", where(later));
      CHECK(!shadows(earlier, later));
    }
  }
}

TEST_CASE("isa: every one-byte opcode is a prefix, an escape or has a row") {
  static constexpr uint8_t kPrefixes[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
                                          0x66, 0x67, 0xf0, 0xf2, 0xf3};
  std::set<unsigned> covered;
  for (const Row& r : kRows) {
    if (r.map == Map::kPrimary) {
      for (unsigned o : opcodes_of(r)) covered.insert(o);
    }
  }
  for (uint8_t p : kPrefixes) covered.insert(p);
  for (unsigned opc = 0; opc < 256; ++opc) {
    INFO("opcode ", opc);
    CHECK(covered.count(opc) == 1);
  }
}

TEST_CASE("isa: the 0F map is covered except for opcodes Intel leaves undefined") {
  // 0F 04/0A/0C: undefined; 0E/0F: AMD 3DNow!; 24-27: 386/486 test registers
  // and undefined; 36, 39, 3B-3F: undefined; 7A/7B: undefined (AMD SSE5 was
  // never released); A6/A7: 486 A-step CMPXCHG, later undefined (VIA PadLock).
  const std::set<unsigned> kUndefined = {0x04, 0x0a, 0x0c, 0x0e, 0x0f, 0x24, 0x25,
                                         0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c, 0x3d,
                                         0x3e, 0x3f, 0x7a, 0x7b, 0xa6, 0xa7};
  std::set<unsigned> covered;
  for (const Row& r : kRows) {
    if (r.map == Map::k0F) {
      for (unsigned o : opcodes_of(r)) covered.insert(o);
    }
  }
  covered.insert(0x38);  // escapes to the three-byte maps
  covered.insert(0x3a);
  for (unsigned opc = 0; opc < 256; ++opc) {
    INFO("0F ", opc);
    CHECK(covered.count(opc) + kUndefined.count(opc) == 1);
  }
}

TEST_CASE("isa: every 0F 3A form takes an immediate byte") {
  for (const Row& r : kRows) {
    if (r.map != Map::k0F3A) continue;
    INFO(where(r));
    CHECK(r.ops[2] == op::Ib);
  }
}

TEST_CASE("isa: features that the CPU models name exist") {
  for (const CpuModel& m : cpu_models()) {
    INFO(m.name);
    CHECK((m.features >> kFeatureCount) == 0);
  }
}

}  // namespace
}  // namespace kestrel::cpu::isa
