// SPDX-License-Identifier: MIT
// Protected-mode event delivery: interrupt and trap gates with and without
// a privilege change, gate DPL and IDT limit checks, error codes with the
// EXT and IDT bits, double and triple faults, virtual-8086 mode (entry by
// IRET, exit by interrupt, IOPL-sensitive instructions), VME, PVI and the
// I/O permission bit map.
#include <doctest/doctest.h>

#include "cpu/interrupts.h"
#include "pm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace pmtest;

constexpr uint64_t kCr4Vme = 1, kCr4Pvi = 2;

TEST_CASE("INT from CPL 3 through a DPL-3 interrupt gate switches stacks; a DPL-0 gate is #GP") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x31, kCode0, 0x12100, 0xee);
  f.set_gate(PmFixture::kIdt, 0x32, kCode0, 0x12100, 0x8e);
  // int 31h; mov ebx, 0BBBBh; int 32h
  f.load(0x11100, {0xcd, 0x31, 0xbb, 0xbb, 0xbb, 0x00, 0x00, 0xcd, 0x32});
  f.load(0x12100, {0x8c, 0xd1, 0x89, 0xe7, 0xcf});  // mov ecx, ss; mov edi, esp; iretd
  f.goto_ring3(0x11100);
  f.cpu.s.rflags |= kIf;
  CHECK(f.run(3) == StopReason::kBudget);  // int 31h, mov ecx ss, mov edi esp
  CHECK(f.cpu.s.cpl == 0);
  CHECK((f.cpu.s.rflags & kIf) == 0);
  CHECK(f.stack(0) == 0x11102);
  CHECK(f.stack(1) == kCode3);
  CHECK((f.stack(2) & kIf) != 0);
  CHECK(f.stack(3) == PmFixture::kStack3Top);
  CHECK(f.stack(4) == kData3);
  f.run();
  CHECK(uint32_t(f.r(kRcx)) == kData0);
  CHECK(uint32_t(f.r(kRdi)) == PmFixture::kStack0 - 20);
  CHECK(uint32_t(f.r(kRbx)) == 0xbbbb);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0x32 * 8 + 2);  // IDT bit, EXT clear for INT n
  CHECK(f.stack(1) == 0x11107);
}

TEST_CASE("interrupt gates clear IF, trap gates keep it; no stack switch at the same level") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x33, kCode0, 0x12400, 0x8e);
  f.set_gate(PmFixture::kIdt, 0x34, kCode0, 0x12410, 0x8f);
  f.load(0x10000, {0xfb, 0xcd, 0x33, 0xcd, 0x34, 0xf4});  // sti; int 33h; int 34h; hlt
  f.load(0x12400, {0x9c, 0x58, 0xcf});                    // pushfd; pop eax; iretd
  f.load(0x12410, {0x9c, 0x5a, 0xcf});                    // pushfd; pop edx; iretd
  f.cpu.s.rip = 0x10000;
  CHECK(f.run() == StopReason::kHalted);
  CHECK(f.vector() == -1);
  CHECK((f.r(kRax) & kIf) == 0);
  CHECK((f.r(kRdx) & kIf) != 0);
  CHECK(f.r(kRsp) == PmFixture::kStack0);
  CHECK((f.cpu.s.rflags & kIf) != 0);
}

TEST_CASE("a vector beyond the IDT limit is #GP(vector * 8 + 2)") {
  PmFixture f;
  f.enter_pm();
  f.cpu.s.idtr.limit = 32 * 8 - 1;
  f.load(0x10000, {0xcd, 0x40});
  f.cpu.s.rip = 0x10000;
  f.run();
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0x40 * 8 + 2);
}

TEST_CASE("a fault while delivering a benign exception is delivered next, with EXT set") {
  PmFixture f;
  f.enter_pm();
  f.load(0x10000, {0x0f, 0x0b});  // ud2
  f.cpu.s.rip = 0x10000;
  SUBCASE("gate not present: #NP(IDT entry | EXT)") {
    f.set_gate(PmFixture::kIdt, kVecUd, kCode0, 0x20060, 0x0e);
    f.run();
    CHECK(f.vector() == kVecNp);
    CHECK(f.stack(0) == kVecUd * 8 + 2 + 1);
  }
  SUBCASE("gate's code selector beyond the GDT: #GP(selector | EXT)") {
    f.set_gate(PmFixture::kIdt, kVecUd, 0x1000, 0x20060, 0x8e);
    f.run();
    CHECK(f.vector() == kVecGp);
    CHECK(f.stack(0) == 0x1001);
  }
  CHECK(f.stack(1) == 0x10000);
}

TEST_CASE("contributory during contributory is #DF; a fault delivering #DF shuts down") {
  PmFixture f;
  f.enter_pm();
  f.load(0x10000, {0x66, 0xb8, 0x68, 0x00, 0x8e, 0xd8, 0xf4});  // mov ax, 68h; mov ds, ax
  f.cpu.s.rip = 0x10000;
  f.set_gate(PmFixture::kIdt, kVecNp, kCode0, 0x200b0, 0x0e);  // #NP gate not present
  SUBCASE("double fault") {
    CHECK(f.run() == StopReason::kHalted);
    CHECK(f.vector() == kVecDf);
    CHECK(f.stack(0) == 0);
    CHECK(f.stack(1) == 0x10004);
  }
  SUBCASE("triple fault") {
    f.set_gate(PmFixture::kIdt, kVecDf, kCode0, 0x20080, 0x0e);
    CHECK(f.run() == StopReason::kShutdown);
    CHECK((f.cpu.s.pending & kPendingReset) != 0);
  }
}

/// Builds the IRETD frame that enters virtual-8086 mode at 5000:0000 and
/// runs the ring-0 IRETD at 12200h.
void enter_v86(PmFixture& f, uint32_t eflags) {
  // mov ax, 1234h; int 21h; mov bx, 5678h; cli; pushf; pop cx; sti; hlt
  f.load(0x50000, {0xb8, 0x34, 0x12, 0xcd, 0x21, 0xbb, 0x78, 0x56, 0xfa, 0x9c, 0x59, 0xfb, 0xf4});
  f.load(0x60000, {0xba, 0x21, 0x43, 0xcf});  // mov dx, 4321h; iret
  f.mem.write_phys(0x21 * 4, 0x60000000, 4);  // virtual-8086 IVT: 6000:0000
  f.load(0x12200, {0xcf});
  const uint32_t frame[9] = {0, 0x5000, eflags | kVm | kFixed1, 0xfff0, 0x4000,
                             0x4100, 0x4200, 0x4300, 0x4400};
  f.r(kRsp) = PmFixture::kStack0 - 36;
  for (unsigned i = 0; i < 9; ++i) f.mem.write_phys(PmFixture::kStack0 - 36 + 4 * i, frame[i], 4);
  f.cpu.s.rip = 0x12200;
}

TEST_CASE("IRET enters virtual-8086 mode; INT n with IOPL < 3 exits to the #GP handler") {
  PmFixture f;
  f.enter_pm();
  enter_v86(f, kIf);
  CHECK(f.run(1) == StopReason::kBudget);
  CHECK(f.cpu.v86());
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kDs].base == 0x42000);
  CHECK(f.cpu.s.seg[kCs].base == 0x50000);
  CHECK(f.cpu.s.seg[kSs].limit == 0xffff);
  f.run();
  CHECK(f.vector() == kVecGp);
  CHECK(uint16_t(f.r(kRax)) == 0x1234);
  CHECK(!f.cpu.v86());
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.r(kRsp) == PmFixture::kStack0 - 40);
  const uint32_t expect[10] = {0, 3, 0x5000, 0, 0xfff0, 0x4000, 0x4100, 0x4200, 0x4300, 0x4400};
  for (unsigned i = 0; i < 10; ++i) {
    if (i != 3) CHECK(f.stack(i) == expect[i]);
  }
  CHECK((f.stack(3) & kVm) != 0);
  for (uint8_t seg : {kEs, kDs, kFs, kGs}) CHECK(f.cpu.s.seg[seg].selector == 0);
}

TEST_CASE("virtual-8086 mode with IOPL 3: INT n through the IDT and IRETD back") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x21, kCode0, 0x12200, 0xee);  // its handler is the IRETD
  enter_v86(f, kIf | kIopl);
  f.run();
  CHECK(uint16_t(f.r(kRbx)) == 0x5678);
  CHECK(uint16_t(f.r(kRdx)) != 0x4321);      // the virtual-8086 IVT was not used
  CHECK((f.r(kRcx) & kIf) == 0);             // CLI cleared IF itself
  CHECK(f.vector() == kVecGp);               // HLT at CPL 3
  CHECK(f.stack(7) == 0x4200);               // DS came back from the frame
}

TEST_CASE("VME: INT n redirected to the virtual-8086 IVT; CLI, PUSHF and STI use VIF") {
  PmFixture f;
  f.enter_pm();
  f.cpu.s.cr[4] |= kCr4Vme;
  enter_v86(f, kIf | kVif);
  f.run();
  CHECK(uint16_t(f.r(kRdx)) == 0x4321);
  CHECK(uint16_t(f.r(kRbx)) == 0x5678);
  CHECK((f.r(kRcx) & kIopl) == kIopl);       // PUSHF shows IOPL 3...
  CHECK((f.r(kRcx) & kIf) == 0);             // ...and VIF (cleared by CLI) as IF
  CHECK(f.vector() == kVecGp);
  CHECK((f.stack(3) & kIf) != 0);            // the real IF never changed
  CHECK((f.stack(3) & kVif) != 0);           // STI set VIF again
  CHECK((f.stack(3) & kIopl) == 0);
}

TEST_CASE("VME: a set redirection bit with IOPL < 3 sends INT n to the #GP handler") {
  PmFixture f;
  f.enter_pm();
  f.cpu.s.cr[4] |= kCr4Vme;
  f.mem.write_phys(PmFixture::kTss + PmFixture::kIoBase - 32 + 0x21 / 8, 1u << (0x21 % 8), 1);
  enter_v86(f, kIf | kVif);
  f.run();
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0);
  CHECK(f.stack(1) == 3);  // the INT 21h itself
}

TEST_CASE("PVI: CLI and STI at CPL 3 change VIF") {
  PmFixture f;
  f.enter_pm();
  f.cpu.s.cr[4] |= kCr4Pvi;
  f.load(0x11400, {0xfa, 0xbb, 0x02, 0x00, 0x00, 0x00, 0xfb, 0xf4});  // cli; mov ebx,2; sti; hlt
  f.goto_ring3(0x11400);
  f.cpu.s.rflags |= kIf | kVif;
  f.run(1);
  CHECK((f.cpu.s.rflags & kVif) == 0);
  CHECK((f.cpu.s.rflags & kIf) != 0);
  f.run();
  CHECK(f.vector() == kVecGp);
  CHECK((f.stack(3) & kVif) != 0);
  SUBCASE("without PVI CLI faults") {
    f.cpu.s.cr[4] = 0;
    f.goto_ring3(0x11400);
    f.cpu.s.halted = false;
    f.run();
    CHECK(f.vector() == kVecGp);
    CHECK(f.stack(1) == 0x11400);
  }
}

TEST_CASE("stack switch checks: #TS and #SS with the new SS selector; nothing changes") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x31, kCode0, 0x12100, 0xee);
  f.goto_ring3(0x11100);
  f.cpu.s.rip = 0x11102;
  const auto deliver = [&](EventKind kind) {
    return fault_of([&] { deliver_event(f.cpu, 0x31, kind); });
  };
  const auto ss0 = [&](uint16_t sel) { f.mem.write_phys(PmFixture::kTss + 8, sel, 2); };
  ss0(0);
  CHECK(deliver(EventKind::kSoftware).vector == kVecTs);
  CHECK(deliver(EventKind::kSoftware).error == 0);
  CHECK(deliver(EventKind::kExternal).error == 1);  // EXT
  ss0(kData3);
  CHECK(deliver(EventKind::kSoftware).error == (kData3 & 0xfffc));
  ss0(kReadOnly);
  CHECK(deliver(EventKind::kSoftware).error == kReadOnly);
  ss0(kNotPresent);
  CHECK(deliver(EventKind::kSoftware).vector == kVecSs);
  CHECK(deliver(EventKind::kSoftware).error == kNotPresent);
  f.set_desc(16, 0, 0xfff, 0x92, 0x4);  // 80: a 4 KiB ring-0 stack
  f.cpu.s.gdtr.limit = 17 * 8 - 1;
  ss0(0x80);
  f.mem.write_phys(PmFixture::kTss + 4, 0x1008, 4);  // the frame would cross the limit
  CHECK(deliver(EventKind::kSoftware).vector == kVecSs);
  CHECK(deliver(EventKind::kSoftware).error == 0x80);
  f.cpu.s.tr.limit = 8;  // SS0 outside the TSS
  CHECK(deliver(EventKind::kSoftware).vector == kVecTs);
  CHECK(deliver(EventKind::kSoftware).error == kTssSel);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kSs].selector == kData3);
  CHECK(f.r(kRsp) == PmFixture::kStack3Top);
  CHECK(f.cpu.s.rip == 0x11102);
}

TEST_CASE("IRET to an outer level nulls data segments the outer level may not use") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x31, kCode0, 0x12100, 0xee);
  // int 31h; hlt      handler: mov ax, 10h; mov ds, ax; mov fs, ax; iretd
  f.load(0x11100, {0xcd, 0x31, 0xf4});
  f.load(0x12100, {0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xe0, 0xcf});
  f.goto_ring3(0x11100);
  load_data_segment_pm(f.cpu, kGs, kConforming | 3);
  f.run();
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(1) == 0x11102);
  CHECK(f.cpu.s.seg[kDs].selector == 0);
  CHECK(f.cpu.s.seg[kFs].selector == 0);
  CHECK(f.cpu.s.seg[kEs].selector == kData3);
  CHECK(f.cpu.s.seg[kGs].selector == (kConforming | 3));  // conforming code stays
}

TEST_CASE("an IDT task gate switches tasks; IRET with NT switches back") {
  PmFixture f;
  f.enter_pm();
  constexpr uint32_t kTss2 = 0x3400;
  f.set_desc(16, kTss2, 0x67, 0x89, 0);  // 80: available 32-bit TSS
  f.cpu.s.gdtr.limit = 17 * 8 - 1;
  const uint32_t fields[][2] = {{0x20, 0x10100}, {0x24, kFixed1}, {0x38, 0x8800},
                                {0x48, kData0}, {0x4c, kCode0}, {0x50, kData0},
                                {0x54, kData0}, {0x58, kData0}, {0x5c, kData0}};
  for (const auto& fv : fields) f.mem.write_phys(kTss2 + fv[0], fv[1], 4);
  f.set_gate(PmFixture::kIdt, 0x40, 0x80, 0, 0x85);
  f.load(0x10000, {0xcd, 0x40, 0xf4});  // int 40h; hlt
  f.load(0x10100, {0xcf});              // iretd
  f.cpu.s.rip = 0x10000;
  CHECK(f.run(1) == StopReason::kBudget);
  CHECK(f.cpu.s.tr.selector == 0x80);
  CHECK(f.cpu.s.rip == 0x10100);
  CHECK((f.cpu.s.rflags & kNt) != 0);
  CHECK(f.mem.read_phys(kTss2, 2) == kTssSel);  // back link
  CHECK(f.run() == StopReason::kHalted);
  CHECK(f.vector() == -1);
  CHECK(f.cpu.s.tr.selector == kTssSel);
  CHECK(f.cpu.s.rip == 0x10003);
  CHECK(f.desc(0x80).type() == kSysTss32);  // no longer busy
}

TEST_CASE("80286: LMSW enters protected mode; a 16-bit interrupt gate and IRET") {
  PmFixture f("80286");
  // lgdt; smsw ax; or al,1; lmsw ax; jmp 30h:pm16; ds=ss=38h; sp=6000h;
  // sti; int 35h; hlt     (handler at 7100h: pushf; pop dx; iret)
  f.load(0x7000, {0x0f, 0x01, 0x16, 0x20, 0x70, 0x0f, 0x01, 0xe0, 0x0c, 0x01, 0x0f, 0x01,
                  0xf0, 0xea, 0x12, 0x70, 0x30, 0x00, 0xb8, 0x38, 0x00, 0x8e, 0xd8, 0x8e,
                  0xd0, 0xbc, 0x00, 0x60, 0xfb, 0xcd, 0x35, 0xf4, 0x7f, 0x00, 0x00, 0x10,
                  0x00, 0x00});
  f.load(0x7100, {0x9c, 0x5a, 0xcf});
  f.set_gate(PmFixture::kIdt, 0x35, kCode16, 0x7100, 0x86);
  for (uint8_t seg : {kCs, kDs, kEs, kSs}) f.cpu.load_real_segment(seg, 0);
  f.cpu.s.rip = 0x7000;
  CHECK(f.run() == StopReason::kHalted);
  CHECK(!f.cpu.real_mode());
  CHECK(f.cpu.s.seg[kCs].selector == kCode16);
  CHECK(f.cpu.s.rip == 0x7020);
  CHECK((f.r(kRdx) & kIf) == 0);
  CHECK(uint16_t(f.r(kRsp)) == 0x6000);
  CHECK(f.mem.read_phys(0x6000 - 6, 2) == 0x701f);  // the 16-bit frame: IP
  CHECK(f.mem.read_phys(0x6000 - 4, 2) == kCode16);
}

TEST_CASE("I/O at CPL 3 above IOPL consults the TSS I/O permission bit map") {
  PmFixture f;
  f.enter_pm();
  f.load(0x11200, {0xe4, 0x40, 0xbb, 0x01, 0x00, 0x00, 0x00, 0xe4, 0x41});  // in 40h; mov; in 41h
  f.goto_ring3(0x11200);
  f.run();
  CHECK(uint32_t(f.r(kRbx)) == 1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0);
  CHECK(f.stack(1) == 0x11207);
}

}  // namespace
}  // namespace kestrel::cpu

namespace kestrel::cpu {
namespace {

using namespace pmtest;

TEST_CASE("a task gate's faults report EXT = 0 for INT n and EXT = 1 for an external event") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kIdt, 0x50, kData0, 0, 0x85);  // task gate naming a data segment
  GuestFault g = fault_of([&] { deliver_event(f.cpu, 0x50, EventKind::kSoftware); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == kData0);
  g = fault_of([&] { deliver_event(f.cpu, 0x50, EventKind::kExternal); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == (kData0 | 1u));
}

}  // namespace
}  // namespace kestrel::cpu
