// SPDX-License-Identifier: MIT
// The MMU's slow paths: region dispatch, TLB fills, page-crossing accesses
// and code-page write detection.
#include "mmu/mmu.h"

#include <algorithm>
#include <new>

namespace kestrel::mmu {

// calloc leaves untouched guest RAM unbacked until the guest uses it.
Mmu::Mmu(uint64_t ram_bytes, unsigned addr_bits)
    : ram_(static_cast<uint8_t*>(std::calloc(ram_bytes ? ram_bytes : 1, 1))),
      ram_size_(ram_bytes),
      addr_mask_(addr_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << addr_bits) - 1),
      code_pages_((ram_bytes + kPageSize - 1) >> kPageBits, 0) {
  if (!ram_) throw std::bad_alloc();
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

Mmu::Region* Mmu::find_region(uint64_t pa) {
  // Later regions hide earlier ones; the list is short (ROMs and a few BARs).
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
    if (pa - it->base < it->size) return &*it;
  }
  return nullptr;
}

uint64_t Mmu::read_phys(uint64_t pa, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    uint8_t b = 0xff;
    if (Region* r = find_region(a)) {
      if (r->mmio) return r->mmio->mmio_read(pa - r->base, size);
      b = r->rom[a - r->base];
    } else if (a < ram_size_) {
      b = ram_.get()[a];
    }
    v |= uint64_t(b) << (8 * i);
  }
  return v;
}

void Mmu::note_code_write(uint64_t pa, unsigned size) {
  const uint64_t first = pa >> kPageBits, last = (pa + size - 1) >> kPageBits;
  for (uint64_t p = first; p <= last; ++p) {
    if (is_code_page(p)) {
      code_pages_[p] = 0;
      if (code_listener_) code_listener_->code_page_written(p);
    }
  }
}

void Mmu::write_phys(uint64_t pa, uint64_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    if (Region* r = find_region(a)) {
      if (r->mmio) {
        r->mmio->mmio_write(pa - r->base, value, size);
        return;
      }
      continue;  // ROM: writes are ignored
    }
    if (a < ram_size_) {
      note_code_write(a, 1);
      ram_.get()[a] = uint8_t(value >> (8 * i));
    }
  }
}

void Mmu::load_phys(uint64_t pa, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    if (Region* r = find_region(a)) {
      if (!r->mmio) r->rom[a - r->base] = bytes[i];
    } else if (a < ram_size_) {
      note_code_write(a, 1);
      ram_.get()[a] = bytes[i];
    }
  }
}

void Mmu::copy_from_phys(uint64_t pa, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(read_phys(pa + i, 1));
}

uint64_t Mmu::translate(uint64_t lin, Access) { return lin & bus_mask(); }

void Mmu::fill_tlb(uint64_t lin, uint64_t pa) {
  TlbEntry& e = entry(lin);
  e = {kInvalidTag, kInvalidTag, kInvalidTag, 0};
  const uint64_t page = pa & kPageMask;
  // Only whole RAM pages that no region overlaps get a fast path.
  if (page + kPageSize > ram_size_) return;
  for (const Region& r : regions_) {
    if (r.base < page + kPageSize && page < r.base + r.size) return;
  }
  const uint64_t tag = lin & kPageMask;
  e.addend = reinterpret_cast<uintptr_t>(ram_.get()) + page - tag;
  e.read_tag = tag;
  e.exec_tag = tag;
  if (!is_code_page(page >> kPageBits)) e.write_tag = tag;
}

uint64_t Mmu::slow_read(uint64_t lin, unsigned size, Access kind) {
  if (((lin & (kPageSize - 1)) + size) > kPageSize) {
    // Crosses a page: each byte translates on its own.
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= slow_read(lin + i, 1, kind) << (8 * i);
    return v;
  }
  const uint64_t pa = translate(lin, kind);
  fill_tlb(lin, pa);
  return read_phys(pa, size);
}

void Mmu::slow_write(uint64_t lin, uint64_t value, unsigned size) {
  if (((lin & (kPageSize - 1)) + size) > kPageSize) {
    for (unsigned i = 0; i < size; ++i) slow_write(lin + i, value >> (8 * i), 1);
    return;
  }
  const uint64_t pa = translate(lin, Access::kWrite);
  write_phys(pa, value, size);
  fill_tlb(lin, pa);
}

void Mmu::set_a20(bool enabled) {
  if (a20_ == enabled) return;
  a20_ = enabled;
  flush_tlb();
}

void Mmu::flush_tlb() {
  std::fill(std::begin(tlb_), std::end(tlb_), TlbEntry{kInvalidTag, kInvalidTag, kInvalidTag, 0});
}

void Mmu::mark_code_page(uint64_t phys_page) {
  if (phys_page >= code_pages_.size() || code_pages_[phys_page]) return;
  code_pages_[phys_page] = 1;
  // Drop the write fast path of every entry that maps this page.
  for (TlbEntry& e : tlb_) {
    if (e.write_tag != kInvalidTag &&
        ((e.write_tag + e.addend - reinterpret_cast<uintptr_t>(ram_.get())) >> kPageBits) == phys_page) {
      e.write_tag = kInvalidTag;
    }
  }
}

}  // namespace kestrel::mmu
