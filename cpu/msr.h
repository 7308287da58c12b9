// SPDX-License-Identifier: MIT
// The model-specific registers an operating system touches: the time-stamp
// counter, APIC base, SYSENTER, PAT, the MTRRs, EFER and a few identification
// MSRs. Their storage is CpuState::msr (and CpuState::efer); RDMSR, WRMSR and
// RDPMC live in cpu/interp/msr.cpp.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace kestrel::cpu {

/// MSR indices (SDM 4, table 2-2).
enum MsrIndex : uint32_t {
  kMsrTsc = 0x10,
  kMsrPlatformId = 0x17,
  kMsrApicBase = 0x1b,
  kMsrBiosSignId = 0x8b,
  kMsrPerfCtr0 = 0xc1,
  kMsrPerfCtr1 = 0xc2,
  kMsrMtrrCap = 0xfe,
  kMsrArchCapabilities = 0x10a,
  kMsrSysenterCs = 0x174,
  kMsrSysenterEsp = 0x175,
  kMsrSysenterEip = 0x176,
  kMsrPerfEvtSel0 = 0x186,
  kMsrPerfEvtSel1 = 0x187,
  kMsrMiscEnable = 0x1a0,
  kMsrMtrrPhysBase0 = 0x200,
  kMsrMtrrPhysMask7 = 0x20f,
  kMsrMtrrFix64k00000 = 0x250,
  kMsrMtrrFix16k80000 = 0x258,
  kMsrMtrrFix16kA0000 = 0x259,
  kMsrMtrrFix4kC0000 = 0x268,
  kMsrMtrrFix4kF8000 = 0x26f,
  kMsrPat = 0x277,
  kMsrMtrrDefType = 0x2ff,
  kMsrTscDeadline = 0x6e0,
  kMsrEfer = 0xc0000080,
  kMsrStar = 0xc0000081,
  kMsrLstar = 0xc0000082,
  kMsrCstar = 0xc0000083,
  kMsrFmask = 0xc0000084,
  kMsrFsBase = 0xc0000100,
  kMsrGsBase = 0xc0000101,
  kMsrKernelGsBase = 0xc0000102,
  kMsrTscAux = 0xc0000103,
};

/// EFER bits (SDM 3A §2.2.1).
enum EferBit : uint64_t {
  kEferSce = 1u << 0, kEferLme = 1u << 8, kEferLma = 1u << 10, kEferNxe = 1u << 11,
};

/// Reads MSR `index`; #GP(0) when the model has no such MSR.
uint64_t read_msr(Cpu& cpu, uint32_t index);
/// Writes MSR `index`; #GP(0) for an MSR the model lacks, a read-only MSR
/// or a value with reserved bits set. Nothing changes when it faults.
void write_msr(Cpu& cpu, uint32_t index, uint64_t value);

/// The time-stamp counter runs at kTscHz, from the board's virtual clock
/// (so it agrees with the PIT, HPET and PM timer, and under -icount it stays
/// deterministic), plus the offset a WRMSR to IA32_TIME_STAMP_COUNTER set. A
/// CPU without a clock (unit tests, conformance runs) counts instructions.
inline constexpr uint64_t kTscHz = 1'000'000'000;
inline uint64_t tsc_base(const Cpu& cpu) { return cpu.time ? cpu.time->now_ns() : cpu.s.icount; }
inline uint64_t read_tsc(const Cpu& cpu) { return tsc_base(cpu) + cpu.s.msr.tsc_offset; }

/// Whether the model has MTRRs and PAT (CPUID.1:EDX bits 12 and 16).
inline bool has_mtrr(const Cpu& cpu) {
  return cpu.model->has(isa::fMsr) && cpu.model->has(isa::fP6);
}

/// Whether the model enumerates IA32_ARCH_CAPABILITIES (CPUID.(7,0):EDX
/// bit 29). It comes with long mode, like 5-level paging: the models of
/// processors before the MSR existed do not have it.
inline bool has_arch_capabilities(const Cpu& cpu) { return cpu.model->has(isa::fLm); }

/// IA32_ARCH_CAPABILITIES (read-only): the "not affected" bits of every
/// speculative-execution weakness the MSR can report. Kestrel executes
/// nothing speculatively, so none of them applies, and an operating system
/// that reads this (Linux does) skips mitigations that cost guest time on
/// every kernel entry, page-table isolation first. Bits (SDM 4, table 2-2):
/// RDCL_NO 0, SSB_NO 4, MDS_NO 5, IF_PSCHANGE_MC_NO 6, TAA_NO 8,
/// SBDR_SSDP_NO 13, FBSDP_NO 14, PSDP_NO 15, BHI_NO 20, PBRSB_NO 24,
/// GDS_NO 26, RFDS_NO 27.
inline constexpr uint64_t kArchCapabilities =
    1u << 0 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 13 | 1u << 14 | 1u << 15 |
    1u << 20 | 1u << 24 | 1u << 26 | 1u << 27;

}  // namespace kestrel::cpu
