// SPDX-License-Identifier: MIT
// One x86 CPU: its architectural state, its model, and its doors to memory
// (mmu/) and ports (cpu/port_io.h). Segmented memory access (limit checks,
// the 8086's offset wrap) lives here; what instructions do lives in
// cpu/interp/.
#pragma once

#include <cstdint>

#include "cpu/model.h"
#include "cpu/port_io.h"
#include "cpu/state.h"
#include "mmu/mmu.h"

namespace kestrel::cpu {

/// Exception vectors.
enum Vector : uint8_t {
  kVecDe = 0, kVecDb = 1, kVecNmi = 2, kVecBp = 3, kVecOf = 4, kVecBr = 5,
  kVecUd = 6, kVecNm = 7, kVecDf = 8, kVecTs = 10, kVecNp = 11, kVecSs = 12,
  kVecGp = 13, kVecPf = 14, kVecMf = 16, kVecAc = 17, kVecMc = 18, kVecXm = 19,
};

/// A guest exception raised while executing an instruction. The interpreter
/// throws it; the engine's run loop catches it and delivers it to the guest.
/// It never crosses JIT frames (DESIGN.md, "Faults").
struct GuestFault {
  uint8_t vector;
  bool has_error = false;
  uint32_t error = 0;
};

[[noreturn]] inline void raise(uint8_t vector) { throw GuestFault{vector}; }
[[noreturn]] inline void raise(uint8_t vector, uint32_t error) {
  throw GuestFault{vector, true, error};
}

struct Cpu {
  Cpu(const CpuModel& m, mmu::Mmu& memory, PortIo& ports)
      : model(&m), mem(memory), io(ports) {}

  CpuState s;
  const CpuModel* model;
  mmu::Mmu& mem;
  PortIo& io;
  /// rIP of the instruction being executed; faults report it.
  uint64_t insn_rip = 0;

  /// Puts the CPU in its power-on state (SDM 3A §9.1.1).
  void reset();

  bool real_mode() const { return !(s.cr[0] & 1); }
  bool v86() const { return s.rflags & kVm; }
  bool long_mode64() const { return s.seg[kCs].attr & kAttrL && (s.efer & (1u << 10)); }

  /// Linear address of seg:offset for an access of `size` bytes, after the
  /// segment limit check (#GP(0), or #SS(0) for the stack segment).
  uint64_t linear(uint8_t seg, uint64_t offset, unsigned size) const {
    const SegmentCache& sc = s.seg[seg];
    // The 286 in real mode reports every segment overrun, the stack's too,
    // as interrupt 13 (80286 PRM, real-address-mode exceptions).
    if (offset + size - 1 > sc.limit) [[unlikely]]
      raise(seg == kSs && (model->has(isa::f386) || !real_mode()) ? kVecSs : kVecGp, 0);
    return sc.base + offset;
  }

  template <class T> T read(uint8_t seg, uint64_t offset) {
    if (wraps<T>(offset)) [[unlikely]] return T(read_wrapped(seg, offset, sizeof(T)));
    return mem.read<T>(linear(seg, offset, sizeof(T)));
  }
  template <class T> void write(uint8_t seg, uint64_t offset, T value) {
    if (wraps<T>(offset)) [[unlikely]] return write_wrapped(seg, offset, value, sizeof(T));
    mem.write<T>(linear(seg, offset, sizeof(T)), value);
  }

  /// Loads a segment register in real or virtual-8086 mode (base = selector << 4).
  void load_real_segment(uint8_t seg, uint16_t selector) {
    s.seg[seg].selector = selector;
    s.seg[seg].base = uint64_t(selector) << 4;
  }

 private:
  /// On the 8086 a multi-byte access at offset FFFF wraps inside the segment.
  template <class T> bool wraps(uint64_t offset) const {
    return sizeof(T) > 1 && offset + sizeof(T) - 1 > 0xffff &&
           model->quirk(kQuirkSegWrap);
  }
  uint64_t read_wrapped(uint8_t seg, uint64_t offset, unsigned size);
  void write_wrapped(uint8_t seg, uint64_t offset, uint64_t value, unsigned size);
};

}  // namespace kestrel::cpu
