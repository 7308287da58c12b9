// SPDX-License-Identifier: MIT
// RDMSR, WRMSR and RDPMC over the MSR file (cpu/msr.h), the fast system
// calls SYSENTER/SYSEXIT and SYSCALL/SYSRET, which load flat segments from
// MSRs without reading descriptors, SWAPGS and RDTSCP.
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/msr.h"

namespace kestrel::cpu::exec {
namespace {

constexpr uint64_t kCr4Pce = 1u << 8;

bool cpl0(const Cpu& cpu) { return cpu.real_mode() || (!cpu.v86() && cpu.s.cpl == 0); }

/// A flat 4 GiB segment as SYSENTER/SYSEXIT load it (SDM 2 SYSENTER):
/// code is execute/read accessed, the stack read/write accessed.
SegmentCache flat_segment(uint16_t selector, bool code, unsigned dpl) {
  SegmentCache c;
  c.base = 0;
  c.limit = 0xffffffff;
  c.selector = selector;
  c.attr = uint16_t((code ? 0xb : 0x3) | kAttrS | dpl << 5 | kAttrPresent | kAttrDb | kAttrG);
  c.lo = 0;
  c.rights = code ? kSegReadable : kSegReadable | kSegWritable;
  return c;
}

/// The flat 64-bit code segment of SYSCALL, SYSRET, SYSENTER and SYSEXIT
/// in IA-32e mode: L set, D clear.
SegmentCache flat_code64(uint16_t selector, unsigned dpl) {
  SegmentCache c = flat_segment(selector, true, dpl);
  c.attr = uint16_t((c.attr & ~kAttrDb) | kAttrL);
  return c;
}

/// Instructions CR4.TSD restricts to CPL 0 (RDTSC, RDTSCP).
void check_tsd(const Cpu& cpu) {
  if ((cpu.s.cr[4] & (1u << 2)) && !cpl0(cpu)) raise(kVecGp, 0);
}

}  // namespace

void RDMSR(Cpu& cpu, const DecodedInsn&) {
  if (!cpl0(cpu)) raise(kVecGp, 0);
  const uint64_t v = read_msr(cpu, uint32_t(cpu.s.gpr[kRcx]));
  write_gpr<uint32_t>(cpu.s, kRax, uint32_t(v));
  write_gpr<uint32_t>(cpu.s, kRdx, uint32_t(v >> 32));
}

void WRMSR(Cpu& cpu, const DecodedInsn&) {
  if (!cpl0(cpu)) raise(kVecGp, 0);
  const uint64_t v = uint32_t(cpu.s.gpr[kRax]) | uint64_t(uint32_t(cpu.s.gpr[kRdx])) << 32;
  write_msr(cpu, uint32_t(cpu.s.gpr[kRcx]), v);
}

/// RDPMC reads the two P6 counters; CR4.PCE opens it to CPL > 0 (SDM 2 RDPMC).
void RDPMC(Cpu& cpu, const DecodedInsn&) {
  if (!cpl0(cpu) && !(cpu.s.cr[4] & kCr4Pce)) raise(kVecGp, 0);
  const uint32_t n = uint32_t(cpu.s.gpr[kRcx]);
  if (n > 1) raise(kVecGp, 0);
  const uint64_t v = cpu.s.msr.perf_ctr[n];
  write_gpr<uint32_t>(cpu.s, kRax, uint32_t(v));
  write_gpr<uint32_t>(cpu.s, kRdx, uint32_t(v >> 32) & 0xff);
}

void SYSENTER(Cpu& cpu, const DecodedInsn&) {
  // SDM 2 SYSENTER: #GP(0) in real mode or with a null SYSENTER_CS. In
  // IA-32e mode the target is 64-bit code with the full SYSENTER_ESP/EIP.
  const auto cs = uint16_t(cpu.s.msr.sysenter_cs);
  if (cpu.real_mode() || (cs & 0xfffc) == 0) raise(kVecGp, 0);
  const bool lm = cpu.long_mode();
  cpu.s.rflags &= ~uint64_t{kVm | kIf | kRf};
  cpu.s.seg[kCs] = lm ? flat_code64(cs & 0xfffc, 0) : flat_segment(cs & 0xfffc, true, 0);
  cpu.s.seg[kSs] = flat_segment(uint16_t((cs & 0xfffc) + 8), false, 0);
  cpu.set_cpl(0);
  cpu.s.gpr[kRsp] = lm ? cpu.s.msr.sysenter_esp : uint32_t(cpu.s.msr.sysenter_esp);
  cpu.s.rip = lm ? cpu.s.msr.sysenter_eip : uint32_t(cpu.s.msr.sysenter_eip);
}

void SYSEXIT(Cpu& cpu, const DecodedInsn& insn) {
  // SDM 2 SYSEXIT: #GP(0) with a null SYSENTER_CS, in real or V86 mode, or
  // at CPL > 0. With REX.W it returns to 64-bit code (CS + 32, SS + 40)
  // and RCX, RDX must be canonical.
  const auto cs = uint16_t(cpu.s.msr.sysenter_cs);
  if ((cs & 0xfffc) == 0 || !cpl0(cpu) || cpu.real_mode()) raise(kVecGp, 0);
  const bool to64 = insn.osize == 8;
  if (to64 && (!cpu.canonical(cpu.s.gpr[kRcx]) || !cpu.canonical(cpu.s.gpr[kRdx]))) {
    raise(kVecGp, 0);
  }
  if (to64) {
    cpu.s.seg[kCs] = flat_code64(uint16_t((cs + 32) | 3), 3);
    cpu.s.seg[kSs] = flat_segment(uint16_t((cs + 40) | 3), false, 3);
  } else {
    cpu.s.seg[kCs] = flat_segment(uint16_t((cs + 16) | 3), true, 3);
    cpu.s.seg[kSs] = flat_segment(uint16_t((cs + 24) | 3), false, 3);
  }
  cpu.set_cpl(3);
  cpu.s.gpr[kRsp] = to64 ? cpu.s.gpr[kRcx] : uint32_t(cpu.s.gpr[kRcx]);
  cpu.s.rip = to64 ? cpu.s.gpr[kRdx] : uint32_t(cpu.s.gpr[kRdx]);
}

// ---- IA-32e mode: SYSCALL, SYSRET, SWAPGS, RDTSCP ----

/// SDM 2 SYSCALL (64-bit mode only, EFER.SCE): RCX = next RIP, R11 =
/// RFLAGS, then flat ring-0 CS = STAR[47:32] and SS = that + 8, RIP =
/// LSTAR, RFLAGS &= ~FMASK (and RF).
void SYSCALL(Cpu& cpu, const DecodedInsn&) {
  if (!(cpu.s.efer & kEferSce)) raise(kVecUd);
  const auto sel = uint16_t(cpu.s.msr.star >> 32);
  const uint64_t flags = read_flags(cpu.s);
  cpu.s.gpr[kRcx] = cpu.s.rip;
  cpu.s.gpr[kR11] = flags & ~uint64_t{kRf};
  write_flags(cpu.s, flags & ~(cpu.s.msr.sfmask | kRf), ~uint64_t{0});
  cpu.s.seg[kCs] = flat_code64(sel & 0xfffc, 0);
  cpu.s.seg[kSs] = flat_segment(uint16_t(sel + 8), false, 0);
  cpu.set_cpl(0);
  cpu.s.rip = cpu.s.msr.lstar;
}

/// SDM 2 SYSRET: back to CPL 3, 64-bit code (REX.W: CS = STAR[63:48] + 16)
/// or compatibility code (CS = STAR[63:48]); SS = STAR[63:48] + 8; RFLAGS
/// from R11. A non-canonical RCX raises #GP(0) at CPL 0, as on Intel.
void SYSRET(Cpu& cpu, const DecodedInsn& insn) {
  if (!(cpu.s.efer & kEferSce)) raise(kVecUd);
  if (cpu.s.cpl != 0) raise(kVecGp, 0);
  const bool to64 = insn.osize == 8;
  const uint64_t rcx = cpu.s.gpr[kRcx];
  if (to64 && !cpu.canonical(rcx)) raise(kVecGp, 0);
  const auto sel = uint16_t(cpu.s.msr.star >> 48);
  write_flags(cpu.s, (cpu.s.gpr[kR11] & 0x3c7fd7) | kFixed1, ~uint64_t{0});
  cpu.s.seg[kCs] = to64 ? flat_code64(uint16_t((sel + 16) | 3), 3)
                        : flat_segment(uint16_t(sel | 3), true, 3);
  // Only the selector and DPL of SS change (SDM 2 SYSRET, operation).
  cpu.s.seg[kSs] = flat_segment(uint16_t((sel + 8) | 3), false, 3);
  cpu.set_cpl(3);
  cpu.s.rip = to64 ? rcx : uint32_t(rcx);
}

/// SDM 2 SWAPGS: GS.base <-> IA32_KERNEL_GS_BASE, CPL 0 only.
void SWAPGS(Cpu& cpu, const DecodedInsn&) {
  if (cpu.s.cpl != 0) raise(kVecGp, 0);
  const uint64_t gs = cpu.s.seg[kGs].base;
  cpu.s.seg[kGs].base = cpu.s.msr.kernel_gs_base;
  cpu.s.msr.kernel_gs_base = gs;
}

/// SDM 2 RDTSCP: RDTSC plus ECX = IA32_TSC_AUX.
void RDTSCP(Cpu& cpu, const DecodedInsn&) {
  check_tsd(cpu);
  const uint64_t tsc = read_tsc(cpu);
  write_gpr<uint32_t>(cpu.s, kRax, uint32_t(tsc));
  write_gpr<uint32_t>(cpu.s, kRdx, uint32_t(tsc >> 32));
  write_gpr<uint32_t>(cpu.s, kRcx, uint32_t(cpu.s.msr.tsc_aux));
}

}  // namespace kestrel::cpu::exec
