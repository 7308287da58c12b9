// SPDX-License-Identifier: MIT
// RDMSR, WRMSR and RDPMC over the MSR file (cpu/msr.h), and the fast system
// calls SYSENTER and SYSEXIT, which load flat segments from SYSENTER_CS
// without reading descriptors.
#include <cstdint>

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
  // SDM 2 SYSENTER: #GP(0) in real mode or with a null SYSENTER_CS.
  const auto cs = uint16_t(cpu.s.msr.sysenter_cs);
  if (cpu.real_mode() || (cs & 0xfffc) == 0) raise(kVecGp, 0);
  // TODO(kestrel): the 64-bit code segment of IA-32e mode #3
  cpu.s.rflags &= ~uint64_t{kVm | kIf | kRf};
  cpu.s.seg[kCs] = flat_segment(cs & 0xfffc, true, 0);
  cpu.s.seg[kSs] = flat_segment(uint16_t((cs & 0xfffc) + 8), false, 0);
  cpu.s.cpl = 0;
  cpu.s.gpr[kRsp] = uint32_t(cpu.s.msr.sysenter_esp);
  cpu.s.rip = uint32_t(cpu.s.msr.sysenter_eip);
}

void SYSEXIT(Cpu& cpu, const DecodedInsn&) {
  // SDM 2 SYSEXIT: #GP(0) with a null SYSENTER_CS, in real or V86 mode, or
  // at CPL > 0.
  const auto cs = uint16_t(cpu.s.msr.sysenter_cs);
  if ((cs & 0xfffc) == 0 || !cpl0(cpu) || cpu.real_mode()) raise(kVecGp, 0);
  cpu.s.seg[kCs] = flat_segment(uint16_t((cs + 16) | 3), true, 3);
  cpu.s.seg[kSs] = flat_segment(uint16_t((cs + 24) | 3), false, 3);
  cpu.s.cpl = 3;
  cpu.s.gpr[kRsp] = uint32_t(cpu.s.gpr[kRcx]);
  cpu.s.rip = uint32_t(cpu.s.gpr[kRdx]);
}

}  // namespace kestrel::cpu::exec
