// SPDX-License-Identifier: MIT
// System handlers (cpu/interp/system.cpp): CPUID from the model, RDTSC,
// SGDT/LGDT operand sizes, SMSW/LMSW, control and debug register moves,
// and the 8086's coprocessor escapes.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "tests/unit/cpu/real_mode_fixture.h"

namespace kestrel::cpu {
namespace {

struct SystemFixture : RealModeFixture {
  explicit SystemFixture(const char* model = "max") : RealModeFixture(model) {
    cpu.s.idtr = {0, 0x3ff};
  }
};

TEST_CASE("CPUID leaf 0 names the vendor, leaf 1 the model's features") {
  SystemFixture f;
  f.r(kRax) = 0;
  f.step({0x0f, 0xa2});
  CHECK(f.r(kRax) == 0xd);  // up to the XSAVE leaf
  CHECK(f.r(kRbx) == 0x756e6547);  // "Genu"
  CHECK(f.r(kRdx) == 0x49656e69);  // "ineI"
  CHECK(f.r(kRcx) == 0x6c65746e);  // "ntel"

  f.r(kRax) = 1;
  f.step({0x0f, 0xa2});
  CHECK(f.r(kRax) == f.cpu.model->cpuid_signature);
  CHECK((f.r(kRdx) & (1u << 4)) != 0);   // TSC
  CHECK((f.r(kRdx) & (1u << 8)) != 0);   // CX8
  CHECK((f.r(kRdx) & (1u << 15)) != 0);  // CMOV
  CHECK(bool(f.r(kRdx) & 1u) == f.cpu.model->has(isa::fX87));
}

TEST_CASE("CPUID does not exist before the 486") {
  SystemFixture f("80386");
  f.set_vector(kVecUd, 0x500);
  f.step({0x0f, 0xa2});
  CHECK(f.cpu.s.rip == 0x500);
}

TEST_CASE("RDTSC counts retired instructions") {
  SystemFixture f;
  f.cpu.s.icount = 0x123456789ull;
  f.step({0x0f, 0x31});
  CHECK(f.r(kRax) == 0x23456789);
  CHECK(f.r(kRdx) == 0x1);
}

TEST_CASE("LGDT with a 16-bit operand keeps 24 base bits; the 286's SGDT stores FF on top") {
  SystemFixture f("80286");
  f.mem.write_phys(0x600, 0x0027, 2);
  f.mem.write_phys(0x602, 0xaa123456, 4);
  f.r(kRbx) = 0x600;
  f.step({0x0f, 0x01, 0x17});  // lgdt [bx]
  CHECK(f.cpu.s.gdtr.limit == 0x27);
  CHECK(f.cpu.s.gdtr.base == 0x123456);
  f.r(kRbx) = 0x700;
  f.step({0x0f, 0x01, 0x07});  // sgdt [bx]
  CHECK(f.phys(0x700, 2) == 0x27);
  CHECK(f.phys(0x702, 4) == 0xff123456);

  SystemFixture g;
  g.mem.write_phys(0x600, 0x0027, 2);
  g.mem.write_phys(0x602, 0xaa123456, 4);
  g.r(kRbx) = 0x600;
  g.step({0x66, 0x0f, 0x01, 0x1f});  // lidt [bx] with a 32-bit operand
  CHECK(g.cpu.s.idtr.base == 0xaa123456);
}

TEST_CASE("SMSW: the 286's reserved MSW bits read as ones") {
  SystemFixture f("80286");
  f.step({0x0f, 0x01, 0xe0});  // smsw ax
  CHECK(uint16_t(f.r(kRax)) == 0xfff0);
}

TEST_CASE("LMSW sets PE but cannot clear it") {
  SystemFixture f("80386");
  f.r(kRax) = 0x000b;  // PE MP TS
  f.step({0x0f, 0x01, 0xf0});  // lmsw ax
  CHECK((f.cpu.s.cr[0] & 0xf) == 0xb);
  // Now in protected mode at CPL 0; LMSW 0 keeps PE.
  f.r(kRax) = 0;
  f.step({0x0f, 0x01, 0xf0});
  CHECK((f.cpu.s.cr[0] & 0xf) == 0x1);
}

TEST_CASE("MOV CR0 / CR4: reserved-bit and PG-without-PE checks") {
  SystemFixture f;
  f.set_vector(kVecGp, 0x500);
  f.set_vector(kVecUd, 0x600);
  f.r(kRax) = 0x80000000;  // PG without PE
  f.step({0x0f, 0x22, 0xc0});  // mov cr0, eax
  CHECK(f.cpu.s.rip == 0x500);

  f.r(kRax) = 0x800;  // CR4.UMIP: not implemented
  f.step({0x0f, 0x22, 0xe0});  // mov cr4, eax
  CHECK(f.cpu.s.rip == 0x500);

  f.r(kRax) = 0x4;  // CR4.TSD
  f.step({0x0f, 0x22, 0xe0});
  CHECK(f.cpu.s.cr[4] == 0x4);
  f.step({0x0f, 0x20, 0xe1});  // mov ecx, cr4
  CHECK(f.r(kRcx) == 0x4);

  f.step({0x0f, 0x20, 0xc9});  // mov ecx, cr1: #UD
  CHECK(f.cpu.s.rip == 0x600);

  SystemFixture g("80386");
  g.set_vector(kVecUd, 0x600);
  g.step({0x0f, 0x20, 0xe1});  // no CR4 on the 386
  CHECK(g.cpu.s.rip == 0x600);
}

TEST_CASE("MOV DR: DR7 keeps its fixed bits, DR4 aliases DR6") {
  SystemFixture f;
  f.r(kRax) = 0xffffdfff;  // everything but GD
  f.step({0x0f, 0x23, 0xf8});  // mov dr7, eax
  CHECK(f.cpu.s.dr[7] == 0xffff07ff);
  f.r(kRax) = 0x1;
  f.step({0x0f, 0x23, 0xf0});  // mov dr6, eax
  f.step({0x0f, 0x21, 0xe1});  // mov ecx, dr4 (= dr6)
  CHECK(f.r(kRcx) == 0xffff0ff1);
}

TEST_CASE("the 8086's ESC reads its operand and changes nothing") {
  SystemFixture f("8086");
  f.r(kRbx) = 0x300;
  const CpuState before = f.cpu.s;
  f.step({0xd9, 0x07});  // esc [bx]
  CHECK(f.cpu.s.rip == 0x102);
  CHECK(f.r(kRbx) == before.gpr[kRbx]);
  CHECK(f.cpu.s.rflags == before.rflags);
}

TEST_CASE("UD2 raises #UD") {
  SystemFixture f;
  f.set_vector(kVecUd, 0x600);
  f.step({0x0f, 0x0b});
  CHECK(f.cpu.s.rip == 0x600);
}

}  // namespace
}  // namespace kestrel::cpu
