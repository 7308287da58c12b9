// SPDX-License-Identifier: MIT
// The 64-bit forms of the integer instructions (cpu/interp/alu.cpp,
// shift.cpp, muldiv.cpp, bits.cpp, data.cpp, stack.cpp, control.cpp,
// string.cpp): REX.W, the 64-bit default operand size, zero-extending
// 32-bit writes, RIP-relative and 32-bit addressing, CMPXCHG16B, and the
// regressions the host-oracle differential test found.
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"

namespace kestrel::cpu {
namespace {

/// 64-bit mode at CPL 0 with flat segments and paging off (linear =
/// physical); code at 1000h, the stack at 80000h. step() runs one
/// instruction under the engine contract and returns the vector it raised,
/// or -1, without delivering it.
struct Long64 {
  Long64() : mem(2 << 20, find_cpu_model("max")->phys_addr_bits), cpu(*find_cpu_model("max"), mem, bus) {
    cpu.reset();
    cpu.s.cr[0] = 0x33;
    cpu.s.efer = 0x500;  // LME, LMA
    for (SegmentCache& sc : cpu.s.seg) sc = {0, 0xffffffffu, 0x10, uint16_t(0xc093)};
    cpu.s.seg[kCs] = {0, 0xffffffffu, 0x08, uint16_t(kAttrPresent | kAttrS | kAttrCode | kAttrWritable |
                                                     kAttrAccessed | kAttrL | kAttrG)};
    cpu.s.gpr[kRsp] = 0x80000;
  }
  int step(std::vector<uint8_t> code) {
    mem.load_phys(0x1000, code);
    cpu.s.rip = 0x1000;
    DecodeContext ctx{CodeSize::k64, true, false, cpu.model};
    DecodedInsn d;
    if (decode(std::span(code), ctx, d) != DecodeStatus::kOk) return kVecUd;
    cpu.insn_rip = cpu.s.rip;
    cpu.s.rip += d.len;
    try {
      exec::handler_for(d.form)(cpu, d);
    } catch (const GuestFault& f) {
      cpu.s.rip = cpu.insn_rip;
      return f.vector;
    }
    return -1;
  }
  uint64_t& r(unsigned n) { return cpu.s.gpr[n]; }
  uint64_t m64(uint64_t a) { return mem.read_phys(a, 8); }
  void set64(uint64_t a, uint64_t v) { mem.write_phys(a, v, 8); }

  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
};

TEST_CASE("64-bit ALU: REX.W widens, 32-bit writes zero-extend, 8/16-bit writes merge") {
  Long64 f;
  f.r(kRax) = 0xffffffff'00000001;
  f.r(kRbx) = 0x00000001'ffffffff;
  CHECK(f.step({0x48, 0x01, 0xd8}) == -1);  // add rax, rbx
  CHECK(f.r(kRax) == 0x00000001'00000000);
  f.r(kRcx) = 0xdeadbeef'00000005;
  CHECK(f.step({0x83, 0xc1, 0x01}) == -1);  // add ecx, 1
  CHECK(f.r(kRcx) == 6);
  f.r(kRdx) = 0x11223344'55667788;
  CHECK(f.step({0x66, 0x83, 0xc2, 0x01}) == -1);  // add dx, 1
  CHECK(f.r(kRdx) == 0x11223344'55667789);
  f.r(kR9) = 0x8000000000000000;
  CHECK(f.step({0x49, 0x83, 0xe9, 0x01}) == -1);  // sub r9, 1: signed overflow
  CHECK(f.r(kR9) == 0x7fffffffffffffff);
  CHECK((read_flags(f.cpu.s) & kOf) != 0);
}

TEST_CASE("MOV r64, imm64; MOV r/m64, imm32 sign-extends; MOVSXD; CDQE; CQO") {
  Long64 f;
  CHECK(f.step({0x49, 0xbb, 1, 2, 3, 4, 5, 6, 7, 0x88}) == -1);  // mov r11, imm64
  CHECK(f.r(kR11) == 0x8807060504030201);
  CHECK(f.step({0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff}) == -1);  // mov rax, -2
  CHECK(f.r(kRax) == ~uint64_t{1});
  f.r(kRcx) = 0x12345678'80000000;
  CHECK(f.step({0x48, 0x63, 0xd1}) == -1);  // movsxd rdx, ecx
  CHECK(f.r(kRdx) == 0xffffffff'80000000);
  CHECK(f.step({0x63, 0xd1}) == -1);  // movsxd edx, ecx: a zero-extending move
  CHECK(f.r(kRdx) == 0x80000000);
  f.r(kRax) = 0x12345678'87654321;
  CHECK(f.step({0x48, 0x98}) == -1);  // cdqe
  CHECK(f.r(kRax) == 0xffffffff'87654321);
  CHECK(f.step({0x48, 0x99}) == -1);  // cqo
  CHECK(f.r(kRdx) == ~uint64_t{0});
}

TEST_CASE("RIP-relative operands count from the next instruction; 67 gives 32-bit addresses") {
  Long64 f;
  f.set64(0x2000, 0x1122334455667788);
  // mov rax, [rip + 0xff9]: next rip = 1007h, 1007h + 0FF9h = 2000h.
  CHECK(f.step({0x48, 0x8b, 0x05, 0xf9, 0x0f, 0, 0}) == -1);
  CHECK(f.r(kRax) == 0x1122334455667788);
  // mov ecx, [eax + ebx]: the upper halves of the registers do not count.
  f.r(kRax) = 0xabcdef00'00001000;
  f.r(kRbx) = 0x00000005'00001000;
  CHECK(f.step({0x67, 0x8b, 0x0c, 0x18}) == -1);
  CHECK(f.r(kRcx) == 0x55667788);
  // moffs: A1 takes an 8-byte address, 67 A1 a 4-byte one.
  CHECK(f.step({0x48, 0xa1, 0x00, 0x20, 0, 0, 0, 0, 0, 0}) == -1);
  CHECK(f.r(kRax) == 0x1122334455667788);
  CHECK(f.step({0x67, 0xa1, 0x04, 0x20, 0, 0}) == -1);
  CHECK(f.r(kRax) == 0x11223344);
}

TEST_CASE("stack operations default to 64 bits; 66 makes them 16-bit") {
  Long64 f;
  f.r(kR12) = 0x0102030405060708;
  CHECK(f.step({0x41, 0x54}) == -1);  // push r12
  CHECK(f.r(kRsp) == 0x80000 - 8);
  CHECK(f.m64(0x80000 - 8) == 0x0102030405060708);
  CHECK(f.step({0x6a, 0xff}) == -1);  // push -1: sign-extended to 64 bits
  CHECK(f.m64(0x80000 - 16) == ~uint64_t{0});
  CHECK(f.step({0x66, 0x6a, 0x05}) == -1);  // push word 5
  CHECK(f.r(kRsp) == 0x80000 - 18);
  CHECK(f.step({0x66, 0x58}) == -1);  // pop ax
  CHECK(f.step({0x9c}) == -1);  // pushfq: 8 bytes
  CHECK(f.r(kRsp) == 0x80000 - 24);
  CHECK(f.step({0x5b}) == -1);  // pop rbx
  CHECK(f.r(kRbx) == (read_flags(f.cpu.s) & 0xffff));
  CHECK(f.step({0x41, 0x5d}) == -1);  // pop r13
  CHECK(f.r(kR13) == ~uint64_t{0});
}

TEST_CASE("near branches: CALL pushes a 64-bit return address; JRCXZ and LOOP use RCX") {
  Long64 f;
  CHECK(f.step({0xe8, 0x10, 0, 0, 0}) == -1);  // call +10h
  CHECK(f.cpu.s.rip == 0x1015);
  CHECK(f.m64(0x80000 - 8) == 0x1005);
  f.r(kRcx) = 0x1'00000000;
  CHECK(f.step({0xe3, 0x10}) == -1);  // jrcxz: RCX is not zero
  CHECK(f.cpu.s.rip == 0x1002);
  CHECK(f.step({0x67, 0xe3, 0x10}) == -1);  // jecxz: ECX is
  CHECK(f.cpu.s.rip == 0x1013);
  CHECK(f.step({0xe2, 0x10}) == -1);  // loop: RCX - 1 = FFFFFFFFh, taken
  CHECK(f.r(kRcx) == 0xffffffff);
  CHECK(f.cpu.s.rip == 0x1012);
  CHECK(f.step({0x66, 0xe9, 0x10, 0, 0, 0}) == -1);  // 66 jmp: still rel32 and 64-bit rIP
  CHECK(f.cpu.s.rip == 0x1016);
}

TEST_CASE("indirect CALL and JMP take 64-bit targets; RET pops 8 bytes") {
  Long64 f;
  f.r(kRax) = 0x2345;
  CHECK(f.step({0xff, 0xd0}) == -1);  // call rax
  CHECK(f.cpu.s.rip == 0x2345);
  CHECK(f.r(kRsp) == 0x80000 - 8);
  CHECK(f.m64(0x80000 - 8) == 0x1002);
  f.set64(0x2008, 0x3456);
  CHECK(f.step({0xff, 0x25, 0x02, 0x10, 0, 0}) == -1);  // jmp [rip + 1002h] = [2008h]
  CHECK(f.cpu.s.rip == 0x3456);
  CHECK(f.step({0xc2, 0x10, 0x00}) == -1);  // ret 10h
  CHECK(f.cpu.s.rip == 0x1002);
  CHECK(f.r(kRsp) == 0x80000 + 0x10);
  f.r(kRsp) = 0x80000 - 8;
  CHECK(f.step({0x66, 0xc3}) == -1);  // 66 ret: Intel ignores 66, still 64-bit
  CHECK(f.cpu.s.rip == 0x1002);
  CHECK(f.r(kRsp) == 0x80000);
}

TEST_CASE("string instructions with RSI/RDI/RCX, or ESI/EDI/ECX under 67") {
  Long64 f;
  f.set64(0x3000, 0xaaaaaaaaaaaaaaaa);
  f.set64(0x3008, 0xbbbbbbbbbbbbbbbb);
  f.r(kRsi) = 0x3000;
  f.r(kRdi) = 0x4000;
  f.r(kRcx) = 2;
  CHECK(f.step({0xf3, 0x48, 0xa5}) == -1);  // rep movsq
  CHECK(f.m64(0x4008) == 0xbbbbbbbbbbbbbbbb);
  CHECK(f.r(kRsi) == 0x3010);
  CHECK(f.r(kRcx) == 0);
  f.r(kRdi) = 0x77777777'00005000;
  f.r(kRcx) = 0x1'00000001;
  f.r(kRax) = 0x55;
  CHECK(f.step({0x67, 0xf3, 0xaa}) == -1);  // rep stosb [edi], ecx = 1
  CHECK(f.mem.read_phys(0x5000, 1) == 0x55);
  CHECK(f.r(kRdi) == 0x5001);  // a 32-bit register write
  CHECK(f.r(kRcx) == 0);
}

TEST_CASE("shifts mask 64-bit counts to 6 bits; a zero count still zero-extends a 32-bit register") {
  Long64 f;
  f.r(kRax) = 1;
  CHECK(f.step({0x48, 0xc1, 0xe0, 40}) == -1);  // shl rax, 40
  CHECK(f.r(kRax) == uint64_t{1} << 40);
  f.r(kRdx) = 0x80000000'00000000;
  f.r(kRcx) = 0x7f;  // masked to 63
  CHECK(f.step({0x48, 0xd3, 0xfa}) == -1);  // sar rdx, cl
  CHECK(f.r(kRdx) == ~uint64_t{0});
  // Regression (host oracle): shr r15d, 32 is a count of 0, yet clears the upper half.
  f.r(kR15) = 0xbec38bc6'987d2111;
  CHECK(f.step({0x41, 0xc1, 0xef, 0x20}) == -1);
  CHECK(f.r(kR15) == 0x987d2111);
  f.r(kRcx) = 0x3f90c521'89fce815;
  CHECK(f.step({0x0f, 0xa4, 0xd1, 0x80}) == -1);  // shld ecx, edx, 80h: count 0
  CHECK(f.r(kRcx) == 0x89fce815);
}

TEST_CASE("MUL, IMUL, DIV and IDIV on 64-bit operands") {
  Long64 f;
  f.r(kRax) = ~uint64_t{0};
  f.r(kRbx) = ~uint64_t{0};
  CHECK(f.step({0x48, 0xf7, 0xe3}) == -1);  // mul rbx
  CHECK(f.r(kRax) == 1);
  CHECK(f.r(kRdx) == ~uint64_t{1});
  CHECK(f.step({0x48, 0xf7, 0xf3}) == -1);  // div rbx: FFFF...FE:1 = FFFF...F squared
  CHECK(f.r(kRax) == ~uint64_t{0});
  CHECK(f.r(kRdx) == 0);
  f.r(kRdx) = 5;
  f.r(kRbx) = 5;
  CHECK(f.step({0x48, 0xf7, 0xf3}) == kVecDe);  // quotient too large
  f.r(kRax) = uint64_t(-7);
  CHECK(f.step({0x48, 0x99}) == -1);
  f.r(kRcx) = 2;
  CHECK(f.step({0x48, 0xf7, 0xf9}) == -1);  // idiv rcx
  CHECK(f.r(kRax) == uint64_t(-3));
  CHECK(f.r(kRdx) == uint64_t(-1));
  f.r(kRsi) = 0x100000000;
  CHECK(f.step({0x48, 0x0f, 0xaf, 0xf6}) == -1);  // imul rsi, rsi: overflows
  CHECK(f.r(kRsi) == 0);
  CHECK((read_flags(f.cpu.s) & kCf) != 0);
}

TEST_CASE("DIV r64 of 128-bit dividends matches the exact quotient and remainder") {
  // Divisors and dividends chosen for the digit-wise division's corner
  // cases: one-digit and normalised divisors, quotient digits estimated
  // too high, remainders just below the divisor.
  Long64 f;
  uint64_t seed = 0x9e3779b97f4a7c15;
  const auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (int k = 0; k < 2000; ++k) {
    uint64_t d = next() >> (next() % 64);
    if (k % 4 == 0) d |= uint64_t{1} << 63;
    if (k % 7 == 0) d = (d & ~uint64_t{0xffffffff}) | 0xffffffff;
    if (d == 0) d = 1;
    const uint64_t hi = d > 1 ? next() % d : 0, lo = k % 5 == 0 ? ~uint64_t{0} : next();
    const unsigned __int128 n = (unsigned __int128)hi << 64 | lo;
    f.r(kRdx) = hi;
    f.r(kRax) = lo;
    f.r(kRbx) = d;
    REQUIRE(f.step({0x48, 0xf7, 0xf3}) == -1);  // div rbx
    CHECK(f.r(kRax) == uint64_t(n / d));
    CHECK(f.r(kRdx) == uint64_t(n % d));
  }
}

TEST_CASE("MUL and IMUL record CF = OF and the result lazily (CcOp::kCfOf)") {
  Long64 f;
  f.r(kRax) = 0x8000'0000;
  f.r(kRbx) = 2;
  CHECK(f.step({0x0f, 0xaf, 0xc3}) == -1);  // imul eax, ebx: 2^32 overflows
  CHECK(f.cpu.s.cc_op == cc_op(CcOp::kCfOf, 4));
  CHECK(f.r(kRax) == 0);
  CHECK((read_flags(f.cpu.s) & (kCf | kOf | kZf | kSf | kAf)) == (kCf | kOf | kZf));
  f.r(kRax) = uint64_t(-3);
  CHECK(f.step({0x48, 0xf7, 0xeb}) == -1);  // imul rbx: -6 fits
  CHECK(f.r(kRax) == uint64_t(-6));
  CHECK(f.r(kRdx) == ~uint64_t{0});
  CHECK((read_flags(f.cpu.s) & (kCf | kOf | kSf | kPf)) == (kSf | kPf));
}

TEST_CASE("BT with a 64-bit register offset reaches below the operand; BSWAP r64") {
  Long64 f;
  f.set64(0x3000 - 8, uint64_t{1} << 63);
  f.r(kRbx) = 0x3000;
  f.r(kRax) = uint64_t(-1);  // bit 63 of the qword below
  CHECK(f.step({0x48, 0x0f, 0xa3, 0x03}) == -1);  // bt [rbx], rax
  CHECK((read_flags(f.cpu.s) & kCf) != 0);
  CHECK(f.step({0x48, 0x0f, 0xbb, 0x03}) == -1);  // btc [rbx], rax
  CHECK(f.m64(0x3000 - 8) == 0);
  f.r(kR10) = 0x0102030405060708;
  CHECK(f.step({0x49, 0x0f, 0xca}) == -1);  // bswap r10
  CHECK(f.r(kR10) == 0x0807060504030201);
}

TEST_CASE("CMPXCHG16B compares RDX:RAX, writes RCX:RBX, and needs 16-byte alignment") {
  Long64 f;
  f.set64(0x3000, 1);
  f.set64(0x3008, 2);
  f.r(kRdi) = 0x3000;
  f.r(kRax) = 1, f.r(kRdx) = 2, f.r(kRbx) = 3, f.r(kRcx) = 4;
  CHECK(f.step({0x48, 0x0f, 0xc7, 0x0f}) == -1);  // cmpxchg16b [rdi]
  CHECK((read_flags(f.cpu.s) & kZf) != 0);
  CHECK(f.m64(0x3000) == 3);
  CHECK(f.m64(0x3008) == 4);
  f.r(kRax) = 9;
  CHECK(f.step({0x48, 0x0f, 0xc7, 0x0f}) == -1);  // mismatch: RDX:RAX = memory
  CHECK((read_flags(f.cpu.s) & kZf) == 0);
  CHECK(f.r(kRax) == 3);
  CHECK(f.r(kRdx) == 4);
  f.r(kRdi) = 0x3008;
  CHECK(f.step({0x48, 0x0f, 0xc7, 0x0f}) == kVecGp);
  CHECK(f.step({0x0f, 0xc7, 0x0f}) == -1);  // without REX.W: CMPXCHG8B, any alignment
}

TEST_CASE("CMPXCHG r32 writes only the register it changes; XADD r64") {
  Long64 f;
  // Regression (host oracle): on a mismatch the destination keeps its upper half.
  f.r(kRbx) = 0x3c2de778'ff176835;
  f.r(kRax) = 0x11111111'00000000;
  CHECK(f.step({0x0f, 0xb1, 0xfb}) == -1);  // cmpxchg ebx, edi
  CHECK(f.r(kRbx) == 0x3c2de778'ff176835);
  CHECK(f.r(kRax) == 0xff176835);
  f.r(kRdi) = 0x12345678'9abcdef0;
  CHECK(f.step({0x0f, 0xb1, 0xfb}) == -1);  // match: EBX = EDI, zero-extended
  CHECK(f.r(kRbx) == 0x9abcdef0);
  f.r(kRsi) = 0x1'00000000, f.r(kR8) = 0xffffffff;
  CHECK(f.step({0x4c, 0x0f, 0xc1, 0xc6}) == -1);  // xadd rsi, r8
  CHECK(f.r(kRsi) == 0x1'ffffffff);
  CHECK(f.r(kR8) == 0x1'00000000);
}

TEST_CASE("SETcc and byte operands with REX reach SPL-DIL and R8B-R15B, not AH-BH") {
  Long64 f;
  f.r(kRsi) = 0xffff;
  f.r(kRdx) = 0;
  write_flags(f.cpu.s, kFixed1 | kZf, ~uint64_t{0});
  CHECK(f.step({0x40, 0x0f, 0x94, 0xc6}) == -1);  // sete sil
  CHECK(f.r(kRsi) == 0xff01);
  CHECK(f.r(kRdx) == 0);
  CHECK(f.step({0x0f, 0x94, 0xc6}) == -1);  // sete dh
  CHECK(f.r(kRdx) == 0x100);
  f.r(kR14) = 0x12345678'9abcdef0;
  CHECK(f.step({0x45, 0x0f, 0x44, 0xf6}) == -1);  // cmove r14d, r14d
  CHECK(f.r(kR14) == 0x9abcdef0);
  write_flags(f.cpu.s, kFixed1, ~uint64_t{0});
  f.r(kR14) = 0x12345678'9abcdef0;
  CHECK(f.step({0x45, 0x0f, 0x44, 0xf6}) == -1);  // false: still zero-extends
  CHECK(f.r(kR14) == 0x9abcdef0);
}

TEST_CASE("ENTER and LEAVE use RBP and RSP") {
  Long64 f;
  f.r(kRbp) = 0x12345678'9abcdef0;
  CHECK(f.step({0xc8, 0x10, 0x00, 0x00}) == -1);  // enter 10h, 0
  CHECK(f.m64(0x80000 - 8) == 0x12345678'9abcdef0);
  CHECK(f.r(kRbp) == 0x80000 - 8);
  CHECK(f.r(kRsp) == 0x80000 - 8 - 0x10);
  CHECK(f.step({0xc9}) == -1);  // leave
  CHECK(f.r(kRsp) == 0x80000);
  CHECK(f.r(kRbp) == 0x12345678'9abcdef0);
}

}  // namespace
}  // namespace kestrel::cpu
