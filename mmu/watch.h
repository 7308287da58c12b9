// SPDX-License-Identifier: MIT
// Watched linear ranges: what a watch is, and the interface told when an
// access touches one. The CPU's data breakpoints (DR0-DR3) and a debugger's
// watchpoints both use them; the TLB keeps watched pages off the fast path
// (tlb.cpp) and the slow path reports the overlaps (watch.cpp).
#pragma once

#include <cstdint>

namespace kestrel::mmu {

/// The accesses a watch reports. Instruction fetches are never reported:
/// execution breakpoints are matched by the engines, not by the MMU.
enum class WatchKind : uint8_t {
  kRead = 1,
  kWrite = 2,
  kAccess = 3,  ///< reads and writes
};

using WatchId = uint32_t;

/// One access that overlapped a watch.
struct WatchHit {
  uint64_t linear;  ///< first byte of the access (not of the overlap)
  unsigned size;    ///< bytes of the access
  WatchKind access; ///< kRead or kWrite: what the access did
  WatchId id;       ///< the watch, as add_watch returned it
  uint64_t tag;     ///< the value its owner gave to add_watch
};

/// Told of each hit, after the access has completed (a write has landed).
/// A read-modify-write instruction reports a read and then a write. The
/// call must not throw and must not add or remove watches.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void watch_hit(const WatchHit& hit) = 0;
};

/// A watched range [start, start + length) of linear addresses.
struct Watch {
  uint64_t start;
  uint64_t length;
  WatchKind kind;
  WatchSink* sink;
  uint64_t tag;
  WatchId id;

  bool overlaps(uint64_t lin, uint64_t size) const {
    return lin - start < length || start - lin < size;
  }
  bool reports(WatchKind access) const { return uint8_t(kind) & uint8_t(access); }
};

}  // namespace kestrel::mmu
