// SPDX-License-Identifier: MIT
// The MSR file: which MSRs the model has, their reserved bits and what
// reading and writing them does. Memory types in PAT and the MTRRs are
// stored and validated only; Kestrel's memory has no caching to model.
#include "cpu/msr.h"

#include <optional>

namespace kestrel::cpu {
namespace {

constexpr uint64_t kMtrrCap = 0x508;  // 8 variable ranges, fixed ranges, WC (SDM 3A §12.11.2.1)
constexpr unsigned kFixedMtrrCount = 11;

/// Memory types valid in MTRRs (UC, WC, WT, WP, WB); PAT adds UC- (7).
bool valid_mtrr_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
bool valid_pat_type(uint64_t t) { return valid_mtrr_type(t) || t == 7; }

/// Every byte of a fixed-range MTRR or of PAT names a valid memory type.
bool valid_type_bytes(uint64_t v, bool pat) {
  for (unsigned i = 0; i < 8; ++i) {
    const uint64_t t = (v >> (8 * i)) & 0xff;
    if (!(pat ? valid_pat_type(t) : valid_mtrr_type(t))) return false;
  }
  return true;
}

/// Index into MsrFile::mtrr_fixed of a fixed-range MTRR, or nullopt.
std::optional<unsigned> fixed_mtrr_slot(uint32_t index) {
  if (index == kMsrMtrrFix64k00000) return 0;
  if (index == kMsrMtrrFix16k80000) return 1;
  if (index == kMsrMtrrFix16kA0000) return 2;
  if (index >= kMsrMtrrFix4kC0000 && index <= kMsrMtrrFix4kF8000)
    return 3 + (index - kMsrMtrrFix4kC0000);
  return std::nullopt;
}

/// Bits of a physical address above 4 KiB granularity the model can hold.
uint64_t phys_page_mask(const Cpu& cpu) {
  return ((uint64_t{1} << cpu.model->phys_addr_bits) - 1) & ~uint64_t{0xfff};
}

/// EFER bits of the features the model has (SCE with SYSCALL; LME and the
/// read-only LMA with long mode; NXE with execute-disable). No bits: the
/// MSR does not exist.
uint64_t efer_bits(const Cpu& cpu) {
  uint64_t m = 0;
  if (cpu.model->has(isa::fSyscall)) m |= kEferSce;
  if (cpu.model->has(isa::fLm)) m |= kEferLme | kEferLma;
  if (cpu.model->has(isa::fNx)) m |= kEferNxe;
  return m;
}

/// SYSENTER_ESP/EIP hold a canonical address with long mode, else 32 bits.
uint64_t sysenter_address(const Cpu& cpu, uint64_t v) {
  if (!cpu.model->has(isa::fLm)) return uint32_t(v);
  if (!cpu.canonical(v)) raise(kVecGp, 0);
  return v;
}

/// The long-mode MSRs: SYSCALL's STAR/LSTAR/CSTAR/FMASK, the FS and GS
/// bases, KERNEL_GS_BASE and TSC_AUX (SDM 4 table 2-2).
std::optional<uint64_t> read_long(const Cpu& cpu, uint32_t index) {
  const MsrFile& m = cpu.s.msr;
  const bool lm = cpu.model->has(isa::fLm);
  switch (index) {
    case kMsrStar: if (cpu.model->has(isa::fSyscall)) return m.star; break;
    case kMsrLstar: if (lm) return m.lstar; break;
    case kMsrCstar: if (lm) return m.cstar; break;
    case kMsrFmask: if (lm) return m.sfmask; break;
    case kMsrFsBase: if (lm) return cpu.s.seg[kFs].base; break;
    case kMsrGsBase: if (lm) return cpu.s.seg[kGs].base; break;
    case kMsrKernelGsBase: if (lm) return m.kernel_gs_base; break;
    case kMsrTscAux: if (cpu.model->has(isa::fRdtscp)) return m.tsc_aux; break;
    default: break;
  }
  return std::nullopt;
}

/// A linear address held by an MSR must be canonical.
uint64_t canonical_msr(const Cpu& cpu, uint64_t v) {
  if (!cpu.canonical(v)) raise(kVecGp, 0);
  return v;
}

bool write_long(Cpu& cpu, uint32_t index, uint64_t v) {
  MsrFile& m = cpu.s.msr;
  const bool lm = cpu.model->has(isa::fLm);
  switch (index) {
    case kMsrStar: if (!cpu.model->has(isa::fSyscall)) return false; m.star = v; return true;
    case kMsrLstar: if (!lm) return false; m.lstar = canonical_msr(cpu, v); return true;
    case kMsrCstar: if (!lm) return false; m.cstar = canonical_msr(cpu, v); return true;
    case kMsrFmask:
      if (!lm) return false;
      if (v >> 32) raise(kVecGp, 0);
      m.sfmask = v;
      return true;
    case kMsrFsBase: if (!lm) return false; cpu.s.seg[kFs].base = canonical_msr(cpu, v); return true;
    case kMsrGsBase: if (!lm) return false; cpu.s.seg[kGs].base = canonical_msr(cpu, v); return true;
    case kMsrKernelGsBase:
      if (!lm) return false;
      m.kernel_gs_base = canonical_msr(cpu, v);
      return true;
    case kMsrTscAux:
      if (!cpu.model->has(isa::fRdtscp)) return false;
      if (v >> 32) raise(kVecGp, 0);
      m.tsc_aux = v;
      return true;
    default: return false;
  }
}

std::optional<uint64_t> read_mtrr(const Cpu& cpu, uint32_t index) {
  if (!has_mtrr(cpu)) return std::nullopt;
  const MsrFile& m = cpu.s.msr;
  if (index == kMsrMtrrCap) return kMtrrCap;
  if (index == kMsrMtrrDefType) return m.mtrr_def_type;
  if (index == kMsrPat) return m.pat;
  if (index >= kMsrMtrrPhysBase0 && index <= kMsrMtrrPhysMask7)
    return m.mtrr_var[index - kMsrMtrrPhysBase0];
  if (auto slot = fixed_mtrr_slot(index)) return m.mtrr_fixed[*slot];
  return std::nullopt;
}

/// Writes an MTRR or PAT; false when `index` is none of them.
bool write_mtrr(Cpu& cpu, uint32_t index, uint64_t v) {
  if (!has_mtrr(cpu)) return false;
  MsrFile& m = cpu.s.msr;
  if (index == kMsrMtrrCap) raise(kVecGp, 0);  // read-only
  if (index == kMsrMtrrDefType) {
    if ((v & ~uint64_t{0xcff}) || !valid_mtrr_type(v & 0xff)) raise(kVecGp, 0);
    m.mtrr_def_type = v;
  } else if (index == kMsrPat) {
    if (!valid_type_bytes(v, true)) raise(kVecGp, 0);
    m.pat = v;
  } else if (index >= kMsrMtrrPhysBase0 && index <= kMsrMtrrPhysMask7) {
    const bool mask = (index - kMsrMtrrPhysBase0) & 1;
    const uint64_t allowed = phys_page_mask(cpu) | (mask ? 0x800 : 0xff);
    if ((v & ~allowed) || (!mask && !valid_mtrr_type(v & 0xff))) raise(kVecGp, 0);
    m.mtrr_var[index - kMsrMtrrPhysBase0] = v;
  } else if (auto slot = fixed_mtrr_slot(index)) {
    if (!valid_type_bytes(v, false)) raise(kVecGp, 0);
    m.mtrr_fixed[*slot] = v;
  } else {
    return false;
  }
  return true;
}

/// Performance counters of the P6 (two, 40 bits wide). They are stored but
/// count no events: Kestrel models none of them.
constexpr uint64_t kPerfCtrMask = (uint64_t{1} << 40) - 1;

std::optional<uint64_t> read_other(const Cpu& cpu, uint32_t index) {
  const MsrFile& m = cpu.s.msr;
  const bool p6 = cpu.model->has(isa::fP6);
  switch (index) {
    case kMsrTsc: return read_tsc(cpu);
    case kMsrApicBase: if (p6) return m.apic_base; break;
    case kMsrTscDeadline: if (cpu.apic) return cpu.apic->read_tsc_deadline(); break;
    case kMsrPlatformId: if (p6) return 0; break;
    case kMsrBiosSignId: if (p6) return 0; break;  // no microcode update loaded
    case kMsrArchCapabilities: if (has_arch_capabilities(cpu)) return kArchCapabilities; break;
    case kMsrMiscEnable: if (p6) return m.misc_enable; break;
    case kMsrPerfCtr0: case kMsrPerfCtr1: if (p6) return m.perf_ctr[index - kMsrPerfCtr0]; break;
    case kMsrPerfEvtSel0: case kMsrPerfEvtSel1:
      if (p6) return m.perf_evtsel[index - kMsrPerfEvtSel0];
      break;
    case kMsrSysenterCs: if (cpu.model->has(isa::fSysenter)) return m.sysenter_cs; break;
    case kMsrSysenterEsp: if (cpu.model->has(isa::fSysenter)) return m.sysenter_esp; break;
    case kMsrSysenterEip: if (cpu.model->has(isa::fSysenter)) return m.sysenter_eip; break;
    case kMsrEfer: if (efer_bits(cpu)) return cpu.s.efer; break;
    default: break;
  }
  return std::nullopt;
}

void write_apic_base(Cpu& cpu, uint64_t v) {
  // BSP (bit 8) is read-only; EN (bit 11) and the base are writable. There
  // is no x2APIC (bit 10). SDM 3A §11.4.4.
  const uint64_t allowed = phys_page_mask(cpu) | (1u << 11) | (1u << 8);
  if (v & ~allowed) raise(kVecGp, 0);
  cpu.s.msr.apic_base = (v & ~uint64_t{1u << 8}) | (cpu.s.msr.apic_base & (1u << 8));
  if (cpu.apic) cpu.apic->apic_base_written(cpu.s.msr.apic_base);
}

void write_misc_enable(Cpu& cpu, uint64_t v) {
  // Writable: fast strings (0), automatic thermal control (3), EIST (16),
  // MONITOR enable (18), limit CPUID maxval (22); BTS/PEBS unavailable
  // (11, 12) and performance monitoring available (7) are read-only.
  constexpr uint64_t kWritable = 1u << 0 | 1u << 3 | 1u << 16 | 1u << 18 | 1u << 22;
  constexpr uint64_t kReadOnly = 1u << 7 | 1u << 11 | 1u << 12;
  if (v & ~(kWritable | kReadOnly)) raise(kVecGp, 0);
  cpu.s.msr.misc_enable = (v & kWritable) | (cpu.s.msr.misc_enable & kReadOnly);
}

void write_efer(Cpu& cpu, uint64_t v) {
  const uint64_t bits = efer_bits(cpu);
  if (v & ~bits) raise(kVecGp, 0);
  // LME cannot change while paging is on; LMA is the processor's to set.
  // SDM 3A §9.8.5.
  if (((v ^ cpu.s.efer) & kEferLme) && (cpu.s.cr[0] & (1u << 31))) raise(kVecGp, 0);
  const uint64_t efer = (v & ~uint64_t{kEferLma}) | (cpu.s.efer & kEferLma);
  // NXE is a paging bit: the MMU hears of it as of a CR4 change.
  if (!cpu.load_paging(cpu.s.cr[0], cpu.s.cr[3], cpu.s.cr[4], efer, false)) raise(kVecGp, 0);
}

bool write_other(Cpu& cpu, uint32_t index, uint64_t v) {
  MsrFile& m = cpu.s.msr;
  const bool p6 = cpu.model->has(isa::fP6);
  const bool sep = cpu.model->has(isa::fSysenter);
  switch (index) {
    case kMsrTsc: m.tsc_offset = v - tsc_base(cpu); return true;
    case kMsrApicBase: if (!p6) return false; write_apic_base(cpu, v); return true;
    case kMsrTscDeadline:
      if (!cpu.apic) return false;
      cpu.apic->write_tsc_deadline(v, read_tsc(cpu));
      return true;
    case kMsrBiosSignId: return p6;  // loading microcode: nothing to load
    case kMsrMiscEnable: if (!p6) return false; write_misc_enable(cpu, v); return true;
    case kMsrPerfCtr0: case kMsrPerfCtr1:
      if (!p6) return false;
      m.perf_ctr[index - kMsrPerfCtr0] = v & kPerfCtrMask;
      return true;
    case kMsrPerfEvtSel0: case kMsrPerfEvtSel1:
      if (!p6) return false;
      if (v >> 32) raise(kVecGp, 0);
      m.perf_evtsel[index - kMsrPerfEvtSel0] = v;
      return true;
    case kMsrSysenterCs: if (!sep) return false; m.sysenter_cs = v & 0xffff; return true;
    case kMsrSysenterEsp:
      if (!sep) return false;
      m.sysenter_esp = sysenter_address(cpu, v);
      return true;
    case kMsrSysenterEip:
      if (!sep) return false;
      m.sysenter_eip = sysenter_address(cpu, v);
      return true;
    case kMsrEfer: if (!efer_bits(cpu)) return false; write_efer(cpu, v); return true;
    default: return false;
  }
}

}  // namespace

uint64_t read_msr(Cpu& cpu, uint32_t index) {
  if (auto v = read_other(cpu, index)) return *v;
  if (auto v = read_mtrr(cpu, index)) return *v;
  if (auto v = read_long(cpu, index)) return *v;
  raise(kVecGp, 0);
}

void write_msr(Cpu& cpu, uint32_t index, uint64_t value) {
  if (write_other(cpu, index, value)) return;
  if (write_mtrr(cpu, index, value)) return;
  if (write_long(cpu, index, value)) return;
  raise(kVecGp, 0);
}

}  // namespace kestrel::cpu
