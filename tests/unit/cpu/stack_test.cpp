// SPDX-License-Identifier: MIT
// Stack and flag handlers (cpu/interp/stack.cpp, flagops.cpp): the 8086's
// PUSH SP and POP CS, FLAGS bits 12-15 per generation, POPF's writable
// bits, PUSHA/POPA, POP to memory, and the interrupt shadows of POP SS and STI.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "tests/unit/cpu/real_mode_fixture.h"

namespace kestrel::cpu {
namespace {

using StackFixture = RealModeFixture;

TEST_CASE("PUSH SP: the 8086 pushes the decremented SP, the 286 the old one") {
  StackFixture f8086("8086");
  f8086.step({0x54});  // push sp
  CHECK(f8086.r(kRsp) == 0x7ffe);
  CHECK(f8086.phys(0x7ffe, 2) == 0x7ffe);
  f8086.step({0xff, 0xf4});  // FF /6 push sp behaves the same
  CHECK(f8086.phys(0x7ffc, 2) == 0x7ffc);

  StackFixture f286("80286");
  f286.step({0x54});
  CHECK(f286.r(kRsp) == 0x7ffe);
  CHECK(f286.phys(0x7ffe, 2) == 0x8000);
}

TEST_CASE("0F is POP CS on the 8086") {
  StackFixture f("8086");
  f.mem.write_phys(0x8000, 0x1234, 2);
  f.step({0x0f});
  CHECK(f.cpu.s.seg[kCs].selector == 0x1234);
  CHECK(f.cpu.s.seg[kCs].base == 0x12340);
  CHECK(f.cpu.s.rip == 0x101);
  CHECK(f.r(kRsp) == 0x8002);
}

TEST_CASE("PUSHF: FLAGS bits 12-15 are ones on the 8086 and zeros on a real-mode 286") {
  StackFixture f8086("8086");
  f8086.cpu.s.rflags = kFixed1;  // even a state without them pushes ones
  f8086.step({0x9c});
  CHECK(f8086.phys(0x7ffe, 2) == 0xf002);

  StackFixture f286("80286");
  f286.cpu.s.rflags = kFixed1 | kIopl | kNt;
  f286.step({0x9c});
  CHECK(f286.phys(0x7ffe, 2) == 0x0002);
}

TEST_CASE("POPF: bits 12-15 stay ones on the 8086, stay clear on the 286, are IOPL/NT on the 386") {
  StackFixture f8086("8086");
  f8086.mem.write_phys(0x8000, 0x0fd5, 2);
  f8086.step({0x9d});
  CHECK(f8086.flags() == 0xffd7);
  CHECK(f8086.r(kRsp) == 0x8002);

  StackFixture f286("80286");
  f286.mem.write_phys(0x8000, 0xffff, 2);
  f286.step({0x9d});
  CHECK(f286.flags() == 0x0fd7);

  StackFixture f386("80386");
  f386.mem.write_phys(0x8000, 0xffff, 2);
  f386.step({0x9d});
  CHECK(f386.flags() == 0x7fd7);  // bit 15 is reserved, IOPL and NT are writable
}

TEST_CASE("POPFD: AC and ID are writable from the 486 on; RF and VM never") {
  StackFixture f386("80386");
  f386.mem.write_phys(0x8000, 0x00370000 | 0x0002, 4);
  f386.step({0x66, 0x9d});
  CHECK(f386.flags() == 0x0002);

  StackFixture fmax("max");
  fmax.mem.write_phys(0x8000, 0x00370000 | 0x0002, 4);
  fmax.step({0x66, 0x9d});
  CHECK(fmax.flags() == (kFixed1 | kAc | kId));
  CHECK(fmax.r(kRsp) == 0x8004);
}

TEST_CASE("PUSHFD stores VM and RF as zero") {
  StackFixture f;
  f.cpu.s.rflags = kFixed1 | kRf | kAc;
  f.step({0x66, 0x9c});
  CHECK(f.phys(0x7ffc, 4) == (kFixed1 | kAc));
}

TEST_CASE("PUSHA and POPA round-trip; POPA skips SP") {
  StackFixture f("80286");
  for (unsigned n = 0; n < 8; ++n) f.r(n) = 0x1000 + n;
  f.r(kRsp) = 0x8000;
  f.step({0x60});
  CHECK(f.r(kRsp) == 0x7ff0);
  CHECK(f.phys(0x7ff6, 2) == 0x8000);  // the original SP
  CHECK(f.phys(0x7ff0, 2) == 0x1007);  // DI last
  for (unsigned n = 0; n < 8; ++n) {
    if (n != kRsp) f.r(n) = 0;
  }
  f.mem.write_phys(0x7ff6, 0x5555, 2);
  f.step({0x61});
  CHECK(f.r(kRsp) == 0x8000);
  CHECK(f.r(kRax) == 0x1000);
  CHECK(f.r(kRdi) == 0x1007);
}

TEST_CASE("PUSHA on the 286: a frame crossing offset FFFF faults with nothing written") {
  StackFixture f("80286");
  f.set_vector(kVecGp, 0x500);
  f.r(kRsp) = 0x000f;
  f.r(kRbx) = 0xabcd;
  f.step({0x60});
  CHECK(f.cpu.s.rip == 0x500);
  CHECK(f.r(kRsp) == 0x0009);          // only the exception frame
  CHECK(f.phys(0x0007, 2) == 0);       // BX's slot untouched
}

TEST_CASE("POP to memory: the 286 has moved SP when the store faults") {
  StackFixture f("80286");
  f.set_vector(kVecGp, 0x500);
  f.r(kRsi) = 0xffff;
  f.step({0x8f, 0x04});  // pop word [si]
  CHECK(f.cpu.s.rip == 0x500);
  CHECK(f.r(kRsp) == 0x8002 - 6);
}

TEST_CASE("POP to memory addresses an ESP base after the increment") {
  StackFixture f;
  f.mem.write_phys(0x8000, 0xcafef00d, 4);
  f.step({0x66, 0x67, 0x8f, 0x44, 0x24, 0x04});  // pop dword [esp+4]
  CHECK(f.r(kRsp) == 0x8004);
  CHECK(f.phys(0x8008, 4) == 0xcafef00d);
}

TEST_CASE("PUSH imm8 is sign-extended") {
  StackFixture f;
  f.step({0x6a, 0x80});
  CHECK(f.phys(0x7ffe, 2) == 0xff80);
  f.step({0x66, 0x6a, 0xff});
  CHECK(f.phys(0x7ffa, 4) == 0xffffffff);
}

TEST_CASE("LAHF and SAHF move SF ZF AF PF CF through AH") {
  StackFixture f;
  f.r(kRax) = 0xd700;  // SF ZF AF PF CF and the reserved bits 3, 5
  write_arith_flags(f.cpu.s, kOf);
  f.step({0x9e});
  CHECK((f.flags() & 0xfff) == (kOf | kSf | kZf | kAf | kPf | kCf | kFixed1));
  f.r(kRax) = 0;
  f.step({0x9f});
  CHECK(f.r(kRax) == 0xd700);
}

TEST_CASE("POP SS and STI (with IF clear) open a one-instruction interrupt shadow") {
  StackFixture f;
  f.step({0x17});  // pop ss
  CHECK(f.cpu.s.inhibit_irq == (kInhibitIrq | kInhibitTrap));

  f.cpu.s.rflags &= ~uint64_t{kIf};
  f.step({0xfb});  // sti
  CHECK((f.cpu.s.rflags & kIf) != 0);
  CHECK(f.cpu.s.inhibit_irq == kInhibitIrq);  // STI holds off interrupts, not traps
  f.step({0xfb});  // sti with IF already set: no shadow
  CHECK(f.cpu.s.inhibit_irq == 0);
  f.step({0x1f});  // pop ds: no shadow from the 286 on
  CHECK(f.cpu.s.inhibit_irq == 0);

  StackFixture f8086("8086");
  f8086.step({0x1f});  // the 8086 shadows a load of any segment register
  CHECK(f8086.cpu.s.inhibit_irq == (kInhibitIrq | kInhibitTrap));
}

TEST_CASE("CLC, STC and CMC on lazy flags") {
  StackFixture f;
  set_lazy(f.cpu.s, CcOp::kSub, 1, 0xff, 1);  // 0 - 1: CF set, SF set
  f.step({0xf5});  // cmc
  CHECK((f.flags() & (kCf | kSf)) == kSf);
  f.step({0xf9});  // stc
  CHECK((f.flags() & kCf) != 0);
  f.step({0xf8});  // clc
  CHECK((f.flags() & (kCf | kSf)) == kSf);
}

}  // namespace
}  // namespace kestrel::cpu
