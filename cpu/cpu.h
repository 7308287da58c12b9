// SPDX-License-Identifier: MIT
// One x86 CPU: its architectural state, its model, and its doors to memory
// (mmu/) and ports (cpu/port_io.h). Segmented memory access (limit checks,
// the 8086's offset wrap) lives here; what instructions do lives in
// cpu/interp/.
#pragma once

#include <cstdint>

#include "cpu/apic_hook.h"
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

struct HostBreakpoints;

/// Virtual time as the board keeps it, in nanoseconds since power-on.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual uint64_t now_ns() const = 0;
};

/// Cpu::fast_note: what a specialised handler leaves its caller to do.
enum FastNote : uint8_t {
  /// No fast path for its memory operand: it changed nothing, and the
  /// caller runs the form's generic handler instead.
  kFastMiss = 1,
  /// A branch that moved rIP (a Jcc taken, JMP, CALL, RET): s.rip holds
  /// the target. Nothing else a specialised handler does writes rIP.
  kFastJump = 2,
};

/// The CPU is the MMU's fault sink: a page fault sets CR2 and raises #PF;
/// and the sink of the watches its data breakpoints program (cpu/debug.h).
struct Cpu : mmu::FaultSink, mmu::WatchSink {
  Cpu(const CpuModel& m, mmu::Mmu& memory, PortIo& ports)
      : model(&m), mem(memory), io(ports), tlb_(memory.tlb_half(mmu::Priv::kSupervisor)) {
    mem.set_fault_sink(this);
  }
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;
  ~Cpu() override {
    mem.set_fault_sink(nullptr);
    mem.remove_watches(*this);
  }

  CpuState s;
  const CpuModel* model;
  mmu::Mmu& mem;
  PortIo& io;
  /// The local APIC, when the machine has one: CR8, IA32_APIC_BASE and
  /// IA32_TSC_DEADLINE reach it here, and CPUID reports it.
  ApicHook* apic = nullptr;
  /// rIP of the instruction being executed; faults report it.
  uint64_t insn_rip = 0;
  /// What a specialised handler (cpu/interp/fast.h) leaves its caller to
  /// do, FastNote; the caller clears it.
  uint8_t fast_note = 0;
  /// For the specialised handlers: rIP after the instruction is
  /// rip_base + DecodedInsn::next (they run in 64-bit code, where rIP is
  /// not truncated). The interpreter's block loop sets it at a block's
  /// entry and so need not keep s.rip up to date between instructions
  /// that do not read it; execute() sets it for each one.
  uint64_t rip_base = 0;
  /// The board's virtual clock, which the time-stamp counter follows
  /// (cpu/msr.h read_tsc); without one the TSC counts instructions.
  const TimeSource* time = nullptr;
  /// A host debugger's execution breakpoints (cpu/debug.h), owned by it.
  HostBreakpoints* host_breakpoints = nullptr;

  /// Puts the CPU in its power-on state (SDM 3A §9.1.1).
  void reset();

  /// Privilege of an explicit access at the current CPL (the MMU's TLB
  /// array). Implicit system accesses use mmu::Priv::kSupervisor.
  mmu::Priv priv() const { return s.cpl == 3 ? mmu::Priv::kUser : mmu::Priv::kSupervisor; }
  /// Changes the CPL; every instruction and event that does goes through here.
  void set_cpl(unsigned cpl) {
    s.cpl = uint8_t(cpl);
    sync_tlb();
  }
  /// Points the inline TLB probes (tlb_entry) at the current CPL's half.
  /// set_cpl does it; the engines do it on entry, since a debugger, a test
  /// or a state restore may have written `s` directly.
  void sync_tlb() { tlb_ = mem.tlb_half(priv()); }
  /// The fast-path TLB entry for `lin` at the current CPL, without working
  /// out which half.
  const mmu::TlbEntry& tlb_entry(uint64_t lin) const { return tlb_[mmu::Mmu::index(lin)]; }
  /// Whether tlb_entry follows the CPL (the engines' debug checks).
  bool tlb_synced() const { return tlb_ == mem.tlb_half(priv()); }
  /// Commits new CR0/CR3/CR4/EFER values and tells the MMU their paging bits.
  /// `cr3_load` for a CR3 load (MOV, task switch): non-global TLB entries go.
  /// Returns false and commits nothing when the PAE PDPTEs are invalid: the
  /// caller raises #GP(0) (SDM 3A §4.4.1).
  bool load_paging(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, bool cr3_load);
  /// mmu::FaultSink: CR2 = the linear address, then #PF(error).
  void page_fault(uint64_t linear, uint32_t error_code) override;
  /// mmu::WatchSink: a data breakpoint's range was accessed (cpu/debug.cpp).
  void watch_hit(const mmu::WatchHit& hit) override;

  bool real_mode() const { return !(s.cr[0] & 1); }
  bool v86() const { return s.rflags & kVm; }
  /// IA-32e mode (EFER.LMA): 64-bit or compatibility mode.
  bool long_mode() const { return s.efer & (1u << 10); }
  /// 64-bit mode: IA-32e mode with a CS whose L bit is set.
  bool long_mode64() const { return s.seg[kCs].attr & kAttrL && long_mode(); }
  /// Whether `v` is canonical for the linear-address width: 48 bits, or 57
  /// with CR4.LA57 (SDM 3A §3.3.7.1). A 48-bit canonical address is
  /// canonical at either width, so that test comes first, with a constant
  /// shift.
  bool canonical(uint64_t v) const {
    if (uint64_t(int64_t(v << 16) >> 16) == v) [[likely]] return true;
    return (s.cr[4] & (1u << 12)) && uint64_t(int64_t(v << 7) >> 7) == v;
  }

  /// Linear address of seg:offset for an access of `size` bytes that needs
  /// `rights` (SegRights), after the segment's limit, expand-down and type
  /// checks, all precomputed in the cache at load time: #GP(0), or #SS(0)
  /// for the stack segment (SDM 3A §5.3, §5.4). Outside 64-bit mode linear
  /// addresses are 32 bits wide.
  uint64_t linear(uint8_t seg, uint64_t offset, unsigned size,
                  uint8_t rights = kSegReadable) const {
    if (long_mode64()) return linear64(seg, offset, size);
    const SegmentCache& sc = s.seg[seg];
    if (offset < sc.lo || offset + size - 1 > sc.limit || !(sc.rights & rights)) [[unlikely]]
      segment_fault(seg);
    return uint32_t(sc.base + offset);
  }
  /// 64-bit mode: no limit or type checks; only FS and GS have a base; the
  /// first and last byte must be canonical, else #SS(0) for the stack
  /// segment and #GP(0) for the others (SDM 3A §3.4.4, §5.3.1).
  uint64_t linear64(uint8_t seg, uint64_t offset, unsigned size) const {
    const uint64_t lin = (seg == kFs || seg == kGs ? s.seg[seg].base : 0) + offset;
    if (!canonical(lin) || !canonical(lin + size - 1)) [[unlikely]]
      raise(seg == kSs ? kVecSs : kVecGp, 0);
    return lin;
  }

  // 64-bit mode is tested first: no model that wraps at FFFF has it, and
  // it is where most instructions run.
  template <class T> T read(uint8_t seg, uint64_t offset) {
    uint64_t lin;
    if (long_mode64()) {
      lin = linear64(seg, offset, sizeof(T));
    } else {
      if (wraps<T>(offset)) [[unlikely]] return T(read_wrapped(seg, offset, sizeof(T)));
      lin = linear(seg, offset, sizeof(T));
    }
    if (lin & (sizeof(T) - 1)) [[unlikely]] check_alignment();
    return mem.read<T>(lin, priv());
  }
  template <class T> void write(uint8_t seg, uint64_t offset, T value) {
    uint64_t lin;
    if (long_mode64()) {
      lin = linear64(seg, offset, sizeof(T));
    } else {
      if (wraps<T>(offset)) [[unlikely]] return write_wrapped(seg, offset, value, sizeof(T));
      lin = linear(seg, offset, sizeof(T), kSegWritable);
    }
    if (lin & (sizeof(T) - 1)) [[unlikely]] check_alignment();
    mem.write<T>(lin, value, priv());
  }

  /// Loads a segment register in real or virtual-8086 mode (base = selector
  /// << 4). The limit stays as the cache holds it (unreal mode, SDM 3A
  /// §20.1.1); the segment becomes usable for reads and writes.
  void load_real_segment(uint8_t seg, uint16_t selector) {
    s.seg[seg].selector = selector;
    s.seg[seg].base = uint64_t(selector) << 4;
    s.seg[seg].rights = kSegReadable | kSegWritable;
  }

  /// Raises the fault of a failed segment check on `seg`.
  [[noreturn]] void segment_fault(uint8_t seg) const {
    // The 286 in real mode reports every segment overrun, the stack's too,
    // as interrupt 13 (80286 PRM, real-address-mode exceptions).
    raise(seg == kSs && (model->has(isa::f386) || !real_mode()) ? kVecSs : kVecGp, 0);
  }

 private:
  /// #AC(0) for a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC set
  /// (SDM 3A §6.15, interrupt 17).
  void check_alignment() const {
    if (s.cpl == 3 && (s.cr[0] & (1u << 18)) && (s.rflags & kAc)) raise(kVecAc, 0);
  }
  /// On the 8086 a multi-byte access at offset FFFF wraps inside the segment.
  template <class T> bool wraps(uint64_t offset) const {
    return sizeof(T) > 1 && offset + sizeof(T) - 1 > 0xffff &&
           model->quirk(kQuirkSegWrap);
  }
  uint64_t read_wrapped(uint8_t seg, uint64_t offset, unsigned size);
  void write_wrapped(uint8_t seg, uint64_t offset, uint64_t value, unsigned size);

  const mmu::TlbEntry* tlb_;  ///< the current CPL's TLB half (sync_tlb)
};

}  // namespace kestrel::cpu
