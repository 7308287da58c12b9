// SPDX-License-Identifier: MIT
// CPUID: the identity of the model (vendor, signature, brand string) and
// exactly its feature set, in the standard leaves 0-0Dh and the extended
// leaves 8000_0000h-8000_0008h. Other leaves in range return zeros.
#include <cstdint>
#include <string_view>

#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/msr.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr4Osxsave = 1u << 18;

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

uint32_t feature_bit(const Cpu& cpu, isa::Feature f, unsigned bit) {
  return cpu.model->has(f) ? 1u << bit : 0;
}

/// Leaf 1 EDX and ECX: exactly the features the model implements. MTRR and
/// PAT are the MSR file's (cpu/msr.h); DE (I/O breakpoints, CR4.DE) and VME
/// came with the Pentium.
CpuidRegs cpuid_features(const Cpu& cpu) {
  using namespace isa;
  CpuidRegs r;
  r.eax = cpu.model->cpuid_signature;
  r.edx = feature_bit(cpu, fX87, 0) | feature_bit(cpu, fPentium, 1) |
          feature_bit(cpu, fPentium, 2) | feature_bit(cpu, fPse, 3) |
          feature_bit(cpu, fTsc, 4) | feature_bit(cpu, fMsr, 5) | feature_bit(cpu, fPae, 6) |
          feature_bit(cpu, fCx8, 8) | feature_bit(cpu, fSysenter, 11) |
          (has_mtrr(cpu) ? (1u << 12 | 1u << 16) : 0) | feature_bit(cpu, fPge, 13) |
          feature_bit(cpu, fCmov, 15) | feature_bit(cpu, fPse36, 17) |
          feature_bit(cpu, fClflush, 19) | feature_bit(cpu, fMmx, 23) |
          feature_bit(cpu, fFxsr, 24) | feature_bit(cpu, fSse, 25) | feature_bit(cpu, fSse2, 26);
  r.ecx = feature_bit(cpu, fSse3, 0) | feature_bit(cpu, fPclmul, 1) |
          feature_bit(cpu, fMonitor, 3) | feature_bit(cpu, fSsse3, 9) |
          feature_bit(cpu, fCx16, 13) | feature_bit(cpu, fSse41, 19) |
          feature_bit(cpu, fSse42, 20) | feature_bit(cpu, fMovbe, 22) |
          feature_bit(cpu, fPopcnt, 23) | feature_bit(cpu, fAes, 25) |
          feature_bit(cpu, fXsave, 26) | feature_bit(cpu, fRdrand, 30);
  // OSXSAVE mirrors CR4.OSXSAVE (SDM 2 CPUID, table 3-10).
  if (cpu.s.cr[4] & kCr4Osxsave) r.ecx |= 1u << 27;
  // EBX[15:8]: CLFLUSH line size in quadwords, meaningful with CLFLUSH;
  // EBX[31:24], the initial APIC ID, is 0 (one processor).
  if (cpu.model->has(fClflush)) r.ebx = 8u << 8;
  // APIC (EDX bit 9) follows IA32_APIC_BASE.EN (SDM 3A §10.4.3).
  if (cpu.apic && (cpu.s.msr.apic_base & (1u << 11))) r.edx |= 1u << 9;
  return r;
}

/// Leaf 7 subleaf 0: structured extended features. 5-level paging comes
/// with long mode in Kestrel (there is no model with one and not the other).
CpuidRegs cpuid_structured(const Cpu& cpu, uint32_t subleaf) {
  using namespace isa;
  CpuidRegs r;
  if (subleaf != 0) return r;
  r.ebx = feature_bit(cpu, fFsgsbase, 0) | feature_bit(cpu, fBmi1, 3) |
          feature_bit(cpu, fBmi2, 8) | feature_bit(cpu, fInvpcid, 10) |
          feature_bit(cpu, fRtm, 11) | feature_bit(cpu, fRdseed, 18) |
          feature_bit(cpu, fAdx, 19) | feature_bit(cpu, fSmap, 20) |
          feature_bit(cpu, fClflushopt, 23) | feature_bit(cpu, fClwb, 24) |
          feature_bit(cpu, fSha, 29);
  r.ecx = feature_bit(cpu, fLm, 16);
  if (has_arch_capabilities(cpu)) r.edx = 1u << 29;
  return r;
}

/// Leaf 0Dh: XSAVE manages the x87 and SSE components (XCR0 bits 0 and 1);
/// both live in the 512-byte legacy area, so with the 64-byte header the
/// area is 576 bytes for any enabled subset (SDM 1 §13.2).
CpuidRegs cpuid_xsave(const Cpu& cpu, uint32_t subleaf) {
  using namespace isa;
  CpuidRegs r;
  if (!cpu.model->has(fXsave)) return r;
  constexpr uint32_t kLegacyAndHeader = 512 + 64;
  if (subleaf == 0) {
    r.eax = cpu.model->has(fSse) ? 3 : 1;
    r.ebx = kLegacyAndHeader;  // for the components XCR0 enables now
    r.ecx = kLegacyAndHeader;  // for every supported component
  } else if (subleaf == 1) {
    r.eax = feature_bit(cpu, fXsaveopt, 0) | feature_bit(cpu, fXsavec, 1) |
            feature_bit(cpu, fXsaves, 3);
  }
  return r;
}

/// Leaf 80000001h: the AMD-defined features Kestrel implements. LAHF/SAHF
/// work in 64-bit mode and 1 GiB pages exist wherever long mode does.
CpuidRegs cpuid_ext_features(const Cpu& cpu) {
  using namespace isa;
  CpuidRegs r;
  r.edx = feature_bit(cpu, fSyscall, 11) | feature_bit(cpu, fNx, 20) |
          feature_bit(cpu, fLm, 26) | feature_bit(cpu, fRdtscp, 27) | feature_bit(cpu, fLm, 29);
  r.ecx = feature_bit(cpu, fLm, 0) | feature_bit(cpu, fLzcnt, 5) | feature_bit(cpu, fPrfchw, 8);
  return r;
}

/// Four bytes of `text` from `pos`, little-endian, NUL-padded.
uint32_t text_word(std::string_view text, size_t pos) {
  uint32_t w = 0;
  for (unsigned k = 0; k < 4 && pos + k < text.size(); ++k) {
    w |= uint32_t(uint8_t(text[pos + k])) << (8 * k);
  }
  return w;
}

uint32_t vendor_word(const Cpu& cpu, unsigned n) { return text_word(cpu.model->vendor, 4 * n); }

/// Leaves 80000002h-80000004h: the 48-byte brand string, "Kestrel" and the
/// model's name.
CpuidRegs cpuid_brand(const Cpu& cpu, unsigned part) {
  char buf[48] = {};
  const std::string_view prefix = "Kestrel virtual CPU (";
  size_t n = 0;
  for (char c : prefix) buf[n++] = c;
  for (char c : cpu.model->name) if (n < 46) buf[n++] = c;
  buf[n] = ')';
  const std::string_view text(buf, sizeof buf);
  const size_t base = 16 * part;
  return {text_word(text, base), text_word(text, base + 4), text_word(text, base + 8),
          text_word(text, base + 12)};
}

constexpr uint32_t kCpuidMaxBasic = 0xd;
constexpr uint32_t kCpuidExtBase = 0x80000000;
constexpr uint32_t kCpuidMaxExt = 0x80000008;

/// Leaves 80000000h-80000008h. 80000006h describes a 256 KiB 8-way L2
/// with 64-byte lines; 80000007h an invariant TSC (it follows the board's
/// virtual clock, cpu/msr.h); 80000008h the physical width and the linear
/// width (57 with 5-level paging).
CpuidRegs cpuid_extended(const Cpu& cpu, uint32_t leaf) {
  switch (leaf - kCpuidExtBase) {
    case 0: return {kCpuidMaxExt, 0, 0, 0};
    case 1: return cpuid_ext_features(cpu);
    case 2: case 3: case 4: return cpuid_brand(cpu, leaf - kCpuidExtBase - 2);
    case 6: return {0, 0, 256u << 16 | 6u << 12 | 64u, 0};
    case 7: return {0, 0, 0, 1u << 8};
    case 8: {
      const uint32_t lin = cpu.model->has(isa::fLm) ? 57 : 32;
      return {cpu.model->phys_addr_bits | lin << 8, 0, 0, 0};
    }
    default: return {};
  }
}

/// A basic leaf above the maximum returns the highest basic leaf, as Intel
/// processors do (SDM 2 CPUID); so does an extended leaf above the
/// extended maximum.
CpuidRegs cpuid_leaf(const Cpu& cpu, uint32_t leaf, uint32_t subleaf) {
  if (leaf >= kCpuidExtBase && leaf <= kCpuidMaxExt) return cpuid_extended(cpu, leaf);
  if (leaf > kCpuidMaxBasic) leaf = kCpuidMaxBasic;
  switch (leaf) {
    case 0:
      return {kCpuidMaxBasic, vendor_word(cpu, 0), vendor_word(cpu, 2), vendor_word(cpu, 1)};
    case 1: return cpuid_features(cpu);
    case 7: return cpuid_structured(cpu, subleaf);
    case 0xd: return cpuid_xsave(cpu, subleaf);
    default: return {};
  }
}

}  // namespace

void CPUID(Cpu& cpu, const DecodedInsn&) {
  const CpuidRegs r = cpuid_leaf(cpu, uint32_t(cpu.s.gpr[kRax]), uint32_t(cpu.s.gpr[kRcx]));
  write_gpr<uint32_t>(cpu.s, kRax, r.eax);
  write_gpr<uint32_t>(cpu.s, kRbx, r.ebx);
  write_gpr<uint32_t>(cpu.s, kRcx, r.ecx);
  write_gpr<uint32_t>(cpu.s, kRdx, r.edx);
}

}  // namespace kestrel::cpu::exec
