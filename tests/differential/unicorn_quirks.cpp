// SPDX-License-Identifier: MIT
// Known Unicorn errors. Rows Unicorn cannot run at all are kept out of the
// generated sequences; a classified difference matches only when the
// sequence executed the instruction it is about and every difference is of
// the kind the class explains.
#include "tests/differential/unicorn_quirks.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace kestrel::differential {

namespace {

constexpr Quirk kTestAlias{
    "unicorn-test-alias-ud",
    "F6 /1 and F7 /1 execute as TEST Eb,Ib / Ev,Iz on Intel and AMD processors (the "
    "undocumented alias of /0 that the SDM's group-3 map, vol. 2 table A-6, leaves blank); "
    "Unicorn 2.0's QEMU translator raises #UD. Rows TEST_Eb_Ib_alias and TEST_Ev_Iz_alias "
    "are not generated."};

constexpr Quirk kHintNop{
    "unicorn-hint-nop-ud",
    "0F 18-1E outside the prefetch encodings are the reserved-hint NOP space and execute as "
    "NOP on Intel and AMD processors (SDM vol. 2 NOP and table A-3; the host-oracle test "
    "runs them natively); Unicorn 2.0 raises #UD for some, such as 0F 18 with a register "
    "operand. Rows NOP_Ev_18 to NOP_Ev_1E are not generated."};

constexpr Quirk kCmpxchg8bFlags{
    "unicorn-cmpxchg8b-flags",
    "CMPXCHG8B sets ZF and leaves the other flags unchanged (SDM vol. 2, CMPXCHG8B, "
    "\"Flags Affected\"); Unicorn 2.0's translator calls its helper without first storing "
    "the pending lazy-flags operation, so the helper rebuilds OF, SF, AF, PF and CF (and "
    "reserved bits 3 and 5, which SDM vol. 1 §3.4.3 keeps 0) from a stale one. Matches "
    "when the only difference is EFLAGS after an executed CMPXCHG8B."};

constexpr Quirk kLockNegFlags{
    "unicorn-lock-neg-flags",
    "LOCK NEG sets OF, SF, ZF, AF, PF and CF from the negated result (SDM vol. 2, NEG); "
    "Unicorn 2.0's atomic NEG leaves the operand's old value where the flags are computed "
    "from, so they describe the wrong value (memory is right). Matches when the only "
    "difference is EFLAGS after an executed LOCK NEG."};

constexpr Quirk kLoopccFlags{
    "unicorn-loopcc-flags",
    "LOOPE and LOOPNE change no flag (SDM vol. 2, LOOP/LOOPcc, \"Flags Affected: None\"); "
    "when ECX reaches 0 Unicorn 2.0 falls through on a path that skips the lazy-flags "
    "materialisation its translator then assumes done, so later flags come from stale state "
    "(CF from before the last flag writer, for one). Matches when the only difference is "
    "EFLAGS after a LOOPE/LOOPNE that ended its loop on ECX = 0."};

constexpr Quirk kRepZeroFlags{
    "unicorn-rep-count0-flags",
    "A REP-prefixed string instruction with a count of 0 executes no iteration and changes "
    "no flag (SDM vol. 2, REP/REPE/REPZ/REPNE/REPNZ, \"Operation\": the loop runs while "
    "the count register is not 0); Unicorn 2.0's early exit for a zero count skips the "
    "lazy-flags materialisation its translator assumes, as for LOOPcc. Matches when the only "
    "difference is EFLAGS after a REP string instruction ran with a count of 0."};

constexpr std::array<Quirk, 6> kQuirks{kTestAlias, kHintNop, kCmpxchg8bFlags, kLockNegFlags,
                                       kLoopccFlags, kRepZeroFlags};

bool used_rep(const Sequence& seq) {
  return std::any_of(seq.forms.begin(), seq.forms.end(),
                     [](const std::string& f) { return f.ends_with("+rep"); });
}

bool used(const Sequence& seq, std::string_view form) {
  return std::any_of(seq.forms.begin(), seq.forms.end(),
                     [&](const std::string& f) { return f.starts_with(form); });
}

}  // namespace

std::span<const Quirk> known_quirks() { return kQuirks; }

const Quirk* excluded_row(const cpu::isa::Row& r) {
  if (r.form == "TEST_Eb_Ib_alias" || r.form == "TEST_Ev_Iz_alias") return &kTestAlias;
  if (r.form.starts_with("NOP_Ev_1")) return &kHintNop;
  return nullptr;
}

uint16_t unreliable_flags(const cpu::isa::Row& r, bool locked, bool rep) {
  namespace fl = cpu::isa::fl;
  if (r.mnemonic == "cmpxchg8b") return fl::O | fl::S | fl::A | fl::P | fl::C;
  if (r.mnemonic == "neg" && locked) return fl::OSZAPC;
  if (r.mnemonic == "loope" || r.mnemonic == "loopne") return fl::OSZAPC;
  if (rep && (r.attrs & cpu::isa::a_rep)) return fl::OSZAPC;
  return 0;
}

const Quirk* classify(const Sequence& seq, const Outcome& k, const Outcome& u,
                      const Undefined& und) {
  // Every class here is about EFLAGS alone: the generator keeps the wrong
  // flags from reaching any other state.
  const bool flags_only = k.error.empty() && u.error.empty() && k.vector == u.vector &&
                          k.eip == u.eip && std::equal(k.gpr, k.gpr + 8, u.gpr) &&
                          k.window == u.window && ((k.eflags ^ u.eflags) & ~uint32_t(und.flags));
  // The stale state can hold any EFLAGS bit, TF included: Unicorn then
  // single-steps into #DB where Kestrel runs on.
  const bool stray_trap = u.vector == cpu::kVecDb && k.vector < 0;
  if (!flags_only && !stray_trap) return nullptr;
  // Both errors leave ZF right: it comes from the comparison (CMPXCHG8B) or
  // is the same for a value and its negation (NEG).
  const bool zf_agrees = ((k.eflags ^ u.eflags) & cpu::kZf) == 0;
  if (used(seq, "CMPXCHG8B_Mq") && (zf_agrees || stray_trap)) return &kCmpxchg8bFlags;
  if (und.loopcc_exit0 && (used(seq, "LOOPE_Jb") || used(seq, "LOOPNE_Jb"))) return &kLoopccFlags;
  if (und.rep_count0 && used_rep(seq)) return &kRepZeroFlags;
  if (!flags_only) return nullptr;
  if (zf_agrees && (used(seq, "NEG_Eb+lock") || used(seq, "NEG_Ev+lock"))) return &kLockNegFlags;
  return nullptr;
}

}  // namespace kestrel::differential
