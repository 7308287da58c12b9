// SPDX-License-Identifier: MIT
// The MSR file (cpu/msr.cpp) through RDMSR/WRMSR, RDPMC, SYSENTER/SYSEXIT,
// RDTSC and the CPUID leaves that describe them.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter.h"
#include "cpu/msr.h"
#include "cpu/segment.h"

namespace kestrel::cpu {
namespace {

struct MsrFixture {
  explicit MsrFixture(const char* model = "max") : MsrFixture(*find_cpu_model(model)) {}
  explicit MsrFixture(const CpuModel& model) : mem(1 << 20, 32), cpu(model, mem, bus), interp(cpu) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.gpr[kRsp] = 0x8000;
    cpu.s.idtr = {0, 0x3ff};
    for (uint8_t v : {kVecGp, kVecUd}) {
      mem.write_phys(v * 4u, 0x200 + v, 2);
      mem.write_phys(v * 4u + 2, 0, 2);
    }
  }
  /// Runs one instruction at 0100h; returns the vector it raised, or -1.
  int step(std::vector<uint8_t> code) {
    cpu.s.rip = 0x100;
    mem.load_phys(0x100, code);
    interp.step();
    if (cpu.s.rip == 0x200u + kVecGp) return kVecGp;
    if (cpu.s.rip == 0x200u + kVecUd) return kVecUd;
    return -1;
  }
  int rdmsr(uint32_t index) {
    cpu.s.gpr[kRcx] = index;
    return step({0x0f, 0x32});
  }
  int wrmsr(uint32_t index, uint64_t v) {
    cpu.s.gpr[kRcx] = index;
    cpu.s.gpr[kRax] = uint32_t(v);
    cpu.s.gpr[kRdx] = uint32_t(v >> 32);
    return step({0x0f, 0x30});
  }
  uint64_t edx_eax() const {
    return uint32_t(cpu.s.gpr[kRax]) | uint64_t(uint32_t(cpu.s.gpr[kRdx])) << 32;
  }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("RDMSR: APIC base, PAT, MTRRcap power-on values") {
  MsrFixture f;
  CHECK(f.rdmsr(kMsrApicBase) == -1);
  CHECK(f.edx_eax() == 0xfee00900);
  CHECK(f.rdmsr(kMsrPat) == -1);
  CHECK(f.edx_eax() == 0x0007040600070406);
  CHECK(f.rdmsr(kMsrMtrrCap) == -1);
  CHECK(f.edx_eax() == 0x508);
  CHECK(f.rdmsr(kMsrMiscEnable) == -1);
  CHECK((f.edx_eax() & 1) == 1);
}

TEST_CASE("IA32_ARCH_CAPABILITIES: enumerated by CPUID, read-only, every *_NO bit") {
  MsrFixture f;
  f.cpu.s.gpr[kRax] = 7;
  f.cpu.s.gpr[kRcx] = 0;
  CHECK(f.step({0x0f, 0xa2}) == -1);
  CHECK((f.cpu.s.gpr[kRdx] >> 29 & 1) == 1);
  CHECK(f.rdmsr(kMsrArchCapabilities) == -1);
  CHECK((f.edx_eax() & 1) == 1);               // RDCL_NO: no page-table isolation needed
  CHECK((f.edx_eax() & (1u << 5)) != 0);       // MDS_NO
  CHECK((f.edx_eax() & (1u << 1)) == 0);       // no enhanced IBRS: there is no IBRS
  CHECK(f.wrmsr(kMsrArchCapabilities, 0) == kVecGp);
}

TEST_CASE("unknown MSRs, read-only MSRs and reserved bits raise #GP(0)") {
  MsrFixture f;
  CHECK(f.rdmsr(0x12345) == kVecGp);
  CHECK(f.wrmsr(kMsrMtrrCap, 0) == kVecGp);
  CHECK(f.wrmsr(kMsrPat, 0x0000000000000002) == kVecGp);  // type 2 is reserved
  CHECK(f.wrmsr(kMsrMtrrDefType, 0x1000) == kVecGp);
  CHECK(f.wrmsr(kMsrMtrrPhysBase0 + 1, 0x100) == kVecGp);  // mask bits 0-10
  CHECK(f.wrmsr(kMsrEfer, uint64_t{1} << 9) == kVecGp);  // reserved EFER bit
  CHECK(f.wrmsr(kMsrApicBase, uint64_t{1} << 40) == kVecGp);  // above 40 physical bits
}

TEST_CASE("WRMSR stores MTRRs, PAT and SYSENTER MSRs") {
  MsrFixture f;
  CHECK(f.wrmsr(kMsrMtrrDefType, 0xc06) == -1);
  CHECK(f.wrmsr(kMsrMtrrPhysBase0 + 2, 0xe0000001) == -1);
  CHECK(f.wrmsr(kMsrMtrrFix4kC0000 + 7, 0x0606060606060606) == -1);
  CHECK(f.wrmsr(kMsrPat, 0x0007010600070406) == -1);
  CHECK(f.wrmsr(kMsrSysenterEip, 0x123456789) == -1);
  CHECK(f.cpu.s.msr.mtrr_def_type == 0xc06);
  CHECK(f.cpu.s.msr.mtrr_var[2] == 0xe0000001);
  CHECK(f.cpu.s.msr.mtrr_fixed[10] == 0x0606060606060606);
  CHECK(f.cpu.s.msr.pat == 0x0007010600070406);
  CHECK(f.cpu.s.msr.sysenter_eip == 0x123456789);  // canonical with long mode
  CHECK(f.wrmsr(kMsrSysenterEip, uint64_t{1} << 47) == kVecGp);  // not canonical
  CHECK(f.rdmsr(kMsrMtrrPhysBase0 + 2) == -1);
  CHECK(f.edx_eax() == 0xe0000001);
}

TEST_CASE("SYSENTER_EIP holds 32 bits without long mode") {
  CpuModel m = *find_cpu_model("max");
  m.features &= ~(uint64_t{1} << isa::fLm);
  MsrFixture f(m);
  CHECK(f.wrmsr(kMsrSysenterEip, 0x123456789) == -1);
  CHECK(f.cpu.s.msr.sysenter_eip == 0x23456789);
}

TEST_CASE("EFER holds the bits of the model's features only") {
  CpuModel m = *find_cpu_model("max");
  m.features &= ~(uint64_t{1} << isa::fLm);
  MsrFixture f(m);
  CHECK(f.wrmsr(kMsrEfer, kEferSce | kEferNxe) == -1);
  CHECK(f.cpu.s.efer == (kEferSce | kEferNxe));
  CHECK(f.cpu.mem.paging().nxe);
  CHECK(f.wrmsr(kMsrEfer, kEferLme) == kVecGp);  // no long mode
  CHECK(f.rdmsr(kMsrEfer) == -1);
  CHECK(f.edx_eax() == (kEferSce | kEferNxe));
}

TEST_CASE("the TSC counts instructions from the value written") {
  MsrFixture f;
  CHECK(f.wrmsr(kMsrTsc, 1000000) == -1);
  CHECK(f.step({0x0f, 0x31}) == -1);  // rdtsc
  CHECK(f.edx_eax() == 1000001);
  CHECK(f.rdmsr(kMsrTsc) == -1);
  CHECK(f.edx_eax() == 1000002);
}

TEST_CASE("RDMSR does not exist on the 80386") {
  MsrFixture f("80386");
  CHECK(f.rdmsr(kMsrTsc) == kVecUd);
}

TEST_CASE("RDPMC reads the two counters; #GP for others") {
  MsrFixture f;
  CHECK(f.wrmsr(kMsrPerfCtr1, 0xff12345678) == -1);
  f.cpu.s.gpr[kRcx] = 1;
  CHECK(f.step({0x0f, 0x33}) == -1);
  CHECK(f.edx_eax() == 0xff12345678);
  f.cpu.s.gpr[kRcx] = 2;
  CHECK(f.step({0x0f, 0x33}) == kVecGp);
}

TEST_CASE("SYSENTER and SYSEXIT load flat segments from SYSENTER_CS") {
  MsrFixture f;
  CHECK(f.step({0x0f, 0x34}) == kVecGp);  // real mode
  f.cpu.s.msr.sysenter_cs = 0x10;
  f.cpu.s.msr.sysenter_esp = 0x7000;
  f.cpu.s.msr.sysenter_eip = 0x400;
  f.cpu.s.cr[0] |= 1;
  f.cpu.s.cpl = 3;
  f.cpu.s.rflags |= kIf;
  f.mem.load_phys(0x100, std::vector<uint8_t>{0x0f, 0x34});
  f.cpu.s.rip = 0x100;
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x400);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.seg[kCs].selector == 0x10);
  CHECK(f.cpu.s.seg[kSs].selector == 0x18);
  CHECK(f.cpu.s.seg[kCs].limit == 0xffffffff);
  CHECK(uint32_t(f.cpu.s.gpr[kRsp]) == 0x7000);
  CHECK((f.cpu.s.rflags & kIf) == 0);
  f.cpu.s.gpr[kRcx] = 0x6000;
  f.cpu.s.gpr[kRdx] = 0x500;
  f.mem.load_phys(0x400, std::vector<uint8_t>{0x0f, 0x35});
  f.interp.step();
  CHECK(f.cpu.s.rip == 0x500);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kCs].selector == 0x23);
  CHECK(f.cpu.s.seg[kSs].selector == 0x2b);
  CHECK(uint32_t(f.cpu.s.gpr[kRsp]) == 0x6000);
}

TEST_CASE("SYSENTER needs SYSENTER_CS; SYSEXIT needs CPL 0") {
  MsrFixture f;
  f.cpu.s.cr[0] |= 1;
  const DecodedInsn insn;
  const auto fault = [&](Handler h) {
    try {
      h(f.cpu, insn);
    } catch (const GuestFault& g) {
      return int(g.vector);
    }
    return -1;
  };
  CHECK(fault(exec::SYSENTER) == kVecGp);  // SYSENTER_CS is null
  f.cpu.s.msr.sysenter_cs = 0x10;
  f.cpu.s.cpl = 3;
  CHECK(fault(exec::SYSEXIT) == kVecGp);
  CHECK(f.cpu.s.cpl == 3);
}

TEST_CASE("CPUID reports MSR, SEP, MTRR and PAT, and a brand string") {
  MsrFixture f;
  f.cpu.s.gpr[kRax] = 1;
  f.step({0x0f, 0xa2});
  const uint32_t edx = uint32_t(f.cpu.s.gpr[kRdx]);
  CHECK((edx & (1u << 5)) != 0);
  CHECK((edx & (1u << 11)) != 0);
  CHECK((edx & (1u << 12)) != 0);
  CHECK((edx & (1u << 16)) != 0);
  f.cpu.s.gpr[kRax] = 0x80000000;
  f.step({0x0f, 0xa2});
  CHECK(uint32_t(f.cpu.s.gpr[kRax]) == 0x80000008);
  std::string brand;
  for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; ++leaf) {
    f.cpu.s.gpr[kRax] = leaf;
    f.step({0x0f, 0xa2});
    for (unsigned r : {kRax, kRbx, kRcx, kRdx}) {
      for (unsigned k = 0; k < 4; ++k) {
        const char c = char(f.cpu.s.gpr[r] >> (8 * k));
        if (c) brand += c;
      }
    }
  }
  CHECK(brand == "Kestrel virtual CPU (max)");
}

}  // namespace
}  // namespace kestrel::cpu

namespace kestrel::cpu {
namespace {

TEST_CASE("the long-mode MSRs: SYSCALL targets, FS/GS bases, TSC_AUX") {
  MsrFixture f;
  CHECK(f.wrmsr(kMsrStar, 0x0023001000000000) == -1);
  CHECK(f.wrmsr(kMsrLstar, 0xffffffff81000000) == -1);
  CHECK(f.wrmsr(kMsrCstar, 0x1000) == -1);
  CHECK(f.wrmsr(kMsrFmask, 0x47700) == -1);
  CHECK(f.wrmsr(kMsrFsBase, 0x7fff00001000) == -1);
  CHECK(f.wrmsr(kMsrGsBase, 0xffff888000000000) == -1);
  CHECK(f.wrmsr(kMsrKernelGsBase, 0x2000) == -1);
  CHECK(f.wrmsr(kMsrTscAux, 7) == -1);
  CHECK(f.cpu.s.msr.star == 0x0023001000000000);
  CHECK(f.cpu.s.seg[kFs].base == 0x7fff00001000);
  CHECK(f.cpu.s.seg[kGs].base == 0xffff888000000000);
  CHECK(f.rdmsr(kMsrLstar) == -1);
  CHECK(f.edx_eax() == 0xffffffff81000000);
  CHECK(f.rdmsr(kMsrKernelGsBase) == -1);
  CHECK(f.edx_eax() == 0x2000);
  CHECK(f.rdmsr(kMsrTscAux) == -1);
  CHECK(f.edx_eax() == 7);
  // Non-canonical addresses and reserved high halves.
  CHECK(f.wrmsr(kMsrLstar, 0x0000800000000000) == kVecGp);
  CHECK(f.wrmsr(kMsrGsBase, 0x8000000000000000) == kVecGp);
  CHECK(f.wrmsr(kMsrFmask, uint64_t{1} << 32) == kVecGp);
  CHECK(f.wrmsr(kMsrTscAux, uint64_t{1} << 32) == kVecGp);
  CHECK(f.cpu.s.msr.lstar == 0xffffffff81000000);
}

TEST_CASE("EFER.LME cannot change while paging is on; LMA is read-only") {
  MsrFixture f;
  CHECK(f.wrmsr(kMsrEfer, kEferLma) == -1);
  CHECK(f.cpu.s.efer == 0);
  CHECK(f.wrmsr(kMsrEfer, kEferLme) == -1);
  CHECK(f.cpu.s.efer == kEferLme);
}

}  // namespace
}  // namespace kestrel::cpu
