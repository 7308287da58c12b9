// SPDX-License-Identifier: MIT
// The interpreter engine's run loops: blocks from the block cache
// (cpu/interp/block_cache.cpp) run through their handler pointers, chained
// through their links, with the debug checks only where one applies; and
// the delivery of the faults and traps their instructions raise.
#include "cpu/interp/interpreter.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>

#include "cpu/debug.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/interp/block.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter_impl.h"
#include "cpu/interrupts.h"

namespace kestrel::cpu {

using interp::Block;
using interp::mode_code_size;

void Interpreter::Impl::deliver_fault(const GuestFault& f) { deliver_exception(cpu, f); }

/// An instruction-breakpoint #DB: a fault (rIP stays on the instruction)
/// whose pushed EFLAGS keep RF clear (SDM 3A §17.3.1.1).
void Interpreter::Impl::deliver_code_breakpoint() {
  try {
    deliver_event(cpu, kVecDb, EventKind::kException);
  } catch (const GuestFault& f) {
    deliver_fault(f);
  }
}

/// A fault fetching or decoding the instruction at CS:rIP. An instruction
/// breakpoint on it takes priority (SDM 3A §6.9, table 6-2).
void Interpreter::Impl::deliver_fetch_fault(const GuestFault& f) {
  cpu.insn_rip = cpu.s.rip;
  if (cpu.s.dbg_exec && check_code_breakpoint(cpu)) {
    deliver_code_breakpoint();
    return;
  }
  deliver_fault(f);
}

namespace {
/// After a specialised handler noted something (Cpu::fast_note): after a
/// miss, which changed nothing, the form's generic handler runs the
/// instruction instead; a jump needs nothing more.
void settle(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t note = cpu.fast_note;
  cpu.fast_note = 0;
  if (note == kFastMiss) exec::handler_for(insn.form)(cpu, insn);
}
}  // namespace

/// Runs one decoded instruction through `handler` (its own, or its generic
/// one) with the engine's contract: insn_rip is the instruction, s.rip the
/// next one. Returns false when it raised a fault.
[[gnu::always_inline]] inline bool Interpreter::Impl::execute(const DecodedInsn& insn, Handler handler,
                                                             uint64_t ip_mask) {
  CpuState& s = cpu.s;
  const bool trap = s.rflags & kTf;
  s.inhibit_irq = 0;
  cpu.insn_rip = s.rip;
  // Instruction breakpoints and RF (cpu/debug.h): one test when neither is in use.
  if (s.dbg_exec | (s.rflags & kRf)) [[unlikely]] {
    if (check_host_breakpoint(cpu)) return false;  // a debugger's: stop before it
    if (check_code_breakpoint(cpu)) {
      deliver_code_breakpoint();
      return false;
    }
  }
  s.rip = (s.rip + insn.len) & ip_mask;
  cpu.rip_base = s.rip - int64_t{insn.next};
  try {
    handler(cpu, insn);
    if (cpu.fast_note) [[unlikely]] settle(cpu, insn);
  } catch (const GuestFault& f) {
    ++s.icount;
    s.dbg_hits = 0;  // a faulting instruction reports no data breakpoints
    deliver_fault(f);
    return false;
  }
  ++s.icount;
  // Single-step and data or I/O breakpoint traps after the instruction
  // (SDM 3A §17.3.1.4): not when TF was only just set, and after MOV/POP
  // SS not until the next instruction.
  if ((trap | s.dbg_hits) && !(s.inhibit_irq & kInhibitTrap)) [[unlikely]] {
    deliver_trap(trap);
    return false;
  }
  return true;
}

StopReason Interpreter::Impl::boundary_stop() const {
  if (cpu.host_breakpoints && cpu.host_breakpoints->stopped) return StopReason::kDebug;
  if (cpu.s.pending & kPendingReset) return StopReason::kShutdown;
  if (cpu.s.halted) return StopReason::kHalted;
  if (event_deliverable(cpu.s) && !cpu.s.inhibit_irq) return StopReason::kPending;
  return StopReason::kBudget;
}

StopReason Interpreter::Impl::run(uint64_t max_insns) {
  cpu.sync_tlb();
  const uint64_t end = cpu.s.icount + max_insns;
  Block* prev = nullptr;
  while (cpu.s.icount < end) {
    // boundary_stop() has nothing to say without a debugger, a pending bit or HLT.
    if (cpu.host_breakpoints || cpu.s.pending || cpu.s.halted) [[unlikely]] {
      if (StopReason r = boundary_stop(); r != StopReason::kBudget) return r;
    }
    turn(prev, end, true);
  }
  return boundary_stop();
}

/// Runs the block at CS:rIP (`prev`: the block run before, whose links
/// may find it), or one instruction where none is cached; `prev` becomes
/// the block run. With `chain`, goes on into the blocks it links to (see
/// run_blocks_fast), and `prev` becomes the last one run.
void Interpreter::Impl::turn(Block*& prev, uint64_t end, bool chain) {
  // A dropped block may be freed just below: it can no longer be linked from.
  if (prev && !prev->valid) prev = nullptr;
  graveyard.clear();
  Block* b = nullptr;
  try {
    if (!(cpu.s.rflags & kTf)) b = lookup(prev);
    prev = b;
    if (!b) {
      DecodedInsn insn;
      decode_one(insn);
      execute(insn, ip_mask());
      return;
    }
  } catch (const GuestFault& f) {
    deliver_fetch_fault(f);
    return;
  }
  run_block(prev, end, chain);
}

/// Debug state that needs execute()'s checks around every instruction:
/// single-step, RF, instruction breakpoints (the host debugger's too), or a
/// data-breakpoint hit left over behind a MOV SS shadow.
inline bool needs_checks(const CpuState& s) {
  return ((s.rflags & (kTf | kRf)) | s.dbg_exec | s.dbg_hits) != 0;
}

/// Runs `b` from its first instruction until it ends, an instruction
/// leaves it (a taken branch, a fault), it is dropped (self-modifying
/// code), the CPU halts or has something to deliver, or the budget ends.
/// With `chain` and no debug check to make, goes on through the blocks
/// `b`'s links find (run_blocks_fast); `b` becomes the last block run.
void Interpreter::Impl::run_block(Block*& b, uint64_t end, bool chain) {
  if (needs_checks(cpu.s)) [[unlikely]] {
    run_block_checked(*b, end);
    return;
  }
  run_blocks_fast(b, end, chain && !cpu.host_breakpoints);
}

/// run_block with execute()'s debug checks before and after each
/// instruction, each one run as itself: the first of a fused pair
/// (interp::kStopFused) through its generic handler, and its Jcc after
/// it. A branch that goes elsewhere than the next instruction ends the
/// run, a JMP the block goes on past too.
void Interpreter::Impl::run_block_checked(const Block& b, uint64_t end) {
  CpuState& s = cpu.s;
  const uint64_t mask = ip_mask();
  for (const DecodedInsn& insn : b.insns()) {
    const uint64_t next = s.rip + insn.len;
    const Handler handler = insn.stop & interp::kStopFused ? exec::handler_for(insn.form) : insn.handler;
    if (!execute(insn, handler, mask) || !b.valid || s.rip != next) return;
    // halted and pending are rarely set: one test for both on the way.
    if ((s.halted | (s.pending != 0)) && (s.halted || event_deliverable(s))) [[unlikely]] return;
    if (s.icount >= end) return;
  }
}

/// run_block while no debug check applies (needs_checks is false): what
/// execute() does, without its tests for TF, RF and breakpoints, with rIP
/// and the instruction count derived from the block's entry rIP and
/// entry count (DecodedInsn::next, DecodedInsn::slot). An instruction that turns
/// a check on (POPF setting TF, a data-breakpoint hit) ends the run after
/// its own trap, if any; the run loop goes on with the checked path.
///
/// With `chain`, a block that ends (or that an instruction leaves) with
/// nothing to stop for is followed by the block its links find at the new
/// CS:rIP, without going back to the run loop: run() would make the same
/// boundary checks and the same lookup. Blocks are entered only through
/// links: anything that needs the MMU or a decode goes back to lookup().
/// A block dropped on the way moves the link epoch on, so no link reaches
/// it, and the block being run, if dropped, ends the run.
void Interpreter::Impl::run_blocks_fast(Block*& blk, uint64_t end, bool chain) {
  for (;;) {
    const uint64_t mode = mode_key();
    const bool more = mode_code_size(mode) == CodeSize::k64 ? run_chain<true>(blk, end, chain, mode)
                                                              : run_chain<false>(blk, end, chain, mode);
    if (!more) return;
  }
}

/// run_blocks_fast in `mode`, 64-bit code or not (k64), which the
/// instruction pointer's width follows. Returns true when a block whose
/// end changed the mode (Block::ends_mode) into the other kind links to
/// the next one, `b` now, to run in that mode.
template <bool k64>
bool Interpreter::Impl::run_chain(Block*& blk, uint64_t end, bool chain, uint64_t mode) {
  using interp::kStopEnd, interp::kStopExit, interp::kStopFused;
  Cpu& c = cpu;
  CpuState& s = c.s;
  // The decoding mode changes only at the end of a block (Block::ends_mode)
  // or through an event, which ends the run.
  uint64_t mask = k64 ? ~uint64_t{0} : ip_mask();
  const uint64_t* const generations = c.mem.tlb_generation_address();
  // A run without `chain` ends with its first block.
  const uint64_t chain_end = chain ? end : 0;
  // The budget ends inside a block rarely (a slice's end, a single step):
  // the block then runs its instructions one by one, its fused pairs too.
  if (end - std::min(end, s.icount) < blk->count) [[unlikely]] {
    run_block_checked(*blk, end);
    return false;
  }
  for (;;) {
    Block& b = *blk;
    // The CPL changes only through Cpu::set_cpl while blocks run.
    assert(c.tlb_synced());
    // The count at the block's entry: instructions that are not quiet, the
    // only ones that can read it, find it up to date, and so does every
    // way out of the block.
    const uint64_t base = s.icount;
    const DecodedInsn* i = b.insns().data();
    // The blocks likely to run next (its links): the cache lines after
    // their links, with their count and first instructions, are fetched
    // while this one runs. Blocks lie apart in the host's memory, so the
    // step to the next one would otherwise wait for them; a stale link
    // only fetches a line for nothing (as does the flag in a link's low
    // bit, which stays within the line).
    for (const Block::Link& l : b.links) {
      const char* to = reinterpret_cast<const char*>(l.to);
      __builtin_prefetch(to + Block::kAlign);
      __builtin_prefetch(to + 2 * Block::kAlign);
    }
    // An interrupt shadow lasts one instruction: it is dropped before the
    // block's first and after each instruction that is not quiet (quiet
    // ones do not set it).
    s.inhibit_irq = 0;
    // rIP after each instruction is the entry's plus its own offset
    // (DecodedInsn::next). Quiet instructions find it so (Cpu::rip_base),
    // and s.rip is written only where something reads it: before an
    // instruction that is not quiet (or missed), by a quiet jump, and on
    // the way out of the block. No instruction waits for the one before
    // to work out its rIP.
    const uint64_t rip = s.rip;
    c.rip_base = rip;
    // Where the block is left: at its end, or at a side exit.
    Block::Link* exit = nullptr;
    for (;;) {
      // Whether the instruction at i moved rIP elsewhere than on.
      bool went = false;
      for (;; ++i) {
        const DecodedInsn& insn = *i;
        try {
          // The handler an instruction that is not quiet runs: its own.
          Handler generic = insn.handler;
          if (insn.quiet) {
            insn.handler(c, insn);
            // A quiet instruction that is not a stop goes on, unless its
            // handler noted something (one test for both). The fence
            // makes the rarer path read the two again, so that this one
            // need not keep them (three host instructions, not five).
            if (!(c.fast_note | insn.stop)) [[likely]] continue;
            std::atomic_signal_fence(std::memory_order_seq_cst);
            const uint8_t note = c.fast_note;
            // At a stop (a branch not taken, or the block's end) the run
            // looks.
            if (!note) break;
            c.fast_note = 0;
            if (note == kFastJump) {
              // Taken: the block is left, unless it goes on to the
              // target (a JMP without a stop).
              if (!insn.stop) continue;
              went = true;
              break;
            }
            // No fast path for its memory operand: the generic handler
            // runs it as any instruction that is not quiet.
            generic = exec::handler_for(insn.form);
          }
          s.rip = (rip + insn.next) & mask;
          c.insn_rip = (rip + insn.next - insn.len) & mask;
          s.icount = base + insn.slot;
          generic(c, insn);
        } catch (const GuestFault& f) {
          // A quiet instruction that faults (a branch outside the limits)
          // has its rIP set only now; a fused pair's fault is its Jcc's,
          // after the first instruction.
          const bool jcc = insn.stop & kStopFused;
          if (insn.quiet) c.insn_rip = (rip + insn.next - (jcc ? insn.scale : insn.len)) & mask;
          s.icount = base + insn.slot + 1 + jcc;
          s.dbg_hits = 0;  // a faulting instruction reports no data breakpoints
          deliver_fault(f);
          return false;
        }
        // After an instruction that is not quiet (or missed): whatever it
        // did may stop the run. Only HLT halts, and it ends its block
        // (a_stop): halted is tested at the block's end.
        s.icount = base + insn.slot + 1;
        if (needs_checks(s)) [[unlikely]] {
          deliver_data_trap();
          return false;
        }
        if (!b.valid) return false;
        if (s.pending && event_deliverable(s)) [[unlikely]] return false;
        went = s.rip != ((rip + insn.next) & mask);
        if (went || insn.stop) break;
        s.inhibit_irq = 0;
      }
      const unsigned stop = i->stop;
      // A fused pair (never a miss: it has only register operands) counts
      // as two.
      const unsigned fused = stop & kStopFused;
      // Gone elsewhere: the block is left there.
      if (went) {
        s.icount = base + i->slot + 1 + fused;
        if (stop & kStopExit) exit = b.side_link(i->side);
        break;
      }
      // At the block's end it is done.
      if (stop & kStopEnd) {
        s.rip = (rip + i->next) & mask;
        s.icount = base + b.count;
        break;
      }
      // The block goes on past a branch that fell through.
      i += 1 + fused;
      s.inhibit_irq = 0;
    }
    if (s.icount >= chain_end) return false;
    bool other = false;
    if (b.ends_mode) {
      if (s.halted) return false;
      mode = mode_key();
      other = (mode_code_size(mode) == CodeSize::k64) != k64;
      if (!k64) mask = ip_mask();
    }
    // The block at CS:rIP if the link there leads to it (linked), and it
    // may run there (within_limit, outside 64-bit code); else lookup()
    // finds it.
    const uint64_t lin = s.seg[kCs].base + s.rip;
    const Block::Link& l = exit ? *exit : pick(b, lin);
    Block* to = linked(l, lin, link_stamp(link_epoch, s.cpl, mode), generations);
    if (to && k64 == other) to = within_limit(to);
    if (!to) {
      side = exit;
      side_of = exit ? blk : nullptr;
      return false;
    }
    blk = to;
    if (other) return true;
    if (end - s.icount < to->count) [[unlikely]] {
      run_block_checked(*to, end);
      return false;
    }
  }
}

/// After an instruction run without checks (TF was clear before it): the
/// #DB trap for the data breakpoints it hit, as execute() delivers it.
void Interpreter::Impl::deliver_data_trap() {
  CpuState& s = cpu.s;
  if (!s.dbg_hits || (s.inhibit_irq & kInhibitTrap)) return;
  deliver_trap(false);
}

/// The #DB trap after an instruction: single-step (`single_step`) and the
/// data or I/O breakpoints it hit.
void Interpreter::Impl::deliver_trap(bool single_step) {
  set_trap_dr6(cpu, single_step);
  // The trap belongs to the boundary after the instruction: a fault while
  // delivering it must not send rIP back to the instruction.
  cpu.insn_rip = cpu.s.rip;
  try {
    deliver_event(cpu, kVecDb, EventKind::kException);
  } catch (const GuestFault& f) {
    deliver_fault(f);
  }
}

Interpreter::Interpreter(Cpu& cpu) : impl_(std::make_unique<Impl>(cpu)) {}
Interpreter::~Interpreter() = default;

StopReason Interpreter::run(uint64_t max_insns) { return impl_->run(max_insns); }

void Interpreter::run_once(uint64_t max_insns, Trail& trail) {
  impl_->cpu.sync_tlb();
  Block* prev = static_cast<Block*>(trail.prev_);
  impl_->turn(prev, impl_->cpu.s.icount + max_insns, false);
  trail.prev_ = prev;
}

StopReason Interpreter::step() {
  if (StopReason r = impl_->boundary_stop(); r == StopReason::kShutdown || r == StopReason::kHalted) return r;
  impl_->cpu.sync_tlb();
  try {
    DecodedInsn insn;
    impl_->decode_one(insn);
    impl_->execute(insn, impl_->ip_mask());
  } catch (const GuestFault& f) {
    impl_->deliver_fetch_fault(f);
  }
  return impl_->boundary_stop();
}

const Interpreter::Stats& Interpreter::stats() const { return impl_->stats; }

bool Interpreter::execute_one(const DecodedInsn& insn) noexcept {
  impl_->cpu.sync_tlb();
  return impl_->execute(insn, impl_->ip_mask());
}

void Interpreter::deliver_fault(const GuestFault& f) noexcept { impl_->deliver_fault(f); }

StopReason Interpreter::boundary_stop() const { return impl_->boundary_stop(); }

}  // namespace kestrel::cpu
