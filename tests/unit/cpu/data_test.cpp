// SPDX-License-Identifier: MIT
// Data movement handlers (cpu/interp/data.cpp): MOV forms and segment
// registers with their per-generation encodings, far-pointer loads, LEA,
// widening moves, XLAT, CMOVcc/SETcc and the 486+ atomics.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "tests/unit/cpu/real_mode_fixture.h"

namespace kestrel::cpu {
namespace {

using DataFixture = RealModeFixture;

TEST_CASE("the 8086 treats C6/C7 with any ModRM.reg as MOV; the 286 raises #UD") {
  DataFixture f8086("8086");
  f8086.r(kRbx) = 0x300;
  f8086.step({0xc6, 0x3f, 0x5a});  // C6 /7 [bx], 5Ah
  CHECK(f8086.phys(0x300, 1) == 0x5a);
  CHECK(f8086.cpu.s.rip == 0x103);

  DataFixture f286("80286");
  f286.set_vector(kVecUd, 0x500);
  f286.r(kRbx) = 0x300;
  f286.step({0xc6, 0x3f, 0x5a});
  CHECK(f286.phys(0x300, 1) == 0);
  CHECK(f286.cpu.s.rip == 0x500);
  CHECK(f286.phys(0x8000 - 6, 2) == 0x100);  // the faulting IP was pushed
}

TEST_CASE("MOV Sreg: the 8086 aliases reg 4-7, the 286 has no FS, the 386 does") {
  DataFixture f8086("8086");
  f8086.r(kRax) = 0x1234;
  f8086.step({0x8e, 0xf8});  // 8E /7 = mov ds, ax on the 8086
  CHECK(f8086.cpu.s.seg[kDs].selector == 0x1234);
  CHECK(f8086.cpu.s.seg[kDs].base == 0x12340);

  DataFixture f286("80286");
  f286.set_vector(kVecUd, 0x500);
  f286.step({0x8e, 0xe0});  // mov fs, ax
  CHECK(f286.cpu.s.rip == 0x500);

  DataFixture f386("80386");
  f386.r(kRax) = 0x4321;
  f386.step({0x8e, 0xe0});
  CHECK(f386.cpu.s.seg[kFs].selector == 0x4321);
  f386.cpu.s.rip = 0x100;
  f386.r(kRcx) = 0xffffffff;
  f386.step({0x66, 0x8c, 0xe1});  // mov ecx, fs: zero-extended
  CHECK(f386.r(kRcx) == 0x4321);
}

TEST_CASE("MOV CS is a jump on the 8086 and #UD later") {
  DataFixture f8086("8086");
  f8086.r(kRax) = 0x2000;
  f8086.step({0x8e, 0xc8});  // mov cs, ax
  CHECK(f8086.cpu.s.seg[kCs].selector == 0x2000);
  CHECK(f8086.cpu.s.rip == 0x102);

  DataFixture f286("80286");
  f286.set_vector(kVecUd, 0x500);
  f286.step({0x8e, 0xc8});
  CHECK(f286.cpu.s.seg[kCs].selector == 0);
  CHECK(f286.cpu.s.rip == 0x500);
}

TEST_CASE("MOV SS blocks interrupts for one instruction") {
  DataFixture f;
  f.r(kRax) = 0x3000;
  f.step({0x8e, 0xd0});  // mov ss, ax
  CHECK(f.cpu.s.seg[kSs].selector == 0x3000);
  CHECK(f.cpu.s.inhibit_irq == (kInhibitIrq | kInhibitTrap));
}

TEST_CASE("LES and LSS load offset and selector; a 16-bit EA wraps for the selector") {
  DataFixture f;
  f.mem.write_phys(0x400, 0x5678, 2);
  f.mem.write_phys(0x402, 0x9abc, 2);
  f.r(kRbx) = 0x400;
  f.step({0xc4, 0x37});  // les si, [bx]
  CHECK(uint16_t(f.r(kRsi)) == 0x5678);
  CHECK(f.cpu.s.seg[kEs].selector == 0x9abc);

  f.cpu.s.rip = 0x100;
  f.step({0x0f, 0xb2, 0x27});  // lss sp, [bx]
  CHECK(uint16_t(f.r(kRsp)) == 0x5678);
  CHECK(f.cpu.s.seg[kSs].selector == 0x9abc);
  CHECK(f.cpu.s.inhibit_irq == 0);  // LSS does not block interrupts

  DataFixture w("8086");
  w.mem.write_phys(0xfffe, 0x1111, 2);
  w.mem.write_phys(0x0000, 0x2222, 2);
  w.r(kRbx) = 0xfffe;
  w.step({0xc5, 0x3f});  // lds di, [bx]: the selector is read at offset 0000
  CHECK(uint16_t(w.r(kRdi)) == 0x1111);
  CHECK(w.cpu.s.seg[kDs].selector == 0x2222);
}

TEST_CASE("LEA truncates or zero-extends the address to the operand size") {
  DataFixture f;
  f.r(kRbx) = 0x1000;
  f.r(kRsi) = 0xf123;
  f.r(kRax) = 0xaaaa0000;
  f.step({0x8d, 0x40, 0x10});  // lea ax, [bx+si+10h] -> 0133 (16-bit wrap)
  CHECK(f.r(kRax) == 0xaaaa0133);

  f.cpu.s.rip = 0x100;
  f.r(kRbx) = 0x12345678;
  f.r(kRcx) = 2;
  f.step({0x67, 0x8d, 0x04, 0x4b});  // lea ax, [ebx+ecx*2]
  CHECK(f.r(kRax) == 0xaaaa567c);
}

TEST_CASE("CBW, CWDE, CWD and CDQ follow the operand size") {
  DataFixture f;
  f.r(kRax) = 0x12345680;
  f.step({0x98});  // cbw
  CHECK(f.r(kRax) == 0x1234ff80);
  f.cpu.s.rip = 0x100;
  f.step({0x66, 0x98});  // cwde
  CHECK(f.r(kRax) == 0xffffff80);
  f.cpu.s.rip = 0x100;
  f.step({0x99});  // cwd
  CHECK(f.r(kRdx) == 0xffff);
  f.cpu.s.rip = 0x100;
  f.r(kRax) = 0x7fffffff;
  f.step({0x66, 0x99});  // cdq
  CHECK(f.r(kRdx) == 0);
}

TEST_CASE("XLAT, XCHG and MOV moffs") {
  DataFixture f;
  f.mem.write_phys(0x605, 0x77, 1);
  f.r(kRbx) = 0x600;
  f.r(kRax) = 0x05;
  f.step({0xd7});  // xlat
  CHECK(f.r(kRax) == 0x77);

  f.cpu.s.rip = 0x100;
  f.r(kRcx) = 0x1111;
  f.r(kRax) = 0x2222;
  f.step({0x91});  // xchg cx, ax
  CHECK(f.r(kRcx) == 0x2222);
  CHECK(f.r(kRax) == 0x1111);

  f.cpu.s.rip = 0x100;
  f.step({0xa3, 0x00, 0x07});  // mov [0700h], ax
  CHECK(f.phys(0x700, 2) == 0x1111);
}

TEST_CASE("CMOVcc and SETcc test the lazy flags") {
  DataFixture f;
  f.r(kRax) = 5;
  f.r(kRbx) = 9;
  set_lazy(f.cpu.s, CcOp::kSub, 2, 0, 3);  // cmp 3, 3: ZF=1
  f.step({0x0f, 0x44, 0xc3});  // cmove ax, bx
  CHECK(f.r(kRax) == 9);
  f.cpu.s.rip = 0x100;
  f.r(kRbx) = 1;
  f.step({0x0f, 0x45, 0xc3});  // cmovne ax, bx: no move
  CHECK(f.r(kRax) == 9);
  f.cpu.s.rip = 0x100;
  f.step({0x0f, 0x94, 0xc1});  // sete cl
  CHECK(uint8_t(f.r(kRcx)) == 1);
  f.cpu.s.rip = 0x100;
  f.step({0x0f, 0x92, 0xc1});  // setb cl
  CHECK(uint8_t(f.r(kRcx)) == 0);
}

TEST_CASE("CMPXCHG stores on a match and loads the accumulator otherwise") {
  DataFixture f;
  f.mem.write_phys(0x800, 0x1234, 2);
  f.r(kRbx) = 0x800;
  f.r(kRax) = 0x1234;
  f.r(kRcx) = 0xbeef;
  f.step({0x0f, 0xb1, 0x0f});  // cmpxchg [bx], cx
  CHECK(f.phys(0x800, 2) == 0xbeef);
  CHECK((read_flags(f.cpu.s) & kZf) != 0);

  f.cpu.s.rip = 0x100;
  f.step({0x0f, 0xb1, 0x0f});  // again: [bx] = BEEF != 1234
  CHECK(f.r(kRax) == 0xbeef);
  CHECK((read_flags(f.cpu.s) & kZf) == 0);
  CHECK(f.phys(0x800, 2) == 0xbeef);
}

TEST_CASE("XADD exchanges and adds; with one register the sum wins") {
  DataFixture f;
  f.r(kRax) = 3;
  f.r(kRbx) = 4;
  f.step({0x0f, 0xc1, 0xd8});  // xadd ax, bx
  CHECK(f.r(kRax) == 7);
  CHECK(f.r(kRbx) == 3);
  f.cpu.s.rip = 0x100;
  f.step({0x0f, 0xc1, 0xc0});  // xadd ax, ax
  CHECK(f.r(kRax) == 14);
}

TEST_CASE("CMPXCHG8B writes only ZF among the flags") {
  DataFixture f;
  f.mem.write_phys(0x900, 0x1111111122222222ull, 8);
  f.r(kRbx) = 0x900;
  f.r(kRdx) = 0x11111111;
  f.r(kRax) = 0x22222222;
  f.r(kRcx) = 0xaaaaaaaa;
  write_arith_flags(f.cpu.s, kCf);
  // EBX is both the address register and the low half of the new value.
  f.step({0x0f, 0xc7, 0x0f});  // cmpxchg8b [bx]
  CHECK(f.phys(0x900, 8) == 0xaaaaaaaa00000900ull);
  CHECK((read_flags(f.cpu.s) & (kZf | kCf)) == (kZf | kCf));
}

TEST_CASE("BSWAP reverses a 32-bit register") {
  DataFixture f;
  f.r(kRdx) = 0x11223344;
  f.step({0x66, 0x0f, 0xca});  // bswap edx
  CHECK(f.r(kRdx) == 0x44332211);
}

}  // namespace
}  // namespace kestrel::cpu
