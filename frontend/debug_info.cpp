// SPDX-License-Identifier: MIT
// info mtree, info pci and info tlb
// (frontend/debug_info.h). Everything here reads; page-table entries are
// read with read_phys and never written.
#include "frontend/debug_info.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "devices/pci.h"
#include "machine/board_pci.h"

namespace kestrel::frontend {
namespace {

std::string format(const char* fmt, auto... args) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

constexpr uint64_t kPresent = 1, kWritable = 2, kUser = 4, kAccessed = 0x20, kDirty = 0x40;
constexpr uint64_t kLarge = 0x80, kGlobal = 0x100, kNx = uint64_t{1} << 63;
constexpr uint64_t kAddr64 = 0x000ffffffffff000;

/// The shape of the paging mode in use (SDM 3A §4.3-4.5).
struct Shape {
  unsigned levels;      ///< table levels below CR3 (PAE: PDPT counted)
  unsigned top_shift;   ///< linear bit where the top level's index starts
  unsigned index_bits;  ///< of every level but PAE's PDPT (2 bits)
  unsigned entry_size;  ///< 4 or 8 bytes
  bool pae;
};

Shape shape_of(const mmu::PagingConfig& p) {
  if (p.lma) return p.la57 ? Shape{5, 48, 9, 8, false} : Shape{4, 39, 9, 8, false};
  if (p.pae) return Shape{3, 30, 9, 8, true};
  return Shape{2, 22, 10, 4, false};
}

uint64_t table_base(const mmu::PagingConfig& p, const Shape& s) {
  return s.pae ? (p.cr3 & 0xffffffe0) : (p.cr3 & kAddr64);
}

/// A leaf's physical base for a page of 1 << shift bytes.
uint64_t leaf_base(uint64_t e, unsigned shift, const Shape& s) {
  if (s.entry_size == 4 && shift == 22) {
    return (e & 0xffc00000) | (((e >> 13) & 0xff) << 32);  // PSE-36 (SDM 3A §4.3)
  }
  const uint64_t mask = s.entry_size == 4 ? 0xfffff000 : kAddr64;
  return e & mask & ~((uint64_t{1} << shift) - 1);
}

bool may_be_large(const mmu::PagingConfig& p, const Shape& s, unsigned level, unsigned shift) {
  if (level == 0 || shift == 12) return false;  // CR3's table, or a page table
  if (s.entry_size == 4) return p.pse && shift == 22;
  return shift == 21 || (shift == 30 && !s.pae);
}

uint64_t read_entry(mmu::Mmu& mmu, uint64_t table, unsigned index, const Shape& s) {
  return mmu.read_phys(table + uint64_t(index) * s.entry_size, s.entry_size);
}

unsigned level_shift(const Shape& s, unsigned level) {
  return s.top_shift - level * (s.pae ? 9 : s.index_bits);
}

unsigned level_entries(const Shape& s, unsigned level) {
  return (s.pae && level == 0) ? 4 : 1u << s.index_bits;
}

/// Visits every present leaf below `table`; false from `visit` stops.
using LeafVisitor = std::function<bool(uint64_t lin, uint64_t phys, unsigned shift, uint64_t flags)>;

bool walk_all(mmu::Mmu& mmu, const mmu::PagingConfig& p, const Shape& s, uint64_t table,
              unsigned level, uint64_t lin, uint64_t flags, const LeafVisitor& visit) {
  const unsigned shift = level_shift(s, level);
  for (unsigned i = 0; i < level_entries(s, level); ++i) {
    const uint64_t e = read_entry(mmu, table, i, s);
    if (!(e & kPresent)) continue;
    uint64_t here = lin | (uint64_t(i) << shift);
    if (s.levels >= 4 && (here >> (s.top_shift + 8)) & 1) {
      here |= ~uint64_t{0} << (s.top_shift + 9);  // canonical form
    }
    // PAE PDPTEs carry no R/W or U/S bits; they do not restrict.
    const uint64_t rights = (s.pae && level == 0) ? (kWritable | kUser) : e;
    const uint64_t f = (flags & rights & (kWritable | kUser)) | (e & (kNx | kAccessed)) |
                       (flags & kNx);
    if (shift == 12 || (may_be_large(p, s, level, shift) && (e & kLarge))) {
      if (!visit(here, leaf_base(e, shift, s), shift, f | (e & (kDirty | kGlobal)))) return false;
      continue;
    }
    const uint64_t next = e & (s.entry_size == 4 ? 0xfffff000 : kAddr64);
    if (!walk_all(mmu, p, s, next, level + 1, here, f, visit)) return false;
  }
  return true;
}

std::string flag_text(uint64_t f, unsigned shift) {
  std::string t;
  t += (f & kNx) ? 'X' : '-';
  t += (f & kGlobal) ? 'G' : '-';
  t += shift > 12 ? 'P' : '-';
  t += (f & kDirty) ? 'D' : '-';
  t += (f & kAccessed) ? 'A' : '-';
  t += (f & kUser) ? 'U' : '-';
  t += (f & kWritable) ? 'W' : '-';
  return t;
}

}  // namespace

std::string info_tlb(machine::Machine& m) {
  mmu::Mmu& mmu = m.memory();
  const mmu::PagingConfig& p = mmu.paging();
  if (!p.enabled) return "paging is off: linear addresses are physical\n";
  constexpr unsigned kMaxLines = 4096;
  const Shape s = shape_of(p);
  std::string out;
  unsigned lines = 0;
  uint64_t more = 0;
  walk_all(mmu, p, s, table_base(p, s), 0, 0, kWritable | kUser,
           [&](uint64_t lin, uint64_t phys, unsigned shift, uint64_t f) {
             if (lines == kMaxLines) {
               ++more;
               return true;
             }
             ++lines;
             out += format("%016" PRIx64 ": %016" PRIx64 " %-4s %s\n", lin, phys,
                           shift == 12 ? "4K" : shift == 21 ? "2M" : shift == 22 ? "4M" : "1G",
                           flag_text(f, shift).c_str());
             return true;
           });
  if (more) out += format("... and %" PRIu64 " more mappings\n", more);
  if (out.empty()) out = "no page is mapped\n";
  return out;
}

std::string info_mtree(machine::Machine& m) {
  mmu::Mmu& mmu = m.memory();
  struct Row {
    uint64_t base, size;
    const char* kind;
  };
  std::vector<Row> rows;
  if (mmu.low_ram()) rows.push_back({0, mmu.low_ram(), "ram"});
  if (mmu.ram_size() > mmu.low_ram()) {
    rows.push_back({mmu::Mmu::kHighRamBase, mmu.ram_size() - mmu.low_ram(), "ram"});
  }
  for (const mmu::Mmu::RegionInfo& r : mmu.regions()) {
    rows.push_back({r.base, r.size, r.rom ? "rom" : "i/o"});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.base < b.base; });
  std::string out = "address-space: memory\n";
  for (const Row& r : rows) {
    // Regions hide the RAM beneath them: they have the higher priority.
    out += format("  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s\n", r.base,
                  r.base + r.size - 1, r.kind[0] == 'r' && r.kind[1] == 'a' ? 0 : 1, r.kind,
                  r.kind[1] == 'a' ? "ram" : r.kind[1] == 'o' ? "rom" : "mmio");
  }
  return out;
}

namespace {

const char* class_name(uint32_t class_code) {
  switch (class_code >> 8) {
    case 0x0100: return "SCSI controller";
    case 0x0101: return "IDE controller";
    case 0x0106: return "SATA controller";
    case 0x0200: return "Ethernet controller";
    case 0x0300: return "VGA controller";
    case 0x0380: return "Display controller";
    case 0x0600: return "Host bridge";
    case 0x0601: return "ISA bridge";
    case 0x0680: return "Bridge";
    case 0x0c03: return "USB controller";
    case 0x00ff: return "Unclassified device";
    default: return "Device";
  }
}

std::string bar_text(const devices::PciFunction& fn, unsigned n) {
  const uint64_t size = fn.bar_size(n);
  const uint32_t raw = fn.config_read(devices::kPciBar0 + 4 * n, 4);
  const uint64_t mapped = fn.bar_mapped(n);
  const std::string where =
      mapped == devices::PciFunction::kUnmapped
          ? format(" (0x%" PRIx64 " bytes, not decoding)", size)
          : format(" at 0x%" PRIx64 " [0x%" PRIx64 "]", mapped, mapped + size - 1);
  if (fn.bar_is_io(n)) return format("      BAR%u: I/O%s.\n", n, where.c_str());
  const bool is64 = (raw & 6) == 4;
  return format("      BAR%u: %s bit %smemory%s.\n", n, is64 ? "64" : "32",
                (raw & 8) ? "prefetchable " : "", where.c_str());
}

}  // namespace

std::string info_pci(machine::Machine& m) {
  const devices::PciBus& bus = m.board().pci_apic().bus();
  std::string out;
  for (unsigned devfn = 0; devfn < 256; ++devfn) {
    const devices::PciFunction* fn = bus.function(devfn);
    if (!fn) continue;
    const uint32_t id = fn->config_read(0, 4);
    const uint32_t cls = fn->config_read(0x08, 4) >> 8;
    out += format("  Bus  0, device %3u, function %u:\n", devfn >> 3, devfn & 7);
    out += format("    %s: PCI device %04x:%04x\n", class_name(cls), id & 0xffff, id >> 16);
    const unsigned pin = fn->config_read(0x3d, 1);
    if (pin) {
      out += format("      IRQ %u, pin %c.\n", fn->config_read(0x3c, 1), char('A' + pin - 1));
    }
    for (unsigned n = 0; n < devices::kPciBarCount; ++n) {
      if (fn->bar_size(n)) out += bar_text(*fn, n);
    }
  }
  if (out.empty()) out = "no PCI bus\n";
  return out;
}

}  // namespace kestrel::frontend
