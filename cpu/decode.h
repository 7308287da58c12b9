// SPDX-License-Identifier: MIT
// The decoder: bytes -> DecodedInsn, driven only by the rows of
// cpu/isa/instructions.inc. It knows prefixes, ModRM/SIB, displacements and
// immediates; it does not know what an instruction does.
#pragma once

#include <cstdint>
#include <span>

#include "cpu/isa/isa.h"
#include "cpu/model.h"
#include "cpu/state.h"

namespace kestrel::cpu {

struct Cpu;
struct DecodedInsn;
using Handler = void (*)(Cpu&, const DecodedInsn&);

inline constexpr uint8_t kNoReg = 0xff;
inline constexpr uint8_t kRipReg = 0x10;  ///< base of a RIP-relative operand

enum Rep : uint8_t { kRepNone = 0, kRepE = 1 /* F3 */, kRepNE = 2 /* F2 */ };

/// One decoded instruction: a small POD the interpreter caches and runs.
struct DecodedInsn {
  Handler handler = nullptr;  ///< filled in by the engine, not the decoder
  uint64_t imm = 0;   ///< first immediate, moffs, or relative branch offset (sign-extended)
  int64_t disp = 0;   ///< memory displacement (sign-extended to 64 bits)
  uint32_t imm2 = 0;  ///< second immediate: ENTER's Ib, a far pointer's selector
  isa::Form form = isa::Form::kInvalid;
  uint8_t len = 0;     ///< bytes, prefixes included
  uint8_t osize = 2;   ///< operand size in bytes for v/z operands (2, 4, 8)
  uint8_t asize = 2;   ///< address size in bytes (2, 4, 8)
  uint8_t seg = kDs;   ///< segment of the memory operand (override or default)
  uint8_t seg_override = kSegNone;
  uint8_t modrm = 0;   ///< the raw ModRM byte (0 when the form has none)
  uint8_t mod = 0;     ///< ModRM.mod
  uint8_t reg = 0;     ///< ModRM.reg + REX.R, or the opcode register (Z operands) + REX.B
  uint8_t rm = 0;      ///< ModRM.rm + REX.B (register forms)
  uint8_t base = kNoReg;   ///< memory operand base register, kRipReg, or kNoReg
  uint8_t index = kNoReg;  ///< memory operand index register or kNoReg
  uint8_t scale = 0;       ///< log2 of the index scale
  uint8_t opcode = 0;      ///< the last opcode byte
  uint8_t rep = kRepNone;
  bool lock = false;
  uint8_t rex = 0;         ///< the REX byte, 0 without one
  uint8_t op66 = 0;        ///< 1 when a 66 prefix was present
  uint8_t f2f3 = 0;        ///< the last of F2/F3, 0 without one
  /// Set by the interpreter, not the decoder (exec::quiet): the handler is
  /// a specialised one, which touches no port, changes no flag but the
  /// arithmetic ones, and reaches memory only through the TLB's fast path
  /// (or misses, changing nothing), so nothing that stops a run can follow
  /// it but the budget.
  bool quiet = false;
  /// Set by the interpreter: the instruction's index in its block.
  uint8_t slot = 0;
  /// Set by the interpreter: where a run through its block stops to look
  /// after it (interp::Stop flags; 0: it runs on).
  uint8_t stop = 0;
  /// Set by the interpreter at an exit (interp::kStopExit): the index of
  /// its side link (interp::Block::side_link).
  uint8_t side = 0;
  /// Set by the interpreter: rIP after the instruction when it falls
  /// through, less rIP at its block's first instruction. A block holds its
  /// instructions in the order they run, so a JMP it goes on past moves the
  /// next one's offset by the JMP's displacement. A fused pair's first
  /// (interp::kStopFused) has the Jcc's.
  int32_t next = 0;

  bool is_mem() const { return mod != 3; }
  const isa::Row& row() const { return isa::row(form); }
};

/// Code size of the decoding mode.
enum class CodeSize : uint8_t { k16 = 2, k32 = 4, k64 = 8 };

struct DecodeContext {
  CodeSize code = CodeSize::k16;
  bool protected_mode = false;  ///< CR0.PE
  bool v86 = false;             ///< EFLAGS.VM
  const CpuModel* model = nullptr;
};

enum class DecodeStatus : uint8_t {
  kOk,
  kNeedMore,  ///< the bytes ran out before the instruction ended
  kInvalid,   ///< #UD (form == kInvalid; len covers what was consumed)
  kTooLong,   ///< over the model's length limit: #GP(0)
};

/// Decodes one instruction from the start of `bytes`.
DecodeStatus decode(std::span<const uint8_t> bytes, const DecodeContext& ctx,
                    DecodedInsn& out);

}  // namespace kestrel::cpu
