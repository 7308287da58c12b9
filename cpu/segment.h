// SPDX-License-Identifier: MIT
// Protected-mode segmentation shared by every instruction that touches a
// descriptor: fetching GDT/LDT entries, decoding them, the checks of SDM 3A
// chapter 5 for data, stack and code segment loads, filling the segment
// caches (with their precomputed limits and rights), and the TSS stack
// pointers of inter-privilege transfers.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

/// System descriptor types (S = 0), SDM 3A §3.5, table 3-2.
enum SysType : uint8_t {
  kSysTss16 = 1, kSysLdt = 2, kSysTss16Busy = 3, kSysCallGate16 = 4, kSysTaskGate = 5,
  kSysIntGate16 = 6, kSysTrapGate16 = 7, kSysTss32 = 9, kSysTss32Busy = 11,
  kSysCallGate32 = 12, kSysIntGate32 = 14, kSysTrapGate32 = 15,
};

/// One 8-byte descriptor as it lies in a table.
struct Descriptor {
  uint32_t lo = 0;
  uint32_t hi = 0;

  unsigned type() const { return (hi >> 8) & 0xf; }
  bool system() const { return !(hi & (1u << 12)); }
  unsigned dpl() const { return (hi >> 13) & 3; }
  bool present() const { return hi & (1u << 15); }
  bool code() const { return !system() && (hi & (1u << 11)); }
  bool data() const { return !system() && !(hi & (1u << 11)); }
  bool conforming() const { return code() && (hi & (1u << 10)); }
  bool readable() const { return data() || (code() && (hi & (1u << 9))); }
  bool writable() const { return data() && (hi & (1u << 9)); }
  bool expand_down() const { return data() && (hi & (1u << 10)); }
  bool big() const { return hi & (1u << 22); }
  /// Attribute bits 40..55 as SegmentCache::attr holds them.
  uint16_t attr() const { return uint16_t((hi >> 8) & 0xf0ff); }
  uint32_t base() const { return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000); }
  /// The limit in bytes (G scales it by 4 KiB).
  uint32_t limit() const {
    const uint32_t raw = (lo & 0xffff) | (hi & 0x000f0000);
    return hi & (1u << 23) ? raw << 12 | 0xfff : raw;
  }
  // Gates (SDM 3A §5.8.3, §6.11).
  uint16_t gate_selector() const { return uint16_t(lo >> 16); }
  uint32_t gate_offset(bool gate32) const {
    return gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  }
  unsigned gate_params() const { return hi & 0x1f; }
};

/// The selector with RPL and TI cleared: the error code of most faults.
inline uint32_t sel_error(uint16_t selector) { return selector & 0xfffc; }

// ---- implicit (supervisor) accesses to system tables ----
// Descriptor tables and the TSS are read and written as supervisor data
// whatever the CPL (SDM 3A §4.6.1).
template <class T> T sys_read(Cpu& cpu, uint64_t lin) {
  return cpu.mem.read<T>(lin, mmu::Priv::kSupervisor);
}
template <class T> void sys_write(Cpu& cpu, uint64_t lin, T v) {
  cpu.mem.write<T>(lin, v, mmu::Priv::kSupervisor);
}

/// Reads the descriptor `selector` names into `d`; false when it lies
/// beyond the GDT or LDT limit (or the LDT is null).
bool fetch_descriptor(Cpu& cpu, uint16_t selector, Descriptor& d);
/// As fetch_descriptor, raising `vector`(selector & FFFCh | ext) when out of limit.
Descriptor read_descriptor(Cpu& cpu, uint16_t selector, uint8_t vector, uint32_t ext = 0);
/// Sets the descriptor's accessed bit in memory (and in `d`).
void set_accessed(Cpu& cpu, uint16_t selector, Descriptor& d);

/// The cache a loaded code or data segment holds.
SegmentCache make_cache(uint16_t selector, const Descriptor& d);
/// Marks `seg` as holding a null selector: every access faults.
void load_null_segment(Cpu& cpu, uint8_t seg, uint16_t selector);
/// Sets every field of `seg` for real or virtual-8086 addressing with a
/// 64 KiB limit (entering virtual-8086 mode).
void load_v86_segment(Cpu& cpu, uint8_t seg, uint16_t selector);

/// MOV/POP/LxS of ES, SS, DS, FS or GS in protected mode with every check
/// of SDM 2 MOV (#GP, #SS, #NP with the selector as error code).
void load_data_segment_pm(Cpu& cpu, uint8_t seg, uint16_t selector);

/// The checks on a stack segment loaded by a privilege change (RET/IRET to
/// an outer level: #GP; stack switches through the TSS: #TS); raises
/// `vector`(selector | ext), or #SS(selector | ext) when not present.
Descriptor check_stack_segment(Cpu& cpu, uint16_t selector, unsigned cpl, uint8_t vector,
                               uint32_t ext = 0);

/// Loads CS from a code descriptor and makes `cpl` the CPL (CS.RPL = CPL).
void load_code_segment(Cpu& cpu, uint16_t selector, Descriptor d, unsigned cpl);

/// After a return to an outer level: ES, DS, FS and GS holding a data or
/// non-conforming code segment more privileged than the new CPL become null
/// (SDM 2 RET, IRET).
void null_outer_segments(Cpu& cpu);

/// SS:ESP for privilege level `dpl` from the current TSS (SDM 3A §7.2.1);
/// #TS(TR selector | ext) when the TSS is too short.
struct StackPointer {
  uint16_t ss;
  uint32_t esp;
};
StackPointer tss_stack(Cpu& cpu, unsigned dpl, uint32_t ext);

/// Pushes a frame onto a stack segment that need not be loaded yet (a
/// stack switch), checking each slot against that segment's limits:
/// #SS(error) when one does not fit. The writes are made with the privilege
/// of the level the transfer ends at (`priv`). Only memory below the stack
/// pointer changes until the caller commits sp().
class StackFrame {
 public:
  StackFrame(Cpu& cpu, const SegmentCache& ss, uint64_t sp, uint32_t error, mmu::Priv priv)
      : cpu_(cpu), ss_(ss), mask_(ss.attr & kAttrDb ? 0xffffffff : 0xffff), sp_(sp & mask_),
        error_(error), priv_(priv) {}
  void push(unsigned size, uint32_t v) {
    sp_ = (sp_ - size) & mask_;
    if (sp_ < ss_.lo || sp_ + size - 1 > ss_.limit) raise(kVecSs, error_);
    const uint64_t lin = (ss_.base + sp_) & 0xffffffff;
    if (size == 4) cpu_.mem.write<uint32_t>(lin, v, priv_);
    else cpu_.mem.write<uint16_t>(lin, uint16_t(v), priv_);
  }
  uint64_t sp() const { return sp_; }
  /// Writes the stack pointer into rSP as this stack's width sees it.
  void commit_sp(uint64_t full_sp) const {
    cpu_.s.gpr[kRsp] = (full_sp & ~mask_) | sp_;
  }

 private:
  Cpu& cpu_;
  SegmentCache ss_;
  uint64_t mask_;
  uint64_t sp_;
  uint32_t error_;
  mmu::Priv priv_;
};

// ---- IA-32e mode (SDM 3A §3.5.2, §5.8.3.1, §6.14, §7.7) ----

/// System descriptor types of IA-32e mode: the same numbers as the 32-bit
/// ones, 16 bytes long.
enum SysType64 : uint8_t {
  kSysTss64 = 9, kSysTss64Busy = 11, kSysCallGate64 = 12, kSysIntGate64 = 14,
  kSysTrapGate64 = 15,
};

/// Whether a code descriptor is valid in IA-32e mode: L and D both set is
/// reserved (#GP(selector) on a load, SDM 3A §5.2.1).
inline bool bad_long_code(const Cpu& cpu, const Descriptor& d) {
  return cpu.long_mode() && (d.hi & (1u << 21)) && d.big();
}
/// Whether loading `d` into CS enters 64-bit mode.
inline bool is_code64(const Cpu& cpu, const Descriptor& d) {
  return cpu.long_mode() && (d.hi & (1u << 21));
}

/// Bits 63:32 of the base or offset a 16-byte system descriptor holds in its
/// third dword; #GP(selector | ext) when the descriptor's second half lies
/// beyond the table limit or its type field (bits 12:8 of the fourth dword)
/// is not zero.
uint32_t read_descriptor_upper(Cpu& cpu, uint16_t selector, uint32_t ext = 0);
/// The LDTR or TR cache for an LDT or TSS descriptor: in IA-32e mode the
/// descriptor is 16 bytes and holds a 64-bit base. For LLDT and LTR.
SegmentCache system_segment_cache(Cpu& cpu, uint16_t selector, const Descriptor& d);

/// RSPn (`dpl` 0-2) or ISTn (`ist` 1-7, when not 0) from the 64-bit TSS;
/// #TS(TR selector | ext) beyond its limit.
uint64_t tss64_stack(Cpu& cpu, unsigned dpl, unsigned ist, uint32_t ext);

/// Pushes slots onto a stack in 64-bit mode (event delivery, 64-bit far
/// CALL): each must be canonical, else #SS(error). Only memory below the
/// stack pointer changes until the caller commits rsp().
class LongStack {
 public:
  LongStack(Cpu& cpu, uint64_t rsp, uint32_t error, mmu::Priv priv)
      : cpu_(cpu), rsp_(rsp), error_(error), priv_(priv) {}
  void push(unsigned size, uint64_t v) {
    rsp_ -= size;
    if (!cpu_.canonical(rsp_) || !cpu_.canonical(rsp_ + size - 1)) raise(kVecSs, error_);
    if (size == 8) cpu_.mem.write<uint64_t>(rsp_, v, priv_);
    else if (size == 4) cpu_.mem.write<uint32_t>(rsp_, uint32_t(v), priv_);
    else cpu_.mem.write<uint16_t>(rsp_, uint16_t(v), priv_);
  }
  uint64_t rsp() const { return rsp_; }

 private:
  Cpu& cpu_;
  uint64_t rsp_;
  uint32_t error_;
  mmu::Priv priv_;
};

/// SS as IA-32e mode loads it on a privilege change: a null selector with
/// RPL = `cpl` (SDM 3A §6.14.4), usable by 64-bit code.
void load_null_stack64(Cpu& cpu, unsigned cpl);

/// Current IOPL (EFLAGS bits 12-13).
inline unsigned iopl(const Cpu& cpu) { return unsigned(cpu.s.rflags & kIopl) >> 12; }

}  // namespace kestrel::cpu
