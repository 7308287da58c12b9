// SPDX-License-Identifier: MIT
// The interpreter engine: fetch and decode basic blocks once, cache them by
// physical address and decoding mode, run them through handler pointers,
// and deliver the exceptions handlers raise. Blocks on a page die when the
// MMU reports a write to that page.
#include "cpu/interp/interpreter.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "cpu/debug.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/interp/block.h"
#include "cpu/interp/fast.h"
#include "cpu/interp/handlers.h"
#include "cpu/interrupts.h"

namespace kestrel::cpu {
namespace {

using interp::Block;

constexpr unsigned kMaxBlockInsns = 64;

/// One slot of the direct-mapped cache in front of the block map: most
/// lookups hit here and skip the hash table.
struct CacheSlot {
  uint64_t key = ~uint64_t{0};
  Block* block = nullptr;
};
constexpr unsigned kCacheBits = 12;
constexpr unsigned kCacheSlots = 1u << kCacheBits;

/// Keys are phys << 8 | mode: mix the page number into the offset bits.
unsigned cache_slot(uint64_t key) {
  return unsigned((key >> 8) ^ (key >> (8 + kCacheBits)) ^ key) & (kCacheSlots - 1);
}

}  // namespace

struct Interpreter::Impl final : mmu::CodeWriteListener {
  explicit Impl(Cpu& c) : cpu(c) { cpu.mem.set_code_listener(this); }
  ~Impl() override { cpu.mem.remove_code_listener(this); }

  Cpu& cpu;
  Stats stats;
  std::unordered_map<uint64_t, Block::Owner> blocks;
  std::unordered_map<uint64_t, std::vector<uint64_t>> page_blocks;
  /// Holds only live blocks: a dropped block's slot is cleared with it.
  std::vector<CacheSlot> cache = std::vector<CacheSlot>(kCacheSlots);
  /// Invalidated blocks, kept alive until no instruction of theirs can be running.
  std::vector<Block::Owner> graveyard;
  /// Moves on whenever a block is dropped: Block::links of older epochs are stale.
  uint64_t link_epoch = 1;
  /// build()'s decoded instructions before Block::make copies them (kept
  /// between builds, so that decoding a block allocates only the block).
  std::vector<DecodedInsn> build_scratch;
  /// The side link (Block::side_links) run_blocks_fast left `side_of`
  /// through without finding the next block there: lookup() makes it.
  Block::Link* side = nullptr;
  const Block* side_of = nullptr;

  void code_page_written(uint64_t page) override;
  DecodeContext context() const;
  uint64_t mode_key() const;
  void decode_one(DecodedInsn& insn);
  Block* lookup(Block* prev);
  uint64_t link_stamp(uint64_t mode) const;
  static const Block::Link& pick(const Block& prev, uint64_t lin);
  Block* linked(const Block::Link& l, uint64_t lin, uint64_t stamp) const;
  Block* within_limit(Block* b) const;
  Block* build(uint64_t key, uint64_t phys);
  uint64_t ip_mask() const;
  bool execute(const DecodedInsn& insn, uint64_t ip_mask) { return execute(insn, insn.handler, ip_mask); }
  bool execute(const DecodedInsn& insn, Handler handler, uint64_t ip_mask);
  void run_block(Block*& b, uint64_t end, bool chain);
  void run_block_checked(const Block& b, uint64_t end);
  void run_blocks_fast(Block*& b, uint64_t end, bool chain);
  template <bool k64> bool run_chain(Block*& b, uint64_t end, bool chain, uint64_t mode);
  Block* next_linked(const Block::Link& l, uint64_t lin, uint64_t mode) const;
  void deliver_data_trap();
  void deliver_trap(bool single_step);
  void drop_cached(uint64_t key) {
    CacheSlot& slot = cache[cache_slot(key)];
    if (slot.key == key) slot = CacheSlot{};
  }
  void deliver_fault(const GuestFault& f);
  void deliver_code_breakpoint();
  void deliver_fetch_fault(const GuestFault& f);
  StopReason run(uint64_t max_insns);
  void turn(Block*& prev, uint64_t end, bool chain);
  StopReason boundary_stop() const;
};

void Interpreter::Impl::code_page_written(uint64_t page) {
  auto it = page_blocks.find(page);
  if (it == page_blocks.end()) return;
  for (uint64_t key : it->second) {
    auto b = blocks.find(key);
    if (b == blocks.end()) continue;
    b->second->valid = false;
    drop_cached(key);
    ++link_epoch;
    graveyard.push_back(std::move(b->second));
    blocks.erase(b);
    ++stats.blocks_invalidated;
  }
  page_blocks.erase(it);
}

inline DecodeContext Interpreter::Impl::context() const {
  DecodeContext ctx;
  ctx.model = cpu.model;
  ctx.protected_mode = !cpu.real_mode();
  ctx.v86 = cpu.v86();
  if (cpu.long_mode64()) ctx.code = CodeSize::k64;
  else ctx.code = cpu.s.seg[kCs].attr & kAttrDb ? CodeSize::k32 : CodeSize::k16;
  return ctx;
}

inline uint64_t Interpreter::Impl::mode_key() const {
  const DecodeContext ctx = context();
  return uint64_t(ctx.code) | uint64_t(ctx.protected_mode) << 4 | uint64_t(ctx.v86) << 5;
}

namespace {
/// The code size a mode_key() holds.
CodeSize mode_code_size(uint64_t mode) { return CodeSize(mode & 0xf); }
}  // namespace

size_t fetch_code(Cpu& cpu, uint64_t ip, uint8_t* buf, bool& wrapped, bool page_only) {
  const SegmentCache& cs = cpu.s.seg[kCs];
  const bool wrap16 = cpu.model->quirk(kQuirkSegWrap);
  const bool flat64 = cpu.long_mode64();
  wrapped = false;
  size_t n = 0;
  for (; n < kFetchMax; ++n) {
    uint64_t off = ip + n;
    if (wrap16 && off > 0xffff) {
      off &= 0xffff;
      wrapped = true;
    } else if (!flat64 && off > cs.limit) {
      break;
    }
    const uint64_t lin = cs.base + off;
    if (page_only && n && !(lin & (mmu::kPageSize - 1))) break;
    buf[n] = cpu.mem.fetch<uint8_t>(lin, cpu.priv());
  }
  return n;
}

/// Decodes the instruction at CS:rIP without caching it; faults as the
/// fetch would (#GP(0) past the CS limit, #GP(0) when too long, #UD).
void Interpreter::Impl::decode_one(DecodedInsn& insn) {
  uint8_t buf[kFetchMax];
  bool wrapped;
  size_t n = fetch_code(cpu, cpu.s.rip, buf, wrapped, true);
  DecodeStatus st = decode({buf, n}, context(), insn);
  if (st == DecodeStatus::kNeedMore) {
    // The instruction continues on the next page: fetch it all, faulting there.
    n = fetch_code(cpu, cpu.s.rip, buf, wrapped, false);
    st = decode({buf, n}, context(), insn);
  }
  if (st == DecodeStatus::kNeedMore || st == DecodeStatus::kTooLong) raise(kVecGp, 0);
  insn.handler = exec::handler_for(insn.form);
}

/// What a link made now in `mode` would hold: the link epoch, the CPL
/// (the TLB entries a translation uses) and the mode.
inline uint64_t Interpreter::Impl::link_stamp(uint64_t mode) const {
  return link_epoch << 16 | uint64_t{cpu.s.cpl} << 8 | mode;
}

/// Which of the links at the end of `prev` may lead to `lin`. It is picked
/// without a branch (the newer one where both have `lin`): which one
/// matches is the direction of the branch that ended `prev`, already a
/// guess the host may have got wrong once.
inline const Block::Link& Interpreter::Impl::pick(const Block& prev, uint64_t lin) {
  return prev.links[prev.links[0].lin != lin];
}

/// The block `l` links to at `lin` under `stamp` (link_stamp), if the
/// translation it was linked under may still be used: no TLB flush or
/// INVLPG that could have dropped it since (the generation it was made
/// under has not moved: Mmu::note_code_region), nor any block dropped.
/// The SDM lets a CPU use a translation it has cached until then, the
/// JIT's jump cache does the same, and a page table change that the
/// guest did invalidate always moves the generation.
inline Block* Interpreter::Impl::linked(const Block::Link& l, uint64_t lin, uint64_t stamp) const {
  const uintptr_t to = l.to;
  if (l.lin == lin && l.stamp == stamp &&
      l.generation == cpu.mem.tlb_generation_address()[to & Block::Link::kGlobal]) {
    return reinterpret_cast<Block*>(to & ~Block::Link::kGlobal);
  }
  return nullptr;
}

/// The block at CS:rIP. `prev`, the block that ran just before (or
/// nullptr), remembers its successors: following its links touches memory
/// that is already in the host's cache, unlike the lookup table, and
/// skips the translation (linked()). Where run_blocks_fast left `prev`
/// at a side exit, its link there is the one.
Block* Interpreter::Impl::lookup(Block* prev) {
  const uint64_t lin = cpu.s.seg[kCs].base + cpu.s.rip;
  const uint64_t mode = mode_key();
  Block::Link* const exit = prev && prev == side_of ? side : nullptr;
  side_of = nullptr;
  if (prev) {
    if (Block* b = linked(exit ? *exit : pick(*prev, lin), lin, link_stamp(mode))) return within_limit(b);
  }
  ++stats.lookups;
  // The generations before the translation: a link is made only if they
  // did not move on the way (build() may flush, through a fetch's fault).
  const uint64_t local_gen = cpu.mem.tlb_generation(), global_gen = cpu.mem.global_generation();
  const uint64_t phys = cpu.mem.translate(lin, mmu::Access::kExec, cpu.priv());
  const uint64_t key = phys << 8 | mode;
  CacheSlot& slot = cache[cache_slot(key)];
  Block* b = slot.block;
  if (slot.key != key) [[unlikely]] {
    auto it = blocks.find(key);
    b = it != blocks.end() ? it->second.get() : build(key, phys);
    if (!b) return nullptr;
    slot = CacheSlot{key, b};
  }
  if (prev && cpu.mem.tlb_generation() == local_gen && cpu.mem.global_generation() == global_gen) {
    // A block stays on one page: its translation was just used, so the
    // TLB holds it unless a build() fetch evicted it, which only makes the
    // link local. An INVLPG of the region retires the link.
    const bool global = cpu.mem.cached_global(lin, cpu.priv());
    cpu.mem.note_code_region(lin, global);
    // build() may have dropped blocks, so the link is made under the
    // epoch as it is now. At the end, the older link makes way.
    const Block::Link made{lin, global ? global_gen : local_gen, link_stamp(mode),
                           reinterpret_cast<uintptr_t>(b) | (global ? Block::Link::kGlobal : 0)};
    if (exit) {
      *exit = made;
    } else {
      prev->links[1] = prev->links[0];
      prev->links[0] = made;
    }
  }
  return within_limit(b);
}

inline Block* Interpreter::Impl::within_limit(Block* b) const {
  // A block decoded for another CS:IP that reaches this one's limit (or, on
  // the 8086, its 64 KiB wrap) cannot run here as one piece.
  const uint64_t limit = cpu.model->quirk(kQuirkSegWrap) ? 0xffff : cpu.s.seg[kCs].limit;
  if (!cpu.long_mode64() && cpu.s.rip + b->bytes - 1 > limit) return nullptr;
  return b;
}

namespace {

/// How a block goes on past a branch it decodes (Block::exits).
enum class Past { kEnd, kFallThrough, kJump };

/// A relative branch that changes nothing but rIP goes on: a Jcc, LOOP or
/// JCXZ to the next instruction (where it falls through), and a JMP of
/// 64-bit code to its target when that lies on `page`, the block's (where
/// no CS limit applies and the target, on a page already fetched from, is
/// canonical). Any other branch ends the block.
Past past(const DecodedInsn& insn, const DecodeContext& ctx, uint64_t target, uint64_t page) {
  using isa::Form;
  if (insn.row().ops[0].am != isa::Am::kJ) return Past::kEnd;
  if (insn.form == Form::CALL_Jz || insn.form == Form::XBEGIN_Jz) return Past::kEnd;
  if (insn.form != Form::JMP_Jb && insn.form != Form::JMP_Jz) return Past::kFallThrough;
  if (ctx.code != CodeSize::k64 || (target & mmu::kPageMask) != page) return Past::kEnd;
  return Past::kJump;
}

}  // namespace

Block* Interpreter::Impl::build(uint64_t key, uint64_t phys) {
  std::vector<DecodedInsn>& insns = build_scratch;
  insns.clear();
  uint32_t bytes = 0;
  uint64_t exits = 0, jumps = 0;
  const DecodeContext ctx = context();
  const uint64_t cs_base = cpu.s.seg[kCs].base;
  uint64_t ip = cpu.s.rip;
  int64_t offset = 0;  // of ip from the block's first instruction
  const uint64_t page = (cs_base + ip) & mmu::kPageMask;
  const uint64_t mask = ip_mask();
  while (insns.size() < kMaxBlockInsns) {
    uint8_t buf[kFetchMax];
    bool wrapped;
    // Blocks stay on one page: an instruction that crosses into the next
    // one (which may map anywhere) runs uncached.
    const size_t n = fetch_code(cpu, ip, buf, wrapped, true);
    DecodedInsn insn;
    const DecodeStatus st = decode({buf, n}, ctx, insn);
    // Instructions that fault at decode, run past the limit or wrap are left
    // to the uncached path, which raises or handles them precisely.
    if (st == DecodeStatus::kNeedMore || st == DecodeStatus::kTooLong || wrapped) break;
    if (insn.len > n) break;
    insn.handler = exec::handler_for(insn.form);
    insn.handler = exec::specialize(insn, ctx);
    insn.quiet = exec::quiet(insn);
    insn.slot = uint8_t(insns.size());
    offset += insn.len;
    insn.next = int32_t(offset);
    insns.push_back(insn);
    bytes += insn.len;
    const uint16_t attrs = insn.form == isa::Form::kInvalid ? uint16_t{isa::a_stop} : insn.row().attrs;
    ip = (ip + insn.len) & mask;
    if (ip == 0 && ctx.code != CodeSize::k64) break;
    if (attrs & (isa::a_stop | isa::a_serial)) break;
    if (attrs & isa::a_branch) {
      const uint64_t target = (ip + insn.imm) & mask;
      const Past p = past(insn, ctx, cs_base + target, page);
      if (p == Past::kEnd || insns.size() == kMaxBlockInsns) break;
      exits |= uint64_t{1} << insn.slot;
      if (p == Past::kJump) {
        jumps |= uint64_t{1} << insn.slot;
        ip = target;
        offset += int64_t(insn.imm);
      }
    }
    if (((cs_base + ip) & mmu::kPageMask) != page) break;
  }
  if (insns.empty()) return nullptr;
  // A Jcc and the instruction before it, when that sets its flags from
  // registers, run as one (exec::fuse); the pair leaves the block where
  // the Jcc would.
  uint64_t fused = 0;
  for (size_t k = 1; k < insns.size(); ++k) {
    const bool exit = k + 1 == insns.size() || (exits >> k & 1);
    if (exit && exec::fuse(insns[k - 1], insns[k])) {
      fused |= uint64_t{1} << (k - 1);
      exits = (exits & ~(uint64_t{1} << k)) | uint64_t{1} << (k - 1);
    }
  }
  const bool fused_end = insns.size() >= 2 && (fused >> (insns.size() - 2) & 1);
  const unsigned last = unsigned(insns.size() - 1 - fused_end);
  for (uint64_t stops = exits | uint64_t{1} << last; stops; stops &= stops - 1)
    insns[std::countr_zero(stops)].stop = true;
  Block::Owner block = Block::make(insns, exits);
  block->bytes = bytes;
  block->jumps = jumps;
  block->fused = fused;
  block->last = uint8_t(last);
  block->ends_mode = insns.back().form == isa::Form::kInvalid ||
                     (insns.back().row().attrs & (isa::a_stop | isa::a_serial));
  // The physical page the code lies on.
  const uint64_t code_page = phys >> mmu::kPageBits;
  cpu.mem.mark_code_page(code_page);
  page_blocks[code_page].push_back(key);
  ++stats.blocks_decoded;
  Block* raw = block.get();
  blocks.emplace(key, std::move(block));
  return raw;
}

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

inline uint64_t Interpreter::Impl::ip_mask() const {
  if (cpu.long_mode64()) return ~uint64_t{0};
  return cpu.s.seg[kCs].attr & kAttrDb ? 0xffffffff : 0xffff;
}

namespace {
/// After a specialised handler missed (Cpu::fast_miss, having changed
/// nothing): the form's generic handler runs the instruction instead.
void run_generic(Cpu& cpu, const DecodedInsn& insn) {
  cpu.fast_miss = false;
  exec::handler_for(insn.form)(cpu, insn);
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
  try {
    handler(cpu, insn);
    if (cpu.fast_miss) [[unlikely]] run_generic(cpu, insn);
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
/// (Block::fused) through its generic handler, and its Jcc after it. A
/// branch that goes elsewhere than the next instruction ends the run, a
/// JMP the block goes on past (Block::jumps) too.
void Interpreter::Impl::run_block_checked(const Block& b, uint64_t end) {
  CpuState& s = cpu.s;
  const uint64_t mask = ip_mask();
  for (const DecodedInsn& insn : b.insns()) {
    const uint64_t next = s.rip + insn.len;
    const Handler handler = b.fused >> insn.slot & 1 ? exec::handler_for(insn.form) : insn.handler;
    if (!execute(insn, handler, mask) || !b.valid || s.rip != next) return;
    // halted and pending are rarely set: one test for both on the way.
    if ((s.halted | (s.pending != 0)) && (s.halted || event_deliverable(s))) [[unlikely]] return;
    if (s.icount >= end) return;
  }
}

/// The block at CS:rIP (linear `lin`) in `mode` (mode_key()) if `l` links
/// to it and it may run there (within_limit); nullptr sends the caller to
/// lookup().
inline Block* Interpreter::Impl::next_linked(const Block::Link& l, uint64_t lin, uint64_t mode) const {
  Block* b = linked(l, lin, link_stamp(mode));
  if (!b || mode_code_size(mode) == CodeSize::k64) return b;
  return within_limit(b);
}

/// run_block while no debug check applies (needs_checks is false): what
/// execute() does, without its tests for TF, RF and breakpoints, with rIP
/// kept in a register and the instruction count derived from the block's
/// entry count (DecodedInsn::slot). An instruction that turns
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
  Cpu& c = cpu;
  CpuState& s = c.s;
  // The decoding mode changes only at the end of a block (Block::ends_mode)
  // or through an event, which ends the run.
  uint64_t mask = k64 ? ~uint64_t{0} : ip_mask();
  for (;;) {
    const Block& b = *blk;
    // The CPL changes only through Cpu::set_cpl while blocks run.
    assert(c.tlb_synced());
    // The count at the block's entry: instructions that are not quiet, the
    // only ones that can read it, find it up to date, and so does every
    // way out of the block.
    const uint64_t base = s.icount;
    const DecodedInsn* const first = b.insns().data();
    const DecodedInsn* i = first;
    // The budget ends inside the block rarely (a slice's end, a single
    // step): the block then runs its instructions one by one, its fused
    // pairs too.
    if (end - std::min(end, base) < b.count) [[unlikely]] {
      run_block_checked(b, end);
      return false;
    }
    // Where the run stops to look (DecodedInsn::stop): the branches the
    // block goes on past (Block::exits), and its end (Block::last).
    const DecodedInsn* const last = first + b.last;
    // The blocks likely to run next (its links): the cache lines after
    // their links, with their count and first instructions, are fetched
    // while this one runs. Blocks lie apart in the host's memory, so the
    // step to the next one would otherwise wait for them; a stale link
    // only fetches a line for nothing.
    for (const Block::Link& l : b.links) {
      const char* to = reinterpret_cast<const char*>(l.to & ~Block::Link::kGlobal);
      __builtin_prefetch(to + Block::kAlign);
      __builtin_prefetch(to + 2 * Block::kAlign);
    }
    // An interrupt shadow lasts one instruction: it is dropped before the
    // block's first and after each instruction that is not quiet (quiet
    // ones do not set it).
    s.inhibit_irq = 0;
    // Each instruction's next rIP is the entry's plus its own offset
    // (DecodedInsn::next): no instruction waits for the one before to work
    // out its rIP (a round trip through s.rip would chain each to the store
    // of the one before).
    const uint64_t rip = s.rip;
    // Where the block is left: at its end, or at a side exit.
    Block::Link* exit = nullptr;
    unsigned sides = 0;  // exits gone on past
    for (;;) {
      for (;; ++i) {
        const DecodedInsn& insn = *i;
        s.rip = (rip + insn.next) & mask;
        try {
          if (insn.quiet) {
            insn.handler(c, insn);
            // A quiet instruction moves rIP elsewhere only as a branch,
            // which is a stop: whether it was taken is looked at there.
            if (!c.fast_miss) [[likely]] {
              if (insn.stop) [[unlikely]] break;
              continue;
            }
            // No fast path for its memory operand: the generic handler
            // runs it as any other instruction.
            c.insn_rip = (rip + insn.next - insn.len) & mask;
            s.icount = base + insn.slot;
            run_generic(c, insn);
          } else {
            c.insn_rip = (rip + insn.next - insn.len) & mask;
            s.icount = base + insn.slot;
            insn.handler(c, insn);
          }
        } catch (const GuestFault& f) {
          // A quiet instruction that faults (a branch outside the limits)
          // has its rIP set only now; a fused pair's fault is its Jcc's,
          // after the first instruction.
          const bool jcc = b.fused >> insn.slot & 1;
          if (insn.quiet) c.insn_rip = (rip + insn.next - (jcc ? 0 : insn.len)) & mask;
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
        if (s.rip != ((rip + insn.next) & mask) || insn.stop) break;
        s.inhibit_irq = 0;
      }
      // At a stop, or after a branch that is not quiet was taken. At the
      // end (the common case) the block is done.
      if (i == last) {
        s.icount = base + b.count;
        break;
      }
      // A fused pair (never a miss: it has only register operands) counts
      // as two.
      const unsigned slot = i->slot;
      const unsigned after = slot + 1 + (b.fused >> slot & 1);
      s.icount = base + after;
      // The block goes on past a branch that fell through, or a JMP.
      if (!(b.jumps >> slot & 1)) {
        if (s.rip != ((rip + first[after - 1].next) & mask)) {
          if (b.exits >> slot & 1) exit = blk->side_links() + sides;
          break;
        }
      }
      // Only an exit (a stop short of the block's end) gets here.
      ++sides;
      i = first + after;
      s.inhibit_irq = 0;
    }
    if (s.icount >= end || s.halted || !chain) return false;
    bool other = false;
    if (b.ends_mode) {
      mode = mode_key();
      other = (mode_code_size(mode) == CodeSize::k64) != k64;
      if (!k64) mask = ip_mask();
    }
    const uint64_t lin = cpu.s.seg[kCs].base + s.rip;
    Block* to = next_linked(exit ? *exit : pick(b, lin), lin, mode);
    if (!to) {
      side = exit;
      side_of = exit ? blk : nullptr;
      return false;
    }
    blk = to;
    if (other) return true;
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

void Interpreter::code_page_written(uint64_t page) { impl_->code_page_written(page); }

void Interpreter::flush() {
  for (auto& [key, block] : impl_->blocks) {
    block->valid = false;
    impl_->graveyard.push_back(std::move(block));
  }
  impl_->blocks.clear();
  impl_->page_blocks.clear();
  ++impl_->link_epoch;
  std::fill(impl_->cache.begin(), impl_->cache.end(), CacheSlot{});
}

const Interpreter::Stats& Interpreter::stats() const { return impl_->stats; }

bool Interpreter::execute_one(const DecodedInsn& insn) noexcept {
  impl_->cpu.sync_tlb();
  return impl_->execute(insn, impl_->ip_mask());
}

void Interpreter::deliver_fault(const GuestFault& f) noexcept { impl_->deliver_fault(f); }

StopReason Interpreter::boundary_stop() const { return impl_->boundary_stop(); }

}  // namespace kestrel::cpu
