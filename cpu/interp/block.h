// SPDX-License-Identifier: MIT
// The interpreter's decoded block (interpreter.cpp): a header with the
// links to the blocks that ran after it, then the decoded instructions, in
// one hand-aligned allocation.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

#include "cpu/decode.h"

namespace kestrel::cpu::interp {

/// A decoded block: a header, then its instructions in the same allocation
/// (Block::make), so that entering a block reaches its first instruction
/// without another pointer to follow. The allocation is aligned so that
/// the links fill the first cache line, and the rest of the header and
/// the first instruction the second.
struct Block {
  /// A block that ran after this one: its linear address, and the stamp
  /// and TLB generation it was linked under (see Impl::linked). Only
  /// trusted while the engine's link epoch is the one in `stamp`: any
  /// dropped block moves the epoch on, so a link never reaches a freed
  /// block.
  struct Link {
    uint64_t lin = ~uint64_t{0};
    /// Mmu::tlb_generation, or Mmu::global_generation for code on a
    /// global page, when the link was made.
    uint64_t generation = 0;
    uint64_t stamp = 0;  ///< epoch << 16 | CPL << 8 | mode key (< 256)
    /// The block, kGlobal set for code on a global page (blocks are
    /// aligned to kAlign).
    uintptr_t to = 0;
    static constexpr uintptr_t kGlobal = 1;
  };
  /// The allocation is aligned by hand: glibc's aligned allocation
  /// (memalign) splits chunks and cost about 0.6% of a JIT boot's time in
  /// the cold blocks it builds. The malloc'd pointer sits just below the
  /// block.
  struct Free {
    void operator()(Block* b) const { std::free(reinterpret_cast<void**>(b)[-1]); }
  };
  using Owner = std::unique_ptr<Block, Free>;
  static constexpr size_t kAlign = 64;

  Link links[2];  ///< fall-through and branch target, in practice
  uint32_t count = 0;       ///< instructions
  /// The sum of its instructions' lengths: the length of its code where
  /// that is contiguous (outside 64-bit code, where within_limit uses it).
  uint32_t bytes = 0;
  bool valid = true;
  /// Its last instruction may change the decoding mode or CS (a_stop,
  /// a_serial): the block after it is looked up under the mode as it is
  /// then, not the one this block ran in.
  bool ends_mode = false;
  /// The slot of the instruction a whole run ends after: the last, or the
  /// first of a fused pair that ends the block.
  uint8_t last = 0;
  /// Slots (DecodedInsn::slot, one bit each) of the branches the block
  /// goes on past instead of ending with them: a Jcc, LOOP or JCXZ not
  /// taken falls through to the next slot, a JMP in `jumps` always goes on
  /// to it (its target, decoded next). A fused pair's slot is its first
  /// instruction's. The block is left at the first one that goes
  /// elsewhere.
  uint64_t exits = 0;
  uint64_t jumps = 0;
  /// Slots of instructions that run as one with the Jcc after them
  /// (exec::fuse): the block runs whole, or through the generic handlers.
  uint64_t fused = 0;

  /// A block holding a copy of `insns`, with a side link for each of the
  /// `exits` (one bit per slot).
  static Owner make(const std::vector<DecodedInsn>& insns, uint64_t exits) {
    const size_t sides = size_t(std::popcount(exits));
    void* raw = std::malloc(sizeof(void*) + kAlign - 1 + sizeof(Block) + insns.size() * sizeof(DecodedInsn) +
                            sides * sizeof(Link));
    if (!raw) throw std::bad_alloc();
    const uintptr_t at = (reinterpret_cast<uintptr_t>(raw) + sizeof(void*) + kAlign - 1) & ~(kAlign - 1);
    reinterpret_cast<void**>(at)[-1] = raw;
    Owner b{new (reinterpret_cast<void*>(at)) Block};
    b->count = uint32_t(insns.size());
    b->exits = exits;
    std::uninitialized_copy(insns.begin(), insns.end(), b->insns().begin());
    std::uninitialized_fill_n(b->side_links(), sides, Link{});
    return b;
  }
  std::span<DecodedInsn> insns() { return {reinterpret_cast<DecodedInsn*>(this + 1), count}; }
  std::span<const DecodedInsn> insns() const {
    return {reinterpret_cast<const DecodedInsn*>(this + 1), count};
  }
  /// The links of the exits, in slot order: the block run after the
  /// branch there went elsewhere than on in this one. Each has one target,
  /// so one link.
  Link* side_links() { return reinterpret_cast<Link*>(insns().data() + count); }
};
static_assert(std::is_trivially_destructible_v<Block> && std::is_trivially_copyable_v<DecodedInsn>,
              "Block::Free releases the memory without running destructors");
static_assert(offsetof(Block, count) == 64 && sizeof(Block) % alignof(DecodedInsn) == 0);

}  // namespace kestrel::cpu::interp
