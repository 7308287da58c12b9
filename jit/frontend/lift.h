// SPDX-License-Identifier: MIT
// Guest -> IR lowering. `lift::FORM` lowers one ISA-table row natively
// (jit/frontend/lifted.inc lists them); every other instruction, and the
// native forms in shapes they do not cover (memory operands), becomes a
// call of its interpreter handler (Op::kCallInsn).
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "jit/ir/ir.h"

namespace kestrel::jit::frontend {

/// What the lifter knows at translation time (all part of the block key).
struct Facts {
  uint64_t ip_mask = 0xffff;
  uint32_t cs_limit = 0xffff;
  bool long64 = false;
  bool seg_wrap = false;  ///< the 8086's 64 KiB IP wrap, no limit checks
  bool ss_big = false;    ///< SS.B: a 32-bit stack pointer outside 64-bit mode
  bool push_sp_new = false;  ///< the 8086 pushes SP after decrementing it
  bool unmasked_shift = false;  ///< the 8086 uses all 8 bits of a shift count
  bool mul_8086_flags = false;  ///< the 8086's S, Z, P, A after a multiply
  bool eager_strings = false;   ///< 8086/80286: string index registers step before a faulting access
};

/// The state of one block's lowering.
struct Lifter {
  ir::Block& b;
  Facts facts;
  uint64_t ip = 0;        ///< rIP of the instruction being lifted
  uint64_t next = 0;      ///< rIP after it
  uint32_t uncounted = 0; ///< native instructions not yet added to icount
  /// The lazy-flags record the block itself last wrote, for inline Jcc.
  struct Flags {
    bool known = false;
    cpu::CcOp op = cpu::CcOp::kEflags;
    unsigned size = 0;
    ir::Value dst = ir::kNone, src = ir::kNone, src2 = ir::kNone;
  } flags;

  // ---- helpers the lift:: functions share ----
  ir::Value read_reg(unsigned size, unsigned n, bool rex);
  void write_reg(unsigned size, unsigned n, bool rex, ir::Value v);
  void set_lazy(cpu::CcOp op, unsigned size, ir::Value dst, ir::Value src, ir::Value src2);
  /// Writes the six arithmetic flags eagerly (`f` holds kArithFlags bits of
  /// rflags) with cc_op = kEflags, as cpu::write_arith_flags does.
  void set_eager(ir::Value f);
  /// Condition `cc` (the low nibble of Jcc/SETcc/CMOVcc) as 0/1: computed
  /// inline from the record the block wrote, else through cpu::test_cc.
  ir::Value cond(unsigned cc);
  /// CF as 0/1, inline like cond() when the record is known, else cpu::carry_flag.
  ir::Value carry();
  ir::Value zext(ir::Value v, unsigned size);
  ir::Value sext(ir::Value v, unsigned size);
  /// Adds the native instructions so far to icount (before a call or exit).
  void sync_icount(uint32_t extra = 0);
  // ---- memory operands (through the Load/Store helpers) ----
  /// The ModRM memory operand's offset, wrapped to the address size.
  ir::Value ea(const cpu::DecodedInsn& i);
  /// The E operand: a register, or memory at seg:`addr` (ea()).
  ir::Value read_e(unsigned size, const cpu::DecodedInsn& i, ir::Value addr);
  void write_e(unsigned size, const cpu::DecodedInsn& i, ir::Value addr, ir::Value v);
  ir::Value load(unsigned size, uint8_t seg, ir::Value addr);
  void store(unsigned size, uint8_t seg, ir::Value addr, ir::Value v);
  /// Brackets an instruction that accesses memory: icount is exact if it
  /// faults, and the block leaves after it when a helper asked to stop.
  void begin_mem();
  void end_mem();
  /// The stack pointer width: 8 in 64-bit mode, else by SS.B (keyed).
  unsigned stack_size() const { return facts.long64 ? 8 : facts.ss_big ? 4 : 2; }
  /// SP = `sp` at the stack's width, keeping the bits of RSP above it as
  /// the interpreter's cpu::exec::write_sp does (a 32-bit stack in
  /// compatibility mode leaves RSP's high half alone).
  void write_sp(ir::Value sp);

  /// A near branch target the JIT can take natively: inside the CS limit
  /// (or canonical in 64-bit mode), known now because the limit is keyed.
  bool target_ok(uint64_t target) const;
};

/// Lowers `insns` (one decoded guest block starting at `rip`) into `b`.
/// `insn_ptrs` must stay valid as long as the code runs (CallInsn uses them).
void lift_block(ir::Block& b, const Facts& facts, uint64_t rip,
                const std::vector<cpu::DecodedInsn>& insns);

}  // namespace kestrel::jit::frontend
