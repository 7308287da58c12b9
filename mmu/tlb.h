// SPDX-License-Identifier: MIT
// The software TLB's entries: the fast-path tags and host addend the
// inlined probes read, and the translation kept beside them for the slow
// path, flushes and code-page tracking. Fills and flushes are in tlb.cpp.
#pragma once

#include <cstdint>

namespace kestrel::mmu {

inline constexpr unsigned kPageBits = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageBits;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);

/// One fast-path TLB entry: a linear page tag per access kind (kInvalidTag
/// where that access must take the slow path) and the host addend of the
/// page. Kept at 32 bytes: this is what the inlined probes touch.
struct TlbEntry {
  uint64_t read_tag;
  uint64_t write_tag;
  uint64_t exec_tag;
  uintptr_t addend;  ///< host address = linear address + addend
};

inline constexpr uint64_t kInvalidTag = ~uint64_t{0};
inline constexpr unsigned kTlbBits = 10;
inline constexpr unsigned kTlbSize = 1u << kTlbBits;

/// Permission bits of a cached translation for the privilege of its array.
enum TlbPerm : uint8_t {
  kPermRead = 1u << 0,
  kPermWrite = 1u << 1,  ///< only once the page's dirty bit is set
  kPermExec = 1u << 2,
};

/// The translation behind a TlbEntry, also valid for pages (MMIO, ROM) that
/// have no fast path, so their slow path skips the walk.
struct TlbMeta {
  uint64_t tag = kInvalidTag;  ///< linear page
  uint64_t phys = 0;           ///< physical page
  uint8_t perms = 0;           ///< TlbPerm bits
  uint8_t page_shift = 12;     ///< size of the guest page it came from (INVLPG)
  bool global = false;         ///< survives a CR3 load
};

}  // namespace kestrel::mmu
