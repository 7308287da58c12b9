// SPDX-License-Identifier: MIT
// Blocks that go on past branches (interp::kStopExit): a Jcc or LOOP that falls
// through, a fused compare and Jcc, a JMP of 64-bit code to its own page.
// Run as blocks, with any budget, a program must leave what it leaves run
// one instruction at a time (Interpreter::step, which caches nothing).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "tests/unit/cpu/lm_fixture.h"
#include "tests/unit/cpu/real_mode_fixture.h"

namespace kestrel::cpu {
namespace {

using lmtest::LmFixture;

// A loop whose body has a fused TEST+JZ, a memory CMP+JB, a fused CMP+JA,
// and JMPs forward on the page, each taken on some rounds and not others.
const std::vector<uint8_t> kLoop64 = {
    0x48, 0x01, 0xc8,         // 00 top:  add rax, rcx
    0xf6, 0xc1, 0x01,         // 03       test cl, 1
    0x74, 0x1a,               // 06       jz even
    0x48, 0x83, 0xc2, 0x03,   // 08       add rdx, 3
    0x48, 0x39, 0x0b,         // 0c       cmp [rbx], rcx
    0x72, 0x03,               // 0f       jb skip
    0x48, 0xff, 0xc6,         // 11       inc rsi
    0x48, 0x83, 0xf8, 0x64,   // 14 skip: cmp rax, 100
    0x77, 0x02,               // 18       ja big
    0xeb, 0x0a,               // 1a       jmp join
    0x48, 0x83, 0xea, 0x02,   // 1c big:  sub rdx, 2
    0xeb, 0x04,               // 20       jmp join
    0x48, 0x83, 0xea, 0x01,   // 22 even: sub rdx, 1
    0x48, 0x89, 0x43, 0x08,   // 26 join: mov [rbx+8], rax
    0x48, 0xff, 0xc9,         // 2a       dec rcx
    0x75, 0xd1,               // 2d       jnz top
    0xf4,                     // 2f       hlt
};

// The same in 16-bit code, where the branches run through their generic
// handlers and a LOOP closes it.
const std::vector<uint8_t> kLoop16 = {
    0x01, 0xc8,               // 00 top:  add ax, cx
    0xf6, 0xc1, 0x01,         // 02       test cl, 1
    0x74, 0x0a,               // 05       jz even
    0x83, 0xc2, 0x03,         // 07       add dx, 3
    0x39, 0x0f,               // 0a       cmp [bx], cx
    0x72, 0x01,               // 0c       jb skip
    0x46,                     // 0e       inc si
    0xeb, 0x03,               // 0f skip: jmp join
    0x83, 0xea, 0x01,         // 11 even: sub dx, 1
    0x89, 0x47, 0x02,         // 14 join: mov [bx+2], ax
    0xe2, 0xe7,               // 17       loop top
    0xf4,                     // 19       hlt
};

/// What a run leaves that the comparison looks at.
struct Seen {
  std::array<uint64_t, 16> gpr;
  uint64_t rip, flags, icount, data;
  bool halted;
  bool operator==(const Seen&) const = default;
};

template <class F> Seen seen(F& f, uint64_t data_at) {
  Seen v{{}, f.cpu.s.rip, read_flags(f.cpu.s) & 0x8d5, f.cpu.s.icount, f.mem.read_phys(data_at, 8), f.cpu.s.halted};
  std::copy(std::begin(f.cpu.s.gpr), std::end(f.cpu.s.gpr), v.gpr.begin());
  return v;
}

/// Runs a fresh machine (make) in slices of `budget` until it halts, and
/// another one instruction at a time, and compares them after each slice.
template <class Make> void same_as_steps(Make make, uint64_t data_at, uint64_t budget) {
  auto blocks = make(), steps = make();
  for (unsigned slice = 0; slice < 1000 && !blocks->cpu.s.halted; ++slice) {
    blocks->interp.run(budget);
    while (steps->cpu.s.icount < blocks->cpu.s.icount && !steps->cpu.s.halted) steps->interp.step();
    INFO("budget " << budget << ", slice " << slice);
    REQUIRE(seen(*blocks, data_at) == seen(*steps, data_at));
  }
  CHECK(blocks->cpu.s.halted);
}

TEST_CASE("a 64-bit block going on past its branches leaves what single steps leave, at any budget") {
  constexpr uint64_t kData = 0x200000;
  auto make = [&] {
    auto f = std::make_unique<LmFixture>();
    f->enter_long();
    f->load(LmFixture::kCode, kLoop64);
    f->mem.write_phys(kData, 10, 8);
    f->r(kRcx) = 20;
    f->r(kRbx) = kData;
    return f;
  };
  for (uint64_t budget : {1, 2, 3, 4, 5, 7, 11, 13, 64, 1000}) same_as_steps(make, kData + 8, budget);
  auto f = make();
  f->run(100000);
  CHECK(f->r(kRcx) == 0);
  CHECK(f->r(kRax) == 210);
  CHECK(f->mem.read_phys(kData + 8, 8) == 210);
  // Four blocks, at top, even, skip and big, each running on to the HLT.
  CHECK(f->interp.stats().blocks_decoded == 4);
  // Run again, each branch leaving its block finds the next one through
  // its own link: only the entry is looked up.
  const uint64_t lookups = f->interp.stats().lookups;
  f->cpu.s.halted = false;
  f->cpu.s.rip = LmFixture::kCode;
  f->r(kRcx) = 20;
  f->run(100000);
  CHECK(f->r(kRax) == 420);
  CHECK(f->interp.stats().lookups == lookups + 1);
}

TEST_CASE("a 64-bit block that ends without a branch leaves rIP past its last instruction") {
  // 70 x add rax, 1, then hlt: the first block ends at its 64th ADD, which
  // runs quietly and writes no rIP of its own.
  constexpr uint64_t kData = 0x200000;
  std::vector<uint8_t> code;
  for (unsigned n = 0; n < 70; ++n) code.insert(code.end(), {0x48, 0x83, 0xc0, 0x01});
  code.push_back(0xf4);
  auto make = [&] {
    auto f = std::make_unique<LmFixture>();
    f->enter_long();
    f->load(LmFixture::kCode, code);
    return f;
  };
  for (uint64_t budget : {1, 7, 64, 65, 1000}) same_as_steps(make, kData, budget);
  auto f = make();
  CHECK(f->run(1000) == StopReason::kHalted);
  CHECK(f->r(kRax) == 70);
  CHECK(f->cpu.s.rip == LmFixture::kCode + code.size());
  CHECK(f->interp.stats().blocks_decoded == 2);
}

TEST_CASE("a 16-bit block going on past Jcc and LOOP leaves what single steps leave, at any budget") {
  constexpr uint64_t kData = 0x2000;
  auto make = [&] {
    auto f = std::make_unique<RealModeFixture>();
    f->load(0x100, kLoop16);
    f->mem.write_phys(kData, 10, 2);
    f->r(kRcx) = 20;
    f->r(kRbx) = kData;
    return f;
  };
  for (uint64_t budget : {1, 2, 3, 5, 8, 64, 1000}) same_as_steps(make, kData + 2, budget);
}

TEST_CASE("a fault after a branch the block went on past reports its own instruction and count") {
  // cmp rcx, 5; jne over (not taken); add rax, 1; mov rdx, [r8] with r8
  // not canonical: #GP on the MOV; over: hlt.
  const std::vector<uint8_t> code = {0x48, 0x83, 0xf9, 0x05, 0x75, 0x07, 0x48, 0x83,
                                     0xc0, 0x01, 0x49, 0x8b, 0x10, 0xf4};
  auto make = [&] {
    auto f = std::make_unique<LmFixture>();
    f->enter_long();
    f->load(LmFixture::kCode, code);
    f->r(kRcx) = 5;
    f->r(kR8) = uint64_t{1} << 63;
    return f;
  };
  // Both run the handler's HLT too.
  auto blocks = make(), steps = make();
  CHECK(blocks->run(100) == StopReason::kHalted);
  for (unsigned n = 0; n < 5; ++n) steps->interp.step();
  CHECK(steps->cpu.s.halted);
  CHECK(blocks->vector() == kVecGp);
  CHECK(blocks->cpu.s.icount == steps->cpu.s.icount);
  CHECK(blocks->r(kRax) == 1);
  for (unsigned i = 0; i < 4; ++i) CHECK(blocks->stack(i) == steps->stack(i));
  CHECK(blocks->stack(1) == LmFixture::kCode + 10);  // the MOV
}

}  // namespace
}  // namespace kestrel::cpu
