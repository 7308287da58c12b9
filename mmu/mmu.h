// SPDX-License-Identifier: MIT
// The guest's memory: the physical address space (RAM, ROM, MMIO regions),
// linear-to-physical translation behind a software TLB, and tracking of pages
// that hold decoded code. Segmentation is the CPU's business (cpu/); paging
// arrives with the protected-mode work and lives in translate().
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace kestrel::mmu {

inline constexpr unsigned kPageBits = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageBits;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);

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
};

/// One TLB entry: a linear page tag per access kind (kInvalidTag where that
/// access must take the slow path) and the host addend of the page.
struct TlbEntry {
  uint64_t read_tag;
  uint64_t write_tag;
  uint64_t exec_tag;
  uintptr_t addend;  ///< host address = linear address + addend
};

inline constexpr uint64_t kInvalidTag = ~uint64_t{0};
inline constexpr unsigned kTlbBits = 8;
inline constexpr unsigned kTlbSize = 1u << kTlbBits;

enum class Access : uint8_t { kRead, kWrite, kExec };

class Mmu {
 public:
  /// `ram_bytes` of RAM at physical 0; `addr_bits` wide physical bus.
  Mmu(uint64_t ram_bytes, unsigned addr_bits);
  Mmu(const Mmu&) = delete;
  Mmu& operator=(const Mmu&) = delete;

  uint64_t ram_size() const { return ram_size_; }

  // ---- physical address space ----
  /// Maps a read-only image; it hides RAM beneath it. Writes are ignored.
  void add_rom(uint64_t base, std::span<const uint8_t> image);
  /// Maps device registers; they hide RAM beneath them.
  void add_mmio(uint64_t base, uint64_t size, MmioHandler& handler);
  /// Physical access as a bus master sees it (CPU slow path, DMA, debugger).
  /// Unassigned addresses read as all ones; writes to them are dropped.
  uint64_t read_phys(uint64_t pa, unsigned size);
  void write_phys(uint64_t pa, uint64_t value, unsigned size);
  /// Byte-block copies for loaders and DMA; ROM is writable here (loading).
  void load_phys(uint64_t pa, std::span<const uint8_t> bytes);
  void copy_from_phys(uint64_t pa, std::span<uint8_t> out);

  // ---- linear address space ----
  template <class T> T read(uint64_t lin) {
    const TlbEntry& e = entry(lin);
    if (e.read_tag == (lin & kPageMask) && fits<T>(lin)) return load<T>(lin + e.addend);
    return T(slow_read(lin, sizeof(T), Access::kRead));
  }
  template <class T> void write(uint64_t lin, T value) {
    const TlbEntry& e = entry(lin);
    if (e.write_tag == (lin & kPageMask) && fits<T>(lin)) {
      std::memcpy(reinterpret_cast<void*>(lin + e.addend), &value, sizeof(T));
      return;
    }
    slow_write(lin, uint64_t(value), sizeof(T));
  }
  template <class T> T fetch(uint64_t lin) {
    const TlbEntry& e = entry(lin);
    if (e.exec_tag == (lin & kPageMask) && fits<T>(lin)) return load<T>(lin + e.addend);
    return T(slow_read(lin, sizeof(T), Access::kExec));
  }
  /// Linear to physical for an access of `kind` (paging off: the A20 and bus masks).
  uint64_t translate(uint64_t lin, Access kind);

  void set_a20(bool enabled);
  bool a20() const { return a20_; }
  void flush_tlb();

  // ---- code-page tracking (decode caches and JIT) ----
  void set_code_listener(CodeWriteListener* l) { code_listener_ = l; }
  /// Marks a physical page as holding decoded code: writes to it reach the listener.
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

  template <class T> static bool fits(uint64_t lin) {
    return (lin & (kPageSize - 1)) <= kPageSize - sizeof(T);
  }
  template <class T> static T load(uint64_t host) {
    T v;
    std::memcpy(&v, reinterpret_cast<const void*>(host), sizeof(T));
    return v;
  }
  TlbEntry& entry(uint64_t lin) { return tlb_[(lin >> kPageBits) & (kTlbSize - 1)]; }
  uint64_t slow_read(uint64_t lin, unsigned size, Access kind);
  void slow_write(uint64_t lin, uint64_t value, unsigned size);
  void fill_tlb(uint64_t lin, uint64_t pa);
  Region* find_region(uint64_t pa);
  void note_code_write(uint64_t pa, unsigned size);
  uint64_t bus_mask() const { return a20_ ? addr_mask_ : addr_mask_ & ~(uint64_t{1} << 20); }

  struct FreeRam {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeRam> ram_;
  uint64_t ram_size_;
  uint64_t addr_mask_;
  bool a20_ = true;
  std::vector<Region> regions_;
  std::vector<uint8_t> code_pages_;
  CodeWriteListener* code_listener_ = nullptr;
  TlbEntry tlb_[kTlbSize];
};

}  // namespace kestrel::mmu
