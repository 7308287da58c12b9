// SPDX-License-Identifier: MIT
// The JIT's linear IR: a block is a vector of instructions in SSA form (a
// value is the index of the instruction that defines it). The ops and
// their types and side effects come from jit/ir/opcodes.inc alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::jit::ir {

enum class Type : uint8_t { kVoid, kI64 };
enum class Effect : uint8_t { kPure, kReadState, kWriteState, kMemory, kCall, kExit };

enum class Op : uint8_t {
#define OP(name, ...) k##name,
#include "jit/ir/opcodes.inc"
#undef OP
  kCount
};

struct OpInfo {
  const char* name;
  Type result;
  Type args[3];
  Effect effect;
};

inline constexpr OpInfo kOpInfo[] = {
#define OP(name, res, a, b, c, eff) \
  {#name, Type::res, {Type::a, Type::b, Type::c}, Effect::eff},
#include "jit/ir/opcodes.inc"
#undef OP
};

constexpr const OpInfo& info(Op op) { return kOpInfo[unsigned(op)]; }

/// Conditions of Op::kCmp (operands are 64-bit; the lifter extends them).
enum class Cond : uint8_t { kEq, kNe, kUlt, kUle, kSlt, kSle };
/// The operation of Op::kSseScalar and kSsePacked (imm bits 7:0), as
/// cpu/simd/float.h defines it. kSqrt and the conversions take only W:
/// a signed integer (kFromInt), to a doubleword or quadword integer rounded
/// by MXCSR or truncated, binary32 <-> binary64, and the packed CVT forms.
enum class SseOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kMin, kMax, kSqrt,
  kFromInt, kToInt32, kToInt64, kTruncInt32, kTruncInt64, kWiden, kNarrow,
  kCvtDq2Pd, kCvtPs2Pd, kCvtPd2Ps, kCvtDq2Ps, kCvtPs2Dq, kCvtTPs2Dq, kCvtPd2Dq, kCvtTPd2Dq,
  kCount
};

using Value = uint32_t;
inline constexpr Value kNone = ~Value{0};

struct Inst {
  Op op;
  Value a = kNone, b = kNone, c = kNone;
  uint64_t imm = 0;
  uint64_t imm2 = 0;
  bool dead = false;  ///< removed by a pass; the backend skips it
};

/// One translated guest block.
struct Block {
  std::vector<Inst> insts;
  uint64_t guest_rip = 0;   ///< rIP of the first instruction
  uint32_t guest_insns = 0; ///< instructions the block retires when it runs through
  /// How Load/Store may be inlined (the block key fixes both): 64-bit mode
  /// segmentation, and whether the TLB probe is inlined at all (not with
  /// the 8086's offset wrap, which only the slow path handles).
  bool long64 = false;
  bool inline_mem = true;
  /// The block key's CS and mode (jit/engine_impl.h BlockKey) for the
  /// inline jump-cache probe of its exits (Op::kExitIndirect with imm 1,
  /// direct exits to another page); chain_inline false: no probe.
  uint64_t cs_base = 0;
  uint32_t cs_limit = 0, mode = 0;
  bool chain_inline = false;
  /// Where the probe for this block's CS and mode already is (a stub the
  /// engine shares among all blocks of that key), or 0: emit one here.
  uint64_t chain_probe_at = 0;
  /// The MMU's TLB address minus CpuState's when that distance (plus the
  /// TLB's size) fits a 32-bit displacement, else 0: the inline probe
  /// then addresses entries from the CpuState register, with no load of
  /// JitCtx::tlb.
  int64_t tlb_from_state = 0;
  /// CPL is 3 (the key's mode bit 8): the inline probe reads that TLB.
  bool cpl3() const { return (mode >> 8) & 1; }

  Value emit(Op op, Value a = kNone, Value b = kNone, uint64_t imm = 0, uint64_t imm2 = 0) {
    insts.push_back(Inst{op, a, b, kNone, imm, imm2});
    return Value(insts.size() - 1);
  }
  Value konst(uint64_t v) { return emit(Op::kConst, kNone, kNone, v); }
  /// Op::kSelect: `cond` ? `yes` : `no`.
  Value select(Value cond, Value yes, Value no) {
    const Value v = emit(Op::kSelect, cond, yes);
    insts[v].c = no;
    return v;
  }
};

/// Checks the block's SSA form and argument types; returns an empty string
/// or the first problem found (debug builds run it after every pass).
std::string verify(const Block& b);
/// One line per live instruction, for tests and debugging.
std::string dump(const Block& b);

}  // namespace kestrel::jit::ir
