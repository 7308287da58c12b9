// SPDX-License-Identifier: MIT
// The jump cache: a direct-mapped table from the linear PC (CS.base + rIP)
// to a translated block, in front of the dispatcher's hash map and the
// page walk. It holds no ownership; the engine removes a block's entry when
// it drops the block, and an entry filled under another TLB generation
// (Mmu::tlb_generation) never hits.
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

  /// The block filled for `k` under generation `gen`, or nullptr.
  void* find(const Key& k, uint64_t gen) const {
    const Entry& e = table_[index(k)];
    const bool hit = e.block && e.gen == gen && e.key.rip == k.rip && e.key.cs_base == k.cs_base &&
                     e.key.cs_limit == k.cs_limit && e.key.mode == k.mode;
    return hit ? e.block : nullptr;
  }
  void insert(const Key& k, uint64_t gen, void* block) { table_[index(k)] = Entry{k, gen, block}; }
  /// Drops `block` if the entry for `k` (the block's own key) holds it.
  void remove(const Key& k, const void* block) {
    Entry& e = table_[index(k)];
    if (e.block == block) e = Entry{};
  }
  void clear() { table_.fill(Entry{}); }

  static constexpr unsigned kEntries = 4096;

 private:
  struct Entry {
    Key key;
    uint64_t gen = 0;
    void* block = nullptr;
  };
  static unsigned index(const Key& k) {
    const uint64_t lin = k.cs_base + k.rip;
    return unsigned((lin ^ (lin >> 12) ^ (lin >> 24)) & (kEntries - 1));
  }
  std::array<Entry, kEntries> table_{};
};

}  // namespace kestrel::jit
