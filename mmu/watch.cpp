// SPDX-License-Identifier: MIT
// Watched linear ranges: adding and removing them (with the TLB entries of
// their pages refilled so the fast path misses there) and reporting the
// accesses of the slow path that overlap them.
#include <algorithm>

#include "mmu/mmu.h"

namespace kestrel::mmu {

WatchId Mmu::add_watch(uint64_t lin, uint64_t length, WatchKind kind, WatchSink& sink,
                       uint64_t tag) {
  length = std::max<uint64_t>(length, 1);
  const WatchId id = next_watch_id_++;
  watches_.push_back({lin, length, kind, &sink, tag, id});
  refill_overlapping(lin, length);
  return id;
}

bool Mmu::remove_watch(WatchId id) {
  auto it = std::find_if(watches_.begin(), watches_.end(),
                         [&](const Watch& w) { return w.id == id; });
  if (it == watches_.end()) return false;
  const Watch w = *it;
  watches_.erase(it);
  refill_overlapping(w.start, w.length);
  return true;
}

void Mmu::remove_watches(const WatchSink& sink) {
  std::vector<Watch> gone;
  std::erase_if(watches_, [&](const Watch& w) {
    if (w.sink != &sink) return false;
    gone.push_back(w);
    return true;
  });
  for (const Watch& w : gone) refill_overlapping(w.start, w.length);
}

bool Mmu::page_watched(uint64_t tag, WatchKind kinds) const {
  const uint64_t page = tag & lin_mask();
  return std::any_of(watches_.begin(), watches_.end(), [&](const Watch& w) {
    return w.reports(kinds) && w.overlaps(page, kPageSize);
  });
}

// Refilling from the kept translation recomputes the fast-path tags with
// the current watches, in both privilege arrays.
void Mmu::refill_overlapping(uint64_t lin, uint64_t length) {
  const Watch range{lin, length, WatchKind::kAccess, nullptr, 0, 0};
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (unsigned i = 0; i < kTlbSize; ++i) {
      const TlbMeta m = meta_[p][i];
      if (m.tag == kInvalidTag || !range.overlaps(m.tag & lin_mask(), kPageSize)) continue;
      fill_tlb(Priv(p), m.tag, m);
    }
  }
}

void Mmu::report_watches(uint64_t lin, unsigned size, WatchKind access) {
  lin &= lin_mask();
  // By index: a sink must not change the watches, but a copy would cost an
  // allocation on every watched access.
  for (size_t i = 0; i < watches_.size(); ++i) {
    const Watch& w = watches_[i];
    if (!w.reports(access) || !w.overlaps(lin, size)) continue;
    w.sink->watch_hit({lin, size, access, w.id, w.tag});
  }
}

}  // namespace kestrel::mmu
