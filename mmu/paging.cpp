// SPDX-License-Identifier: MIT
// Linear-to-physical translation: the page-table walker (32-bit paging with
// PSE and PSE-36, PAE paging, 4- and 5-level paging with 2 MiB and 1 GiB
// pages, all one loop over the levels), permission checks, A/D updates, #PF
// error codes, and the paging configuration with its PDPTE registers. SDM 3A
// chapter 4. Canonical-address checks are the CPU's (Cpu::linear).
#include <algorithm>
#include <bit>

#include "mmu/mmu.h"

namespace kestrel::mmu {
namespace {

constexpr uint64_t kP = 1u << 0, kRw = 1u << 1, kUs = 1u << 2, kA = 1u << 5, kD = 1u << 6,
                   kPs = 1u << 7, kG = 1u << 8, kXd = uint64_t{1} << 63;
constexpr uint64_t kAddr52 = (uint64_t{1} << 52) - 1;
/// PAE PDPTE bits 2:1 and 8:5 are reserved (SDM 3A §4.4.1, table 4-8).
constexpr uint64_t kPdpteReserved = 0x1e6;

/// The lowest linear-address bit a level's index covers.
unsigned level_shift(bool wide, unsigned level) { return kPageBits + (wide ? 9 : 10) * (level - 1); }

/// The physical base of the page a leaf entry maps.
uint64_t leaf_frame(bool wide, unsigned level, uint64_t e, uint64_t frame) {
  // PSE-36: a 4 MiB PDE's bits 20:13 are physical address bits 39:32.
  if (!wide && level == 2) return (e & 0xffc00000u) | ((e >> 13) & 0xff) << 32;
  return e & frame & ~((uint64_t{1} << level_shift(wide, level)) - 1);
}

uint8_t perm_for(Access kind) {
  switch (kind) {
    case Access::kRead: return kPermRead;
    case Access::kWrite: return kPermWrite;
    default: return kPermExec;
  }
}

}  // namespace

unsigned Mmu::phys_bits() const { return unsigned(std::bit_width(addr_mask_)); }

/// The entry for `lin` at `level` of the table at `table`; `addr` gets its
/// physical address, or stays kNoPhys for a PAE PDPTE, which comes from the
/// registers loaded with CR3 (SDM 3A §4.4.1).
uint64_t Mmu::walk_entry(uint64_t lin, unsigned level, uint64_t table, uint64_t& addr) {
  const bool wide = paging_.pae || paging_.lma;
  if (paging_.pae && !paging_.lma && level == 3) return pdptes_[(lin >> 30) & 3];
  const uint64_t index = (lin >> level_shift(wide, level)) & (wide ? 511 : 1023);
  addr = (table + index * (wide ? 8 : 4)) & bus_mask();
  return read_phys(addr, wide ? 8 : 4);
}

/// Reserved bits of a present entry at `level` (1 = PTE). 32-bit paging
/// has them only in 4 MiB PDEs: bit 21 and, for PSE-36, the bits above
/// MAXPHYADDR among 20:13 (SDM 3A §4.3, table 4-4; M is capped at 40).
/// PAE and 4-level entries reserve bits 51:MAXPHYADDR, XD without
/// EFER.NXE, 20:13 of a 2 MiB PDE, 29:13 of a 1 GiB PDPTE and PS above
/// the PDPTE (tables 4-8 to 4-19).
uint64_t Mmu::reserved_bits(unsigned level, uint64_t e) const {
  if (!paging_.pae && !paging_.lma) {
    if (level != 2 || !(e & kPs) || !paging_.pse) return 0;
    const unsigned m = std::clamp(phys_bits(), 32u, 40u);
    return ((uint64_t{1} << 22) - 1) & ~((uint64_t{1} << (m - 19)) - 1);
  }
  uint64_t r = kAddr52 & ~addr_mask_;
  if (!paging_.nxe) r |= kXd;
  if (level == 2 && (e & kPs)) r |= 0x1fe000;
  if (level == 3 && (e & kPs)) r |= 0x3fffe000;
  if (level >= 4) r |= kPs;
  return r;
}

/// Walks the tables for `lin` (already cut to the linear width). On
/// success fills `out` and updates the accessed and dirty bits (unless
/// !set_ad: a debugger's walk); on a fault
/// sets `error` and writes nothing: Kestrel sets A/D bits only for an
/// access that completes its translation (SDM 3A §4.8 leaves open whether
/// a faulting access may set them).
bool Mmu::walk(uint64_t lin, Access kind, Priv p, Walk& out, uint32_t& error, bool set_ad) {
  const bool wide = paging_.pae || paging_.lma;
  const bool user = p == Priv::kUser;
  // 5-level paging adds the PML5 above the PML4 (SDM 3A §4.5.1).
  const unsigned levels = paging_.lma ? (paging_.la57 ? 5 : 4) : wide ? 3 : 2;
  // I/D is reported only where NX exists (SDM 3A §4.7); SMEP is not modelled.
  error = (kind == Access::kWrite ? kPfWrite : 0u) | (user ? kPfUser : 0u) |
          (kind == Access::kExec && wide && paging_.nxe ? kPfFetch : 0u);
  const uint64_t frame = wide ? kAddr52 & addr_mask_ & kPageMask : 0xfffff000u;
  uint64_t table = paging_.cr3 & frame;
  uint64_t addrs[5], ents[5];
  unsigned n = 0;
  bool rw = true, us = true, nx = false;
  unsigned level = levels;
  uint64_t e = 0;
  for (;; --level) {
    uint64_t addr = kNoPhys;
    e = walk_entry(lin, level, table, addr);
    if (!(e & kP)) return false;
    if (e & reserved_bits(level, e)) {
      error |= kPfPresent | kPfRsvd;
      return false;
    }
    if (addr != kNoPhys) {
      addrs[n] = addr;
      ents[n++] = e;
      rw = rw && (e & kRw);
      us = us && (e & kUs);
    }
    if (wide && paging_.nxe && (e & kXd)) nx = true;
    if (level == 1 || (level > 1 && (e & kPs) && (wide || paging_.pse))) break;
    table = e & frame;
  }
  // SDM 3A §4.6: user accesses need U/S and, to write, R/W at every level;
  // supervisor writes need R/W only with CR0.WP; fetches need no XD.
  error |= kPfPresent;
  if (user && !us) return false;
  if (kind == Access::kWrite && !rw && (user || paging_.wp)) return false;
  if (kind == Access::kExec && nx) return false;

  for (unsigned i = 0; set_ad && i < n; ++i) {
    const uint64_t set = kA | (i == n - 1 && kind == Access::kWrite ? kD : 0);
    if ((ents[i] & set) != set) write_phys(addrs[i], uint32_t(ents[i] | set), 4);
  }
  const unsigned shift = level_shift(wide, level);
  out.phys = leaf_frame(wide, level, e, frame) + (lin & ((uint64_t{1} << shift) - 1) & kPageMask);
  const bool dirty = (e & kD) || kind == Access::kWrite;
  out.perms = uint8_t((!user || us ? kPermRead : 0) | ((!user || us) && !nx ? kPermExec : 0) |
                      (dirty && (user ? us && rw : !paging_.wp || rw) ? kPermWrite : 0));
  out.page_shift = uint8_t(shift);
  out.global = paging_.pge && (e & kG);
  return true;
}

uint64_t Mmu::translate(uint64_t lin, Access kind, Priv p) {
  const TlbMeta& m = meta_[unsigned(p)][index(lin)];
  if (m.tag == (lin & kPageMask) && (m.perms & perm_for(kind))) {
    return m.phys | (lin & (kPageSize - 1));
  }
  TlbMeta nm;
  nm.tag = lin & kPageMask;
  if (!paging_.enabled) {
    nm.phys = lin & lin_mask() & bus_mask() & kPageMask;
    nm.perms = kPermRead | kPermWrite | kPermExec;
  } else {
    Walk w;
    uint32_t error;
    ++stats_.walks;
    if (!walk(lin & lin_mask(), kind, p, w, error)) {
      if (fault_sink_) fault_sink_->page_fault(lin & lin_mask(), error);
      return kNoPhys;
    }
    // A20M# masks the physical address the walk produced.
    nm.phys = w.phys & bus_mask();
    nm.perms = w.perms;
    nm.page_shift = w.page_shift;
    nm.global = w.global;
  }
  fill_tlb(p, lin, nm);
  return nm.phys | (lin & (kPageSize - 1));
}

std::optional<uint64_t> Mmu::debug_translate(uint64_t lin) {
  lin &= lin_mask();
  if (!paging_.enabled) return lin & bus_mask();
  Walk w;
  uint32_t error;
  if (!walk(lin, Access::kRead, Priv::kSupervisor, w, error, false)) return std::nullopt;
  return (w.phys & bus_mask()) | (lin & (kPageSize - 1));
}

bool Mmu::load_pdptes(const PagingConfig& cfg, uint64_t (&out)[4]) {
  const uint64_t base = cfg.cr3 & 0xffffffe0u;
  const uint64_t reserved = kPdpteReserved | kXd | (kAddr52 & ~addr_mask_);
  for (unsigned i = 0; i < 4; ++i) {
    out[i] = read_phys((base + 8 * i) & bus_mask(), 8);
    if ((out[i] & kP) && (out[i] & reserved)) return false;
  }
  return true;
}

// SDM 3A §4.10.4.1: a CR3 load drops the non-global entries; changes of
// CR0.PG, CR0.WP, CR4.PSE/PAE/PGE or EFER.NXE drop everything. Kestrel's
// entries hold access decisions rather than raw PTE bits, so WP and NXE
// changes must flush them too; flushing more than required is always
// allowed (§4.10.2: entries may be dropped at any time).
bool Mmu::set_paging(const PagingConfig& cfg, bool cr3_load) {
  const bool same = cfg.same_mode(paging_);
  uint64_t pd[4] = {pdptes_[0], pdptes_[1], pdptes_[2], pdptes_[3]};
  // TODO(kestrel): also reload on CR0.CD/NW changes in PAE mode. #3
  if (cfg.enabled && cfg.pae && !cfg.lma && (!same || cr3_load)) {
    if (!load_pdptes(cfg, pd)) return false;
  }
  paging_ = cfg;
  std::copy(std::begin(pd), std::end(pd), std::begin(pdptes_));
  if (!same) {
    flush_tlb();
  } else if (cr3_load) {
    flush_non_global();
  }
  return true;
}

}  // namespace kestrel::mmu
