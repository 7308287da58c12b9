// SPDX-License-Identifier: MIT
// The jump cache (jit/runtime/jump_cache.h) and the indirect exits that use
// it: hits and misses by key and TLB generation, a block dropped by a code
// write, a remapping (the A20 gate), and RET / JMP / CALL through a
// register or memory equal to the interpreter, precise #GP included.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"
#include "jit/runtime/jump_cache.h"
#include "tests/unit/jit/real_mode_machine.h"

namespace kestrel::jit {
namespace {

using cpu::StopReason;

TEST_CASE("the jump cache hits only on the whole key and the generation it was filled under") {
  JumpCache jc;
  int block = 0, other = 0;
  const JumpCache::Key k{0x1234, 0x10000, 0xffff, 0x11};
  CHECK(jc.find(k, {7, 7}) == nullptr);
  jc.insert(k, 7, &block);
  CHECK(jc.find(k, {7, 7}) == &block);
  CHECK(jc.find(k, {8, 8}) == nullptr);  // a TLB flush, INVLPG or map change since
  CHECK(jc.find_any_generation(k) == &block);  // for the dispatcher to check and refill
  JumpCache::Key user = k;
  user.mode |= 0x100;
  CHECK(jc.find(user, {7, 7}) == nullptr);  // another privilege
  CHECK(jc.find_any_generation(user) == nullptr);
  JumpCache::Key limit = k;
  limit.cs_limit = 0xfff;
  CHECK(jc.find(limit, {7, 7}) == nullptr);
  JumpCache::Key moved = k;  // the same linear PC through another CS base
  moved.rip += 0x10;
  moved.cs_base -= 0x10;
  CHECK(jc.find(moved, {7, 7}) == nullptr);
  jc.remove(k, &other);  // not the block it holds: stays
  CHECK(jc.find(k, {7, 7}) == &block);
  jc.remove(k, &block);
  CHECK(jc.find(k, {7, 7}) == nullptr);
  CHECK(jc.find_any_generation(k) == nullptr);
  jc.insert(k, 7, &block);
  jc.clear();
  CHECK(jc.find(k, {7, 7}) == nullptr);
}

TEST_CASE("an entry for code on global pages outlives the generation, not the global one") {
  JumpCache jc;
  int block = 0;
  const JumpCache::Key k{0x1234, 0, 0xffffffff, 0x12};
  jc.insert(k, 5, &block, nullptr, true);
  CHECK(jc.find(k, {5, 5}) == &block);
  CHECK(jc.find(k, {9, 5}) == &block);       // CR3 loads since
  CHECK(jc.find(k, {9, 9}) == nullptr);      // and a flush of global pages
  CHECK(jc.find(k, {5, 4}) == nullptr);
  jc.insert(k, 5, &block);                   // a local entry: the generation only
  CHECK(jc.find(k, {5, 4}) == &block);
  CHECK(jc.find(k, {9, 5}) == nullptr);
  CHECK(jc.find_any_generation(k) == &block);
  JumpCache::Key flagged = k;                // no mode collides with the global bit
  flagged.mode |= JumpCache::kGlobalTag;
  CHECK_FALSE(JumpCache::fits(flagged, 0));
}

/// Real mode, code at 0000:0100, stack at 0000:8000, #GP (vector 13) to a
/// HLT at 0000:0400.
struct Machine : test::RealModeMachine {
  explicit Machine(bool use_jit, uint64_t ram = 1 << 20) : RealModeMachine(use_jit, false, ram) {
    mem.write_phys(13 * 4, 0x400, 2);
    mem.write_phys(13 * 4 + 2, 0, 2);
    mem.write_phys(0x400, 0xf4, 1);
  }
};

/// Runs `code` at 0100 (and `extra` at its address) in both engines to
/// HLT; registers, rIP, FLAGS, icount and the stack page must agree.
void same_as_interpreter(const std::vector<uint8_t>& code, uint32_t extra_at = 0,
                         const std::vector<uint8_t>& extra = {}) {
  Machine j(true), i(false);
  for (Machine* m : {&j, &i}) {
    m->load(0x100, code);
    if (!extra.empty()) m->load(extra_at, extra);
    CHECK(m->engine->run(100000) == StopReason::kHalted);
  }
  CHECK(std::memcmp(j.c.s.gpr, i.c.s.gpr, sizeof j.c.s.gpr) == 0);
  CHECK(j.c.s.rip == i.c.s.rip);
  CHECK(cpu::read_flags(j.c.s) == cpu::read_flags(i.c.s));
  CHECK(j.c.s.icount == i.c.s.icount);
  std::vector<uint8_t> a(0x100), b(0x100);
  j.mem.copy_from_phys(0x7f00, a);
  i.mem.copy_from_phys(0x7f00, b);
  CHECK(a == b);
}

TEST_CASE("CALL through a register and RET chain through the jump cache") {
  // 0100: mov cx, 200; xor ax, ax; mov bx, 0300; 0108: call bx; dec cx; jnz 0108; hlt
  // 0300: inc ax; ret
  const std::vector<uint8_t> code = {0xb9, 0xc8, 0x00, 0x31, 0xc0, 0xbb, 0x00, 0x03,
                                     0xff, 0xd3, 0x49, 0x75, 0xfb, 0xf4};
  Machine j(true);
  j.load(0x100, code);
  j.load(0x300, {0x40, 0xc3});
  CHECK(j.engine->run(100000) == StopReason::kHalted);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRax]) == 200);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRsp]) == 0x8000);
  CHECK(j.jit().stats().chained_indirect >= 300);  // most calls and returns skip the dispatcher
  CHECK(j.jit().stats().blocks_run < 50);
  same_as_interpreter(code, 0x300, {0x40, 0xc3});
}

TEST_CASE("JMP through memory, RET imm16 and CALL through memory agree with the interpreter") {
  // 0100: mov word [0500], 0200; mov word [0502], 0205; jmp word [0500]
  // 0200: call word [0502]; hlt; 0205: ret
  same_as_interpreter({0xc7, 0x06, 0x00, 0x05, 0x00, 0x02,
                       0xc7, 0x06, 0x02, 0x05, 0x05, 0x02,
                       0xff, 0x26, 0x00, 0x05},
                      0x200, {0xff, 0x16, 0x02, 0x05, 0xf4, 0xc3});
  // ret 2 releases the argument pushed before the call.
  same_as_interpreter({0x6a, 0x07, 0xbb, 0x00, 0x03, 0xff, 0xd3, 0xf4},  // push 7; mov bx, 0300; call bx; hlt
                      0x300, {0xc2, 0x02, 0x00});                       // ret 2
}

TEST_CASE("a target beyond the CS limit raises #GP on the branch, as the interpreter does") {
  // o32 ret popping 12345h: #GP with SP unchanged, the RET reported.
  same_as_interpreter({0x66, 0x68, 0x45, 0x23, 0x01, 0x00, 0x66, 0xc3});
  // o32 jmp eax and o32 call eax with EAX = 10000h: nothing pushed by the CALL.
  same_as_interpreter({0x66, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x66, 0xff, 0xe0});
  same_as_interpreter({0x66, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x66, 0xff, 0xd0});
  Machine j(true);
  j.load(0x100, {0x66, 0x68, 0x45, 0x23, 0x01, 0x00, 0x66, 0xc3});
  CHECK(j.engine->run(1000) == StopReason::kHalted);
  CHECK(j.c.s.rip == 0x401);
  CHECK(j.mem.read_phys(0x7ffc - 6, 2) == 0x106);  // IP of the RET
}

TEST_CASE("a write to a called function drops its block from the jump cache") {
  // 0100: mov bx, 1300; call bx; mov byte [1301], 2; call bx; hlt
  // 1300: mov dx, 1; ret
  Machine j(true);
  j.load(0x100, {0xbb, 0x00, 0x13, 0xff, 0xd3, 0xc6, 0x06, 0x01, 0x13, 0x02, 0xff, 0xd3, 0xf4});
  j.load(0x1300, {0xba, 0x01, 0x00, 0xc3});
  CHECK(j.engine->run(1000) == StopReason::kHalted);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRdx]) == 2);
  CHECK(j.jit().stats().blocks_invalidated >= 1);
}

TEST_CASE("a remapping (the A20 gate) changes the TLB generation and misses the jump cache") {
  // FFFF:0010 is linear 100000h: with A20 on phys 100000h, with it off phys 0.
  Machine j(true, 2 << 20);
  j.load(0x100000, {0xb8, 0x01, 0x00, 0xf4});  // mov ax, 1; hlt
  j.load(0x0, {0xb8, 0x02, 0x00, 0xf4});       // mov ax, 2; hlt
  const auto start = [&] {
    j.c.load_real_segment(cpu::kCs, 0xffff);
    j.c.s.rip = 0x10;
    j.c.s.halted = false;
  };
  start();
  CHECK(j.engine->run(100) == StopReason::kHalted);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRax]) == 1);
  start();
  CHECK(j.engine->run(100) == StopReason::kHalted);
  CHECK(j.jit().stats().jump_cache_hits >= 1);
  j.mem.set_a20(false);
  start();
  CHECK(j.engine->run(100) == StopReason::kHalted);
  CHECK(uint16_t(j.c.s.gpr[cpu::kRax]) == 2);
}

TEST_CASE("RET, CALL through a register and exits to another page chain by the inline probe") {
  // 0100: mov cx, 200; xor ax, ax; mov bx, 0300; 0108: call bx; dec cx; jnz 0108; hlt
  // 0300: inc ax; jmp 1000 (another page); 1000: inc dx; ret
  const std::vector<uint8_t> code = {0xb9, 0xc8, 0x00, 0x31, 0xc0, 0xbb, 0x00, 0x03,
                                     0xff, 0xd3, 0x49, 0x75, 0xfb, 0xf4};
  const std::vector<uint8_t> callee = {0x40, 0xe9, 0xfc, 0x0c};  // inc ax; jmp 1000
  for (const bool lockstep : {false, true}) {
    CAPTURE(lockstep);
    test::RealModeMachine j(true, lockstep);
    j.load(0x100, code);
    j.load(0x300, callee);
    j.load(0x1000, {0x42, 0xc3});
    j.c.s.gpr[cpu::kRdx] = 0;
    CHECK(j.engine->run(100000) == StopReason::kHalted);
    CHECK(uint16_t(j.c.s.gpr[cpu::kRax]) == 200);
    CHECK(uint16_t(j.c.s.gpr[cpu::kRdx]) == 200);
    CHECK(uint16_t(j.c.s.gpr[cpu::kRsp]) == 0x8000);
    const JitEngine::Stats& st = j.jit().stats();
    if (lockstep) {
      CHECK(st.chained_indirect == 0);  // each block checked alone
    } else {
      CHECK(st.chained_inline >= 500);  // 200 calls, jumps and returns, all but the first few
      CHECK(st.chained_inline <= st.chained_indirect);
      CHECK(st.blocks_run < 50);
    }
  }
  same_as_interpreter(code, 0x300, callee);
}

TEST_CASE("the inline probe hashes CS base + rIP: code under a non-zero CS base") {
  // CS = 0020h (base 200h). 0000: mov cx, 100; xor ax, ax; mov bx, 0100;
  // 0008: call bx; dec cx; jnz 0008; hlt. 0100 (linear 300h): inc ax; ret
  uint64_t icount[2] = {};
  for (const bool use_jit : {true, false}) {
    test::RealModeMachine m(use_jit);
    m.load(0x200, {0xb9, 0x64, 0x00, 0x31, 0xc0, 0xbb, 0x00, 0x01, 0xff, 0xd3, 0x49, 0x75, 0xfb, 0xf4});
    m.load(0x300, {0x40, 0xc3});
    m.c.load_real_segment(cpu::kCs, 0x20);
    m.c.s.rip = 0;
    CHECK(m.engine->run(100000) == StopReason::kHalted);
    CHECK(uint16_t(m.c.s.gpr[cpu::kRax]) == 100);
    CHECK(m.c.s.rip == 0xe);
    icount[use_jit] = m.c.s.icount;
    if (use_jit) CHECK(m.jit().stats().chained_inline >= 150);
  }
  CHECK(icount[0] == icount[1]);
}

TEST_CASE("the inline probe misses on another privilege and a changed TLB generation") {
  // The same key under CPL 3 or after a remapping must not hit: the table
  // says so for the dispatcher, and the probe compares the same tag.
  JumpCache jc;
  int block = 0;
  const uint8_t code[1] = {};
  const JumpCache::Key k{0x1234, 0x10000, 0xffff, 0x11};
  jc.insert(k, 3, &block, code);
  const JumpCache::Entry& e = jc.entries()[JumpCache::index(k.cs_base + k.rip)];
  CHECK(e.code == code);
  CHECK(e.rip == k.rip);
  CHECK(e.segment == (0x10000 | uint64_t{0xffff} << 32));
  CHECK(e.tag == (uint64_t{3} << 16 | 0x11));
  CHECK(e.tag != (uint64_t{3} << 16 | 0x111));
  CHECK(e.tag != (uint64_t{4} << 16 | 0x11));
  // A key that does not fit the packed entry is never cached.
  JumpCache::Key wide = k;
  wide.cs_base = uint64_t{1} << 32;
  jc.insert(wide, 3, &block, code);
  CHECK(jc.find(wide, {3, 3}) == nullptr);
  jc.remove(k, &block);
  CHECK(jc.entries()[JumpCache::index(k.cs_base + k.rip)].code == nullptr);
}

}  // namespace
}  // namespace kestrel::jit
