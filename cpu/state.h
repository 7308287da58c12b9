// SPDX-License-Identifier: MIT
// The architectural state of one x86 CPU: a plain struct with a stable layout
// that the interpreter, the JIT (by offsetof), the gdbstub and snapshots share.
// Behaviour lives elsewhere: flags in cpu/flags.h, segment loads in
// cpu/segment.h, memory in mmu/.
#pragma once

#include <cstdint>

namespace kestrel::cpu {

/// GPR numbers in encoding order.
enum Reg : uint8_t {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

/// Segment registers in encoding order (ModRM reg field of MOV Sreg).
enum Seg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs, kSegCount, kSegNone = 0xff };

/// EFLAGS bits.
enum Flag : uint32_t {
  kCf = 1u << 0, kFixed1 = 1u << 1, kPf = 1u << 2, kAf = 1u << 4,
  kZf = 1u << 6, kSf = 1u << 7, kTf = 1u << 8, kIf = 1u << 9,
  kDf = 1u << 10, kOf = 1u << 11, kIopl = 3u << 12, kNt = 1u << 14,
  kRf = 1u << 16, kVm = 1u << 17, kAc = 1u << 18, kVif = 1u << 19,
  kVip = 1u << 20, kId = 1u << 21,
};
inline constexpr uint32_t kArithFlags = kCf | kPf | kAf | kZf | kSf | kOf;

/// Bits of SegmentCache::rights: the accesses a loaded segment allows,
/// worked out once at load time so that Cpu::linear checks one mask.
enum SegRights : uint8_t { kSegReadable = 1u << 0, kSegWritable = 1u << 1 };

/// A segment register with its hidden descriptor cache.
struct SegmentCache {
  uint64_t base = 0;
  /// Highest valid offset: the byte-granular limit, or for an expand-down
  /// segment FFFFh / FFFFFFFFh by its B bit.
  uint32_t limit = 0xffff;
  uint16_t selector = 0;
  /// Descriptor attribute bits 40..55 shifted down (type, S, DPL, P, AVL, L, D/B, G).
  uint16_t attr = 0;
  /// Lowest valid offset: limit + 1 of an expand-down segment, else 0.
  uint32_t lo = 0;
  /// SegRights; 0 for a null (unusable) selector and execute-only code.
  uint8_t rights = kSegReadable | kSegWritable;
};

/// Segment attribute bits as stored in SegmentCache::attr.
enum SegAttr : uint16_t {
  kAttrAccessed = 1u << 0, kAttrWritable = 1u << 1, kAttrCode = 1u << 3,
  kAttrS = 1u << 4, kAttrPresent = 1u << 7, kAttrL = 1u << 13,
  kAttrDb = 1u << 14, kAttrG = 1u << 15,
};

struct TableRegister {
  uint64_t base = 0;
  uint32_t limit = 0xffff;
};

/// Bits of CpuState::pending, set by devices and the machine, polled by the
/// engines between instructions (interpreter) or at block entry (JIT).
enum Pending : uint32_t {
  kPendingIrq = 1u << 0,   ///< the interrupt controller has a request
  kPendingNmi = 1u << 1,
  kPendingReset = 1u << 2,
  kPendingStop = 1u << 3,  ///< leave the run loop (debugger, monitor, exit)
  /// x87 FERR#: a waiting instruction met an unmasked exception with
  /// CR0.NE = 0; the board raises IRQ 13 and clears the bit.
  kPendingFerr = 1u << 4,
};

/// Bits of CpuState::inhibit_irq.
enum Inhibit : uint8_t {
  kInhibitIrq = 1u << 0,    ///< no interrupt before the next instruction
  kInhibitTrap = 1u << 1,   ///< no single-step trap after this instruction
};

struct X87Reg {
  uint64_t mantissa = 0;
  uint16_t sign_exp = 0;
  uint16_t pad[3] = {};
};

/// Model-specific registers with state of their own (cpu/msr.h owns their
/// meaning; EFER lives in CpuState::efer).
struct MsrFile {
  uint64_t tsc_offset = 0;  ///< IA32_TIME_STAMP_COUNTER = icount + tsc_offset
  uint64_t apic_base = 0xfee00900;  ///< enabled, bootstrap processor
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t pat = 0x0007040600070406;
  uint64_t mtrr_def_type = 0;
  uint64_t mtrr_fixed[11] = {};
  uint64_t mtrr_var[16] = {};  ///< PHYSBASE0, PHYSMASK0, PHYSBASE1...
  uint64_t misc_enable = 0x1801;  ///< fast strings; BTS and PEBS unavailable
  uint64_t perf_evtsel[2] = {};
  uint64_t perf_ctr[2] = {};
  // Long mode (FS and GS bases live in their segment caches).
  uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0;  ///< SYSCALL/SYSRET
  uint64_t kernel_gs_base = 0;  ///< swapped with GS.base by SWAPGS
  uint64_t tsc_aux = 0;         ///< ECX of RDTSCP
};

struct CpuState {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  /// EFLAGS. The arithmetic bits (kArithFlags) are stale unless cc_op is
  /// CcOp::kEflags; read them through cpu::read_flags (cpu/flags.h).
  uint64_t rflags = kFixed1;
  // Lazy flags, canonical form defined in cpu/flags.h.
  uint64_t cc_dst = 0;
  uint64_t cc_src = 0;
  uint64_t cc_src2 = 0;
  uint32_t cc_op = 0;

  uint32_t pending = 0;
  SegmentCache seg[kSegCount];
  SegmentCache ldtr;
  SegmentCache tr;
  TableRegister gdtr;
  TableRegister idtr;
  uint64_t cr[9] = {};
  /// DR0-DR7; DR6 and DR7 hold their power-on values (SDM 3A §17.2).
  uint64_t dr[8] = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};
  uint64_t efer = 0;
  uint8_t cpl = 0;
  bool halted = false;
  /// Interrupt shadow set by the instruction just executed (Inhibit bits):
  /// the next instruction runs before any interrupt (STI, MOV/POP SS) and,
  /// after MOV/POP SS, before the single-step trap as well.
  uint8_t inhibit_irq = 0;
  bool a20 = true;

  // x87 and vector state; executed from issue "Protected mode, paging and the
  // x87/MMX FPU" on, present now so the layout is stable.
  X87Reg st[8];
  uint16_t fcw = 0x037f, fsw = 0, ftw = 0xffff, fop = 0;
  uint64_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0;  ///< selectors of the last x87 instruction and operand
  uint32_t mxcsr = 0x1f80;
  /// XCR0: the state components XSAVE manages and the OS enabled (x87 always).
  uint64_t xcr0 = 1;
  alignas(32) uint8_t vec[16][32] = {};

  uint64_t icount = 0;  ///< instructions retired

  MsrFile msr;
  /// Derived from DR7 by cpu/debug.h (recompute with update_debug_state
  /// after changing DR7 directly): the execute breakpoints that are enabled.
  uint8_t dbg_exec = 0;
  /// Debug-trap conditions met by the instruction running (DbgHit bits),
  /// reported as one #DB after it completes.
  uint8_t dbg_hits = 0;
};

/// Whether a pending bit needs the machine at the next boundary: any bit
/// but the interrupt request, or the request with IF set. With IF = 0 the
/// request stays pending and the CPU runs on (SDM 3A §6.8.1); only an
/// instruction can set IF, and the engines look again after those.
inline bool event_deliverable(const CpuState& s) {
  if (s.pending & ~uint32_t{kPendingIrq}) return true;
  return (s.pending & kPendingIrq) && (s.rflags & kIf);
}

}  // namespace kestrel::cpu
