// SPDX-License-Identifier: MIT
// The jump cache: a direct-mapped table from the linear PC (CS.base + rIP)
// to a translated block, in front of the dispatcher's hash map and the
// page walk. It holds no ownership; the engine removes a block's entry when
// it drops the block, and an entry filled under another TLB generation
// (Mmu::tlb_generation; Mmu::global_generation for code on global pages,
// which CR3 loads keep) never hits. Generated code probes the same table
// inline (jit/x64/emit.cpp, emit_chain_probe), so the entry layout and the
// index are part of the backend's contract.
#pragma once

#include <array>
#include <cstdint>

namespace kestrel::jit {

class JumpCache {
 public:
  /// What a hit must match besides the linear PC: everything a translation
  /// is keyed by except the physical address (which the TLB generation
  /// vouches for), plus the privilege the code page was checked for.
  struct Key {
    uint64_t rip = 0, cs_base = 0;
    uint32_t cs_limit = 0;
    uint32_t mode = 0;  ///< BlockKey::mode | privilege bit
  };

  /// One entry as the inline probe reads it: 32 bytes, so index << 5.
  struct Entry {
    uint64_t rip = 0;
    uint64_t segment = 0;        ///< cs_base | cs_limit << 32 (segment())
    uint64_t tag = kEmptyTag;    ///< generation << 16 | mode (tag())
    const uint8_t* code = nullptr;  ///< the block's chained entry (check_entry)
  };
  /// The TLB generations an entry may be filled under (Mmu::tlb_generation,
  /// Mmu::global_generation).
  struct Generations {
    uint64_t local = 0, global = 0;
    bool operator==(const Generations&) const = default;
  };
  static constexpr uint64_t kEmptyTag = ~uint64_t{0};  ///< no key has these mode bits
  static constexpr unsigned kEntries = 32768;

  static uint64_t segment(const Key& k) { return k.cs_base | uint64_t{k.cs_limit} << 32; }
  /// A tag's bit saying its generation is the global one: the block's code
  /// lies on global pages.
  static constexpr uint64_t kGlobalTag = 0x8000;
  static constexpr uint64_t kModeBits = 0x7fff;  ///< the mode's part of a tag
  static uint64_t tag(uint32_t mode, uint64_t gen) { return gen << 16 | mode; }
  static uint64_t global_tag(uint32_t mode, uint64_t gen) { return gen << 16 | kGlobalTag | mode; }
  /// Whether `k` fits the packed entry: a CS base is a descriptor's 32
  /// bits (0 in 64-bit mode), the mode 9 bits, a generation below 2^48
  /// (one per flush: never reached). Other keys are simply not cached.
  static bool fits(const Key& k, uint64_t gen) {
    return k.cs_base >> 32 == 0 && (k.mode & ~kModeBits) == 0 && gen >> 48 == 0;
  }
  /// The index of linear PC `lin` (the inline probe computes the same).
  static unsigned index(uint64_t lin) {
    return unsigned((lin ^ (lin >> 12) ^ (lin >> 24)) & (kEntries - 1));
  }

  /// The block filled for `k` under the current generation of its kind,
  /// or nullptr.
  void* find(const Key& k, Generations gen) const {
    void* const b = find_any_generation(k);
    if (!b || !fits(k, gen.local)) return nullptr;
    const uint64_t t = entries_[index(k.cs_base + k.rip)].tag;
    return t == tag(k.mode, gen.local) || t == global_tag(k.mode, gen.global) ? b : nullptr;
  }
  /// The block filled for `k` under any generation, or nullptr: after a
  /// flush the dispatcher may check that the linear PC still maps where
  /// the block came from and fill the entry again (a hash-map lookup saved).
  void* find_any_generation(const Key& k) const {
    if (!fits(k, 0)) return nullptr;
    const unsigned i = index(k.cs_base + k.rip);
    const Entry& e = entries_[i];
    const bool hit = blocks_[i] && e.rip == k.rip && e.segment == segment(k) &&
                     (e.tag & kModeBits) == k.mode;
    return hit ? blocks_[i] : nullptr;
  }
  /// Fills the entry of `k` under generation `gen`, the global one when
  /// `global`; `code` is where generated code enters `block` (the engine
  /// always gives it; tests of the table alone need not).
  void insert(const Key& k, uint64_t gen, void* block, const uint8_t* code = nullptr,
              bool global = false) {
    if (!fits(k, gen)) return;
    const unsigned i = index(k.cs_base + k.rip);
    entries_[i] = Entry{k.rip, segment(k), global ? global_tag(k.mode, gen) : tag(k.mode, gen), code};
    blocks_[i] = block;
  }
  /// Drops `block` if the entry for `k` (the block's own key) holds it.
  void remove(const Key& k, const void* block) {
    const unsigned i = index(k.cs_base + k.rip);
    if (blocks_[i] != block) return;
    entries_[i] = Entry{};
    blocks_[i] = nullptr;
  }
  void clear() {
    entries_.fill(Entry{});
    blocks_.fill(nullptr);
  }
  /// The table generated code probes (JitCtx::jump_table).
  const Entry* entries() const { return entries_.data(); }

 private:
  alignas(64) std::array<Entry, kEntries> entries_{};
  std::array<void*, kEntries> blocks_{};  ///< the CompiledBlock of each entry
};

static_assert(sizeof(JumpCache::Entry) == 32);

}  // namespace kestrel::jit
