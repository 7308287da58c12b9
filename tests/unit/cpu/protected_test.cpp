// SPDX-License-Identifier: MIT
// Protected-mode segmentation: entering and leaving protected mode (and
// unreal mode), segment-load checks and their error codes, limit, type and
// expand-down checks, far JMP/CALL/RET with call gates and privilege
// changes, and the descriptor instructions (LAR LSL VERR VERW ARPL LTR ...).
#include <doctest/doctest.h>

#include "cpu/interp/far.h"
#include "pm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace pmtest;

TEST_CASE("real -> protected -> real mode, leaving DS as a 4 GiB unreal segment") {
  PmFixture f;
  // lgdt; cr0.PE=1; jmp 08:pm32; load DS/ES/SS 10; write [200000h];
  // jmp 30:pm16; cr0.PE=0; jmp 0:real; ds=0; mov ebx,[esi=200000h]; hlt
  f.load(0x7000, {0x0f, 0x01, 0x16, 0x51, 0x70, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22,
                  0xc0, 0x66, 0xea, 0x15, 0x70, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10,
                  0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x90, 0x00, 0x00,
                  0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x78, 0x56, 0x34, 0x12, 0xea, 0x35,
                  0x70, 0x00, 0x00, 0x30, 0x00, 0x0f, 0x20, 0xc0, 0x24, 0xfe, 0x0f, 0x22,
                  0xc0, 0xea, 0x42, 0x70, 0x00, 0x00, 0x31, 0xc0, 0x8e, 0xd8, 0x66, 0xbe,
                  0x00, 0x00, 0x20, 0x00, 0x66, 0x67, 0x8b, 0x1e, 0xf4, 0xff, 0x00, 0x00,
                  0x10, 0x00, 0x00});
  for (uint8_t seg : {kCs, kDs, kEs, kSs}) f.cpu.load_real_segment(seg, 0);
  f.cpu.s.rip = 0x7000;
  f.cpu.s.gdtr = {};
  CHECK(f.run() == StopReason::kHalted);
  CHECK(f.cpu.real_mode());
  CHECK(f.cpu.s.cpl == 0);
  CHECK(uint32_t(f.r(kRbx)) == 0x12345678);
  CHECK(f.cpu.s.seg[kDs].limit == 0xffffffff);
  CHECK(f.cpu.s.seg[kDs].base == 0);
  CHECK(f.cpu.s.seg[kCs].selector == 0);
}

TEST_CASE("data and stack segment loads: every check and its error code") {
  PmFixture f;
  f.enter_pm();
  const auto load = [&](uint8_t seg, uint16_t sel) {
    return fault_of([&] { load_data_segment_pm(f.cpu, seg, sel); });
  };
  const auto is = [](GuestFault g, uint8_t v, uint32_t e) { return g.vector == v && g.error == e; };
  CHECK(is(load(kDs, 0x1000), kVecGp, 0x1000));      // beyond the GDT limit
  CHECK(is(load(kDs, kTssSel), kVecGp, kTssSel));     // system descriptor
  CHECK(is(load(kDs, kExecOnly), kVecGp, kExecOnly)); // execute-only code
  CHECK(is(load(kDs, kNotPresent), kVecNp, kNotPresent));
  CHECK(is(load(kDs, 0x5c), kVecGp, 0x5c));           // LDT selector, no LDT
  CHECK(is(load(kSs, 0), kVecGp, 0));
  CHECK(is(load(kSs, kReadOnly), kVecGp, kReadOnly));
  CHECK(is(load(kSs, kData3), kVecGp, kData3 & 0xfffc));  // RPL != CPL
  CHECK(is(load(kSs, kData0Rpl3), kVecGp, kData0));
  f.set_desc(13, 0, 0xffff, 0x12 | 0x80, 0);  // present again
  CHECK(load(kSs, kNotPresent).vector == 255);
  f.set_desc(13, 0, 0xffff, 0x12, 0);
  CHECK(is(load(kSs, kNotPresent), kVecSs, kNotPresent));
  // A null selector loads into DS; using it faults.
  CHECK(load(kDs, 3).vector == 255);
  CHECK(is(fault_of([&] { f.cpu.read<uint8_t>(kDs, 0); }), kVecGp, 0));
  // The accessed bit is set in the descriptor.
  CHECK(load(kEs, kData16).vector == 255);
  CHECK((f.mem.read_phys(PmFixture::kGdt + 7 * 8 + 5, 1) & 1) == 1);
  // At CPL 3: DPL 0 data is out of reach, conforming code is not.
  f.goto_ring3(0x11000);
  CHECK(is(load(kDs, kData0Rpl3), kVecGp, kData0));
  CHECK(load(kDs, kConforming | 3).vector == 255);
  CHECK(is(load(kSs, kData3 & 0xfffc), kVecGp, kData3 & 0xfffc));  // RPL 0 != CPL 3
}

TEST_CASE("limit, type and expand-down checks on accesses") {
  PmFixture f;
  f.enter_pm();
  const auto vec = [](GuestFault g) { return g.vector; };
  load_data_segment_pm(f.cpu, kDs, kExpandDown);  // valid 1000h..FFFFFFFFh
  CHECK(vec(fault_of([&] { f.cpu.read<uint32_t>(kDs, 0xffc); })) == kVecGp);
  CHECK(vec(fault_of([&] { f.cpu.read<uint32_t>(kDs, 0x1000); })) == 255);
  CHECK(vec(fault_of([&] { f.cpu.read<uint32_t>(kDs, 0xfffffffc); })) == 255);
  CHECK(vec(fault_of([&] { f.cpu.read<uint32_t>(kDs, 0xfffffffd); })) == kVecGp);
  load_data_segment_pm(f.cpu, kDs, kReadOnly);
  CHECK(vec(fault_of([&] { f.cpu.read<uint16_t>(kDs, 0xfffe); })) == 255);
  CHECK(vec(fault_of([&] { f.cpu.read<uint16_t>(kDs, 0xffff); })) == kVecGp);
  CHECK(vec(fault_of([&] { f.cpu.write<uint8_t>(kDs, 0, 1); })) == kVecGp);
  load_data_segment_pm(f.cpu, kSs, kData16);
  CHECK(vec(fault_of([&] { f.cpu.read<uint8_t>(kSs, 0x10000); })) == kVecSs);
  load_code_segment(f.cpu, kExecOnly, f.desc(kExecOnly), 0);
  CHECK(vec(fault_of([&] { f.cpu.read<uint8_t>(kCs, 0); })) == kVecGp);
}

TEST_CASE("#AC on a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC") {
  PmFixture f;
  f.enter_pm();
  f.load(0x11300, {0xa1, 0x01, 0x50, 0x00, 0x00, 0xf4});  // mov eax, [5001h]; hlt
  f.cpu.s.cr[0] |= 1u << 18;
  f.cpu.s.rflags |= kAc;
  f.goto_ring3(0x11300);
  f.run();
  CHECK(f.vector() == kVecAc);
  CHECK(f.stack(0) == 0);
  CHECK(f.stack(1) == 0x11300);
}

TEST_CASE("far JMP: code segment privilege, conforming code, limits, call gates") {
  PmFixture f;
  f.enter_pm();
  const auto jmp = [&](uint16_t sel, uint64_t off) {
    return fault_of([&] { exec::far_jump_pm(f.cpu, sel, off); });
  };
  CHECK(jmp(0, 0).vector == kVecGp);
  CHECK(jmp(kCode3, 0).error == (kCode3 & 0xfffc));  // DPL 3 != CPL 0
  CHECK(jmp(kData0, 0).error == kData0);
  CHECK(jmp(kCode16, 0x10000).error == 0);
  CHECK(jmp(kCode16, 0x10000).vector == kVecGp);
  CHECK(jmp(kConforming, 0x1234).vector == 255);
  CHECK(f.cpu.s.seg[kCs].selector == kConforming);
  CHECK(f.cpu.s.rip == 0x1234);
  f.goto_ring3(0x11000);
  CHECK(jmp(kConforming, 0x10).vector == 255);  // stays at CPL 3
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.seg[kCs].selector == (kConforming | 3));
  // JMP through a call gate cannot change privilege: DPL 0 code != CPL 3.
  const GuestFault g = jmp(kGate3, 0);
  CHECK(g.vector == kVecGp);
  CHECK(g.error == kCode0);
}

TEST_CASE("far JMP and CALL to a TSS or task gate: access checks before any switch") {
  PmFixture f;
  f.enter_pm();
  const auto jmp = [&](uint16_t sel) {
    return fault_of([&] { exec::far_jump_pm(f.cpu, sel, 0); });
  };
  // The TSS descriptor is busy (TR): #GP(selector).
  CHECK(jmp(kTssSel).vector == kVecGp);
  CHECK(jmp(kTssSel).error == kTssSel);
  // A DPL-0 task gate from CPL 3: #GP(gate); a DPL-3 gate not present: #NP(gate).
  f.set_gate(PmFixture::kGdt, 16, kTssSel, 0, 0x85);
  f.cpu.s.gdtr.limit = 17 * 8 - 1;
  f.goto_ring3(0x11000);
  CHECK(jmp(0x83).vector == kVecGp);
  CHECK(jmp(0x83).error == 0x80);
  f.set_gate(PmFixture::kGdt, 16, kTssSel, 0, 0x65);
  CHECK(jmp(0x83).vector == kVecNp);
  CHECK(jmp(0x83).error == 0x80);
  CHECK(f.cpu.s.cpl == 3);
}

TEST_CASE("call gate from CPL 3: stack switch, parameter copy, RETF back, outer segments nulled") {
  PmFixture f;
  f.enter_pm();
  // Ring 3: push 11111111h; push 22222222h; call 43h:0; mov ebx, 0AAAAh; hlt
  f.load(0x11000, {0x68, 0x11, 0x11, 0x11, 0x11, 0x68, 0x22, 0x22, 0x22, 0x22, 0x9a, 0x00,
                   0x00, 0x00, 0x00, 0x43, 0x00, 0xbb, 0xaa, 0xaa, 0x00, 0x00, 0xf4});
  // Ring 0: mov eax,[esp+8]; mov edx,[esp+12]; mov cx,10h; mov es,cx; retf 8
  f.load(0x12000, {0x8b, 0x44, 0x24, 0x08, 0x8b, 0x54, 0x24, 0x0c, 0x66, 0xb9, 0x10, 0x00,
                   0x8e, 0xc1, 0xca, 0x08, 0x00});
  f.goto_ring3(0x11000);
  // Stop inside the ring-0 procedure to look at its stack.
  CHECK(f.run(4) == StopReason::kBudget);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.seg[kCs].selector == kCode0);
  CHECK(f.cpu.s.seg[kSs].selector == kData0);
  CHECK(f.r(kRsp) == PmFixture::kStack0 - 24);
  CHECK(f.stack(0) == 0x11011);               // return EIP
  CHECK(f.stack(1) == kCode3);
  CHECK(f.stack(2) == 0x22222222);            // parameters in their order
  CHECK(f.stack(3) == 0x11111111);
  CHECK(f.stack(4) == PmFixture::kStack3Top - 8);
  CHECK(f.stack(5) == kData3);
  f.run();
  CHECK(uint32_t(f.r(kRax)) == 0x22222222);
  CHECK(uint32_t(f.r(kRdx)) == 0x11111111);
  CHECK(uint32_t(f.r(kRbx)) == 0xaaaa);
  // Back at CPL 3 the HLT faulted into the ring-0 #GP handler.
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(4) == PmFixture::kStack3Top);  // the RETF released the parameters
  CHECK(f.cpu.s.seg[kEs].selector == 0);       // ES held DPL 0 data
  CHECK(f.cpu.s.seg[kDs].selector == kData3);
}

TEST_CASE("a 16-bit call gate copies word parameters and pushes a 16-bit frame") {
  PmFixture f;
  f.enter_pm();
  f.set_gate(PmFixture::kGdt, 16, kCode0, 0x12345, 0xe4, 1);  // 80: 16-bit gate, DPL 3
  f.cpu.s.gdtr.limit = 17 * 8 - 1;
  f.goto_ring3(0x11000);
  f.mem.write_phys(PmFixture::kStack3Top, 0xbeef, 2);
  f.cpu.s.rip = 0x11234;
  CHECK(fault_of([&] { exec::far_call_pm(f.cpu, 0x83, 0, 4); }).vector == 255);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.rip == 0x2345);  // a 16-bit gate holds a 16-bit offset
  CHECK(f.r(kRsp) == PmFixture::kStack0 - 10);
  const uint16_t expect[5] = {0x1234, kCode3, 0xbeef, 0x7000, kData3};
  for (unsigned i = 0; i < 5; ++i) {
    CHECK(f.mem.read_phys(PmFixture::kStack0 - 10 + 2 * i, 2) == expect[i]);
  }
}

TEST_CASE("far RET to an outer level checks the popped SS") {
  PmFixture f;
  f.enter_pm();
  const auto frame = [&](uint16_t ss) {
    f.r(kRsp) = 0x8000;
    f.mem.write_phys(0x8000, 0x11000, 4);
    f.mem.write_phys(0x8004, kCode3, 4);
    f.mem.write_phys(0x8008, 0x6ff0, 4);
    f.mem.write_phys(0x800c, ss, 4);
    return fault_of([&] { exec::far_return_pm(f.cpu, 4, 0); });
  };
  CHECK(frame(0).error == 0);
  CHECK(frame(kData0).error == kData0);          // RPL 0 != 3
  CHECK(frame(kData0Rpl3).error == kData0);      // DPL 0 != 3
  CHECK(f.cpu.s.cpl == 0);
  CHECK(frame(kData3).vector == 255);
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.r(kRsp) == 0x6ff0);
  CHECK(f.cpu.s.rip == 0x11000);
}

TEST_CASE("LAR, LSL, VERR, VERW, ARPL, LTR, STR, LLDT, SLDT") {
  PmFixture f;
  f.enter_pm();
  f.cpu.s.tr = {};
  f.set_desc(5, PmFixture::kTss, PmFixture::kIoBase + 16, 0x89, 0);  // available again
  f.load(0x10000, {
      0x66, 0xb8, 0x48, 0x00, 0x0f, 0x02, 0xd8, 0x0f, 0x94, 0x05, 0x00, 0x50, 0x00, 0x00, 0x0f,
      0x03, 0xd0, 0x0f, 0x94, 0x05, 0x01, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x00, 0x10, 0xbe, 0x55,
      0x00, 0x00, 0x00, 0x0f, 0x02, 0xf0, 0x0f, 0x94, 0x05, 0x02, 0x50, 0x00, 0x00, 0x66, 0xb8,
      0x50, 0x00, 0x0f, 0x00, 0xe0, 0x0f, 0x94, 0x05, 0x03, 0x50, 0x00, 0x00, 0x0f, 0x00, 0xe8,
      0x0f, 0x94, 0x05, 0x04, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x60, 0x00, 0x0f, 0x00, 0xe0, 0x0f,
      0x94, 0x05, 0x05, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x03, 0xf8, 0x0f, 0x94,
      0x05, 0x06, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x40, 0x00, 0x0f, 0x03, 0xe8, 0x0f, 0x94, 0x05,
      0x07, 0x50, 0x00, 0x00, 0x0f, 0x02, 0xe8, 0x0f, 0x94, 0x05, 0x08, 0x50, 0x00, 0x00, 0x66,
      0xb8, 0x10, 0x00, 0x66, 0xb9, 0x23, 0x00, 0x63, 0xc8, 0x0f, 0x94, 0x05, 0x09, 0x50, 0x00,
      0x00, 0x66, 0xa3, 0x0a, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8, 0x0f,
      0x00, 0x0d, 0x0c, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x58, 0x00, 0x0f, 0x00, 0xd0, 0x0f, 0x00,
      0x05, 0x0e, 0x50, 0x00, 0x00, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8});
  f.cpu.s.rip = 0x10000;
  f.run();
  const auto byte = [&](unsigned n) { return f.mem.read_phys(0x5000 + n, 1); };
  CHECK(byte(0) == 1);                                 // LAR 48h
  CHECK(uint32_t(f.r(kRbx)) == 0x00409600);            // B, P, DPL 0, expand-down RW
  CHECK(byte(1) == 1);
  CHECK(uint32_t(f.r(kRdx)) == 0xfff);                 // LSL: the raw limit
  CHECK(byte(2) == 0);                                 // beyond the GDT
  CHECK(uint32_t(f.r(kRsi)) == 0x55);                  // destination untouched
  CHECK(byte(3) == 1);                                 // VERR read-only data
  CHECK(byte(4) == 0);                                 // VERW read-only data
  CHECK(byte(5) == 0);                                 // VERR execute-only code
  CHECK(byte(6) == 1);                                 // LSL of a TSS
  CHECK(uint32_t(f.r(kRdi)) == PmFixture::kIoBase + 16);
  CHECK(byte(7) == 0);                                 // LSL of a call gate
  CHECK(byte(8) == 1);                                 // LAR of a call gate
  CHECK(byte(9) == 1);                                 // ARPL raised the RPL
  CHECK(f.mem.read_phys(0x500a, 2) == 0x13);
  CHECK(f.mem.read_phys(0x500c, 2) == kTssSel);        // STR
  CHECK(f.mem.read_phys(0x500e, 2) == kLdtSel);        // SLDT
  CHECK(f.cpu.s.ldtr.base == PmFixture::kLdt);
  CHECK(f.cpu.s.tr.base == PmFixture::kTss);
  CHECK(f.desc(kTssSel).type() == kSysTss32Busy);      // LTR marked it busy
  CHECK(f.vector() == kVecGp);                         // LTR of a busy TSS
  CHECK(f.stack(0) == kTssSel);
}

}  // namespace
}  // namespace kestrel::cpu
