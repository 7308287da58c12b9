// SPDX-License-Identifier: MIT
// The interpreter engine's inside, shared by its two halves: the block
// cache (cpu/interp/block_cache.cpp: decoding, lookup, links, dropping
// blocks) and the run loops (cpu/interp/interpreter.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/interp/block.h"
#include "cpu/interp/interpreter.h"

namespace kestrel::cpu {
namespace interp {

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
inline unsigned cache_slot(uint64_t key) {
  return unsigned((key >> 8) ^ (key >> (8 + kCacheBits)) ^ key) & (kCacheSlots - 1);
}

/// The code size a mode_key() holds.
inline CodeSize mode_code_size(uint64_t mode) { return CodeSize(mode & 0xf); }

}  // namespace interp

struct Interpreter::Impl final : mmu::CodeWriteListener {
  using Block = interp::Block;
  using CacheSlot = interp::CacheSlot;
  explicit Impl(Cpu& c) : cpu(c) { cpu.mem.set_code_listener(this); }
  ~Impl() override { cpu.mem.remove_code_listener(this); }

  Cpu& cpu;
  Stats stats;
  std::unordered_map<uint64_t, Block::Owner> blocks;
  std::unordered_map<uint64_t, std::vector<uint64_t>> page_blocks;
  /// Holds only live blocks: a dropped block's slot is cleared with it.
  std::vector<CacheSlot> cache = std::vector<CacheSlot>(interp::kCacheSlots);
  /// Invalidated blocks, kept alive until no instruction of theirs can be running.
  std::vector<Block::Owner> graveyard;
  /// Moves on whenever a block is dropped: Block::links of older epochs are stale.
  uint64_t link_epoch = 1;
  /// build()'s decoded instructions before Block::make copies them (kept
  /// between builds, so that decoding a block allocates only the block).
  std::vector<DecodedInsn> build_scratch;
  /// The side link (Block::side_link) run_blocks_fast left `side_of`
  /// through without finding the next block there: lookup() makes it.
  Block::Link* side = nullptr;
  const Block* side_of = nullptr;

  void code_page_written(uint64_t page) override;
  DecodeContext context() const;
  uint64_t mode_key() const;
  void decode_one(DecodedInsn& insn);
  Block* lookup(Block* prev);
  static uint64_t link_stamp(uint64_t epoch, unsigned cpl, uint64_t mode);
  uint64_t link_stamp(uint64_t mode) const { return link_stamp(link_epoch, cpu.s.cpl, mode); }
  static const Block::Link& pick(const Block& prev, uint64_t lin);
  static Block* linked(const Block::Link& l, uint64_t lin, uint64_t stamp, const uint64_t* generations);
  Block* within_limit(Block* b) const;
  Block* build(uint64_t key, uint64_t phys);
  uint64_t ip_mask() const;
  bool execute(const DecodedInsn& insn, uint64_t ip_mask) { return execute(insn, insn.handler, ip_mask); }
  bool execute(const DecodedInsn& insn, Handler handler, uint64_t ip_mask);
  void run_block(Block*& b, uint64_t end, bool chain);
  void run_block_checked(const Block& b, uint64_t end);
  void run_blocks_fast(Block*& b, uint64_t end, bool chain);
  template <bool k64> bool run_chain(Block*& b, uint64_t end, bool chain, uint64_t mode);
  void deliver_data_trap();
  void deliver_trap(bool single_step);
  void drop_cached(uint64_t key) {
    CacheSlot& slot = cache[interp::cache_slot(key)];
    if (slot.key == key) slot = CacheSlot{};
  }
  void deliver_fault(const GuestFault& f);
  void deliver_code_breakpoint();
  void deliver_fetch_fault(const GuestFault& f);
  StopReason run(uint64_t max_insns);
  void turn(Block*& prev, uint64_t end, bool chain);
  StopReason boundary_stop() const;
};

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

/// What a link made in `mode` at `cpl` under link epoch `epoch` holds:
/// the epoch, the CPL (the TLB entries a translation uses) and the mode.
inline uint64_t Interpreter::Impl::link_stamp(uint64_t epoch, unsigned cpl, uint64_t mode) {
  return epoch << 16 | uint64_t{cpl} << 8 | mode;
}

/// Which of the links at the end of `prev` may lead to `lin`. It is picked
/// without a branch (the newer one where both have `lin`): which one
/// matches is the direction of the branch that ended `prev`, already a
/// guess the host may have got wrong once.
inline const interp::Block::Link& Interpreter::Impl::pick(const Block& prev, uint64_t lin) {
  return prev.links[prev.links[0].lin != lin];
}

/// The block `l` links to at `lin` under `stamp` (link_stamp), if the
/// translation it was linked under may still be used: no TLB flush or
/// INVLPG that could have dropped it since (the generation it was made
/// under, of Mmu::tlb_generation_address's `generations`, has not moved:
/// Mmu::note_code_region), nor any block dropped.
/// The SDM lets a CPU use a translation it has cached until then, the
/// JIT's jump cache does the same, and a page table change that the
/// guest did invalidate always moves the generation.
inline interp::Block* Interpreter::Impl::linked(const Block::Link& l, uint64_t lin, uint64_t stamp,
                                                const uint64_t* generations) {
  const uintptr_t to = l.to;
  if (l.lin == lin && l.stamp == stamp && l.generation == generations[to & Block::Link::kGlobal]) {
    return reinterpret_cast<Block*>(to & ~Block::Link::kGlobal);
  }
  return nullptr;
}

inline interp::Block* Interpreter::Impl::within_limit(Block* b) const {
  // A block decoded for another CS:IP that reaches this one's limit (or, on
  // the 8086, its 64 KiB wrap) cannot run here as one piece.
  const uint64_t limit = cpu.model->quirk(kQuirkSegWrap) ? 0xffff : cpu.s.seg[kCs].limit;
  if (!cpu.long_mode64() && cpu.s.rip + b->bytes - 1 > limit) return nullptr;
  return b;
}

inline uint64_t Interpreter::Impl::ip_mask() const {
  if (cpu.long_mode64()) return ~uint64_t{0};
  return cpu.s.seg[kCs].attr & kAttrDb ? 0xffffffff : 0xffff;
}

}  // namespace kestrel::cpu
