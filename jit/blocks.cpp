// SPDX-License-Identifier: MIT
// Translation and block bookkeeping: keys, lookup, compile (discover ->
// lift -> passes -> x86-64), the code-page invalidation that drops
// translations and unlinks the jumps into them, direct chaining, and the
// whole-cache flush.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu/flags.h"
#include "cpu/interp/operands.h"
#include "jit/engine_impl.h"
#include "jit/frontend/discover.h"
#include "jit/frontend/lift.h"
#include "jit/passes/passes.h"
#include "jit/x64/backend.h"

namespace kestrel::jit {
namespace {

constexpr size_t kMaxBlockCode = 64 * 1024;

int call_insn(JitCtx* ctx, const void* p) noexcept {
  const auto& insn = *static_cast<const cpu::DecodedInsn*>(p);
  cpu::CpuState& s = ctx->cpu->s;
  const uint64_t next = (s.rip + insn.len) & frontend::ip_mask(*ctx->cpu);
  if (!ctx->interp->execute_one(insn)) return 1;
  // Leave unless control simply falls through in the same conditions.
  // An interrupt shadow (STI, MOV/POP SS) covers the next instruction,
  // which the interpreter runs (JitEngine::Impl::needs_interpreter).
  if (s.rip != next || !ctx->running_valid || s.halted || cpu::event_deliverable(s) || s.inhibit_irq)
    return 1;
  if (s.dbg_exec || (s.rflags & (cpu::kTf | cpu::kRf))) return 1;
  // A write to DR7 (not a block end) may have set a data breakpoint: the
  // interpreter runs from here (needs_interpreter), never a chained block.
  if (!ctx->cpu->mem.watches().empty()) return 1;
  return 0;
}
bool test_cc(const cpu::CpuState* s, unsigned cc) noexcept { return cpu::test_cc(*s, cc); }
bool carry_flag(const cpu::CpuState* s) noexcept { return cpu::carry_flag(*s); }

/// After an access: leave after this instruction when the running block's
/// code was written or a device raised an event it can take (as the interpreter
/// checks after every instruction).
void note_stop(JitCtx* ctx) {
  if (!ctx->running_valid || cpu::event_deliverable(ctx->cpu->s)) ctx->stop = true;
}

/// Cpu::read/write with the interpreter's checks (segment limits and
/// rights, alignment, the 8086 wrap, paging); a fault is recorded, never thrown.
uint64_t load(JitCtx* ctx, uint64_t off, uint32_t seg_size, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  c.insn_rip = rip;
  const uint8_t seg = uint8_t(seg_size);
  uint64_t v = 0;
  try {
    switch (seg_size >> 8) {
      case 1: v = c.read<uint8_t>(seg, off); break;
      case 2: v = c.read<uint16_t>(seg, off); break;
      case 4: v = c.read<uint32_t>(seg, off); break;
      default: v = c.read<uint64_t>(seg, off); break;
    }
  } catch (const cpu::GuestFault& f) {
    ctx->fault = f;
    ctx->faulted = true;
    return 0;
  }
  note_stop(ctx);
  return v;
}

void store(JitCtx* ctx, uint64_t off, uint64_t v, uint32_t seg_size, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  c.insn_rip = rip;
  const uint8_t seg = uint8_t(seg_size);
  try {
    switch (seg_size >> 8) {
      case 1: c.write<uint8_t>(seg, off, uint8_t(v)); break;
      case 2: c.write<uint16_t>(seg, off, uint16_t(v)); break;
      case 4: c.write<uint32_t>(seg, off, uint32_t(v)); break;
      default: c.write<uint64_t>(seg, off, v); break;
    }
  } catch (const cpu::GuestFault& f) {
    ctx->fault = f;
    ctx->faulted = true;
    return;
  }
  note_stop(ctx);
}

/// An indirect exit (Op::kExitIndirect, a CallInsn that left): the next
/// block's chained entry straight from the jump cache when allowed.
const uint8_t* chain(JitCtx* ctx) noexcept {
  return static_cast<JitEngine::Impl*>(ctx->engine)->chain_target();
}

/// cpu::exec::near_jump's check, exactly (the inline one in generated code
/// assumes 48-bit addresses): #GP(0) on the branch itself.
bool branch_fault(JitCtx* ctx, uint64_t target, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  if (cpu::exec::near_target_ok(c, target)) return false;
  c.insn_rip = rip;
  ctx->fault = cpu::GuestFault{cpu::kVecGp, true, 0};
  ctx->faulted = true;
  return true;
}

constexpr x64::Helpers kHelpers{call_insn, test_cc, carry_flag, load, store, chain, branch_fault};

bool is_port_io(const cpu::isa::Row& r) {
  return r.mnemonic == "in" || r.mnemonic == "out" || r.mnemonic == "ins" || r.mnemonic == "outs" ||
         r.mnemonic.starts_with("ins") || r.mnemonic.starts_with("outs");
}

}  // namespace

BlockKey JitEngine::Impl::key_here(uint64_t phys) const {
  const cpu::SegmentCache& cs = cpu.s.seg[cpu::kCs];
  return BlockKey{phys, cpu.s.rip, cs.base, cs.limit, mode_here()};
}

/// The jump cache answers first; a miss walks (or probes the TLB) and
/// fills it under the generation read before the walk.
CompiledBlock* JitEngine::Impl::lookup(bool* cold) {
  const JumpCache::Key jk = jump_key();
  const JumpCache::Generations gen = generations();
  if (void* hit = jump_cache.find(jk, gen)) {
    ++stats.jump_cache_hits;
    return static_cast<CompiledBlock*>(hit);
  }
  const uint64_t lin = jk.cs_base + jk.rip;
  const uint64_t phys = cpu.mem.translate(lin, mmu::Access::kExec, cpu.priv());
  const BlockKey key{phys, jk.rip, jk.cs_base, jk.cs_limit, jk.mode};
  // The entry of an older generation is still right when the PC maps to
  // the same physical address (most flushes are CR3 loads that leave
  // kernel code where it was).
  CompiledBlock* b = static_cast<CompiledBlock*>(jump_cache.find_any_generation(jk));
  if (!b || b->key != key) {
    // A block not hot yet has no translation: no need to search the map.
    if (!hot(key, cold != nullptr)) {
      if (cold) *cold = true;
      return nullptr;
    }
    auto it = blocks.find(key);
    b = it != blocks.end() ? it->second.get() : nullptr;
  }
  if (b && b->crosses() && !second_page_holds(*b)) {
    drop(b);  // its last instruction's second page maps elsewhere now
    b = nullptr;
  }
  if (!b) b = compile(key);
  if (b && gen == generations()) {
    // Code on global pages keeps its entry across CR3 loads; the pages'
    // translations were just used (the second's by the compile or
    // second_page_holds), so the TLB still holds them unless one evicted
    // the other, which only makes the entry local.
    const uint64_t last = lin + b->guest_bytes - 1;
    const bool global =
        cpu.mem.cached_global(lin, cpu.priv()) && cpu.mem.cached_global(last, cpu.priv());
    // An INVLPG of these regions retires the entry (Mmu::note_code_region).
    cpu.mem.note_code_region(lin, global);
    cpu.mem.note_code_region(last, global);
    jump_cache.insert(jk, global ? gen.global : gen.local, b, b->check_entry, global);
    ++stats.jump_cache_fills;
    stats.jump_cache_global += global;
  }
  return b;
}

bool JitEngine::Impl::hot(const BlockKey& key, bool count) {
  if (!options.compile_after) return true;
  uint8_t& runs = heat[BlockKeyHash{}(key) & (kHeatSlots - 1)];
  if (runs >= std::min(options.compile_after, 255u)) return true;
  runs += count;
  return false;
}

const uint8_t* JitEngine::Impl::chain_target() {
  // The dispatcher's reasons not to run a block next (run()): lockstep
  // checks each block alone, a helper asked to leave, a boundary stop, an
  // instruction-level condition.
  if (options.lockstep || ctx.stop || boundary_stops() || needs_interpreter()) return nullptr;
  auto* b = static_cast<CompiledBlock*>(jump_cache.find(jump_key(), generations()));
  if (!b || cpu.s.icount + b->insns.size() > ctx.end_icount) return nullptr;
  // The checks of the chained entry are done (a request masked by IF=0
  // does not stop here, unlike there): on to the body, as run_block.
  ctx.running = b;
  ctx.running_valid = true;
  ++chained_by_helper;
  return b->body_entry;
}

bool JitEngine::Impl::second_page_holds(const CompiledBlock& b) const {
  const uint64_t last = b.key.cs_base + b.key.rip + b.guest_bytes - 1;
  return cpu.mem.translate(last, mmu::Access::kExec, cpu.priv()) >> mmu::kPageBits == b.second_page;
}

void JitEngine::Impl::drop(CompiledBlock* b) {
  for (const uint64_t page : {b->first_page, b->second_page}) {
    if (auto p = page_blocks.find(page); p != page_blocks.end()) {
      std::erase_if(p->second.spans, [&](const CodeSpan& c) { return c.key == b->key; });
    }
  }
  retire(blocks.find(b->key));
}

void JitEngine::Impl::retire(decltype(blocks)::iterator it) {
  invalidate(it->second.get());
  graveyard.push_back(std::move(it->second));
  blocks.erase(it);
}

CompiledBlock* JitEngine::Impl::compile(const BlockKey& key) {
  frontend::Discovered d = frontend::discover(cpu, key.phys, options.max_block_insns);
  if (d.insns.empty()) return nullptr;
  auto blk = std::make_unique<CompiledBlock>();
  blk->key = key;
  blk->insns = std::move(d.insns);
  blk->guest_bytes = d.bytes;
  blk->second_page = d.second_page;
  for (const cpu::DecodedInsn& i : blk->insns) {
    if (i.form != cpu::isa::Form::kInvalid && is_port_io(i.row())) blk->has_port_io = true;
  }
  frontend::Facts facts;
  facts.ip_mask = frontend::ip_mask(cpu);
  facts.cs_limit = key.cs_limit;
  facts.long64 = cpu.long_mode64();
  facts.seg_wrap = cpu.model->quirk(cpu::kQuirkSegWrap);
  facts.ss_big = cpu.s.seg[cpu::kSs].attr & cpu::kAttrDb;
  facts.push_sp_new = cpu.model->quirk(cpu::kQuirkPushSpNew);
  facts.unmasked_shift = cpu.model->quirk(cpu::kQuirkUnmaskedShift);
  facts.mul_8086_flags = cpu.model->quirk(cpu::kQuirkMul8086Flags);
  facts.eager_strings = !cpu.model->has(cpu::isa::f386);
  ir::Block irb;
  // The IR's storage comes from the last translation, and goes back to it.
  irb.insts = std::move(ir_storage);
  irb.insts.clear();
  struct GiveBack {
    std::vector<ir::Inst>& to;
    ir::Block& from;
    ~GiveBack() { to = std::move(from.insts); }
  } give_back{ir_storage, irb};
  frontend::lift_block(irb, facts, key.rip, blk->insns);
  // The inline jump-cache probe (emit_chain_probe) knows the key; lockstep
  // checks each block alone, so no exit may chain there.
  irb.cs_base = key.cs_base;
  irb.cs_limit = key.cs_limit;
  irb.mode = key.mode;
  irb.tlb_from_state = tlb_from_state();
  irb.chain_inline =
      !options.lockstep && JumpCache::fits({key.rip, key.cs_base, key.cs_limit, key.mode}, 0);
#ifndef NDEBUG
  // A lowering that breaks the IR is a bug in the JIT: debug builds (the
  // sanitizer CI run included) stop on it rather than quietly running the
  // block through the interpreter, which would hide it from every test.
  if (const std::string e = passes::run_all(irb, true); !e.empty()) {
    std::fprintf(stderr, "kestrel: internal error: JIT IR at rip %#llx: %s\n%s",
                 static_cast<unsigned long long>(key.rip), e.c_str(), ir::dump(irb).c_str());
    std::abort();
  }
#else
  passes::run_all(irb, false);
#endif
  std::vector<ExitSlot*> slots;
  for (const ir::Inst& in : irb.insts) {
    if (in.dead || (in.op != ir::Op::kExit && in.op != ir::Op::kExitIf)) continue;
    blk->exits.push_back(std::make_unique<ExitSlot>());
    slots.push_back(blk->exits.back().get());
  }
  // The shared probe first: emitting it takes cache space, which must not
  // fall inside the block's reservation.
  const uint8_t* probe = irb.chain_inline ? probe_for(key) : nullptr;
  uint8_t* at = probe || !irb.chain_inline ? cache.reserve(kMaxBlockCode) : nullptr;
  if (!at) {
    flush_all();
    probe = irb.chain_inline ? probe_for(key) : nullptr;
    at = cache.reserve(kMaxBlockCode);
    if (!at || (irb.chain_inline && !probe)) return nullptr;
  }
  irb.chain_probe_at = uint64_t(probe);
  x64::Emitted em;
  if (!x64::emit_block(workspace, irb, uint64_t(at), epilogue, kHelpers, slots, blk.get(), em)) return nullptr;
  if (em.bytes.size() > kMaxBlockCode) return nullptr;
  cache.commit(at, em.bytes);
  blk->check_entry = at + em.check_entry;
  blk->body_entry = at + em.body_entry;
  blk->chain_probe = const_cast<uint8_t*>(probe);
  for (size_t k = 0; k < slots.size(); ++k) {
    slots[k]->jump = at + em.exits[k].jump;
    slots[k]->stub = at + em.exits[k].stub;
    slots[k]->target_rip = em.exits[k].target_rip;
    slots[k]->owner = blk.get();
  }
  blk->first_page = key.phys >> mmu::kPageBits;
  const unsigned start = unsigned(key.phys & (mmu::kPageSize - 1));
  const unsigned end = start + blk->guest_bytes;  // past the page when it crosses
  note_code(blk->first_page, key, start, std::min<unsigned>(end, mmu::kPageSize));
  if (blk->crosses()) note_code(blk->second_page, key, 0, end - mmu::kPageSize);
  ++stats.blocks_compiled;
  CompiledBlock* raw = blk.get();
  blocks[key] = std::move(blk);
  return raw;
}

void JitEngine::Impl::set_jump(uint8_t* jump, const uint8_t* to) {
  uint8_t bytes[5] = {0xe9};
  const int32_t rel = int32_t(to - (jump + 5));
  std::memcpy(bytes + 1, &rel, 4);
  cache.patch(jump, bytes);
}

/// Drops a translation: jumps into it go back to their stubs, its own
/// links leave their targets' lists, and it stays alive (graveyard) until
/// no code of it can be running.
void JitEngine::Impl::invalidate(CompiledBlock* b) {
  b->valid = false;
  if (ctx.running == b) ctx.running_valid = false;
  jump_cache.remove({b->key.rip, b->key.cs_base, b->key.cs_limit, b->key.mode}, b);
  for (ExitSlot* in : b->incoming) {
    if (in->linked != b) continue;
    set_jump(in->jump, in->stub);
    in->linked = nullptr;
  }
  b->incoming.clear();
  for (auto& out : b->exits) {
    if (!out->linked) continue;
    auto& list = static_cast<CompiledBlock*>(out->linked)->incoming;
    list.erase(std::remove(list.begin(), list.end(), out.get()), list.end());
    out->linked = nullptr;
  }
  ++stats.blocks_invalidated;
}

void JitEngine::Impl::note_code(uint64_t page, const BlockKey& key, unsigned lo, unsigned hi) {
  cpu.mem.mark_code_page(page);
  CodePage& cp = page_blocks[page];
  cp.spans.push_back({key, uint16_t(lo), uint16_t(hi)});
  cp.lo = std::min(cp.lo, lo);
  cp.hi = std::max(cp.hi, hi);
}

void JitEngine::Impl::code_page_written(uint64_t page) { code_written(page, 0, mmu::kPageSize); }

namespace {

/// Writes between a page's blocks that hit none, after which the page is
/// given up whole: its data writes would all take the slow path.
constexpr unsigned kMaxMisses = 64;

}  // namespace

/// Drops the blocks whose code the write covers, not the whole page: code
/// patched in place (Linux's static keys and alternatives) leaves the
/// rest of the page's translations alone.
bool JitEngine::Impl::code_written(uint64_t page, unsigned lo, unsigned hi) {
  interp.code_page_written(page);  // its run() serves while breakpoints are set
  auto it = page_blocks.find(page);
  if (it == page_blocks.end()) return false;
  CodePage& cp = it->second;
  if (cp.spans.empty()) {
    page_blocks.erase(it);
    return false;
  }
  if (hi <= cp.lo || lo >= cp.hi) return true;
  bool hit = false;
  // A span of a dropped block goes when a write covers it; the block map
  // is searched only then.
  std::erase_if(cp.spans, [&](const CodeSpan& c) {
    if (hi <= c.lo || lo >= c.hi) return false;
    if (auto b = blocks.find(c.key); b != blocks.end()) {
      retire(b);
      hit = true;
    }
    return true;
  });
  if (!hit && ++cp.misses > kMaxMisses) return code_written(page, 0, mmu::kPageSize);
  if (!cp.spans.empty()) return true;
  page_blocks.erase(it);
  return false;
}

/// Only from the dispatcher, when no generated code runs.
void JitEngine::Impl::flush_all() {
  if (cache.used() > trampoline_size) ++stats.cache_flushes;  // the power-on reset's is not counted
  for (auto& [key, b] : blocks) {
    b->valid = false;
    graveyard.push_back(std::move(b));
  }
  blocks.clear();
  page_blocks.clear();
  probes.clear();
  jump_cache.clear();
  cache.reset(trampoline_size);
}

/// The indirect thunk, kept with the trampoline across cache resets.
void JitEngine::Impl::emit_thunk() {
  ir::Block tb;
  tb.emit(ir::Op::kExitIndirect);
  uint8_t* at = cache.reserve(kMaxBlockCode);
  x64::Emitted em;
  if (!at || !x64::emit_block(workspace, tb, uint64_t(at), epilogue, kHelpers, {}, nullptr, em)) return;
  cache.commit(at, em.bytes);
  indirect_thunk = at + em.body_entry;
  trampoline_size = size_t(at - cache.base()) + em.bytes.size();
}

const uint8_t* JitEngine::Impl::probe_for(const BlockKey& key) {
  const std::pair<uint64_t, uint32_t> id{key.cs_base | uint64_t{key.cs_limit} << 32, key.mode};
  if (auto it = probes.find(id); it != probes.end()) return it->second;
  // A block of one ExitIndirect (imm 1) under this key: emit_block puts
  // the probe after it (Emitted::chain_probe), reached from every block of
  // the key through the address in ir::Block::chain_probe_at.
  ir::Block tb;
  tb.emit(ir::Op::kExitIndirect, ir::kNone, ir::kNone, 1);
  tb.cs_base = key.cs_base;
  tb.cs_limit = key.cs_limit;
  tb.mode = key.mode;
  tb.chain_inline = true;
  uint8_t* at = cache.reserve(kMaxBlockCode);
  x64::Emitted em;
  if (!at || !x64::emit_block(workspace, tb, uint64_t(at), epilogue, kHelpers, {}, nullptr, em) ||
      em.chain_probe == ~0u) {
    return nullptr;
  }
  cache.commit(at, em.bytes);
  return probes[id] = at + em.chain_probe;
}

const uint8_t* JitEngine::Impl::rip_thunk(uint64_t rip, const uint8_t* probe) {
  ir::Block tb;
  tb.emit(ir::Op::kStField, tb.konst(rip), ir::kNone, offsetof(cpu::CpuState, rip));
  tb.emit(ir::Op::kExitIndirect, ir::kNone, ir::kNone, 1);
  tb.chain_inline = true;
  tb.chain_probe_at = uint64_t(probe);
  uint8_t* at = cache.reserve(kMaxBlockCode);
  x64::Emitted em;
  if (!at || !x64::emit_block(workspace, tb, uint64_t(at), epilogue, kHelpers, {}, nullptr, em)) return nullptr;
  cache.commit(at, em.bytes);
  return at + em.body_entry;
}

/// Patches a direct exit to jump straight to its target's chained entry.
/// Only targets on the source's own linear page: that page's mapping is
/// the one the source was entered through, so the target is the block a
/// lookup would find (same physical page, same mode). A target on another
/// page goes through the source's inline jump-cache probe instead (the
/// indirect thunk without one), which checks the mapping (the TLB
/// generation) and the mode every time.
void JitEngine::Impl::link(ExitSlot* slot) {
  auto* src = static_cast<CompiledBlock*>(slot->owner);
  if (!src->valid || slot->linked || cpu.s.rip != slot->target_rip) return;
  const uint64_t page = (src->key.cs_base + src->key.rip) & mmu::kPageMask;
  if (((cpu.s.seg[cpu::kCs].base + slot->target_rip) & mmu::kPageMask) != page ||
      cpu.s.seg[cpu::kCs].base != src->key.cs_base) {
    // The jump leaves the stub for good; slot->linked stays null (no
    // target block to unlink from).
    // The probe takes CS and the mode from the source's key (which still
    // hold at its exits: a block ends at anything that changes them).
    const bool same_cs = cpu.s.seg[cpu::kCs].base == src->key.cs_base;
    const uint8_t* to = src->chain_probe && same_cs ? src->chain_probe : indirect_thunk;
    if (to) set_jump(slot->jump, to);
    return;
  }
  CompiledBlock* t = nullptr;
  try {
    t = lookup();
  } catch (const cpu::GuestFault&) {
    return;
  }
  if (!t || !t->valid || !src->valid) return;
  // A block that goes on into the next page holds only while that page
  // maps where it did, which a direct jump would not check: the jump goes
  // through the probe, after a thunk that stores the rIP a jump within
  // the page leaves out (Emitter::direct_exit).
  if (t->crosses()) {
    if (const uint8_t* thunk = src->chain_probe ? rip_thunk(slot->target_rip, src->chain_probe) : nullptr) {
      set_jump(slot->jump, thunk);
    }
    return;
  }
  set_jump(slot->jump, t->check_entry);
  slot->linked = t;
  t->incoming.push_back(slot);
  ++stats.links;
}

}  // namespace kestrel::jit
