// SPDX-License-Identifier: MIT
// x87 and MMX instructions through the interpreter in real mode: programs,
// #NM and #MF, FERR#, the 16/32-bit environment and state images,
// FXSAVE/FXRSTOR, MMX and the tag word, CPUID.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "cpu/x87/fpu.h"

namespace kestrel::cpu {
namespace {

constexpr uint32_t kHandler = 0x300;  ///< every exception vector lands on HLT here

struct X87Fixture {
  X87Fixture() : mem(1 << 20, 36), cpu(*find_cpu_model("max"), mem, bus), interp(cpu) {
    cpu.reset();
    // The state FNINIT leaves, not the power-on one (FCW 0040h, tags zero).
    cpu.s.fcw = 0x037f;
    cpu.s.ftw = 0xffff;
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.s.rip = 0x100;
    cpu.s.gpr[kRsp] = 0x8000;
    cpu.s.cr[0] = 0x10;  // ET; no EM, TS or NE
    for (unsigned v = 0; v < 32; ++v) {
      mem.write_phys(v * 4u, kHandler + v, 2);
      mem.write_phys(v * 4u + 2, 0, 2);
      mem.write_phys(kHandler + v, 0xf4, 1);
    }
  }
  /// Runs `code` at 0100h to its HLT; returns the vector taken, or -1.
  int run(std::vector<uint8_t> code) {
    code.push_back(0xf4);
    mem.load_phys(0x100, code);
    interp.run(1000);
    const uint64_t ip = cpu.s.rip - 1;
    return ip >= kHandler && ip < kHandler + 32 ? int(ip - kHandler) : -1;
  }
  uint64_t rd(uint32_t a, unsigned n) { return mem.read_phys(a, n); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  Interpreter interp;
};

TEST_CASE("x87: a program adds pi and one and stores a double") {
  X87Fixture f;
  // fld1; fldpi; faddp st1; fstp qword [0500h]
  CHECK(f.run({0xd9, 0xe8, 0xd9, 0xeb, 0xde, 0xc1, 0xdd, 0x1e, 0x00, 0x05}) == -1);
  CHECK(f.rd(0x500, 8) == 0x401090fdaa22168c);
  CHECK(f.cpu.s.ftw == 0xffff);
  CHECK(x87::top(f.cpu.s) == 0);
  CHECK((f.cpu.s.fsw & x87::kPe) != 0);
}

TEST_CASE("x87: CR0.EM and CR0.TS raise #NM; WAIT needs MP with TS") {
  X87Fixture f;
  f.cpu.s.cr[0] |= 4;  // EM
  CHECK(f.run({0xd9, 0xe8}) == kVecNm);
  X87Fixture g;
  g.cpu.s.cr[0] |= 8;  // TS
  CHECK(g.run({0x9b}) == -1);  // WAIT without MP
  g.cpu.s.rip = 0x100;
  g.cpu.s.halted = false;
  g.cpu.s.cr[0] |= 2;  // MP
  CHECK(g.run({0x9b}) == kVecNm);
}

// fldcw [0500h] (ZE unmasked); fld1; fldz; fdivp st1 -> ZE pending
const std::vector<uint8_t> kZeroDivide = {0xd9, 0x2e, 0x00, 0x05, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9};

TEST_CASE("x87: an unmasked exception is reported by the next waiting instruction") {
  X87Fixture f;
  f.cpu.s.cr[0] |= 0x20;  // NE: #MF
  f.mem.write_phys(0x500, 0x037b, 2);
  std::vector<uint8_t> code = kZeroDivide;
  code.insert(code.end(), {0xdf, 0xe0, 0xd9, 0xe8});  // fnstsw ax (no wait); fld1 -> #MF
  CHECK(f.run(code) == kVecMf);
  CHECK((f.cpu.s.gpr[kRax] & 0x80ff) == 0x8084);  // B, ES, ZE
  CHECK(x87::st(f.cpu.s, 0) == x87::make80(false, 0, 0));  // unchanged by the unmasked ZE
  CHECK(f.rd(0x8000 - 6, 2) == 0x10c);  // #MF reports the waiting FLD1
}

TEST_CASE("x87: with CR0.NE clear a pending exception signals FERR# instead") {
  X87Fixture f;
  f.mem.write_phys(0x500, 0x037b, 2);
  std::vector<uint8_t> code = kZeroDivide;
  code.push_back(0x9b);  // fwait
  CHECK(f.run(code) == -1);
  CHECK((f.cpu.s.pending & kPendingFerr) != 0);
  // FNCLEX clears the exception; nothing is pending any more.
  f.cpu.s.pending = 0;
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.run({0xdb, 0xe2, 0x9b}) == -1);
  CHECK(f.cpu.s.pending == 0);
  CHECK((f.cpu.s.fsw & 0x80ff) == 0);
}

TEST_CASE("x87: FNSTENV stores the 16-bit real-mode layout and masks exceptions") {
  X87Fixture f;
  f.mem.write_phys(0x500, 0x0372, 2);
  // fldcw [0500h]; fld1; fnstenv [0600h]
  CHECK(f.run({0xd9, 0x2e, 0x00, 0x05, 0xd9, 0xe8, 0xd9, 0x36, 0x00, 0x06}) == -1);
  CHECK(f.rd(0x600, 2) == 0x0372);
  CHECK(f.rd(0x602, 2) == 0x3800);          // TOP = 7
  CHECK(f.rd(0x604, 2) == 0x3fff);          // R7 valid, the rest empty
  CHECK(f.rd(0x606, 2) == 0x104);           // FIP: the FLD1
  CHECK(f.rd(0x608, 2) == 0x1e8);           // FOP D9 E8, FIP bits 19:16 = 0
  CHECK(f.cpu.s.fcw == 0x037f);
}

TEST_CASE("x87: FNSAVE and FRSTOR round-trip the state, 16- and 32-bit") {
  for (bool wide : {false, true}) {
    X87Fixture f;
    std::vector<uint8_t> code = {0xd9, 0xe8, 0xd9, 0xeb};  // fld1; fldpi
    if (wide) code.push_back(0x66);
    code.insert(code.end(), {0xdd, 0x36, 0x00, 0x06});  // fnsave [0600h]
    if (wide) code.push_back(0x66);
    code.insert(code.end(), {0xdd, 0x26, 0x00, 0x06});  // frstor [0600h]
    code.insert(code.end(), {0xdd, 0x1e, 0x00, 0x05});  // fstp qword [0500h]
    CHECK(f.run(code) == -1);
    CHECK(f.rd(0x500, 8) == 0x400921fb54442d18);
    const unsigned regs = wide ? 28 : 14;
    CHECK(f.rd(0x600 + regs, 8) == 0xc90fdaa22168c235);  // ST(0) = pi in the image
    CHECK(x87::top(f.cpu.s) == 7);
  }
}

TEST_CASE("x87: FXSAVE needs 16-byte alignment and stores the abridged tags") {
  X87Fixture f;
  CHECK(f.run({0xd9, 0xe8, 0x0f, 0xae, 0x06, 0x08, 0x07}) == kVecGp);  // fxsave [0708h]
  X87Fixture g;
  // fld1; fxsave [0700h]; fninit; fxrstor [0700h]
  CHECK(g.run({0xd9, 0xe8, 0x0f, 0xae, 0x06, 0x00, 0x07, 0xdb, 0xe3, 0x0f, 0xae, 0x0e, 0x00, 0x07}) == -1);
  CHECK(g.rd(0x704, 1) == 0x80);  // R7 in use
  CHECK(g.rd(0x700 + 32, 8) == 0x8000000000000000);
  CHECK(g.cpu.s.ftw == 0x3fff);
  CHECK(x87::top(g.cpu.s) == 7);
}

TEST_CASE("x87: FCOMI sets ZF, PF and CF; FCMOV reads them") {
  X87Fixture f;
  // fld1; fldz; fcomi st1 (0 < 1: CF); fcmovb st1 -> ST0 = 1
  CHECK(f.run({0xd9, 0xe8, 0xd9, 0xee, 0xdb, 0xf1, 0xda, 0xc1}) == -1);
  CHECK((read_flags(f.cpu.s) & (kZf | kPf | kCf)) == kCf);
  CHECK(x87::st(f.cpu.s, 0) == x87::kOne80);
}

TEST_CASE("MMX: packed arithmetic on the x87 registers, and EMMS") {
  X87Fixture f;
  f.mem.write_phys(0x500, 0x01020304050607f0, 8);
  f.mem.write_phys(0x508, 0x1010101010101020, 8);
  // movq mm1, [0500h]; paddb mm1, [0508h]; movq [0510h], mm1
  CHECK(f.run({0x0f, 0x6f, 0x0e, 0x00, 0x05, 0x0f, 0xfc, 0x0e, 0x08, 0x05, 0x0f, 0x7f, 0x0e, 0x10, 0x05}) == -1);
  CHECK(f.rd(0x510, 8) == 0x1112131415161710);
  CHECK(f.cpu.s.ftw == 0);
  CHECK(f.cpu.s.st[1].sign_exp == 0xffff);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.run({0x0f, 0x77}) == -1);  // emms
  CHECK(f.cpu.s.ftw == 0xffff);
}

TEST_CASE("MMX: CR0.EM makes MMX instructions #UD") {
  X87Fixture f;
  f.cpu.s.cr[0] |= 4;
  CHECK(f.run({0x0f, 0x77}) == kVecUd);
}

TEST_CASE("x87: a faulting memory operand leaves the FPU as it was") {
  X87Fixture f;
  // fld1; fadd dword [0FFFEh]: the second half is beyond the 64 KiB limit.
  CHECK(f.run({0xd9, 0xe8, 0xd8, 0x06, 0xfe, 0xff}) == kVecGp);
  CHECK(f.cpu.s.fop == 0x1e8);  // still FLD1's
  CHECK(f.cpu.s.fip == 0x100);
  CHECK(x87::st(f.cpu.s, 0) == x87::kOne80);
  CHECK((f.cpu.s.fsw & 0x3f) == 0);
}

TEST_CASE("x87: the pointers of the last non-control instruction") {
  X87Fixture f;
  f.mem.write_phys(0x520, 0x3f800000, 4);
  // fld dword [0520h]; fldcw [0530h] (control: no update); fnstenv [0600h]
  f.mem.write_phys(0x530, 0x037f, 2);
  CHECK(f.run({0xd9, 0x06, 0x20, 0x05, 0xd9, 0x2e, 0x30, 0x05, 0xd9, 0x36, 0x00, 0x06}) == -1);
  CHECK(f.rd(0x606, 2) == 0x100);           // FIP
  CHECK(f.rd(0x608, 2) == 0x106);           // FOP D9 06
  CHECK(f.rd(0x60a, 2) == 0x520);           // FDP
}

TEST_CASE("x87: FLDENV takes only empty or not from the tag word") {
  X87Fixture f;
  // fld1; fnstenv [0600h]; (tag word: R7 valid) rewrite it as "special";
  // fldenv [0600h]; fnstenv [0620h]
  CHECK(f.run({0xd9, 0xe8, 0xd9, 0x36, 0x00, 0x06}) == -1);
  f.mem.write_phys(0x604, 0xbfff, 2);
  f.cpu.s.halted = false;
  f.cpu.s.rip = 0x100;
  CHECK(f.run({0xd9, 0x26, 0x00, 0x06, 0xd9, 0x36, 0x20, 0x06}) == -1);
  CHECK(f.rd(0x624, 2) == 0x3fff);
}

TEST_CASE("FXRSTOR rejects reserved MXCSR bits with #GP") {
  X87Fixture f;
  f.mem.write_phys(0x700 + 24, 0x10000, 4);
  CHECK(f.run({0x0f, 0xae, 0x0e, 0x00, 0x07}) == kVecGp);
}

TEST_CASE("MMX: a pending x87 exception raises #MF first") {
  X87Fixture f;
  f.cpu.s.cr[0] |= 0x20;
  f.mem.write_phys(0x500, 0x037b, 2);
  std::vector<uint8_t> code = kZeroDivide;
  code.insert(code.end(), {0x0f, 0x77});  // emms
  CHECK(f.run(code) == kVecMf);
  CHECK(f.cpu.s.ftw != 0xffff);
}

TEST_CASE("CPUID reports the FPU, MMX and FXSR") {
  X87Fixture f;
  f.cpu.s.gpr[kRax] = 1;
  CHECK(f.run({0x0f, 0xa2}) == -1);
  const uint64_t edx = f.cpu.s.gpr[kRdx];
  CHECK((edx & 1) != 0);
  CHECK((edx & (1u << 23)) != 0);
  CHECK((edx & (1u << 24)) != 0);
}

}  // namespace
}  // namespace kestrel::cpu
