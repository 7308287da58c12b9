// SPDX-License-Identifier: MIT
// Control-transfer handlers and real-mode event delivery, called directly
// with hand-built DecodedInsn values: branches and their limit checks,
// CALL/RET near and far, LOOP, INT/IRET, BOUND, ENTER/LEAVE, HLT.
#include <doctest/doctest.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interrupts.h"

namespace kestrel::cpu {
namespace {

struct Fixture {
  explicit Fixture(const char* model = "max")
      : mem(1 << 20, find_cpu_model(model)->phys_addr_bits),
        cpu(*find_cpu_model(model), mem, bus) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.idtr = {0, 0x3ff};
    at(0x100, 0x102);
    cpu.s.gpr[kRsp] = 0x8000;
  }
  /// The engine's view before a handler: insn_rip and the next rIP.
  void at(uint64_t insn, uint64_t next) {
    cpu.insn_rip = insn;
    cpu.s.rip = next;
  }
  uint16_t word(uint32_t pa) { return uint16_t(mem.read_phys(pa, 2)); }
  void set_word(uint32_t pa, uint16_t v) { mem.write_phys(pa, v, 2); }
  uint16_t sp() const { return uint16_t(cpu.s.gpr[kRsp]); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
};

DecodedInsn insn(uint64_t imm = 0, unsigned osize = 2, unsigned asize = 2) {
  DecodedInsn i;
  i.imm = imm;
  i.osize = uint8_t(osize);
  i.asize = uint8_t(asize);
  return i;
}

/// A ModRM memory operand [disp16] in DS.
DecodedInsn mem_insn(uint16_t disp, unsigned osize = 2) {
  DecodedInsn i = insn(0, osize);
  i.mod = 0;
  i.disp = disp;
  return i;
}

template <class F> uint8_t fault_vector(F&& f) {
  try {
    f();
  } catch (const GuestFault& g) {
    return g.vector;
  }
  return 0xff;
}

TEST_CASE("Jcc: taken, not taken, IP wraps at 16 bits") {
  Fixture f;
  write_arith_flags(f.cpu.s, kZf);
  exec::JE_Jb(f.cpu, insn(uint64_t(-0x10)));
  CHECK(f.cpu.s.rip == 0xf2);
  f.at(0x100, 0x102);
  exec::JNE_Jb(f.cpu, insn(0x10));
  CHECK(f.cpu.s.rip == 0x102);
  f.at(0xfff0, 0xfff2);
  exec::JMP_Jz(f.cpu, insn(0x20));
  CHECK(f.cpu.s.rip == 0x0012);
  f.at(0x100, 0x102);
  write_arith_flags(f.cpu.s, kSf);
  exec::JL_Jb_8086(f.cpu, insn(4));  // SF != OF
  CHECK(f.cpu.s.rip == 0x106);
}

TEST_CASE("near branch beyond the CS limit: #GP on the 286, wraps on the 8086") {
  Fixture f("80286");
  f.cpu.s.seg[kCs].limit = 0x1000;
  CHECK(fault_vector([&] { exec::CALL_Jz(f.cpu, insn(0x2000)); }) == kVecGp);
  CHECK(f.sp() == 0x8000);
  Fixture g("8086");
  g.cpu.s.seg[kCs].limit = 0x1000;
  exec::JMP_Jz(g.cpu, insn(0x2000));
  CHECK(g.cpu.s.rip == 0x2102);
}

TEST_CASE("CALL near and RET imm16") {
  Fixture f;
  exec::CALL_Jz(f.cpu, insn(0x300));
  CHECK(f.cpu.s.rip == 0x402);
  CHECK(f.sp() == 0x7ffe);
  CHECK(f.word(0x7ffe) == 0x102);
  f.at(0x402, 0x405);
  exec::RET_Iw(f.cpu, insn(6));
  CHECK(f.cpu.s.rip == 0x102);
  CHECK(f.sp() == 0x8006);
}

TEST_CASE("CALL Ev reads the target before pushing") {
  Fixture f;
  f.cpu.s.gpr[kRbx] = 0x1234;
  DecodedInsn i = insn();
  i.mod = 3;
  i.rm = kRbx;
  exec::CALL_Ev(f.cpu, i);
  CHECK(f.cpu.s.rip == 0x1234);
  CHECK(f.word(0x7ffe) == 0x102);
}

TEST_CASE("far CALL, RETF imm16 in real mode") {
  Fixture f;
  f.cpu.load_real_segment(kCs, 0x1000);
  f.at(0x100, 0x105);
  DecodedInsn call = insn(0x0040);
  call.imm2 = 0x2000;
  exec::CALLF_Ap(f.cpu, call);
  CHECK(f.cpu.s.seg[kCs].selector == 0x2000);
  CHECK(f.cpu.s.seg[kCs].base == 0x20000);
  CHECK(f.cpu.s.rip == 0x40);
  CHECK(f.word(0x7ffe) == 0x1000);
  CHECK(f.word(0x7ffc) == 0x105);
  exec::RETF_Iw(f.cpu, insn(4));
  CHECK(f.cpu.s.seg[kCs].selector == 0x1000);
  CHECK(f.cpu.s.rip == 0x105);
  CHECK(f.sp() == 0x8004);
}

TEST_CASE("JMP far through memory reads offset then selector") {
  Fixture f;
  f.set_word(0x500, 0x1234);
  f.set_word(0x502, 0xabcd);
  exec::JMPF_Mp(f.cpu, mem_insn(0x500));
  CHECK(f.cpu.s.seg[kCs].selector == 0xabcd);
  CHECK(f.cpu.s.rip == 0x1234);
}

TEST_CASE("LOOP counts CX or ECX by address size; LOOPNE checks ZF") {
  Fixture f;
  f.cpu.s.gpr[kRcx] = 0x10000;  // CX = 0: wraps to FFFF, ECX upper half untouched
  exec::LOOP_Jb(f.cpu, insn(uint64_t(-4)));
  CHECK(f.cpu.s.gpr[kRcx] == 0x1ffff);
  CHECK(f.cpu.s.rip == 0xfe);
  f.at(0x100, 0x102);
  f.cpu.s.gpr[kRcx] = 0x10001;
  exec::LOOP_Jb(f.cpu, insn(uint64_t(-4), 2, 4));
  CHECK(f.cpu.s.gpr[kRcx] == 0x10000);
  CHECK(f.cpu.s.rip == 0xfe);
  f.at(0x100, 0x102);
  write_arith_flags(f.cpu.s, kZf);
  exec::LOOPNE_Jb(f.cpu, insn(8));
  CHECK(f.cpu.s.gpr[kRcx] == 0x1ffff);
  CHECK(f.cpu.s.rip == 0x102);
  exec::LOOPE_Jb(f.cpu, insn(8));
  CHECK(f.cpu.s.rip == 0x10a);
  f.at(0x100, 0x102);
  f.cpu.s.gpr[kRcx] = 0x10000;
  exec::JCXZ_Jb(f.cpu, insn(8));
  CHECK(f.cpu.s.rip == 0x10a);
}

TEST_CASE("INT n pushes FLAGS, CS, IP and loads the vector; IRET returns") {
  Fixture f;
  f.set_word(0x21 * 4, 0x0040);
  f.set_word(0x21 * 4 + 2, 0x3000);
  f.cpu.load_real_segment(kCs, 0x1000);
  f.cpu.s.rflags = kFixed1 | kIf | kTf | kDf;
  write_arith_flags(f.cpu.s, kCf);
  exec::INT_Ib(f.cpu, insn(0x21));
  CHECK(f.cpu.s.seg[kCs].selector == 0x3000);
  CHECK(f.cpu.s.rip == 0x40);
  CHECK(f.sp() == 0x7ffa);
  CHECK(f.word(0x7ffe) == (kFixed1 | kIf | kTf | kDf | kCf));
  CHECK(f.word(0x7ffc) == 0x1000);
  CHECK(f.word(0x7ffa) == 0x102);
  CHECK((read_flags(f.cpu.s) & (kIf | kTf)) == 0);
  CHECK((read_flags(f.cpu.s) & kDf) != 0);
  exec::IRET(f.cpu, insn());
  CHECK(f.cpu.s.seg[kCs].selector == 0x1000);
  CHECK(f.cpu.s.rip == 0x102);
  CHECK(f.sp() == 0x8000);
  CHECK(read_flags(f.cpu.s) == (kFixed1 | kIf | kTf | kDf | kCf));
}

TEST_CASE("FLAGS bits 12-15: pushed set on the 8086, clear on the 286, free on the 386") {
  Fixture f86("8086");
  f86.cpu.s.rflags = kFixed1;
  exec::INT3(f86.cpu, insn());
  CHECK(f86.word(0x7ffe) == 0xf002);

  Fixture f286("80286");
  f286.cpu.s.rflags = kFixed1 | 0x3000;
  exec::INT3(f286.cpu, insn());
  CHECK(f286.word(0x7ffe) == 0x0002);
  f286.set_word(0x7ffe, 0xf0ff);
  exec::IRET(f286.cpu, insn());
  CHECK(read_flags(f286.cpu.s) == 0x00d7);

  Fixture f386("80386");
  f386.cpu.s.rflags = kFixed1;
  exec::INT3(f386.cpu, insn());
  f386.set_word(0x7ffe, 0xf0ff);
  exec::IRET(f386.cpu, insn());
  CHECK(read_flags(f386.cpu.s) == 0x70d7);  // IOPL and NT load; bit 15 and bits 3/5 do not
}

TEST_CASE("INTO traps only with OF set") {
  Fixture f;
  f.set_word(kVecOf * 4, 0x0777);
  exec::INTO(f.cpu, insn());
  CHECK(f.cpu.s.rip == 0x102);
  write_arith_flags(f.cpu.s, kOf);
  exec::INTO(f.cpu, insn());
  CHECK(f.cpu.s.rip == 0x777);
}

TEST_CASE("virtual-8086 mode: INT n with IOPL < 3 faults, INT3 does not check IOPL") {
  Fixture f;
  f.cpu.s.cr[0] |= 1;
  f.cpu.s.rflags |= kVm;
  CHECK(fault_vector([&] { exec::INT_Ib(f.cpu, insn(0x21)); }) == kVecGp);
  CHECK(f.sp() == 0x8000);
  // INT3 goes to the IDT; protected-mode delivery reports the missing gate.
  bool gate_fault = false;
  try {
    exec::INT3(f.cpu, insn());
  } catch (const GuestFault& g) {
    gate_fault = g.vector == kVecGp && g.error == kVecBp * 8 + 2;
  }
  CHECK(gate_fault);
}

TEST_CASE("a vector beyond the IDTR limit: #GP on the 386, interrupt 8 on the 286") {
  Fixture f;
  f.cpu.s.idtr.limit = 0x7f;
  CHECK(fault_vector([&] { exec::INT_Ib(f.cpu, insn(0x20)); }) == kVecGp);
  CHECK(f.sp() == 0x8000);
  Fixture g("80286");
  g.cpu.s.idtr.limit = 0x7f;
  CHECK(fault_vector([&] { exec::INT_Ib(g.cpu, insn(0x20)); }) == kVecDf);
}

TEST_CASE("delivery that overflows the stack leaves SP alone") {
  Fixture f;
  f.cpu.s.gpr[kRsp] = 0x0003;  // FLAGS at 0001, CS would straddle FFFF
  CHECK(fault_vector([&] { deliver_event(f.cpu, 0x10, EventKind::kExternal); }) == kVecSs);
  CHECK(f.sp() == 0x0003);
}

TEST_CASE("BOUND raises #BR outside the signed bounds") {
  Fixture f;
  f.set_word(0x600, uint16_t(-5));
  f.set_word(0x602, 10);
  DecodedInsn i = mem_insn(0x600);
  i.reg = kRax;
  f.cpu.s.gpr[kRax] = uint16_t(-5);
  exec::BOUND_Gv_Ma(f.cpu, i);
  f.cpu.s.gpr[kRax] = 10;
  exec::BOUND_Gv_Ma(f.cpu, i);
  f.cpu.s.gpr[kRax] = 11;
  CHECK(fault_vector([&] { exec::BOUND_Gv_Ma(f.cpu, i); }) == kVecBr);
  f.cpu.s.gpr[kRax] = uint16_t(-6);
  CHECK(fault_vector([&] { exec::BOUND_Gv_Ma(f.cpu, i); }) == kVecBr);
}

TEST_CASE("ENTER with nesting levels 0, 1 and 3; LEAVE undoes it") {
  Fixture f;
  f.cpu.s.gpr[kRbp] = 0x9000;
  DecodedInsn i = insn(0x10);
  exec::ENTER_Iw_Ib(f.cpu, i);
  CHECK(f.word(0x7ffe) == 0x9000);
  CHECK(f.cpu.s.gpr[kRbp] == 0x7ffe);
  CHECK(f.sp() == 0x7fee);
  exec::LEAVE(f.cpu, insn());
  CHECK(f.sp() == 0x8000);
  CHECK(f.cpu.s.gpr[kRbp] == 0x9000);

  i.imm2 = 1;
  exec::ENTER_Iw_Ib(f.cpu, i);
  CHECK(f.word(0x7ffc) == 0x7ffe);  // the new frame pointer
  CHECK(f.sp() == 0x7fec);

  f.cpu.s.gpr[kRsp] = 0x8000;
  f.cpu.s.gpr[kRbp] = 0x9000;
  f.set_word(0x8ffe, 0x1111);
  f.set_word(0x8ffc, 0x2222);
  i.imm2 = 3 + 32;  // the level is taken modulo 32
  exec::ENTER_Iw_Ib(f.cpu, i);
  CHECK(f.word(0x7ffe) == 0x9000);
  CHECK(f.word(0x7ffc) == 0x1111);
  CHECK(f.word(0x7ffa) == 0x2222);
  CHECK(f.word(0x7ff8) == 0x7ffe);
  CHECK(f.cpu.s.gpr[kRbp] == 0x7ffe);
  CHECK(f.sp() == 0x7fe8);
}

TEST_CASE("LEAVE that faults changes nothing") {
  Fixture f;
  f.cpu.s.gpr[kRbp] = 0xffff;
  CHECK(fault_vector([&] { exec::LEAVE(f.cpu, insn()); }) == kVecSs);
  CHECK(f.sp() == 0x8000);
  Fixture g("80286");  // the 286 reports stack overruns in real mode as #GP
  g.cpu.s.gpr[kRbp] = 0xffff;
  CHECK(fault_vector([&] { exec::LEAVE(g.cpu, insn()); }) == kVecGp);
  CHECK(g.sp() == 0x8000);
}

TEST_CASE("HLT halts; delivering an event resumes") {
  Fixture f;
  exec::HLT(f.cpu, insn());
  CHECK(f.cpu.s.halted);
  deliver_event(f.cpu, 0x08, EventKind::kExternal);
  CHECK_FALSE(f.cpu.s.halted);
  CHECK(f.word(0x7ffa) == 0x102);
}

}  // namespace
}  // namespace kestrel::cpu
