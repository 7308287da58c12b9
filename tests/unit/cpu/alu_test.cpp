// SPDX-License-Identifier: MIT
// Integer arithmetic handlers called directly with hand-built DecodedInsn
// values: the ALU group, INC/DEC/NEG/NOT, shifts and rotates with their
// 8086 and 286 count rules, MUL/IMUL/DIV/IDIV with the 8086 quirks, the
// decimal adjusts, and the bit instructions.
#include <doctest/doctest.h>

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"

namespace kestrel::cpu {
namespace {

using namespace exec;

struct Fixture {
  explicit Fixture(const char* model = "max")
      : mem(1 << 20, find_cpu_model(model)->phys_addr_bits),
        cpu(*find_cpu_model(model), mem, bus) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
  }
  uint32_t flags() const { return uint32_t(read_flags(cpu.s)) & kArithFlags; }
  void set_flags(uint32_t f) { write_arith_flags(cpu.s, f); }
  uint64_t& reg(Reg r) { return cpu.s.gpr[r]; }
  uint16_t word(uint32_t pa) { return uint16_t(mem.read_phys(pa, 2)); }
  void set_word(uint32_t pa, uint16_t v) { mem.write_phys(pa, v, 2); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
};

/// Register form: ModRM.reg = reg, ModRM.rm = rm.
DecodedInsn rr(uint8_t reg, uint8_t rm, unsigned osize = 2, uint64_t imm = 0) {
  DecodedInsn i;
  i.mod = 3;
  i.reg = reg;
  i.rm = rm;
  i.osize = uint8_t(osize);
  i.imm = imm;
  return i;
}

/// Memory form [disp16] in DS, ModRM.reg = reg.
DecodedInsn mem16(uint16_t disp, uint8_t reg = 0, unsigned osize = 2, uint64_t imm = 0) {
  DecodedInsn i;
  i.mod = 0;
  i.disp = disp;
  i.reg = reg;
  i.osize = uint8_t(osize);
  i.imm = imm;
  return i;
}

template <class F> int fault_vector(F&& f) {
  try {
    f();
  } catch (const GuestFault& g) {
    return g.vector;
  }
  return -1;
}

// ---- ALU group ----

TEST_CASE("byte forms reach AH..BH; word forms keep the upper bits") {
  Fixture f;
  f.reg(kRax) = 0x11223344'5566'7788;
  f.reg(kRbx) = 0x0000'00f0;
  ADD_Eb_Gb(f.cpu, rr(3, 4));  // add ah, bl: 0x77 + 0xf0
  CHECK(f.reg(kRax) == 0x11223344'5566'6788);
  CHECK(f.flags() == kCf);  // 0x67 has five bits set: odd parity
  SUB_Gv_Ev(f.cpu, rr(0, 3));  // sub ax, bx
  CHECK(f.reg(kRax) == 0x11223344'5566'6698);
  XOR_Gv_Ev(f.cpu, rr(0, 0, 4));  // xor eax, eax zero-extends
  CHECK(f.reg(kRax) == 0);
  CHECK(f.flags() == (kZf | kPf));
}

TEST_CASE("ADC and SBB consume CF") {
  Fixture f;
  f.reg(kRax) = 0xffff;
  f.set_flags(kCf);
  ADC_rAX_Iz(f.cpu, rr(0, 0, 2, 0));  // adc ax, 0 with CF=1
  CHECK(f.reg(kRax) == 0);
  CHECK(f.flags() == (kCf | kZf | kAf | kPf));
  SBB_AL_Ib(f.cpu, rr(0, 0, 2, 0));  // sbb al, 0 with CF=1
  CHECK(f.reg(kRax) == 0xff);
  CHECK(f.flags() == (kCf | kSf | kAf | kPf));
  f.set_flags(0);
  SBB_AL_Ib(f.cpu, rr(0, 0, 2, 0x7f));
  CHECK(f.reg(kRax) == 0x80);
  CHECK(f.flags() == kSf);
}

TEST_CASE("memory destinations: CMP and TEST do not write") {
  Fixture f;
  f.set_word(0x200, 0x1234);
  f.reg(kRcx) = 0x1234;
  CMP_Ev_Gv(f.cpu, mem16(0x200, 1));
  CHECK(f.flags() == (kZf | kPf));
  ADD_Ev_Gv(f.cpu, mem16(0x200, 1));
  CHECK(f.word(0x200) == 0x2468);
  TEST_Ev_Iz_grp3(f.cpu, mem16(0x200, 0, 2, 0x8000));
  CHECK(f.word(0x200) == 0x2468);
  CHECK(f.flags() == (kZf | kPf));
  OR_Ev_Iz(f.cpu, mem16(0x200, 0, 2, 0x8000));
  CHECK(f.word(0x200) == 0xa468);
  CHECK(f.flags() == (kSf));
  AND_Eb_Ib(f.cpu, mem16(0x201, 0, 2, 0x0f));
  CHECK(f.word(0x200) == 0x0468);
}

TEST_CASE("Ib and Iz immediates are sign-extended to the operand size") {
  Fixture f;
  f.reg(kRdx) = 0x1'0000'0005;
  ADD_Ev_Ib(f.cpu, rr(0, 2, 4, 0xfe));  // add edx, -2, as encoded (not extended)
  CHECK(f.reg(kRdx) == 3);
  CHECK(f.flags() == (kCf | kAf | kPf));
  ADD_Ev_Ib(f.cpu, rr(0, 2, 2, 0xffffffff'fffffffe));  // as a decoder may extend it
  CHECK(f.reg(kRdx) == 1);
  f.reg(kRax) = 0;
  SUB_rAX_Iz(f.cpu, rr(0, 0, 8, 0x80000000));  // sub rax, imm32 = -2^31
  CHECK(f.reg(kRax) == 0x80000000);
  CMP_Eb_Ib_82(f.cpu, rr(7, 0, 2, 0x80));  // cmp al, 80h: al is 0
  CHECK(f.flags() == (kCf | kSf | kOf));
}

TEST_CASE("INC and DEC keep CF; NEG sets it for a non-zero operand; NOT keeps flags") {
  Fixture f;
  f.set_flags(kCf);
  f.reg(kRsi) = 0x7fff;
  INC_Zv(f.cpu, rr(kRsi, 0));
  CHECK(f.reg(kRsi) == 0x8000);
  CHECK(f.flags() == (kCf | kOf | kSf | kAf | kPf));
  f.set_flags(0);
  f.reg(kRdx) = 0;
  DEC_Eb(f.cpu, rr(1, 6));  // dec dh: 00 -> ff
  CHECK(f.reg(kRdx) == 0xff00);
  CHECK(f.flags() == (kSf | kAf | kPf));
  NEG_Eb(f.cpu, rr(3, 6));  // neg dh
  CHECK(f.reg(kRdx) == 0x0100);
  CHECK(f.flags() == (kCf | kAf));
  f.reg(kRbx) = 0x8000;
  NEG_Ev(f.cpu, rr(3, 3));
  CHECK(f.reg(kRbx) == 0x8000);
  CHECK(f.flags() == (kCf | kOf | kSf | kPf));
  f.reg(kRbx) = 0;
  NEG_Ev(f.cpu, rr(3, 3));
  CHECK(f.flags() == (kZf | kPf));
  NOT_Ev(f.cpu, rr(2, 3, 4));
  CHECK(f.reg(kRbx) == 0xffffffff);
  CHECK(f.flags() == (kZf | kPf));
  INC_Ev(f.cpu, rr(0, 3, 8));
  CHECK(f.reg(kRbx) == 0x1'0000'0000);
}

// ---- shifts and rotates ----

TEST_CASE("the 8086 shifts by the full count; the 286 masks it to 5 bits") {
  Fixture f8("8086"), f2("80286");
  for (Fixture* f : {&f8, &f2}) {
    f->reg(kRax) = 0x81;
    f->reg(kRcx) = 33;
    f->set_flags(0);
    SHL_Eb_CL(f->cpu, rr(4, 0));
  }
  CHECK((f8.reg(kRax) & 0xff) == 0);  // shifted out entirely
  CHECK((f8.flags() & kCf) == 0);
  CHECK((f2.reg(kRax) & 0xff) == 0x02);  // shifted by 1
  CHECK(f2.flags() == (kCf | kOf));
  f2.reg(kRcx) = 32;  // masks to 0: nothing changes, flags included
  f2.set_flags(kZf);
  SAR_Eb_CL(f2.cpu, rr(7, 0));
  CHECK((f2.reg(kRax) & 0xff) == 0x02);
  CHECK(f2.flags() == kZf);
  f8.reg(kRax) = 0x80;
  f8.reg(kRcx) = 200;
  SAR_Eb_CL(f8.cpu, rr(7, 0));
  CHECK((f8.reg(kRax) & 0xff) == 0xff);
  CHECK(f8.flags() == (kCf | kSf | kPf));
}

TEST_CASE("shift flags: SHL/SHR/SAR CF and OF") {
  Fixture f;
  f.reg(kRbx) = 0xc000;
  SHL_Ev_1(f.cpu, rr(4, 3));
  CHECK(f.reg(kRbx) == 0x8000);
  CHECK(f.flags() == (kCf | kSf | kPf));  // MSB(r) == CF: no overflow
  SHR_Ev_1(f.cpu, rr(5, 3));
  CHECK(f.reg(kRbx) == 0x4000);
  CHECK(f.flags() == (kOf | kPf));  // OF = original MSB
  SHR_Ev_Ib(f.cpu, rr(5, 3, 2, 15));
  CHECK(f.reg(kRbx) == 0);
  CHECK(f.flags() == (kCf | kZf | kPf));
  f.reg(kRbx) = 0x80000001;
  SAR_Ev_Ib(f.cpu, rr(7, 3, 4, 1));
  CHECK(f.reg(kRbx) == 0xc0000000);
  CHECK(f.flags() == (kCf | kSf | kPf));
  f.reg(kRbx) = 1;
  SHL_Ev_Ib(f.cpu, rr(4, 3, 8, 63));
  CHECK(f.reg(kRbx) == uint64_t{1} << 63);
  CHECK(f.flags() == (kSf | kOf | kPf));
}

TEST_CASE("rotates change only CF and OF; RCL/RCR use a width+1 ring") {
  Fixture f("80286");
  f.set_flags(kZf | kSf | kAf);
  f.reg(kRax) = 0x81;
  ROL_Eb_1(f.cpu, rr(0, 0));
  CHECK((f.reg(kRax) & 0xff) == 0x03);
  CHECK(f.flags() == (kZf | kSf | kAf | kCf | kOf));
  ROR_Eb_Ib(f.cpu, rr(1, 0, 2, 9));  // 9 & 31 = 9; 9 % 8 = 1
  CHECK((f.reg(kRax) & 0xff) == 0x81);
  CHECK(f.flags() == (kZf | kSf | kAf | kCf | kOf));
  f.set_flags(0);
  f.reg(kRdx) = 0x8000;
  RCL_Ev_1(f.cpu, rr(2, 2));
  CHECK(f.reg(kRdx) == 0);
  CHECK(f.flags() == (kCf | kOf));
  RCL_Ev_1(f.cpu, rr(2, 2));
  CHECK(f.reg(kRdx) == 1);
  CHECK(f.flags() == 0);
  f.reg(kRcx) = 17;  // a full turn of the 17-bit ring
  RCR_Ev_CL(f.cpu, rr(3, 2));
  CHECK(f.reg(kRdx) == 1);
  f.set_flags(kCf);
  f.reg(kRcx) = 9;
  f.reg(kRbx) = 0x0;
  RCR_Eb_CL(f.cpu, rr(3, 3));  // 9 % 9 = 0
  CHECK(f.reg(kRbx) == 0);
  f.reg(kRcx) = 8;
  RCR_Eb_CL(f.cpu, rr(3, 3));  // the carry reaches bit 0
  CHECK(f.reg(kRbx) == 1);
  CHECK((f.flags() & kCf) == 0);
}

TEST_CASE("8086 SETMO and SETMOC set all ones unless the count is 0") {
  Fixture f("8086");
  f.reg(kRbx) = 0x1234;
  f.reg(kRcx) = 0x100;  // CL = 0
  f.set_flags(kCf | kZf);
  SETMO_Ev_CL(f.cpu, rr(6, 3));
  CHECK(f.reg(kRbx) == 0x1234);
  CHECK(f.flags() == (kCf | kZf));
  SETMO_Eb_1(f.cpu, rr(6, 7));  // bh
  CHECK(f.reg(kRbx) == 0xff34);
  CHECK(f.flags() == (kSf | kPf));
}

TEST_CASE("SHLD and SHRD") {
  Fixture f;
  f.reg(kRax) = 0x12345678;
  f.reg(kRbx) = 0x9abcdef0;
  SHLD_Ev_Gv_Ib(f.cpu, rr(kRbx, kRax, 4, 8));
  CHECK(f.reg(kRax) == 0x3456789a);
  CHECK((f.flags() & kCf) == 0);
  SHRD_Ev_Gv_Ib(f.cpu, rr(kRbx, kRax, 4, 4));
  CHECK(f.reg(kRax) == 0x03456789);
  CHECK((f.flags() & kCf) != 0);
  f.reg(kRax) = 0x1234;
  f.reg(kRbx) = 0xabcd;
  f.reg(kRcx) = 20;  // above 16: the 48-bit dst:src:dst pattern
  SHLD_Ev_Gv_CL(f.cpu, rr(kRbx, kRax));
  CHECK(f.reg(kRax) == 0xbcd1);
  f.reg(kRcx) = 0;
  f.set_flags(kZf);
  SHRD_Ev_Gv_CL(f.cpu, rr(kRbx, kRax));
  CHECK(f.reg(kRax) == 0xbcd1);
  CHECK(f.flags() == kZf);
}

// ---- multiply and divide ----

TEST_CASE("MUL and IMUL set CF and OF when the high half is significant") {
  Fixture f;
  f.reg(kRax) = 0x80;
  f.reg(kRbx) = 2;
  MUL_Eb(f.cpu, rr(4, 3));
  CHECK(f.reg(kRax) == 0x100);
  CHECK((f.flags() & (kCf | kOf)) == (kCf | kOf));
  f.reg(kRax) = 0xffff;
  f.reg(kRbx) = 0xffff;
  IMUL_Ev(f.cpu, rr(5, 3));
  CHECK(f.reg(kRax) == 1);
  CHECK(f.reg(kRdx) == 0);
  CHECK((f.flags() & (kCf | kOf)) == 0);
  f.reg(kRax) = ~uint64_t{0};
  f.reg(kRbx) = ~uint64_t{0};
  MUL_Ev(f.cpu, rr(4, 3, 8));
  CHECK(f.reg(kRax) == 1);
  CHECK(f.reg(kRdx) == ~uint64_t{1});
  f.reg(kRax) = uint64_t{1} << 62;
  f.reg(kRbx) = ~uint64_t{1};  // -2
  IMUL_Ev(f.cpu, rr(5, 3, 8));
  CHECK(f.reg(kRax) == uint64_t{1} << 63);
  CHECK(f.reg(kRdx) == ~uint64_t{0});
  CHECK((f.flags() & (kCf | kOf)) == 0);
}

TEST_CASE("two- and three-operand IMUL truncate to the operand size") {
  Fixture f;
  f.reg(kRcx) = 0x4000;
  IMUL_Gv_Ev_Ib(f.cpu, rr(kRax, kRcx, 2, 0xfe));  // ax = cx * -2
  CHECK(f.reg(kRax) == 0x8000);
  CHECK((f.flags() & (kCf | kOf)) == 0);
  IMUL_Gv_Ev_Iz(f.cpu, rr(kRax, kRcx, 2, 4));
  CHECK(f.reg(kRax) == 0);
  CHECK((f.flags() & (kCf | kOf)) == (kCf | kOf));
  f.reg(kRdx) = 0x10000;
  f.reg(kRbx) = 0x10000;
  IMUL_Gv_Ev(f.cpu, rr(kRdx, kRbx, 4));
  CHECK(f.reg(kRdx) == 0);
  CHECK((f.flags() & (kCf | kOf)) == (kCf | kOf));
}

TEST_CASE("8086 MUL/IMUL flags come from the high half plus the low sign bit") {
  Fixture f("8086");
  f.reg(kRax) = 0x0c;
  f.reg(kRbx) = 0x0c;
  IMUL_Eb(f.cpu, rr(5, 3));  // 0x0090: 0x00 + 1 -> not zero, odd parity
  CHECK(f.reg(kRax) == 0x0090);
  CHECK(f.flags() == (kCf | kOf));
  f.reg(kRax) = 0x10;
  MUL_Eb(f.cpu, rr(4, 3));  // 0x00c0: high half 0
  CHECK(f.flags() == (kZf | kPf));
}

TEST_CASE("DIV faults on a zero divisor or a quotient overflow, changing nothing") {
  Fixture f;
  f.reg(kRax) = 0x1234;
  f.reg(kRbx) = 0;
  f.set_flags(kCf);
  CHECK(fault_vector([&] { DIV_Eb(f.cpu, rr(6, 3)); }) == kVecDe);
  f.reg(kRbx) = 0x12;
  CHECK(fault_vector([&] { DIV_Eb(f.cpu, rr(6, 3)); }) == kVecDe);
  CHECK(f.reg(kRax) == 0x1234);
  CHECK(f.flags() == kCf);
  f.reg(kRbx) = 0x13;
  DIV_Eb(f.cpu, rr(6, 3));
  CHECK(f.reg(kRax) == ((0x1234 % 0x13) << 8 | 0x1234 / 0x13));
  f.reg(kRdx) = 1;
  f.reg(kRax) = 5;
  f.reg(kRbx) = 2;
  DIV_Ev(f.cpu, rr(6, 3, 8));
  CHECK(f.reg(kRax) == (uint64_t{1} << 63 | 2));
  CHECK(f.reg(kRdx) == 1);
  f.reg(kRdx) = 0x7fffffff'ffffffff;
  f.reg(kRax) = 0xffffffff'ffffffff;
  f.reg(kRbx) = 0xffffffff'fffffffd;
  DIV_Ev(f.cpu, rr(6, 3, 8));
  CHECK(f.reg(kRax) == 0x80000000'00000001);
  CHECK(f.reg(kRdx) == 0x80000000'00000002);
}

TEST_CASE("IDIV signs, and the 8086's -2^(n-1) fault") {
  Fixture f8("8086"), f2("80286");
  for (Fixture* f : {&f8, &f2}) {
    f->reg(kRax) = uint16_t(-7);
    f->reg(kRbx) = 2;
    IDIV_Eb(f->cpu, rr(7, 3));
    CHECK(f->reg(kRax) == 0xfffd);  // quotient -3, remainder -1
    f->reg(kRax) = uint16_t(-256);
    f->reg(kRbx) = 2;  // quotient -128
  }
  CHECK(fault_vector([&] { IDIV_Eb(f8.cpu, rr(7, 3)); }) == kVecDe);
  IDIV_Eb(f2.cpu, rr(7, 3));
  CHECK(f2.reg(kRax) == 0x0080);
  f2.reg(kRax) = 256;
  CHECK(fault_vector([&] { IDIV_Eb(f2.cpu, rr(7, 3)); }) == kVecDe);  // +128
  f2.reg(kRdx) = 0xffffffff;  // -2^32 / 2 = -2^31 fits
  f2.reg(kRax) = 0;
  f2.reg(kRbx) = 2;
  IDIV_Ev(f2.cpu, rr(7, 3, 4));
  CHECK(f2.reg(kRax) == 0x80000000);
  CHECK(f2.reg(kRdx) == 0);
}

TEST_CASE("a REP prefix negates the 8086 IDIV quotient and IMUL product only") {
  Fixture f8("8086"), f2("80286");
  for (Fixture* f : {&f8, &f2}) {
    DecodedInsn i = rr(7, 3);
    i.rep = kRepE;
    f->reg(kRax) = 100;
    f->reg(kRbx) = 7;
    IDIV_Eb(f->cpu, i);
  }
  CHECK(f8.reg(kRax) == (2 << 8 | uint8_t(-14)));
  CHECK(f2.reg(kRax) == (2 << 8 | 14));
  DecodedInsn i = rr(5, 3);
  i.rep = kRepNE;
  f8.reg(kRax) = 3;
  IMUL_Eb(f8.cpu, i);
  CHECK(f8.reg(kRax) == uint16_t(-21));
}

// ---- decimal adjust ----

TEST_CASE("DAA and DAS, with the 8086's 9Fh threshold when AF is set") {
  Fixture f8("8086"), f2("80286");
  for (Fixture* f : {&f8, &f2}) {
    f->reg(kRax) = 0x9a;
    f->set_flags(kAf);
    DAA(f->cpu, {});
  }
  CHECK(f8.reg(kRax) == 0xa0);
  CHECK(f8.flags() == (kAf | kSf | kPf));
  CHECK(f2.reg(kRax) == 0x00);
  CHECK(f2.flags() == (kAf | kCf | kZf | kPf));
  f2.reg(kRax) = 0x15;  // 0x09 + 0x0c
  f2.set_flags(0);
  DAA(f2.cpu, {});
  CHECK(f2.reg(kRax) == 0x15);
  f2.reg(kRax) = 0x0f;  // 0x15 - 0x06
  f2.set_flags(kAf);
  DAS(f2.cpu, {});
  CHECK(f2.reg(kRax) == 0x09);
  CHECK(f2.flags() == (kAf | kPf));
}

TEST_CASE("DAS sets CF from the borrow of AL - 6 after the 8086 (Unicorn differential)") {
  // AL = 04h with AF: AL - 6 borrows, so CF = 1 although AL <= 99h and CF
  // was clear (SDM vol. 2, DAS); the 8086 leaves CF clear.
  Fixture f8("8086"), fmax("max");
  for (Fixture* f : {&f8, &fmax}) {
    f->reg(kRax) = 0x04;
    f->set_flags(kAf);
    DAS(f->cpu, {});
    CHECK(f->reg(kRax) == 0xfe);
  }
  CHECK(fmax.flags() == (kAf | kCf | kSf));
  CHECK(f8.flags() == (kAf | kSf));
}

TEST_CASE("AAA and AAS: the 8086 adjusts AL and AH apart, later CPUs adjust AX") {
  Fixture f8("8086"), f2("80286");
  for (Fixture* f : {&f8, &f2}) {
    f->reg(kRax) = 0x01fb;
    f->set_flags(0);
    AAA(f->cpu, {});
    CHECK((f->flags() & (kAf | kCf)) == (kAf | kCf));
  }
  CHECK(f8.reg(kRax) == 0x0201);
  CHECK(f2.reg(kRax) == 0x0301);
  f2.reg(kRax) = 0x0205;
  f2.set_flags(kAf);
  AAS(f2.cpu, {});
  CHECK(f2.reg(kRax) == 0x000f);  // the 8086 gives 010Fh
  f2.reg(kRax) = 0x0205;
  f2.set_flags(0);
  AAS(f2.cpu, {});
  CHECK(f2.reg(kRax) == 0x0205);
  CHECK((f2.flags() & (kAf | kCf)) == 0);
}

TEST_CASE("AAM and AAD use their immediate base; AAM 0 faults") {
  Fixture f;
  f.reg(kRax) = 0x00ff;
  AAM_Ib(f.cpu, rr(0, 0, 2, 10));
  CHECK(f.reg(kRax) == 0x1905);
  AAD_Ib(f.cpu, rr(0, 0, 2, 10));
  CHECK(f.reg(kRax) == 0x00ff);
  CHECK(f.flags() == (kSf | kPf));
  AAM_Ib(f.cpu, rr(0, 0, 2, 16));
  CHECK(f.reg(kRax) == 0x0f0f);
  CHECK(fault_vector([&] { AAM_Ib(f.cpu, rr(0, 0, 2, 0)); }) == kVecDe);
  CHECK(f.reg(kRax) == 0x0f0f);
  CHECK(f.flags() == 0);  // S, Z, P from AL >> 1 = 07h, as the 80286 does
  Fixture f8("8086");
  f8.set_flags(kCf | kSf | kOf);
  CHECK(fault_vector([&] { AAM_Ib(f8.cpu, rr(0, 0, 2, 0)); }) == kVecDe);
  CHECK(f8.flags() == (kZf | kPf));  // as for a zero result
}

TEST_CASE("80286 byte IDIV: an overflow that divides to -128 with bit 14 flipped is stored") {
  Fixture f2("80286"), fm("max");
  for (Fixture* f : {&f2, &fm}) {
    f->reg(kRax) = 0x8c60;  // -29600 / 103 overflows; 0xcc60 / 103 = -128 rem -32
    f->reg(kRdx) = 103 << 8;
  }
  IDIV_Eb(f2.cpu, rr(7, 6));
  CHECK(f2.reg(kRax) == 0xe080);
  CHECK(fault_vector([&] { IDIV_Eb(fm.cpu, rr(7, 6)); }) == kVecDe);
  f2.reg(kRax) = 0x7000;  // 28672 / 103 overflows; flipped it is positive: #DE
  CHECK(fault_vector([&] { IDIV_Eb(f2.cpu, rr(7, 6)); }) == kVecDe);
}

TEST_CASE("SALC copies CF to every bit of AL") {
  Fixture f;
  f.reg(kRax) = 0x1234;
  f.set_flags(kCf);
  SALC(f.cpu, {});
  CHECK(f.reg(kRax) == 0x12ff);
  f.set_flags(0);
  SALC(f.cpu, {});
  CHECK(f.reg(kRax) == 0x1200);
  CHECK(f.flags() == 0);
}

// ---- bit instructions ----

TEST_CASE("BT family: register offsets address outside a memory operand") {
  Fixture f;
  f.set_word(0x100, 0x8000);
  f.reg(kRax) = 0xffff;  // bit -1 of the word at 0x102 = bit 15 of the word at 0x100
  BT_Ev_Gv(f.cpu, mem16(0x102, kRax));
  CHECK((f.flags() & kCf) != 0);
  f.reg(kRax) = 0x21;  // bit 33: word 0x104, bit 1
  BTS_Ev_Gv(f.cpu, mem16(0x100, kRax));
  CHECK((f.flags() & kCf) == 0);
  CHECK(f.word(0x104) == 0x0002);
  BTC_Ev_Ib(f.cpu, mem16(0x100, 0, 2, 0x2f));  // immediate: 0x2f & 15 = bit 15
  CHECK((f.flags() & kCf) != 0);
  CHECK(f.word(0x100) == 0);
  f.reg(kRbx) = 0xf0;
  f.reg(kRcx) = 0x24;  // register operand: 36 & 31 = bit 4
  BTR_Ev_Gv(f.cpu, rr(kRcx, kRbx, 4));
  CHECK(f.reg(kRbx) == 0xe0);
  CHECK((f.flags() & kCf) != 0);
}

TEST_CASE("BSF, BSR and POPCNT") {
  Fixture f;
  f.reg(kRbx) = 0x00f0'0100;
  BSF_Gv_Ev(f.cpu, rr(kRax, kRbx, 4));
  CHECK(f.reg(kRax) == 8);
  CHECK((f.flags() & kZf) == 0);
  BSR_Gv_Ev(f.cpu, rr(kRax, kRbx, 4));
  CHECK(f.reg(kRax) == 23);
  f.reg(kRbx) = 0;
  f.reg(kRax) = 0x55;
  BSF_Gv_Ev(f.cpu, rr(kRax, kRbx, 2));
  CHECK(f.reg(kRax) == 0x55);
  CHECK((f.flags() & kZf) != 0);
  f.reg(kRbx) = 0xff00'0000'0000'0001;
  f.set_flags(kCf | kSf);
  POPCNT_Gv_Ev(f.cpu, rr(kRax, kRbx, 8));
  CHECK(f.reg(kRax) == 9);
  CHECK(f.flags() == 0);
}

}  // namespace
}  // namespace kestrel::cpu
