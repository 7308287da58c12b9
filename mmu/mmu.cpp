// SPDX-License-Identifier: MIT
// The physical address space (region dispatch, code-page write detection)
// and the linear slow paths, page-crossing accesses included. Translation
// is in paging.cpp, TLB fills and flushes in tlb.cpp.
#include "mmu/mmu.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace kestrel::mmu {

// Guest RAM is an anonymous mapping, so untouched RAM stays unbacked until
// the guest uses it. On Linux it asks for transparent huge pages: a guest
// touches its RAM in large runs, and 2 MiB pages take a host page fault per
// 2 MiB instead of per 4 KiB and fewer host TLB misses behind the softmmu.
// Elsewhere calloc does the same job with small pages.
std::unique_ptr<uint8_t, Mmu::FreeRam> Mmu::allocate_ram(uint64_t bytes) {
  bytes = std::max<uint64_t>(bytes, 1);
#if __has_include(<sys/mman.h>)
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only: small pages work as well
#endif
  return {static_cast<uint8_t*>(p), FreeRam{bytes}};
#else
  void* p = std::calloc(bytes, 1);
  if (!p) throw std::bad_alloc();
  return {static_cast<uint8_t*>(p), FreeRam{bytes}};
#endif
}

void Mmu::FreeRam::operator()(uint8_t* p) const {
#if __has_include(<sys/mman.h>)
  munmap(p, bytes);
#else
  std::free(p);
#endif
}

// Code pages are indexed by physical page, so with RAM above 4 GiB the map
// reaches past the hole.
Mmu::Mmu(uint64_t ram_bytes, unsigned addr_bits, uint64_t low_ram_limit)
    : ram_(allocate_ram(ram_bytes)),
      ram_size_(ram_bytes),
      low_ram_(std::min(ram_bytes, low_ram_limit)),
      addr_mask_(addr_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << addr_bits) - 1),
      code_pages_(((ram_bytes > low_ram_ ? kHighRamBase + ram_bytes - low_ram_ : ram_bytes) +
                   kPageSize - 1) >> kPageBits, 0) {
  flush_tlb();
}

void Mmu::add_rom(uint64_t base, std::span<const uint8_t> image) {
  regions_.push_back({base, image.size(), {image.begin(), image.end()}, nullptr});
  flush_tlb();
}

void Mmu::add_mmio(uint64_t base, uint64_t size, MmioHandler& handler) {
  regions_.push_back({base, size, {}, &handler});
  flush_tlb();
}

bool Mmu::remove_mmio(uint64_t base, MmioHandler& handler) {
  const auto it = std::find_if(regions_.begin(), regions_.end(), [&](const Region& r) {
    return r.mmio == &handler && r.base == base;
  });
  if (it == regions_.end()) return false;
  regions_.erase(it);
  flush_tlb();
  return true;
}

void Mmu::set_shadow(uint64_t base, uint64_t size, uint8_t route) {
  if (size == 0) return;
  const uint64_t first = base >> kPageBits, last = (base + size - 1) >> kPageBits;
  if (shadow_.size() <= last) shadow_.resize(last + 1, kNotShadowed);
  for (uint64_t p = first; p <= last; ++p) {
    const uint8_t old = shadow_[p];
    shadow_[p] = route;
    // Fetches from the page now see other bytes: decoded code there is stale.
    const bool reads_moved = old == kNotShadowed || ((old ^ route) & kShadowReadRam);
    if (reads_moved && is_code_page(p)) {
      code_pages_[p] = 0;
      if (code_listener_) code_listener_->code_page_written(p);
    }
  }
  drop_phys_pages(first, last);
}

Mmu::Region* Mmu::find_region(uint64_t pa) {
  // Later regions hide earlier ones; the list is short (ROMs and a few BARs).
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
    if (pa - it->base < it->size) return &*it;
  }
  return nullptr;
}

// A shadowed page routed to RAM ignores the regions mapped over it. One
// routed to the bus reaches the ROM or MMIO there, and where nothing is
// mapped, the RAM beneath, as QEMU's pc keeps its option-ROM area memory.
uint8_t* Mmu::ram_span(uint64_t pa, uint64_t len, uint8_t route) {
  const uint8_t r = shadow(pa);
  if (r == kNotShadowed || !(r & route)) {
    for (const Region& region : regions_) {
      if (pa < region.base + region.size && region.base < pa + len) return nullptr;
    }
  }
  const uint64_t o = ram_offset(pa);
  if (o == kNoPhys || ram_offset(pa + len - 1) != o + len - 1) return nullptr;
  return ram_.get() + o;
}

// Accesses within one page of plain RAM are copied whole; the rest go
// byte by byte through the routing below. Hosts are little-endian.
uint64_t Mmu::read_phys(uint64_t pa, unsigned size) {
  if (const uint64_t a = pa & addr_mask_; (a & (kPageSize - 1)) + size <= kPageSize) {
    if (const uint8_t* host = ram_span(a, size, kShadowReadRam)) {
      uint64_t v = 0;
      std::memcpy(&v, host, size);
      return v;
    }
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    const uint8_t route = shadow(a);
    const bool to_ram = route != kNotShadowed && (route & kShadowReadRam);
    uint8_t b = 0xff;
    if (Region* r = to_ram ? nullptr : find_region(a)) {
      if (r->mmio) {
        ++stats_.mmio_accesses;
        return r->mmio->mmio_read(pa - r->base, size);
      }
      b = r->rom[a - r->base];
    } else if (const uint64_t o = ram_offset(a); o != kNoPhys) {
      b = ram_.get()[o];
    }
    v |= uint64_t(b) << (8 * i);
  }
  return v;
}

void Mmu::note_code_write(uint64_t pa, unsigned size) {
  const uint64_t first = pa >> kPageBits, last = (pa + size - 1) >> kPageBits;
  for (uint64_t p = first; p <= last; ++p) {
    if (!is_code_page(p)) continue;
    const uint64_t base = p << kPageBits;
    const unsigned lo = unsigned(std::max(pa, base) - base);
    const unsigned hi = unsigned(std::min(pa + size, base + kPageSize) - base);
    code_pages_[p] = 0;
    // The listener may keep the page: its code elsewhere on it was not hit.
    if (code_listener_ && code_listener_->code_written(p, lo, hi)) code_pages_[p] = 1;
  }
}

void Mmu::write_phys(uint64_t pa, uint64_t value, unsigned size) {
  if (const uint64_t a = pa & addr_mask_; (a & (kPageSize - 1)) + size <= kPageSize) {
    if (uint8_t* host = ram_span(a, size, kShadowWriteRam)) {
      if (journal_) [[unlikely]] journal_ram(a, size);
      note_code_write(a, size);
      std::memcpy(host, &value, size);
      return;
    }
  }
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    const uint8_t route = shadow(a);
    const bool to_ram = route != kNotShadowed && (route & kShadowWriteRam);
    if (Region* r = to_ram ? nullptr : find_region(a)) {
      if (r->mmio) {
        ++stats_.mmio_accesses;
        r->mmio->mmio_write(pa - r->base, value, size);
        return;
      }
      continue;  // ROM: writes are ignored
    }
    if (const uint64_t o = ram_offset(a); o != kNoPhys) {
      if (journal_) [[unlikely]] journal_ram(a, 1);
      note_code_write(a, 1);
      ram_.get()[o] = uint8_t(value >> (8 * i));
    }
  }
}

// Both copies go a page at a time: whole when the page is plain RAM
// (load_phys ignores shadow routes: loaders write the ROM images too).
void Mmu::load_phys(uint64_t pa, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const uint64_t a = (pa + i) & addr_mask_;
    const size_t n = std::min<uint64_t>(bytes.size() - i, kPageSize - (a & (kPageSize - 1)));
    if (uint8_t* host = ram_span(a, n, 0)) {
      note_code_write(a, unsigned(n));
      std::memcpy(host, bytes.data() + i, n);
      i += n;
      continue;
    }
    for (const size_t end = i + n; i < end; ++i) {
      const uint64_t b = (pa + i) & addr_mask_;
      if (Region* r = find_region(b)) {
        if (!r->mmio) r->rom[b - r->base] = bytes[i];
      } else if (const uint64_t o = ram_offset(b); o != kNoPhys) {
        note_code_write(b, 1);
        ram_.get()[o] = bytes[i];
      }
    }
  }
}

bool Mmu::is_mmio(uint64_t pa) {
  const uint64_t a = pa & addr_mask_;
  const uint8_t route = shadow(a);
  if (route != kNotShadowed && (route & kShadowReadRam)) return false;
  const Region* r = find_region(a);
  return r && r->mmio;
}

void Mmu::copy_from_phys(uint64_t pa, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size();) {
    const uint64_t a = (pa + i) & addr_mask_;
    const size_t n = std::min<uint64_t>(out.size() - i, kPageSize - (a & (kPageSize - 1)));
    if (const uint8_t* host = ram_span(a, n, kShadowReadRam)) {
      std::memcpy(out.data() + i, host, n);
      i += n;
      continue;
    }
    for (const size_t end = i + n; i < end; ++i) out[i] = uint8_t(read_phys(pa + i, 1));
  }
}

// A page-crossing access translates both pages before touching either, so
// a fault on the second page leaves memory unchanged (the A and D bits of
// the first page may already be set; SDM 3A §4.8 allows it).
// Watches see only accesses that completed: a faulting one reports nothing.
uint64_t Mmu::slow_read(uint64_t lin, unsigned size, Access kind, Priv p) {
  ++stats_.slow_accesses;
  const unsigned first = unsigned(std::min<uint64_t>(size, kPageSize - (lin & (kPageSize - 1))));
  const uint64_t pa = translate(lin, kind, p);
  const uint64_t pa2 = first == size ? pa : translate(lin + first, kind, p);
  if (pa == kNoPhys || pa2 == kNoPhys) return ~uint64_t{0};
  uint64_t v = read_phys(pa, first);
  if (first != size) v |= read_phys(pa2, size - first) << (8 * first);
  if (!watches_.empty() && kind == Access::kRead) [[unlikely]] {
    report_watches(lin, size, WatchKind::kRead);
  }
  return v;
}

void Mmu::slow_write(uint64_t lin, uint64_t value, unsigned size, Priv p) {
  ++stats_.slow_accesses;
  const unsigned first = unsigned(std::min<uint64_t>(size, kPageSize - (lin & (kPageSize - 1))));
  const uint64_t pa = translate(lin, Access::kWrite, p);
  const uint64_t pa2 = first == size ? pa : translate(lin + first, Access::kWrite, p);
  if (pa == kNoPhys || pa2 == kNoPhys) return;
  write_phys(pa, value, first);
  if (first != size) write_phys(pa2, value >> (8 * first), size - first);
  if (!watches_.empty()) [[unlikely]] report_watches(lin, size, WatchKind::kWrite);
  // The write may have turned a code page back into plain RAM: give it its
  // fast path again.
  const TlbMeta& m = meta_[unsigned(p)][index(lin)];
  if (m.tag == (lin & kPageMask)) fill_tlb(p, lin, m);
}

void Mmu::set_a20(bool enabled) {
  if (a20_ == enabled) return;
  a20_ = enabled;
  flush_tlb();
}

}  // namespace kestrel::mmu
