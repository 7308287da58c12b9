// SPDX-License-Identifier: MIT
// Control transfers of IA-32e mode: SYSCALL/SYSRET, SYSENTER/SYSEXIT,
// SWAPGS and RDTSCP, far JMP/CALL/RET between 64-bit and compatibility
// code, 64-bit call gates, IRETQ to compatibility mode.
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/cpu/lm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace lmtest;

constexpr uint64_t kCode = LmFixture::kCode;

void set_star(LmFixture& f) {
  f.cpu.s.msr.star = uint64_t{0x18} << 48 | uint64_t{kCode64} << 32;
  f.cpu.s.msr.lstar = kCode + 0x100;
  f.cpu.s.msr.sfmask = kIf | kTf;
}

TEST_CASE("SYSCALL and SYSRET: ring 3 to ring 0 and back") {
  LmFixture f;
  f.enter_long();
  set_star(f);
  f.load(kCode, {0x0f, 0x05, 0xf4});          // syscall; hlt
  f.load(kCode + 0x100, {0x48, 0x0f, 0x07});  // o64 sysret
  f.goto_ring3(kCode);
  f.cpu.s.rflags |= kIf;
  f.run(1);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.rip == kCode + 0x100);
  CHECK(f.cpu.s.seg[kCs].selector == kCode64);
  CHECK(f.cpu.s.seg[kSs].selector == kData0);
  CHECK(f.r(kRcx) == kCode + 2);
  CHECK((f.r(kR11) & kIf) != 0);
  CHECK((f.cpu.s.rflags & kIf) == 0);
  CHECK(f.cpu.long_mode64());
  f.run(1);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.rip == kCode + 2);
  CHECK(f.cpu.s.seg[kCs].selector == kCode64u);
  CHECK(f.cpu.s.seg[kSs].selector == kData3);
  CHECK((f.cpu.s.rflags & kIf) != 0);
  CHECK(f.cpu.long_mode64());
}

TEST_CASE("after SYSRET, ring 3 reads through the user TLB, not ring 0's entries") {
  LmFixture f;
  f.enter_long();
  set_star(f);
  // The 2 MiB page at 8 MiB for the supervisor only.
  constexpr uint64_t kPage = 0x800000;
  f.mem.write_phys(LmFixture::kPd + 8 * 4, kPage | 0x83, 8);
  f.mem.write_phys(kPage, 0x1122334455667788, 8);
  // Through a base register, the specialised handlers' form.
  f.load(kCode, {0x48, 0x8b, 0x06,           // mov rax, [rsi]
                 0x48, 0x0f, 0x07});         // o64 sysret
  f.load(kCode + 0x40, {0x48, 0x8b, 0x1e,    // mov rbx, [rsi]
                        0xeb, 0xfe});        // jmp $
  f.r(kRsi) = kPage;
  f.r(kRcx) = kCode + 0x40;
  f.r(kR11) = 0x202;
  f.run(10);
  CHECK(f.r(kRax) == 0x1122334455667788);
  CHECK(f.r(kRbx) == 0);
  CHECK(f.vector() == kVecPf);
  CHECK(f.cpu.s.cr[2] == kPage);
  CHECK(f.stack(0) == 5);  // present, user, read
  CHECK(f.stack(1) == kCode + 0x40);
}

TEST_CASE("SYSRET without REX.W returns to compatibility mode") {
  LmFixture f;
  f.enter_long();
  set_star(f);
  f.load(kCode, {0x0f, 0x07});
  f.r(kRcx) = 0xffffffff00001234;
  f.r(kR11) = 0x202;
  f.run(1);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kCs].selector == kCode32u);
  CHECK(f.cpu.s.rip == 0x1234);
  CHECK(!f.cpu.long_mode64());
  CHECK(f.cpu.long_mode());
}

TEST_CASE("SYSRET to a non-canonical RCX raises #GP(0) at ring 0") {
  LmFixture f;
  f.enter_long();
  set_star(f);
  f.load(kCode, {0x48, 0x0f, 0x07});
  f.r(kRcx) = 0x0000800000000000;
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.cpu.s.cpl == 0);
}

TEST_CASE("SYSCALL is #UD without EFER.SCE and in compatibility mode") {
  LmFixture f;
  f.enter_long();
  f.cpu.s.efer &= ~uint64_t{kEferSce};
  f.load(kCode, {0x0f, 0x05});
  f.run(1);
  CHECK(f.vector() == kVecUd);
  LmFixture g;
  g.enter_long();
  load_code_segment(g.cpu, kCode32, g.desc(kCode32), 0);
  g.load(kCode, {0x0f, 0x05});
  g.cpu.s.rip = kCode;
  g.run(1);
  CHECK(g.vector() == kVecUd);
}

TEST_CASE("SWAPGS needs CPL 0; RDTSCP reads TSC_AUX") {
  LmFixture f;
  f.enter_long();
  f.cpu.s.msr.tsc_aux = 0x55;
  f.load(kCode, {0x0f, 0x01, 0xf9, 0x0f, 0x01, 0xf8});  // rdtscp; swapgs
  f.goto_ring3(kCode);
  f.run(2);
  CHECK(uint32_t(f.r(kRcx)) == 0x55);
  CHECK(f.vector() == kVecGp);
}

TEST_CASE("SYSENTER enters 64-bit code in IA-32e mode; SYSEXIT with REX.W returns to it") {
  LmFixture f;
  f.enter_long();
  f.cpu.s.msr.sysenter_cs = kCode64;
  f.cpu.s.msr.sysenter_eip = 0xffff800000000000 | (kCode + 0x100);
  f.cpu.s.msr.sysenter_esp = 0x8000;
  // Map the high address onto the same 2 MiB pages: PML4 entry 256.
  f.mem.write_phys(LmFixture::kPml4 + 256 * 8, LmFixture::kPdpt | 7, 8);
  f.load(kCode, {0x0f, 0x34});
  f.load(kCode + 0x100, {0x48, 0x0f, 0x35});  // sysexitq
  f.goto_ring3(kCode, kCode32u);
  f.run(1);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == (0xffff800000000000 | (kCode + 0x100)));
  f.r(kRdx) = kCode + 0x200;
  f.r(kRcx) = 0x6000;
  f.run(1);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kCs].selector == ((kCode64 + 32) | 3));
  CHECK(f.cpu.s.seg[kSs].selector == ((kCode64 + 40) | 3));
  CHECK(f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == kCode + 0x200);
}

TEST_CASE("a 64-bit call gate from ring 3: RSP0, 8-byte slots, RETFQ back") {
  LmFixture f;
  f.enter_long();
  f.mem.write_phys(0x6000, 0, 8);
  f.mem.write_phys(0x6008, kGate, 2);
  f.load(kCode, {0x48, 0xff, 0x1b, 0xf4});  // call far [rbx]; hlt
  f.load(LmFixture::kGateTarget, {0x48, 0xcb});  // o64 retf
  f.goto_ring3(kCode);
  f.r(kRbx) = 0x6000;
  f.run(1);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.rip == LmFixture::kGateTarget);
  CHECK(f.cpu.s.gpr[kRsp] == LmFixture::kStack0 - 32);
  CHECK(f.stack(0) == kCode + 3);
  CHECK(f.stack(1) == kCode64u);
  CHECK(f.stack(2) == LmFixture::kStack3);
  CHECK(f.stack(3) == kData3);
  CHECK(f.cpu.s.seg[kSs].selector == 0);
  f.run(1);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.rip == kCode + 3);
  CHECK(f.cpu.s.gpr[kRsp] == LmFixture::kStack3);
  CHECK(f.cpu.s.seg[kSs].selector == kData3);
}

TEST_CASE("far JMP between 64-bit and compatibility code; L with D is #GP") {
  LmFixture f;
  f.enter_long();
  f.mem.write_phys(0x6000, 0x5000, 4);
  f.mem.write_phys(0x6004, kCode32, 2);
  f.load(kCode, {0xff, 0x2b});  // jmp far [rbx] (m16:32)
  // jmp 08:kCode + 0x10 from 32-bit code.
  f.load(0x5000, {0xea, 0x10, 0x00, 0x10, 0x00, 0x08, 0x00});
  f.r(kRbx) = 0x6000;
  f.run(1);
  CHECK(!f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == 0x5000);
  f.run(1);
  CHECK(f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == kCode + 0x10);
  f.mem.write_phys(0x6004, kBadLD, 2);
  f.load(kCode + 0x10, {0xff, 0x2b});
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == kBadLD);
}

TEST_CASE("IRETQ to ring-3 compatibility code pops SS:RSP") {
  LmFixture f;
  f.enter_long();
  // Frame: RIP, CS, RFLAGS, RSP, SS.
  const uint64_t frame[5] = {0x5000, kCode32u, 0x202, 0x7000, kData3};
  for (unsigned i = 0; i < 5; ++i) f.mem.write_phys(0x7f00 + 8 * i, frame[i], 8);
  f.cpu.s.gpr[kRsp] = 0x7f00;
  f.load(kCode, {0x48, 0xcf});
  f.run(1);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(!f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == 0x5000);
  CHECK(uint32_t(f.cpu.s.gpr[kRsp]) == 0x7000);
  CHECK((f.cpu.s.rflags & kIf) != 0);
}

TEST_CASE("IRETQ to a non-canonical RIP raises #GP(0)") {
  LmFixture f;
  f.enter_long();
  const uint64_t frame[5] = {0x0000800000000000, kCode64, 0x2, 0x8000, kData0};
  for (unsigned i = 0; i < 5; ++i) f.mem.write_phys(0x7f00 + 8 * i, frame[i], 8);
  f.cpu.s.gpr[kRsp] = 0x7f00;
  f.load(kCode, {0x48, 0xcf});
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0);
}

}  // namespace
}  // namespace kestrel::cpu
