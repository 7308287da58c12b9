// SPDX-License-Identifier: MIT
// The interpreter's decoded block (interpreter.cpp): a header with the
// links to the blocks that ran after it, then the decoded instructions, in
// one hand-aligned allocation that begins with the links of its exits.
#pragma once

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
/// without another pointer to follow; the side links lie below the header.
/// The allocation is aligned so that the links fill the header's first
/// cache line, and the rest of the header and the start of the first
/// instruction the second.
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
  /// side links.
  struct Free {
    void operator()(Block* b) const { std::free(reinterpret_cast<void**>(b->side_links())[-1]); }
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
  /// Its side links (side_link): one for each exit (kStopExit).
  uint8_t sides = 0;

  /// A block holding a copy of `insns`, with `sides` side links.
  static Owner make(const std::vector<DecodedInsn>& insns, unsigned sides) {
    const size_t below = sides * sizeof(Link);
    void* raw = std::malloc(sizeof(void*) + kAlign - 1 + below + sizeof(Block) +
                            insns.size() * sizeof(DecodedInsn));
    if (!raw) throw std::bad_alloc();
    const uintptr_t at =
        (reinterpret_cast<uintptr_t>(raw) + sizeof(void*) + below + kAlign - 1) & ~(kAlign - 1);
    reinterpret_cast<void**>(at - below)[-1] = raw;
    Owner b{new (reinterpret_cast<void*>(at)) Block};
    b->count = uint32_t(insns.size());
    b->sides = uint8_t(sides);
    std::uninitialized_copy(insns.begin(), insns.end(), b->insns().begin());
    std::uninitialized_fill_n(b->side_links(), sides, Link{});
    return b;
  }
  std::span<DecodedInsn> insns() { return {reinterpret_cast<DecodedInsn*>(this + 1), count}; }
  std::span<const DecodedInsn> insns() const {
    return {reinterpret_cast<const DecodedInsn*>(this + 1), count};
  }
  /// The link of exit `k` (DecodedInsn::side): the block run after the
  /// branch there went elsewhere than on in this one. Each has one target,
  /// so one link. They lie below the header, the first exit's nearest, so
  /// that finding one takes only its index.
  Link* side_link(unsigned k) { return links_below(k + 1); }
  /// The lowest side link (the last exit's), where the allocation starts.
  Link* side_links() { return links_below(sides); }

 private:
  /// The Link `n` links below the header.
  Link* links_below(size_t n) { return reinterpret_cast<Link*>(reinterpret_cast<char*>(this) - n * sizeof(Link)); }
};
static_assert(std::is_trivially_destructible_v<Block> && std::is_trivially_copyable_v<DecodedInsn>,
              "Block::Free releases the memory without running destructors");
static_assert(offsetof(Block, count) == 64 && sizeof(Block) % alignof(DecodedInsn) == 0);

/// What a run through a block does after an instruction
/// (DecodedInsn::stop, a set of these; 0 for most, which it runs on past).
enum Stop : uint8_t {
  /// The first of a pair that runs as one with the Jcc after it
  /// (exec::fuse): its DecodedInsn::next is past the Jcc, and a run goes
  /// on after both, or through their generic handlers one by one.
  kStopFused = 1,
  /// The block's end: the last instruction, or a fused pair's first that
  /// ends it.
  kStopEnd = 2,
  /// A branch the block goes on past where it falls through (a Jcc, LOOP
  /// or JCXZ): taken, it leaves through its side link (DecodedInsn::side).
  /// A JMP the block goes on past needs no stop: the next instruction's
  /// rIP follows its target.
  kStopExit = 4,
};

}  // namespace kestrel::cpu::interp
