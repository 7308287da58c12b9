// SPDX-License-Identifier: MIT
// The software TLB: fills (which accesses get a fast path), the flushes the
// architecture asks for (everything, non-global entries, one page) and the
// withdrawal of write fast paths from pages that hold decoded code.
#include <algorithm>
#include <bit>

#include "mmu/mmu.h"

namespace kestrel::mmu {

// Only whole RAM pages that no region overlaps get a fast path; a write
// fast path also needs the page not to hold decoded code and, with paging,
// its dirty bit set (kPermWrite is granted only then), so the first write
// to a clean page walks and sets D. A page that holds a watch loses the
// fast path of the accesses the watch reports, so the slow path sees them;
// every fill comes here, so refills keep that true.
void Mmu::fill_tlb(Priv p, uint64_t lin, const TlbMeta& m) {
  TlbEntry& e = entry(p, lin);
  if (journal_ && !journal_->imaged) [[unlikely]] {
    journal_->slots.push_back({unsigned(p), index(lin), e, meta_[unsigned(p)][index(lin)]});
  }
  meta_[unsigned(p)][index(lin)] = m;
  if (!m.global) local_[unsigned(p)][index(lin) >> 6] |= uint64_t{1} << (index(lin) & 63);
  if (m.page_shift > 21 && (m.perms & kPermExec)) exec_large_ = true;
  if (m.page_shift > kPageBits) note_large(lin, m.page_shift, m.global);
  e = {kInvalidTag, kInvalidTag, kInvalidTag, 0};
  const uint64_t page = m.phys;
  const uint64_t offset = ram_offset(page);
  if (offset == kNoPhys || offset + kPageSize > ram_size_) return;
  // A shadowed page has a fast path for the accesses routed to RAM, whatever
  // is mapped over it; those routed to the bus keep it only where the bus
  // has nothing mapped (the RAM beneath shows through).
  bool overlapped = false;
  for (const Region& r : regions_) {
    if (r.base < page + kPageSize && page < r.base + r.size) overlapped = true;
  }
  uint8_t route = shadow(page);
  if (route == kNotShadowed || !overlapped) route = overlapped ? kShadowBus : kShadowRam;
  if (route == kShadowBus) return;
  const uint64_t tag = lin & kPageMask;
  e.addend = reinterpret_cast<uintptr_t>(ram_.get()) + offset - tag;
  if (route & kShadowReadRam) {
    if (m.perms & kPermRead) e.read_tag = tag;
    if (m.perms & kPermExec) e.exec_tag = tag;
  }
  const bool writable = (m.perms & kPermWrite) && (route & kShadowWriteRam);
  if (writable && !is_code_page(page >> kPageBits) && !journal_) e.write_tag = tag;
  if (!watches_.empty()) [[unlikely]] {
    if (page_watched(tag, WatchKind::kRead)) e.read_tag = kInvalidTag;
    if (page_watched(tag, WatchKind::kWrite)) e.write_tag = kInvalidTag;
  }
}

void Mmu::drop_phys_pages(uint64_t first, uint64_t last) {
  journal_bulk();
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (unsigned i = 0; i < kTlbSize; ++i) {
      const TlbMeta& m = meta_[p][i];
      if (m.tag == kInvalidTag || m.phys >> kPageBits < first || m.phys >> kPageBits > last) {
        continue;
      }
      tlb_[p][i] = {kInvalidTag, kInvalidTag, kInvalidTag, 0};
      meta_[p][i] = TlbMeta{};
    }
  }
}

void Mmu::note_large(uint64_t lin, uint8_t shift, bool global) {
  const unsigned bit = large_bit((lin & lin_mask()) >> shift, shift);
  large_bits_[global][bit >> 6] |= uint64_t{1} << (bit & 63);
  large_shifts_[global] |= uint64_t{1} << shift;
}

bool Mmu::in_large(uint64_t lin) const {
  if (large_all_) return true;
  for (unsigned g = 0; g < 2; ++g) {
    for (uint64_t shifts = large_shifts_[g]; shifts; shifts &= shifts - 1) {
      const unsigned shift = unsigned(std::countr_zero(shifts));
      const unsigned bit = large_bit((lin & lin_mask()) >> shift, shift);
      if (large_bits_[g][bit >> 6] >> (bit & 63) & 1) return true;
    }
  }
  return false;
}

void Mmu::flush_tlb() {
  journal_bulk();
  new_generation();
  exec_large_ = false;
  forget_large();
  for (unsigned p = 0; p < kPrivCount; ++p) {
    std::fill(std::begin(tlb_[p]), std::end(tlb_[p]),
              TlbEntry{kInvalidTag, kInvalidTag, kInvalidTag, 0});
    std::fill(std::begin(meta_[p]), std::end(meta_[p]), TlbMeta{});
    std::fill(std::begin(local_[p]), std::end(local_[p]), 0);
  }
}

// Only the entries that may hold a local translation (local_) are looked
// at; the global large pages noted stay noted. After a journal roll-back
// (large_all_) every entry is, and the surviving large pages noted afresh.
void Mmu::flush_non_global() {
  journal_bulk();
  new_generation(/*keep_global=*/true);
  const bool renote = large_all_;
  forget_large(/*keep_global=*/!renote);
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (unsigned w = 0; w < kTlbSize / 64; ++w) {
      for (uint64_t bits = renote ? ~uint64_t{0} : local_[p][w]; bits; bits &= bits - 1) {
        const unsigned i = w * 64 + unsigned(std::countr_zero(bits));
        const TlbMeta& m = meta_[p][i];
        if (m.global) {
          if (renote && m.page_shift > kPageBits) note_large(m.tag, m.page_shift, true);
          continue;
        }
        tlb_[p][i] = {kInvalidTag, kInvalidTag, kInvalidTag, 0};
        meta_[p][i] = TlbMeta{};
      }
      local_[p][w] = 0;
    }
  }
}

// The TLB holds 4 KiB slices of large pages, so INVLPG of an address in a
// large page looks at every entry for slices of the same guest page (SDM
// 3A §4.10.4.1: all entries for the page, whatever its size); an address in
// none of the large pages cached (note_large) can only have the entry at its
// own index in each array. Paging-structure caches are not modelled, so
// there is nothing else to drop.
void Mmu::invlpg(uint64_t lin) {
  journal_bulk();
  // Only the page holding `lin` changes; a page of 2 MiB or less lies in
  // one 2 MiB region, so cached code elsewhere keeps its translation.
  if (exec_large_ || in_code_region(lin, true)) {
    new_generation();
  } else if (in_code_region(lin, false)) {
    new_generation(/*keep_global=*/true);
  }
  const bool large = in_large(lin);
  const unsigned first = large ? 0 : index(lin), end = large ? kTlbSize : first + 1;
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (unsigned i = first; i < end; ++i) {
      const TlbMeta& m = meta_[p][i];
      if (m.tag == kInvalidTag || ((m.tag ^ lin) & lin_mask()) >> m.page_shift) continue;
      tlb_[p][i] = {kInvalidTag, kInvalidTag, kInvalidTag, 0};
      meta_[p][i] = TlbMeta{};
    }
  }
}

void Mmu::mark_code_page(uint64_t phys_page) {
  if (phys_page >= code_pages_.size() || code_pages_[phys_page]) return;
  code_pages_[phys_page] = 1;
  journal_bulk();
  // Drop the write fast path of every entry that maps this page, under any
  // linear address and in both privilege arrays: code tracking is physical.
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (unsigned i = 0; i < kTlbSize; ++i) {
      if (meta_[p][i].tag != kInvalidTag && meta_[p][i].phys >> kPageBits == phys_page) {
        tlb_[p][i].write_tag = kInvalidTag;
      }
    }
  }
}

}  // namespace kestrel::mmu
