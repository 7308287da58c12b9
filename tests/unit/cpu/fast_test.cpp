// SPDX-License-Identifier: MIT
// The specialised handlers (cpu/interp/fast.cpp) against the generic ones
// they stand for: the same decoded instruction run by both from the same
// random registers and lazy-flags record must leave the same state.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/interp/fast.h"
#include "cpu/interp/handlers.h"

namespace kestrel::cpu {
namespace {

struct FastRig {
  FastRig() : mem(1 << 20, find_cpu_model("max")->phys_addr_bits), cpu(*find_cpu_model("max"), mem, bus) {
    cpu.reset();
    // FS and GS bases that keep an overridden operand inside kMemLo-kMemHi.
    cpu.load_real_segment(kFs, 0x10);
    cpu.load_real_segment(kGs, 0x24);
  }
  DecodedInsn decoded(std::vector<uint8_t> code, CodeSize size) {
    ctx = DecodeContext{size, true, false, cpu.model};
    DecodedInsn d;
    REQUIRE(decode(std::span(code), ctx, d) == DecodeStatus::kOk);
    d.handler = exec::handler_for(d.form);
    return d;
  }
  /// Random registers and a random lazy record of any kind.
  void randomise(std::mt19937_64& rng) {
    for (uint64_t& g : cpu.s.gpr) g = rng();
    // Small values and boundaries make zero, sign and carry outcomes likely.
    if (rng() & 1) cpu.s.gpr[rng() % 16] = rng() % 4;
    if (rng() & 1) cpu.s.gpr[kRcx] = rng() % 70;
    cpu.s.rflags = kFixed1 | (rng() & kArithFlags);
    const auto op = CcOp(rng() % 9);
    cpu.s.cc_op = op == CcOp::kEflags ? 0 : cc_op(op, 1u << (rng() % 4));
    cpu.s.cc_dst = rng() % 3 ? rng() : 0;
    cpu.s.cc_src = rng() % 3 ? rng() : rng() % 2;
    cpu.s.cc_src2 = rng() % 2;
  }
  mmu::Mmu mem;
  OpenBus bus;
  Cpu cpu;
  DecodeContext ctx;
};

/// Where the memory forms point their base register, and the bytes
/// compared after each run: the address stays inside the real-mode DS
/// limit, so the generic handlers reach the same bytes there.
constexpr uint64_t kMemLo = 0x1f00, kMemHi = 0x3100;

/// Runs `fast`, a specialised handler, as the interpreter does (rIP past
/// the instruction already, and in Cpu::rip_base for it): the generic
/// handler after a miss. Returns whether it missed.
bool run_fast(Cpu& cpu, const DecodedInsn& d, Handler fast) {
  cpu.rip_base = cpu.s.rip - int64_t{d.next};
  fast(cpu, d);
  const uint8_t note = cpu.fast_note;
  cpu.fast_note = 0;
  if (note != kFastMiss) return false;
  d.handler(cpu, d);
  return true;
}

/// The registers, flags record and flags of `s` are those of `generic`.
void require_same(const CpuState& s, const CpuState& generic) {
  for (unsigned r = 0; r < 16; ++r) REQUIRE(s.gpr[r] == generic.gpr[r]);
  REQUIRE(s.cc_op == generic.cc_op);
  REQUIRE(s.cc_dst == generic.cc_dst);
  REQUIRE(s.cc_src == generic.cc_src);
  REQUIRE(s.cc_src2 == generic.cc_src2);
  REQUIRE(s.rflags == generic.rflags);
}

/// Runs `code` with its specialised handler and with the generic one from
/// the same states; each must leave the same registers, flags record and,
/// for a memory operand (`mem`), bytes around it.
void check_same(std::vector<uint8_t> code, CodeSize size = CodeSize::k64, bool mem = false) {
  FastRig rig;
  const DecodedInsn d = rig.decoded(code, size);
  const Handler fast = exec::specialize(d, rig.ctx);
  INFO("form ", isa::row(d.form).form);
  const bool specialised = fast != d.handler;
  REQUIRE(specialised);
  std::mt19937_64 rng(code.size() * 7919 + code.back());
  auto bytes = [&] {
    std::vector<uint8_t> v;
    for (uint64_t a = kMemLo; a < kMemHi; ++a) v.push_back(rig.mem.read<uint8_t>(a));
    return v;
  };
  int misses = 0;
  for (int n = 0; n < (mem ? 300 : 2000); ++n) {
    rig.randomise(rng);
    if (mem) {
      rig.cpu.s.gpr[d.base] = 0x2000 + rng() % 0x800;
      if (d.index != kNoReg) rig.cpu.s.gpr[d.index] = rng() % 0x40;
      for (uint64_t a = kMemLo; a < kMemHi; ++a) {
        rig.mem.write<uint8_t>(a, uint8_t(rng() % 3 ? rng() : 0));
      }
    }
    const CpuState before = rig.cpu.s;
    const std::vector<uint8_t> memory = mem ? bytes() : std::vector<uint8_t>{};
    d.handler(rig.cpu, d);
    const CpuState generic = rig.cpu.s;
    const std::vector<uint8_t> generic_memory = mem ? bytes() : std::vector<uint8_t>{};
    rig.cpu.s = before;
    for (uint64_t a = kMemLo; a < kMemHi && mem; ++a) rig.mem.write<uint8_t>(a, memory[a - kMemLo]);
    misses += run_fast(rig.cpu, d, fast);
    require_same(rig.cpu.s, generic);
    if (mem) REQUIRE(bytes() == generic_memory);
  }
  // Register forms never miss; memory ones do for unaligned operands.
  if (mem) CHECK(misses < 300);
  else CHECK(misses == 0);
}
void check_same_mem(std::vector<uint8_t> code) { check_same(std::move(code), CodeSize::k64, true); }

TEST_CASE("specialised SHL, SAL, SHR and SAR on registers match group 2") {
  check_same({0xd1, 0xe0});              // shl eax, 1
  check_same({0x48, 0xd3, 0xe3});        // shl rbx, cl
  check_same({0xc1, 0xe6, 0x00});        // shl esi, 0: zero-extends, flags kept
  check_same({0x49, 0xc1, 0xf0, 0x3f});  // sal r8, 63
  check_same({0xd1, 0xe9});              // shr ecx, 1
  check_same({0x48, 0xd3, 0xea});        // shr rdx, cl
  check_same({0xc1, 0xef, 0x21});        // shr edi, 33 (masked to 1)
  check_same({0x48, 0xd1, 0xf8});        // sar rax, 1
  check_same({0xd3, 0xfd});              // sar ebp, cl
  check_same({0x48, 0xc1, 0xfb, 0x07});  // sar rbx, 7
  check_same({0xd3, 0xe2}, CodeSize::k32);  // shl edx, cl in 32-bit code
}

TEST_CASE("specialised IMUL on registers matches muldiv.cpp") {
  check_same({0x0f, 0xaf, 0xc3});              // imul eax, ebx
  check_same({0x48, 0x0f, 0xaf, 0xd1});        // imul rdx, rcx
  check_same({0x6b, 0xc1, 0xfd});              // imul eax, ecx, -3
  check_same({0x48, 0x69, 0xdb, 0x01, 0x00, 0x00, 0x80});  // imul rbx, rbx, 80000001h
  check_same({0x0f, 0xaf, 0xc8}, CodeSize::k32);
}

TEST_CASE("specialised CMOVcc and SETcc on registers follow test_cc") {
  for (uint8_t cc = 0; cc < 16; ++cc) {
    check_same({0x0f, uint8_t(0x40 + cc), 0xc1});        // cmovcc eax, ecx
    check_same({0x48, 0x0f, uint8_t(0x40 + cc), 0xda});  // cmovcc rbx, rdx
    check_same({0x0f, uint8_t(0x90 + cc), 0xc4});        // setcc ah
    check_same({0x40, 0x0f, uint8_t(0x90 + cc), 0xc6});  // setcc sil
  }
}

TEST_CASE("specialised byte MOV, CMP and TEST match the generic handlers") {
  check_same({0x88, 0xe3});              // mov bl, ah
  check_same({0x40, 0x88, 0xe6});        // mov sil, spl
  check_same({0x8a, 0xfa});              // mov bh, dl
  check_same({0x45, 0x8a, 0xc8});        // mov r9b, r8b
  check_same({0x80, 0xfc, 0x7f});        // cmp ah, 7fh
  check_same({0x41, 0x80, 0xfa, 0x80});  // cmp r10b, 80h
  check_same({0xf6, 0xc7, 0x01});        // test bh, 1
  check_same({0x88, 0xc1}, CodeSize::k32);
  check_same_mem({0x88, 0x67, 0x05});              // mov [rdi+5], ah
  check_same_mem({0x44, 0x88, 0x44, 0x8b, 0xf0});  // mov [rbx+rcx*4-16], r8b
  check_same_mem({0x8a, 0x7e, 0x03});              // mov bh, [rsi+3]
  check_same_mem({0x80, 0x7f, 0x02, 0x2a});        // cmp byte [rdi+2], 2ah
  check_same_mem({0xf6, 0x44, 0x10, 0x01, 0x08});  // test byte [rax+rdx+1], 8
}

TEST_CASE("specialised MOVZX, MOVSX, MOVSXD and MOV with an immediate match data.cpp") {
  check_same({0x0f, 0xb6, 0xc4});              // movzx eax, ah
  check_same({0x48, 0x0f, 0xb6, 0xde});        // movzx rbx, sil
  check_same({0x0f, 0xb7, 0xca});              // movzx ecx, dx
  check_same({0x0f, 0xbe, 0xc7});              // movsx eax, bh
  check_same({0x48, 0x0f, 0xbf, 0xd0});        // movsx rdx, ax
  check_same({0x48, 0x63, 0xc1});              // movsxd rax, ecx
  check_same({0x4d, 0x63, 0xc1});              // movsxd r8, r9d
  check_same({0xb8, 0x78, 0x56, 0x34, 0x92});  // mov eax, 92345678h
  check_same({0x49, 0xbb, 1, 2, 3, 4, 5, 6, 7, 0x88});      // mov r11, imm64
  check_same({0xc7, 0xc6, 0xff, 0xff, 0xff, 0xff});         // mov esi, -1
  check_same({0x48, 0xc7, 0xc2, 0x00, 0x00, 0x00, 0x80});   // mov rdx, -80000000h
  check_same({0x0f, 0xb6, 0xc3}, CodeSize::k32);
  check_same({0xbf, 0x01, 0x00, 0x00, 0x00}, CodeSize::k32);
  check_same_mem({0x48, 0x63, 0x47, 0x04});                      // movsxd rax, [rdi+4]
  check_same_mem({0xc7, 0x46, 0x08, 0x01, 0x00, 0x00, 0x80});    // mov dword [rsi+8], 80000001h
  check_same_mem({0x48, 0xc7, 0x04, 0xcb, 0xfe, 0xff, 0xff, 0xff});  // mov qword [rbx+rcx*8], -2
}

TEST_CASE("specialised 16-bit memory operands in 64-bit mode match the generic handlers") {
  check_same_mem({0x66, 0x89, 0x47, 0x03});        // mov [rdi+3], ax
  check_same_mem({0x66, 0x8b, 0x1c, 0x4e});        // mov bx, [rsi+rcx*2]
  check_same_mem({0x66, 0xc7, 0x06, 0x34, 0x12});  // mov word [rsi], 1234h
  check_same_mem({0x66, 0x83, 0x6f, 0x02, 0xff});  // sub word [rdi+2], -1
  check_same_mem({0x66, 0x3b, 0x4b, 0x01});        // cmp cx, [rbx+1]
  check_same_mem({0x66, 0x0f, 0xb6, 0x47, 0x01});  // movzx ax, byte [rdi+1]
  check_same_mem({0x66, 0x8d, 0x44, 0x8b, 0x10});  // lea ax, [rbx+rcx*4+16]
}

TEST_CASE("specialised memory forms with an FS or GS override add its base") {
  check_same_mem({0x64, 0x48, 0x8b, 0x47, 0x08});        // mov rax, fs:[rdi+8]
  check_same_mem({0x65, 0x89, 0x1c, 0x8e});              // mov gs:[rsi+rcx*4], ebx
  check_same_mem({0x65, 0x48, 0x83, 0x47, 0x10, 0x01});  // add qword gs:[rdi+16], 1
  check_same_mem({0x64, 0x3b, 0x4b, 0x04});              // cmp ecx, fs:[rbx+4]
  check_same_mem({0x65, 0x0f, 0xb6, 0x46, 0x02});        // movzx eax, byte gs:[rsi+2]
  check_same_mem({0x65, 0x88, 0x67, 0x01});              // mov gs:[rdi+1], ah
  check_same_mem({0x64, 0x48, 0x63, 0x06});              // movsxd rax, fs:[rsi]
}

TEST_CASE("specialised SHR records CF and OF of its last step") {
  FastRig rig;
  const DecodedInsn d = rig.decoded({0xd1, 0xe8}, CodeSize::k64);  // shr eax, 1
  rig.cpu.s.gpr[kRax] = 0xffffffff'80000001;
  exec::specialize(d, rig.ctx)(rig.cpu, d);
  CHECK(rig.cpu.s.gpr[kRax] == 0x40000000);
  CHECK(arith_flags(rig.cpu.s) == (kCf | kOf | kPf));  // PF: low byte 0
}

TEST_CASE("specialised IMUL sets CF and OF when the product overflows") {
  FastRig rig;
  const DecodedInsn d = rig.decoded({0x48, 0x0f, 0xaf, 0xc3}, CodeSize::k64);  // imul rax, rbx
  rig.cpu.s.gpr[kRax] = uint64_t{1} << 32;
  rig.cpu.s.gpr[kRbx] = uint64_t{1} << 31;
  exec::specialize(d, rig.ctx)(rig.cpu, d);
  CHECK(rig.cpu.s.gpr[kRax] == uint64_t{1} << 63);
  CHECK(carry_flag(rig.cpu.s));
  rig.cpu.s.gpr[kRax] = ~uint64_t{0};  // -1 * 2^31 fits
  exec::specialize(d, rig.ctx)(rig.cpu, d);
  CHECK(rig.cpu.s.gpr[kRax] == uint64_t(-(int64_t{1} << 31)));
  CHECK_FALSE(carry_flag(rig.cpu.s));
}

/// quiet() for `code` decoded in 64-bit mode, its handler specialised first.
TEST_CASE("specialised Jcc and JMP go where the generic ones do") {
  FastRig rig;
  std::mt19937_64 rng(8);
  std::vector<std::vector<uint8_t>> branches = {{0xeb, 0x10}, {0xeb, 0xf0}, {0xe9, 0x00, 0x01, 0x00, 0x00}};
  for (unsigned cc = 0; cc < 16; ++cc) {
    branches.push_back({uint8_t(0x70 + cc), 0x20});
    branches.push_back({0x0f, uint8_t(0x80 + cc), 0x00, 0xf0, 0xff, 0xff});
  }
  for (const auto& code : branches) {
    const DecodedInsn d = rig.decoded(code, CodeSize::k64);
    const Handler fast = exec::specialize(d, rig.ctx);
    INFO("form ", isa::row(d.form).form);
    const bool specialised = fast != d.handler;
    REQUIRE(specialised);
    for (int n = 0; n < 50; ++n) {
      rig.randomise(rng);
      rig.cpu.s.rip = 0x8000 + d.len;
      const CpuState before = rig.cpu.s;
      d.handler(rig.cpu, d);
      const uint64_t generic = rig.cpu.s.rip;
      rig.cpu.s = before;
      rig.cpu.rip_base = rig.cpu.s.rip;
      fast(rig.cpu, d);
      REQUIRE(rig.cpu.s.rip == generic);
      REQUIRE(rig.cpu.fast_note == (generic != before.rip ? kFastJump : 0));
      rig.cpu.fast_note = 0;
    }
  }
}

/// Runs `cmp` (or another instruction fuse() takes) then the Jcc with
/// condition `cc`, fused (exec::fuse) and through their generic handlers,
/// from the same states: registers, flags record and rIP must agree, the
/// branch taken or not. Returns how many of its runs took the branch.
int check_fused(std::vector<uint8_t> cmp, unsigned cc, bool near) {
  FastRig rig;
  DecodedInsn first = rig.decoded(cmp, CodeSize::k64);
  first.handler = exec::specialize(first, rig.ctx);
  // Jcc rel8 (70+cc) or rel32 (0F 80+cc), both forwards within the CS limit.
  DecodedInsn jcc = rig.decoded(near ? std::vector<uint8_t>{0x0f, uint8_t(0x80 + cc), 0x40, 0x01, 0, 0}
                                     : std::vector<uint8_t>{uint8_t(0x70 + cc), 0x30},
                                CodeSize::k64);
  jcc.handler = exec::specialize(jcc, rig.ctx);
  DecodedInsn fused = first;
  INFO("form ", isa::row(first.form).form, " cc ", cc);
  REQUIRE(exec::fuse(fused, jcc));
  CHECK(fused.quiet);
  std::mt19937_64 rng(cmp.size() * 31 + cmp.back() + cc);
  int taken = 0;
  for (int n = 0; n < 400; ++n) {
    rig.randomise(rng);
    // Equal operands make the equal and below-or-equal outcomes likely.
    if (n % 4 == 0) rig.cpu.s.gpr[first.rm] = rig.cpu.s.gpr[first.reg];
    constexpr uint64_t kAt = 0x1000;
    rig.cpu.s.rip = kAt + first.len;
    const CpuState before = rig.cpu.s;
    exec::handler_for(first.form)(rig.cpu, first);
    rig.cpu.s.rip += jcc.len;
    exec::handler_for(jcc.form)(rig.cpu, jcc);
    const CpuState generic = rig.cpu.s;
    rig.cpu.s = before;
    // The pair runs as one instruction: rIP is past the Jcc.
    rig.cpu.s.rip += jcc.len;
    rig.cpu.rip_base = rig.cpu.s.rip;
    fused.handler(rig.cpu, fused);
    const CpuState& s = rig.cpu.s;
    require_same(s, generic);
    REQUIRE(s.rip == generic.rip);
    const bool went = s.rip != kAt + first.len + jcc.len;
    // A taken branch is noted for the caller, and only that.
    REQUIRE(rig.cpu.fast_note == (went ? kFastJump : 0));
    rig.cpu.fast_note = 0;
    taken += went;
  }
  return taken;
}

TEST_CASE("a register CMP, TEST, SUB, ADD or AND fused with its Jcc matches the two run apart") {
  const std::vector<std::vector<uint8_t>> compares = {
      {0x48, 0x39, 0xd8},        // cmp rax, rbx
      {0x3b, 0xca},              // cmp ecx, edx
      {0x48, 0x83, 0xf9, 0xff},  // cmp rcx, -1
      {0x83, 0xf8, 0x02},        // cmp eax, 2
      {0x49, 0x81, 0xf8, 0x00, 0x00, 0x00, 0x80},  // cmp r8, -80000000h
      {0x3d, 0x03, 0x00, 0x00, 0x00},              // cmp eax, 3
      {0x48, 0x85, 0xc0},        // test rax, rax
      {0x85, 0xd1},              // test ecx, edx
      {0xf7, 0xc1, 0x00, 0x01, 0x00, 0x00},        // test ecx, 100h
      {0x48, 0xa9, 0x01, 0x00, 0x00, 0x00},        // test rax, 1
      {0x83, 0xe9, 0x01},        // sub ecx, 1
      {0x48, 0x83, 0xc0, 0x08},  // add rax, 8
      {0x48, 0x81, 0xe9, 0x00, 0x10, 0x00, 0x00},  // sub rcx, 1000h
      {0x81, 0xc1, 0xff, 0xff, 0xff, 0xff},        // add ecx, -1
      {0x83, 0xe0, 0x0f},        // and eax, 0Fh
      {0x80, 0xf9, 0x2f},        // cmp cl, 2Fh
      {0x40, 0x80, 0xfe, 0x80},  // cmp sil, 80h
      {0x80, 0xfc, 0x01},        // cmp ah, 1
      {0x3c, 0x0a},              // cmp al, 0Ah
      {0x38, 0xe0},              // cmp al, ah
      {0x3a, 0xc7},              // cmp al, bh
      {0x84, 0xc0},              // test al, al
      {0x45, 0x84, 0xc9},        // test r9b, r9b
      {0xf6, 0xc7, 0x40},        // test bh, 40h
      {0xa8, 0x01},              // test al, 1
  };
  for (const auto& cmp : compares) {
    // The branches went both ways.
    int taken = 0;
    for (unsigned cc = 0; cc < 16; ++cc) taken += check_fused(cmp, cc, cc % 2);
    CHECK(taken > 0);
    CHECK(taken < 16 * 400);
  }
}

TEST_CASE("only register forms fuse, and only with a specialised Jcc") {
  FastRig rig;
  auto fuses = [&](std::vector<uint8_t> first, std::vector<uint8_t> jcc, CodeSize size = CodeSize::k64) {
    DecodedInsn a = rig.decoded(std::move(first), size);
    a.handler = exec::specialize(a, rig.ctx);
    DecodedInsn j = rig.decoded(std::move(jcc), size);
    j.handler = exec::specialize(j, rig.ctx);
    return exec::fuse(a, j);
  };
  CHECK(fuses({0x48, 0x39, 0xd8}, {0x74, 0x10}));                // cmp rax, rbx; je
  CHECK_FALSE(fuses({0x48, 0x39, 0x07}, {0x74, 0x10}));          // cmp [rdi], rax: memory
  CHECK_FALSE(fuses({0x66, 0x39, 0xd8}, {0x74, 0x10}));          // cmp ax, bx: 16 bits
  CHECK(fuses({0x38, 0xd8}, {0x74, 0x10}));                      // cmp al, bl
  CHECK(fuses({0x48, 0x83, 0xe8, 0x01}, {0x75, 0x10}));          // sub rax, 1; jne
  CHECK_FALSE(fuses({0x48, 0x29, 0xd8}, {0x74, 0x10}));          // sub rax, rbx
  CHECK_FALSE(fuses({0x80, 0xe9, 0x01}, {0x74, 0x10}));          // sub cl, 1: a byte
  CHECK_FALSE(fuses({0x80, 0x3f, 0x00}, {0x74, 0x10}));          // cmp byte [rdi], 0
  CHECK_FALSE(fuses({0x48, 0x39, 0xd8}, {0xeb, 0x10}));          // jmp
  CHECK_FALSE(fuses({0x39, 0xd8}, {0x74, 0x10}, CodeSize::k32)); // Jcc of 32-bit code
}

bool quiet_in_64(std::vector<uint8_t> code) {
  FastRig rig;
  DecodedInsn d = rig.decoded(std::move(code), CodeSize::k64);
  d.handler = exec::specialize(d, rig.ctx);
  return exec::quiet(d);
}

TEST_CASE("specialised handlers are quiet, generic ones are not") {
  CHECK(quiet_in_64({0x48, 0x01, 0xd8}));              // add rax, rbx
  CHECK(quiet_in_64({0x89, 0xc8}));                    // mov eax, ecx
  CHECK(quiet_in_64({0x48, 0x8d, 0x44, 0x8b, 0x10}));  // lea rax, [rbx+rcx*4+16]
  CHECK(quiet_in_64({0xb8, 0x01, 0x00, 0x00, 0x00}));  // mov eax, 1
  CHECK(quiet_in_64({0x3d, 0x01, 0x00, 0x00, 0x00}));  // cmp eax, 1
  CHECK(quiet_in_64({0x75, 0x10}));                    // jne
  CHECK(quiet_in_64({0xeb, 0x10}));                    // jmp rel8
  CHECK(quiet_in_64({0xe9, 0x00, 0x01, 0x00, 0x00}));  // jmp rel32
  CHECK(quiet_in_64({0x0f, 0x94, 0xc0}));              // sete al
  CHECK(quiet_in_64({0x48, 0x8b, 0x07}));              // mov rax, [rdi]
  CHECK(quiet_in_64({0x48, 0x01, 0x07}));              // add [rdi], rax
  CHECK(quiet_in_64({0x50}));                          // push rax
  CHECK(quiet_in_64({0xc3}));                          // ret
  CHECK_FALSE(quiet_in_64({0x8b, 0x04, 0x25, 0, 0x10, 0, 0}));  // mov eax, [1000h]: no base
  CHECK_FALSE(quiet_in_64({0x9d}));                    // popf
  CHECK_FALSE(quiet_in_64({0x48, 0x11, 0xd8}));        // adc rax, rbx
  CHECK_FALSE(quiet_in_64({0xe6, 0x80}));              // out 80h, al
}

TEST_CASE("a memory operand without a fast path misses and changes nothing") {
  FastRig rig;
  const DecodedInsn d = rig.decoded({0x48, 0x89, 0x07}, CodeSize::k64);  // mov [rdi], rax
  const Handler fast = exec::specialize(d, rig.ctx);
  rig.cpu.s.gpr[kRdi] = 0x2000;
  rig.cpu.s.gpr[kRax] = 0x1122334455667788;
  rig.mem.flush_tlb();
  const CpuState before = rig.cpu.s;
  fast(rig.cpu, d);
  CHECK(rig.cpu.fast_note == kFastMiss);
  CHECK(rig.mem.read<uint64_t>(0x2000) == 0);
  CHECK(rig.cpu.s.gpr[kRdi] == before.gpr[kRdi]);
  rig.cpu.fast_note = 0;
  // The generic handler fills the TLB: the next run takes the fast path.
  d.handler(rig.cpu, d);
  rig.cpu.s.gpr[kRax] = 42;
  fast(rig.cpu, d);
  CHECK(rig.cpu.fast_note == 0);
  CHECK(rig.mem.read<uint64_t>(0x2000) == 42);
  // So does an unaligned operand: the generic handler splits it if needed.
  rig.cpu.s.gpr[kRdi] = 0x2003;
  fast(rig.cpu, d);
  CHECK(rig.cpu.fast_note == kFastMiss);
}

}  // namespace
}  // namespace kestrel::cpu
