// SPDX-License-Identifier: MIT
// The guest's memory: the physical address space (RAM, ROM, MMIO regions),
// linear-to-physical translation (paging) behind a software TLB with one
// array per privilege, and tracking of pages that hold decoded code.
// Segmentation is the CPU's business (cpu/).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mmu/paging.h"
#include "mmu/tlb.h"
#include "mmu/watch.h"

namespace kestrel::mmu {

/// A device's memory-mapped registers.
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  virtual uint64_t mmio_read(uint64_t offset, unsigned size) = 0;
  virtual void mmio_write(uint64_t offset, uint64_t value, unsigned size) = 0;
};

/// Told when a guest or DMA write lands on a page marked as holding code.
class CodeWriteListener {
 public:
  virtual ~CodeWriteListener() = default;
  virtual void code_page_written(uint64_t phys_page) = 0;
  /// Bytes [lo, hi) of the page were written. Returns whether code the
  /// listener caches is left on the page, which then stays marked (its
  /// writes keep taking the slow path). By default the whole page goes.
  virtual bool code_written(uint64_t phys_page, unsigned lo, unsigned hi) {
    (void)lo, (void)hi;
    code_page_written(phys_page);
    return false;
  }
};

class Mmu {
 public:
  /// `ram_bytes` of RAM on an `addr_bits` wide physical bus: up to
  /// `low_ram_limit` of it from physical 0, the rest from 4 GiB, leaving the
  /// hole below 4 GiB to the PCI and APIC regions (as on a PC; QEMU's 'pc'
  /// machine puts the hole at 0xE0000000 too).
  Mmu(uint64_t ram_bytes, unsigned addr_bits, uint64_t low_ram_limit = kPcLowRamLimit);
  static constexpr uint64_t kPcLowRamLimit = 0xe0000000;
  static constexpr uint64_t kHighRamBase = uint64_t{1} << 32;
  Mmu(const Mmu&) = delete;
  Mmu& operator=(const Mmu&) = delete;

  uint64_t ram_size() const { return ram_size_; }
  /// The RAM below the hole; the rest (ram_size() - low_ram()) is at 4 GiB.
  uint64_t low_ram() const { return low_ram_; }

  // ---- physical address space ----
  /// Maps a read-only image; it hides RAM beneath it. Writes are ignored.
  void add_rom(uint64_t base, std::span<const uint8_t> image);
  /// Maps device registers; they hide RAM beneath them.
  void add_mmio(uint64_t base, uint64_t size, MmioHandler& handler);
  /// Unmaps the registers `handler` has at `base` (a PCI BAR that moves or
  /// stops decoding, a relocated local APIC); false when there are none.
  bool remove_mmio(uint64_t base, MmioHandler& handler);
  /// Physical access as a bus master sees it (CPU slow path, DMA, debugger).
  /// Unassigned addresses read as all ones; writes to them are dropped.
  uint64_t read_phys(uint64_t pa, unsigned size);
  void write_phys(uint64_t pa, uint64_t value, unsigned size);
  /// Byte-block copies for loaders and DMA; ROM is writable here (loading).
  void load_phys(uint64_t pa, std::span<const uint8_t> bytes);
  void copy_from_phys(uint64_t pa, std::span<uint8_t> out);
  /// Whether a read of `pa` would reach device registers, which a debugger
  /// must not read (a read may change the device's state).
  bool is_mmio(uint64_t pa);
  /// A mapped ROM or MMIO region, as the monitor's `info mtree` lists it.
  struct RegionInfo {
    uint64_t base, size;
    bool rom;  ///< false: device registers
  };
  std::vector<RegionInfo> regions() const {
    std::vector<RegionInfo> out;
    for (const Region& r : regions_) out.push_back({r.base, r.size, r.mmio == nullptr});
    return out;
  }

  // ---- shadowed windows (a chipset's PAM registers, 0xC0000-0xFFFFF) ----
  /// Routes of a shadowed page, as bits: reads and writes each go either to
  /// RAM or to the bus (the ROM or MMIO mapped there; nothing reads as all
  /// ones). Pages never routed keep the default: regions hide RAM.
  enum ShadowRoute : uint8_t {
    kShadowBus = 0, kShadowReadRam = 1, kShadowWriteRam = 2, kShadowRam = 3,
    kNotShadowed = 0xff,
  };
  /// Routes the 4 KiB pages of [base, base + size). The TLB entries of the
  /// pages go (refills follow the new route), and code pages whose reads
  /// change source are reported to the code listener as written.
  void set_shadow(uint64_t base, uint64_t size, uint8_t route);
  /// The route of the page holding `pa`, or kNotShadowed.
  uint8_t shadow(uint64_t pa) const {
    const uint64_t page = pa >> kPageBits;
    return page < shadow_.size() ? shadow_[page] : uint8_t{kNotShadowed};
  }

  // ---- linear address space ----
  // Accesses without a Priv argument use the privilege the CPU last set
  // (set_privilege); supervisor-implicit accesses (GDT/LDT/IDT/TSS) pass
  // Priv::kSupervisor and are checked as supervisor even at CPL 3.
  template <class T> T read(uint64_t lin) { return read<T>(lin, priv_); }
  template <class T> void write(uint64_t lin, T value) { write<T>(lin, value, priv_); }
  template <class T> T fetch(uint64_t lin) { return fetch<T>(lin, priv_); }

  template <class T> T read(uint64_t lin, Priv p) {
    const TlbEntry& e = entry(p, lin);
    if (e.read_tag == (lin & kPageMask) && fits<T>(lin)) return load<T>(lin + e.addend);
    return T(slow_read(lin, sizeof(T), Access::kRead, p));
  }
  template <class T> void write(uint64_t lin, T value, Priv p) {
    const TlbEntry& e = entry(p, lin);
    if (e.write_tag == (lin & kPageMask) && fits<T>(lin)) {
      std::memcpy(reinterpret_cast<void*>(lin + e.addend), &value, sizeof(T));
      return;
    }
    slow_write(lin, uint64_t(value), sizeof(T), p);
  }
  template <class T> T fetch(uint64_t lin, Priv p) {
    const TlbEntry& e = entry(p, lin);
    if (e.exec_tag == (lin & kPageMask) && fits<T>(lin)) return load<T>(lin + e.addend);
    return T(slow_read(lin, sizeof(T), Access::kExec, p));
  }
  /// Linear to physical for an access of `kind` at the current privilege:
  /// walks the page tables when paging is on (setting A/D bits) and reports
  /// a page fault to the sink. Paging off: the 32-bit linear wrap, the A20
  /// gate and the bus width.
  uint64_t translate(uint64_t lin, Access kind) { return translate(lin, kind, priv_); }
  uint64_t translate(uint64_t lin, Access kind, Priv p);
  /// Linear to physical for a debugger: the walk a supervisor read would
  /// make, but without setting A/D bits, filling the TLB or reporting a
  /// fault; nothing when the page is not mapped.
  std::optional<uint64_t> debug_translate(uint64_t lin);

  // ---- paging state (told by the CPU) ----
  /// Loads the paging configuration. A change of any mode bit drops every
  /// TLB entry; `cr3_load` (a MOV to CR3, a task switch) drops the
  /// non-global ones. With PAE paging the four PDPTEs are loaded here
  /// (SDM 3A §4.4.1); returns false and changes nothing when one that is
  /// present has a reserved bit set: the CPU then raises #GP(0).
  bool set_paging(const PagingConfig& cfg, bool cr3_load);
  const PagingConfig& paging() const { return paging_; }
  /// INVLPG: drops the translations of the page holding `lin` in both
  /// privilege arrays, global or not, whatever the page size.
  void invlpg(uint64_t lin);
  /// An engine caches code at linear address `lin` under the current
  /// generation, or under the global one when `global` (the JIT's jump
  /// cache): INVLPG moves the generation only for addresses in a 2 MiB
  /// region noted so, or while a larger page with execute permission is
  /// cached (its regions are not tracked); the global one as well when the
  /// region was noted global.
  void note_code_region(uint64_t lin, bool global) {
    code_regions_[global][region_bit(lin) >> 6] |= uint64_t{1} << (region_bit(lin) & 63);
  }
  /// Whether the translation the TLB holds for `lin` at privilege `p` is
  /// global (it survives CR3 loads); false when it holds none.
  bool cached_global(uint64_t lin, Priv p) const {
    const TlbMeta& m = meta_[unsigned(p)][index(lin)];
    return m.tag == (lin & kPageMask) && m.global;
  }
  void set_privilege(Priv p) { priv_ = p; }
  Priv privilege() const { return priv_; }
  void set_fault_sink(FaultSink* sink) { fault_sink_ = sink; }

  void set_a20(bool enabled);
  bool a20() const { return a20_; }
  /// Drops every TLB entry, global ones included.
  void flush_tlb();
  /// Changes whenever a translation may have gone (a flush, INVLPG, a new
  /// paging mode or memory map): caches keyed by linear address (the
  /// engines' block lookup caches) drop their entries when it moves.
  uint64_t tlb_generation() const { return generations_[0]; }
  /// Changes whenever a global translation may have gone: as
  /// tlb_generation, except on CR3 loads, which keep global pages (SDM 3A
  /// §4.10.4.1). It takes the value tlb_generation moves to, so an entry
  /// filled under a global translation stays valid while it is unchanged.
  uint64_t global_generation() const { return generations_[1]; }
  /// Where the two generations live, in that order: the JIT's inline
  /// jump-cache probe reads them.
  const uint64_t* tlb_generation_address() const { return generations_; }
  /// The fast-path entries, [Priv][index(lin)] contiguous: the JIT's
  /// inlined probes read them (index = (lin >> kPageBits) & (kTlbSize - 1)).
  const TlbEntry* tlb_base() const { return &tlb_[0][0]; }
  /// The fast-path entries of privilege `p`, indexed by index(lin), for
  /// the interpreter's inline probes (Cpu::tlb_entry).
  const TlbEntry* tlb_half(Priv p) const { return tlb_[unsigned(p)]; }
  /// The entry of `lin` in either half.
  static unsigned index(uint64_t lin) { return (lin >> kPageBits) & (kTlbSize - 1); }

  /// What a stretch of execution changed in RAM and in the TLB, so it can
  /// be taken back (mmu/journal.cpp). Lockstep (jit/lockstep.cpp) runs a
  /// block twice from the same state; the TLB is part of it, since a stale
  /// entry is guest-visible (SDM 3A §4.10.4.1: global pages survive CR3
  /// loads, a changed PTE is not seen before INVLPG).
  struct Journal {
    struct Byte {
      uint64_t pa;
      uint8_t old;
    };
    struct Slot {
      unsigned priv, index;
      TlbEntry entry;
      TlbMeta meta;
    };
    struct TlbImage {
      TlbEntry tlb[kPrivCount][kTlbSize];
      TlbMeta meta[kPrivCount][kTlbSize];
    };
    std::vector<Byte> ram;          ///< RAM bytes written, in write order
    std::vector<Slot> slots;        ///< entries replaced by fills before `image`
    std::unique_ptr<TlbImage> image = std::make_unique<TlbImage>();
    bool imaged = false;            ///< `image` holds the TLB before its first bulk change
    void clear() {
      ram.clear();
      slots.clear();
      imaged = false;
    }
  };
  /// While a journal is set, every RAM write through the CPU's paths
  /// (write_phys: stores, A/D bits) records the bytes it replaces, no page
  /// has a write fast path (so the slow path sees every store), and TLB
  /// changes record what they replace. nullptr ends journaling.
  void set_journal(Journal* j);
  /// Puts back what `j` recorded since its last clear(): RAM in reverse
  /// write order (code pages hear of it), then the TLB.
  void undo(Journal& j);

  /// Counters for tests and profiling.
  struct Stats {
    uint64_t slow_accesses = 0;  ///< linear accesses that missed the fast path
    uint64_t walks = 0;          ///< page-table walks
    uint64_t mmio_accesses = 0;  ///< reads and writes that reached device registers
  };
  const Stats& stats() const { return stats_; }

  // ---- watched linear ranges (data breakpoints, debugger watchpoints) ----
  /// Watches `length` (>= 1) bytes of linear addresses from `lin` for the
  /// accesses `kind` names; `sink` is told of each hit with `tag`. Pages
  /// that hold a watch lose their fast path for those accesses, so nothing
  /// costs more while no watch is set. Linear addresses compare as the
  /// current linear width cuts them (32 bits outside long mode).
  WatchId add_watch(uint64_t lin, uint64_t length, WatchKind kind, WatchSink& sink,
                    uint64_t tag = 0);
  /// Removes one watch; false when there is none with that id.
  bool remove_watch(WatchId id);
  /// Removes every watch that reports to `sink`.
  void remove_watches(const WatchSink& sink);
  const std::vector<Watch>& watches() const { return watches_; }

  // ---- code-page tracking (decode caches and JIT) ----
  void set_code_listener(CodeWriteListener* l) { code_listener_ = l; }
  /// Stops telling `l` (only if it is still the listener: an engine made
  /// before the old one goes must keep hearing about code writes).
  void remove_code_listener(const CodeWriteListener* l) {
    if (code_listener_ == l) code_listener_ = nullptr;
  }
  /// Marks a physical page as holding decoded code: writes to it reach the
  /// listener, through whichever linear mapping they come.
  void mark_code_page(uint64_t phys_page);
  bool is_code_page(uint64_t phys_page) const {
    return phys_page < code_pages_.size() && code_pages_[phys_page];
  }

 private:
  struct Region {
    uint64_t base, size;
    std::vector<uint8_t> rom;  ///< ROM contents; empty for MMIO
    MmioHandler* mmio;
  };
  /// The outcome of a successful walk.
  struct Walk {
    uint64_t phys;        ///< physical 4 KiB frame of the linear page
    uint8_t perms;        ///< TlbPerm bits for the walking privilege
    uint8_t page_shift;
    bool global;
  };
  static constexpr uint64_t kNoPhys = ~uint64_t{0};
  /// Where physical address `pa` lies in the RAM block, or kNoPhys.
  uint64_t ram_offset(uint64_t pa) const {
    if (pa < low_ram_) return pa;
    if (pa >= kHighRamBase && pa - kHighRamBase < ram_size_ - low_ram_) {
      return low_ram_ + (pa - kHighRamBase);
    }
    return kNoPhys;
  }

  template <class T> static bool fits(uint64_t lin) {
    return (lin & (kPageSize - 1)) <= kPageSize - sizeof(T);
  }
  template <class T> static T load(uint64_t host) {
    T v;
    std::memcpy(&v, reinterpret_cast<const void*>(host), sizeof(T));
    return v;
  }
  TlbEntry& entry(Priv p, uint64_t lin) { return tlb_[unsigned(p)][index(lin)]; }
  uint64_t slow_read(uint64_t lin, unsigned size, Access kind, Priv p);
  void slow_write(uint64_t lin, uint64_t value, unsigned size, Priv p);
  void fill_tlb(Priv p, uint64_t lin, const TlbMeta& m);
  void flush_non_global();
  bool walk(uint64_t lin, Access kind, Priv p, Walk& out, uint32_t& error, bool set_ad = true);
  uint64_t walk_entry(uint64_t lin, unsigned level, uint64_t table, uint64_t& addr);
  uint64_t reserved_bits(unsigned level, uint64_t e) const;
  bool load_pdptes(const PagingConfig& cfg, uint64_t (&out)[4]);
  unsigned phys_bits() const;
  Region* find_region(uint64_t pa);
  /// The host address of [pa, pa + len), which must lie in one page, when
  /// all of it is RAM as a bus access sees it: routed to RAM by the page's
  /// shadow bits `route`, or with no ROM or device registers mapped over
  /// it. nullptr otherwise (the byte-wise paths handle those).
  uint8_t* ram_span(uint64_t pa, uint64_t len, uint8_t route);
  /// Drops the TLB entries whose physical page is in [first, last].
  void drop_phys_pages(uint64_t first, uint64_t last);
  void note_code_write(uint64_t pa, unsigned size);
  /// Journal: keeps the TLB before a change of many entries (flushes,
  /// INVLPG, code marks), once per journal clear.
  void journal_bulk() {
    if (journal_ && !journal_->imaged) [[unlikely]] journal_image();
  }
  void journal_image();
  void journal_ram(uint64_t pa, unsigned size);
  /// Whether a watch of a kind in `kinds` overlaps the linear page `tag`.
  bool page_watched(uint64_t tag, WatchKind kinds) const;
  void report_watches(uint64_t lin, unsigned size, WatchKind access);
  void refill_overlapping(uint64_t lin, uint64_t length);
  uint64_t bus_mask() const { return a20_ ? addr_mask_ : addr_mask_ & ~(uint64_t{1} << 20); }
  uint64_t lin_mask() const { return paging_.lma ? ~uint64_t{0} : 0xffffffffu; }

  /// Guest RAM: an anonymous mapping where the host has one (see mmu.cpp).
  struct FreeRam {
    uint64_t bytes = 0;
    void operator()(uint8_t* p) const;
  };
  static std::unique_ptr<uint8_t, FreeRam> allocate_ram(uint64_t bytes);
  std::unique_ptr<uint8_t, FreeRam> ram_;
  uint64_t ram_size_;
  uint64_t low_ram_;
  uint64_t addr_mask_;
  bool a20_ = true;
  Priv priv_ = Priv::kSupervisor;
  uint64_t generations_[2] = {};  ///< tlb_generation, global_generation
  /// 2 MiB regions holding code an engine cached (note_code_region) under
  /// the generation [0] or the global one [1], as hashed bit sets; each
  /// cleared when its generation moves.
  uint64_t code_regions_[2][64] = {};
  bool exec_large_ = false;  ///< a page over 2 MiB with execute permission was cached
  /// The guest pages larger than 4 KiB with slices in the TLB, as a
  /// hashed bit set of (linear address & lin_mask) >> page_shift per page
  /// size present (`large_shifts_`), local pages in [0] and global ones in
  /// [1] (which CR3 loads keep), a superset (entries may have gone since):
  /// INVLPG of an address in none of them can only hit the two entries at
  /// its own index. `large_all_` after a journal roll-back.
  uint64_t large_bits_[2][64] = {};
  uint64_t large_shifts_[2] = {};
  bool large_all_ = false;
  static unsigned large_bit(uint64_t base, unsigned shift) {
    return unsigned(((base ^ uint64_t{shift} << 56) * 0x9e3779b97f4a7c15ull) >> 52);
  }
  void note_large(uint64_t lin, uint8_t shift, bool global);
  bool in_large(uint64_t lin) const;
  /// Forgets the large pages noted, the global ones too unless `keep_global`.
  void forget_large(bool keep_global = false) {
    for (unsigned g = 0; g < (keep_global ? 1u : 2u); ++g) {
      std::fill(std::begin(large_bits_[g]), std::end(large_bits_[g]), 0);
      large_shifts_[g] = 0;
    }
    if (!keep_global) large_all_ = false;
  }
  /// The entries that may hold a local (non-global) translation, a
  /// superset, per privilege: all a CR3 load has to look at.
  uint64_t local_[kPrivCount][kTlbSize / 64] = {};
  static unsigned region_bit(uint64_t lin) { return unsigned((lin >> 21 ^ lin >> 33) & 4095); }
  /// Moves the generation, and the global one too unless `keep_global`.
  void new_generation(bool keep_global = false) {
    ++generations_[0];
    std::fill(std::begin(code_regions_[0]), std::end(code_regions_[0]), 0);
    if (keep_global) return;
    generations_[1] = generations_[0];
    std::fill(std::begin(code_regions_[1]), std::end(code_regions_[1]), 0);
  }
  bool in_code_region(uint64_t lin, bool global) const {
    return code_regions_[global][region_bit(lin) >> 6] >> (region_bit(lin) & 63) & 1;
  }
  PagingConfig paging_;
  uint64_t pdptes_[4] = {};
  FaultSink* fault_sink_ = nullptr;
  std::vector<Region> regions_;
  std::vector<uint8_t> code_pages_;
  std::vector<uint8_t> shadow_;  ///< ShadowRoute per page, from page 0
  CodeWriteListener* code_listener_ = nullptr;
  Journal* journal_ = nullptr;
  std::vector<Watch> watches_;
  WatchId next_watch_id_ = 1;
  Stats stats_;
  TlbEntry tlb_[kPrivCount][kTlbSize];
  TlbMeta meta_[kPrivCount][kTlbSize];
};

}  // namespace kestrel::mmu
