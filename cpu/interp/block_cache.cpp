// SPDX-License-Identifier: MIT
// The interpreter's block cache: fetching and decoding basic blocks,
// finding them by physical address and decoding mode (a direct-mapped
// cache before a hash map, and the links between blocks), and dropping
// the blocks of a page the MMU reports written. Running them is
// cpu/interp/interpreter.cpp's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cpu/decode.h"
#include "cpu/interp/block.h"
#include "cpu/interp/fast.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter_impl.h"

namespace kestrel::cpu {

using interp::Block;
using interp::cache_slot;
using interp::kMaxBlockInsns;

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
    const Block::Link& l = exit ? *exit : pick(*prev, lin);
    if (Block* b = linked(l, lin, link_stamp(mode), cpu.mem.tlb_generation_address())) return within_limit(b);
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

namespace {

/// How a block goes on past a branch it decodes (DecodedInsn::stop).
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
  using interp::kStopEnd, interp::kStopExit, interp::kStopFused;
  std::vector<DecodedInsn>& insns = build_scratch;
  insns.clear();
  uint32_t bytes = 0;
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
      if (p == Past::kJump) {
        ip = target;
        offset += int64_t(insn.imm);
      } else {
        insns.back().stop = kStopExit;
      }
    }
    if (((cs_base + ip) & mmu::kPageMask) != page) break;
  }
  if (insns.empty()) return nullptr;
  insns.back().stop = kStopEnd;
  // A Jcc and the instruction before it, when that sets its flags from
  // registers, run as one (exec::fuse): the pair stops where the Jcc
  // would, and the next instruction is the one after the Jcc.
  for (size_t k = 1; k < insns.size(); ++k) {
    DecodedInsn& jcc = insns[k];
    if ((jcc.stop & (kStopExit | kStopEnd)) && exec::fuse(insns[k - 1], jcc)) {
      insns[k - 1].stop = jcc.stop | kStopFused;
      insns[k - 1].next = jcc.next;
      jcc.stop = 0;
    }
  }
  unsigned sides = 0;
  for (DecodedInsn& insn : insns) {
    if (insn.stop & kStopExit) insn.side = uint8_t(sides++);
  }
  Block::Owner block = Block::make(insns, sides);
  block->bytes = bytes;
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

void Interpreter::code_page_written(uint64_t page) { impl_->code_page_written(page); }

void Interpreter::flush() {
  for (auto& [key, block] : impl_->blocks) {
    block->valid = false;
    impl_->graveyard.push_back(std::move(block));
  }
  impl_->blocks.clear();
  impl_->page_blocks.clear();
  ++impl_->link_epoch;
  std::fill(impl_->cache.begin(), impl_->cache.end(), interp::CacheSlot{});
}

}  // namespace kestrel::cpu
