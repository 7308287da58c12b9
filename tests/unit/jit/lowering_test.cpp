// SPDX-License-Identifier: MIT
// The JIT's inlined memory probe and its native lowerings (shifts, IMUL,
// CMOVcc, SETcc, NOT/NEG, XCHG, CBW/CWD, MOVSXD, LEAVE, PUSH imm, MOV r/m
// Sreg, hints), each program run by the JIT and by the interpreter on the
// long-mode test machine: the same state, memory and fault delivery, and
// the inline probe really taken.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine.h"
#include "jit/ir/ir.h"
#include "jit/passes/passes.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/jit/lift_check.h"

namespace kestrel::jit {
namespace {

using cpu::lmtest::LmFixture;
using test::lifts_without_call;

/// One program on two machines, the JIT and the interpreter.
struct Pair {
  LmFixture j, i;
  JitEngine engine{j.cpu, JitOptions{}};

  /// `code` at kCode in 64-bit mode, or with the 32-bit code segment (compatibility mode).
  void load(const std::vector<uint8_t>& code, bool compat = false) {
    for (LmFixture* f : {&j, &i}) {
      f->enter_long();
      if (compat) cpu::load_code_segment(f->cpu, cpu::lmtest::kCode32, f->desc(cpu::lmtest::kCode32), 0);
      f->load(LmFixture::kCode, code);
    }
  }
  void run(uint64_t n = 1000) {
    engine.run(n);
    i.interp.run(n);
  }
  void check_same() {
    CHECK(std::memcmp(j.cpu.s.gpr, i.cpu.s.gpr, sizeof j.cpu.s.gpr) == 0);
    for (unsigned r = 0; r < 16; ++r) CHECK(j.cpu.s.gpr[r] == i.cpu.s.gpr[r]);
    CHECK(cpu::read_flags(j.cpu.s) == cpu::read_flags(i.cpu.s));
    CHECK(j.cpu.s.rip == i.cpu.s.rip);
    CHECK(j.cpu.s.icount == i.cpu.s.icount);
    CHECK(j.cpu.s.cr[2] == i.cpu.s.cr[2]);
    CHECK(j.vector() == i.vector());
    std::vector<uint8_t> a(0x10000), b(0x10000);
    j.mem.copy_from_phys(0, a);
    i.mem.copy_from_phys(0, b);
    CHECK(a == b);
  }
};

void append(std::vector<uint8_t>& v, std::initializer_list<uint8_t> bytes) { v.insert(v.end(), bytes); }

TEST_CASE("inline probes: a loop of loads and stores agrees and stays off the slow path") {
  Pair p;
  // mov ecx, 200; mov rsi, 0x8000; loop: mov rax, [rsi]; add rax, rcx;
  // mov [rsi + 8], rax; mov byte [rsi + 3], cl; dec ecx; jnz loop; hlt
  std::vector<uint8_t> code = {0xb9, 0xc8, 0x00, 0x00, 0x00, 0x48, 0xc7, 0xc6, 0x00, 0x80, 0x00, 0x00};
  append(code, {0x48, 0x8b, 0x06, 0x48, 0x01, 0xc8, 0x48, 0x89, 0x46, 0x08, 0x88, 0x4e, 0x03,
                0xff, 0xc9, 0x75, 0xef, 0xf4});
  p.load(code);
  const uint64_t slow_before = p.j.mem.stats().slow_accesses;
  p.run(5000);
  CHECK(p.j.cpu.s.halted);
  p.check_same();
  // Three accesses per iteration; only the first of each page misses.
  CHECK(p.j.mem.stats().slow_accesses - slow_before < 20);
}

TEST_CASE("inline probes: misaligned accesses inside a page stay inline; at CPL 3 with AM and AC they raise #AC") {
  Pair p;
  // mov ecx, 100; loop: mov rax, [8003h]; mov [8011h], eax; dec ecx; jnz loop; hlt
  std::vector<uint8_t> code = {0xb9, 0x64, 0x00, 0x00, 0x00};
  append(code, {0x48, 0x8b, 0x04, 0x25, 0x03, 0x80, 0x00, 0x00, 0x89, 0x04, 0x25, 0x11, 0x80, 0x00, 0x00,
                0xff, 0xc9, 0x75, 0xed, 0xf4});
  p.load(code);
  const uint64_t slow_before = p.j.mem.stats().slow_accesses;
  p.run();
  CHECK(p.j.cpu.s.halted);
  CHECK(p.j.cpu.s.icount == 1 + 4 * 100 + 1);
  p.check_same();
  CHECK(p.j.mem.stats().slow_accesses - slow_before < 10);

  Pair q;
  // At CPL 3: mov eax, [7001h] -> #AC(0); hlt (would be #GP at CPL 3)
  q.load({0x8b, 0x04, 0x25, 0x01, 0x70, 0x00, 0x00, 0xf4});
  for (LmFixture* f : {&q.j, &q.i}) {
    f->goto_ring3(LmFixture::kCode);
    f->cpu.s.cr[0] |= 1u << 18;  // CR0.AM
    f->cpu.s.rflags |= cpu::kAc;
  }
  q.run();
  CHECK(q.j.vector() == 17);
  q.check_same();
}

TEST_CASE("inline probes: a page-crossing store faults on the second page with nothing written") {
  Pair p;
  // mov rax, 0xfffffc (16 MiB - 4: the next page is not mapped); mov ebx, 5;
  // mov [rax], rbx -> #PF at 0x1000000; hlt
  p.load({0x48, 0xb8, 0xfc, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x05, 0x00, 0x00, 0x00,
          0x48, 0x89, 0x18, 0xf4});
  p.run();
  CHECK(p.j.vector() == 14);
  CHECK(p.j.cpu.s.cr[2] == 0x1000000);
  CHECK(p.j.stack(0) == 2);  // error code: not present, write
  CHECK(p.j.stack(1) == LmFixture::kCode + 15);  // the faulting MOV
  CHECK(p.j.mem.read_phys(0xfffffc, 4) == 0);
  p.check_same();
}

TEST_CASE("inline probes: a non-canonical address raises #GP(0), or #SS(0) through rSP/rBP") {
  // The probe leaves canonical form to the TLB tag (nothing non-canonical
  // is ever filled), so these must reach the slow path and fault there.
  Pair p;
  // mov rax, 0x0000800000000000; mov rbx, [rax] -> #GP(0); hlt
  p.load({0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x48, 0x8b, 0x18, 0xf4});
  p.run();
  CHECK(p.j.vector() == 13);
  CHECK(p.j.stack(0) == 0);
  CHECK(p.j.stack(1) == LmFixture::kCode + 10);
  p.check_same();

  Pair q;
  // mov rax, 0xffff7fffffffff00; mov rbp, rax; mov [rbp + 0], rbx -> #SS(0); hlt
  q.load({0x48, 0xb8, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0x48, 0x89, 0xc5,
          0x48, 0x89, 0x5d, 0x00, 0xf4});
  q.run();
  CHECK(q.j.vector() == 12);
  CHECK(q.j.stack(1) == LmFixture::kCode + 13);
  q.check_same();
}

TEST_CASE("inline probes: the segment limit faults in compatibility mode, inside it loads") {
  Pair p;
  for (LmFixture* f : {&p.j, &p.i}) {
    f->set_desc(12, 0, 0xfff, 0x92, 0x4);  // 60: data, byte-granular limit FFFh
    f->cpu.s.gdtr.limit = 13 * 8 - 1;
    f->mem.write_phys(0xf00, 0x12345678, 4);
  }
  // mov ax, 60h; mov ds, ax; mov eax, [0F00h]; mov ecx, [1000h] -> #GP(0); hlt
  p.load({0x66, 0xb8, 0x60, 0x00, 0x8e, 0xd8, 0x8b, 0x05, 0x00, 0x0f, 0x00, 0x00,
          0x8b, 0x0d, 0x00, 0x10, 0x00, 0x00, 0xf4}, true);
  p.run();
  CHECK(p.j.vector() == 13);
  CHECK(uint32_t(p.j.cpu.s.gpr[cpu::kRax]) == 0x12345678);
  CHECK(p.j.stack(1) == LmFixture::kCode + 12);
  p.check_same();
}

TEST_CASE("lowered shifts, rotates, IMUL, CMOVcc, SETcc, NOT, NEG, XCHG, CBW, CWD, MOVSXD agree") {
  Pair p;
  std::vector<uint8_t> code = {0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0xef, 0xcd, 0xab,  // mov rax, imm64
                               0x48, 0xc7, 0xc3, 0x80, 0xff, 0xff, 0xff,                    // mov rbx, -128
                               0x48, 0xc7, 0xc6, 0x00, 0x80, 0x00, 0x00};                   // mov rsi, 8000h
  append(code, {0x48, 0xc1, 0xc0, 0x0d,        // rol rax, 13
                0xc1, 0xcb, 0x07,              // ror ebx, 7
                0x66, 0xd1, 0xe0,              // shl ax, 1
                0xc0, 0xeb, 0x03,              // shr bl, 3
                0x48, 0xc1, 0xf8, 0x3f,        // sar rax, 63
                0xc0, 0xe3, 0x09,              // shl bl, 9 (past the width)
                0x48, 0x89, 0x1e,              // mov [rsi], rbx
                0x48, 0xd1, 0x06,              // rol qword [rsi], 1
                0x0f, 0x92, 0xc2,              // setb dl
                0x48, 0x6b, 0xcb, 0xfd,        // imul rcx, rbx, -3
                0x0f, 0x9f, 0x46, 0x08,        // setg [rsi + 8]
                0x69, 0xd3, 0x00, 0x00, 0x01, 0x00,  // imul edx, ebx, 10000h
                0x48, 0x0f, 0xaf, 0x0e,        // imul rcx, [rsi]
                0x48, 0x0f, 0x40, 0xc3,        // cmovo rax, rbx
                0x0f, 0x44, 0xd1,              // cmove edx, ecx
                0x48, 0x83, 0xf9, 0x05,        // cmp rcx, 5
                0x48, 0x0f, 0x4c, 0x46, 0x08,  // cmovl rax, [rsi + 8]
                0x0f, 0x97, 0xc7,              // seta bh
                0x48, 0xf7, 0xdb,              // neg rbx
                0xf6, 0x56, 0x01,              // not byte [rsi + 1]
                0x48, 0x87, 0x0e,              // xchg [rsi], rcx
                0x49, 0x90,                    // xchg r8, rax
                0x98,                          // cwde
                0x48, 0x99,                    // cqo
                0x48, 0x63, 0x7e, 0x04,        // movsxd rdi, [rsi + 4]
                0xff, 0xc0,                    // inc eax
                0x0f, 0x9c, 0xc1,              // setl cl
                0x48, 0x01, 0xd8,              // add rax, rbx
                0x0f, 0x42, 0xd7,              // cmovb edx, edi
                0x0f, 0x9a, 0xc5,              // setp ch
                0xf4});
  p.load(code);
  p.run();
  CHECK(p.j.cpu.s.halted);
  CHECK(p.j.vector() == -1);
  CHECK(p.engine.stats().interp_steps < 3);
  p.check_same();
}

TEST_CASE("LEAVE in 64 and 16 bits agrees, and a faulting one changes neither RSP nor RBP") {
  CHECK(lifts_without_call({0xc9}));
  CHECK(lifts_without_call({0x66, 0xc9}));
  Pair p;
  p.load({0x55,                                                        // push rbp
          0x48, 0x89, 0xe5,                                            // mov rbp, rsp
          0x48, 0x83, 0xec, 0x20,                                      // sub rsp, 20h
          0x48, 0xc7, 0x45, 0xf8, 0x05, 0x00, 0x00, 0x00,              // mov qword [rbp - 8], 5
          0xc9,                                                        // leave
          0x48, 0x89, 0xe5,                                            // mov rbp, rsp
          0x66, 0xc9,                                                  // leave (16-bit)
          0x48, 0xbd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,  // mov rbp, 7f0000000000h
          0xc9,                                                        // leave: #PF
          0xf4});
  p.run();
  CHECK(p.j.vector() == 14);
  CHECK(p.j.cpu.s.gpr[cpu::kRbp] == 0x7f0000000000);
  p.check_same();
}

TEST_CASE("a 32-bit stack in compatibility mode keeps RSP's high half, as the interpreter does") {
  Pair p;
  p.load({0x50,              // push eax
          0x59,              // pop ecx
          0x6a, 0x12,        // push 12h
          0x5a,              // pop edx
          0x89, 0xe5,        // mov ebp, esp (a 32-bit write: zero-extends RBP)
          0x83, 0xed, 0x10,  // sub ebp, 10h
          0x55,              // push ebp
          0x89, 0xe5,        // mov ebp, esp
          0xc9,              // leave
          0xf4},             // hlt
         true);
  for (LmFixture* f : {&p.j, &p.i}) {
    f->cpu.s.seg[cpu::kSs].attr |= cpu::kAttrDb;  // SS.B: a 32-bit stack
    f->cpu.s.gpr[cpu::kRsp] = 0x1234567800008000;  // high bits 64-bit code left behind
    f->cpu.s.gpr[cpu::kRax] = 0xabcdef;
  }
  p.run();
  CHECK(p.i.cpu.s.halted);
  CHECK(p.i.cpu.s.gpr[cpu::kRsp] == 0x1234567800008000);
  CHECK(p.i.cpu.s.gpr[cpu::kRbp] == 0x7ff0);
  CHECK(p.j.cpu.s.gpr[cpu::kRcx] == 0xabcdef);
  CHECK(p.j.cpu.s.gpr[cpu::kRdx] == 0x12);
  p.check_same();
}

TEST_CASE("MOV from a segment register and PUSH imm agree, to registers and memory") {
  CHECK(lifts_without_call({0x8c, 0xd0}));        // mov eax, ss
  CHECK(lifts_without_call({0x8c, 0x26}));        // mov [rsi], fs
  CHECK(lifts_without_call({0x68, 0x78, 0x56, 0x34, 0x12}));
  Pair p;
  p.load({0x48, 0xc7, 0xc6, 0x00, 0x80, 0x00, 0x00,  // mov rsi, 8000h
          0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff,  // mov rax, -1
          0x48, 0x89, 0xc1,                          // mov rcx, rax
          0x8c, 0xd0,                                // mov eax, ss (zero-extended)
          0x66, 0x8c, 0xd9,                          // mov cx, ds (the rest kept)
          0x49, 0x8c, 0xc8,                          // mov r8, cs
          0x8c, 0x06,                                // mov [rsi], es
          0x8c, 0x66, 0x02,                          // mov [rsi + 2], fs
          0x68, 0x78, 0x56, 0x34, 0x92,              // push -6dcba988h (sign-extended)
          0x66, 0x68, 0xfb, 0xff,                    // push word -5
          0x6a, 0x7f,                                // push 7fh
          0xf4});
  p.run();
  CHECK(p.j.cpu.s.halted);
  CHECK(p.j.vector() == -1);
  CHECK((p.j.cpu.s.gpr[cpu::kRcx] >> 16) == 0xffffffffffff);
  CHECK(p.j.stack(0) == 0x7f);
  p.check_same();
}

TEST_CASE("PAUSE and the PREFETCH hints lower to nothing and never fault") {
  CHECK(lifts_without_call({0xf3, 0x90}));              // pause
  CHECK(lifts_without_call({0x0f, 0x18, 0x06}));        // prefetchnta [rsi]
  CHECK(lifts_without_call({0x0f, 0x18, 0x0e}));        // prefetcht0 [rsi]
  CHECK(lifts_without_call({0x0f, 0x18, 0x56, 0x08}));  // prefetcht1 [rsi + 8]
  CHECK(lifts_without_call({0x0f, 0x18, 0x1e}));        // prefetcht2 [rsi]
  // ...and a prefetch of an unmapped address is no #PF, as in the interpreter.
  Pair p;
  p.load({0x48, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,  // mov rsi, 7f0000000000h
          0xf3, 0x90,                                                  // pause
          0x0f, 0x18, 0x0e,                                            // prefetcht0 [rsi]
          0x0f, 0x18, 0x46, 0x08,                                      // prefetchnta [rsi + 8]
          0x0f, 0x18, 0x16,                                            // prefetcht1 [rsi]
          0x0f, 0x18, 0x1e,                                            // prefetcht2 [rsi]
          0xf4});
  p.run();
  CHECK(p.j.cpu.s.halted);
  CHECK(p.j.vector() == -1);
  p.check_same();
}

TEST_CASE("the new IR ops: Sar and Mul fold, Select verifies, ArithFlags keeps the record alive") {
  using ir::Op;
  ir::Block b;
  const ir::Value sar = b.emit(Op::kSar, b.konst(0x8000000000000000ull), ir::kNone, 70);
  const ir::Value mul = b.emit(Op::kMul, b.konst(uint64_t(-3)), b.konst(5));
  const ir::Value first = b.emit(Op::kStField, b.konst(7), ir::kNone, offsetof(cpu::CpuState, cc_dst));
  const ir::Value f = b.emit(Op::kArithFlags);
  b.emit(Op::kStField, b.konst(8), ir::kNone, offsetof(cpu::CpuState, cc_dst));
  const ir::Value sel = b.emit(Op::kSelect, f, sar);
  b.insts[sel].c = mul;
  b.emit(Op::kStGpr, sel, ir::kNone, cpu::kRax);
  b.emit(Op::kExit, ir::kNone, ir::kNone, 0);
  CHECK(ir::verify(b).empty());
  passes::const_fold(b);
  passes::dead_flags(b);
  CHECK(b.insts[sar].imm == ~uint64_t{0});  // counts past 63 act as 63
  CHECK(b.insts[mul].imm == uint64_t(-15));
  CHECK(!b.insts[first].dead);  // ArithFlags reads the record between the stores
  b.insts[sel].c = ir::kNone;
  CHECK(!ir::verify(b).empty());
}

}  // namespace
}  // namespace kestrel::jit
