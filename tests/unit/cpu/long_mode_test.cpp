// SPDX-License-Identifier: MIT
// IA-32e mode: activation through CR0.PG with EFER.LME, 64-bit segment
// semantics and canonical faults, 64-bit IDT gates with IST and IRETQ,
// 64-bit call gates and far returns, control registers in long mode.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interrupts.h"
#include "tests/unit/cpu/lm_fixture.h"

namespace kestrel::cpu {
namespace {

using namespace lmtest;

/// 32-bit protected mode at ring 0 with paging off, EFER.LME set, CR3 at
/// the 4-level tables and `cr4`; at 5000h: mov cr0, eax; jmp 08:kCode.
void enter_legacy(LmFixture& f, uint64_t cr4) {
  f.cpu.s.cr[0] |= 1;
  load_code_segment(f.cpu, kCode32, f.desc(kCode32), 0);
  for (uint8_t seg : {kEs, kSs, kDs}) load_data_segment_pm(f.cpu, seg, kData0);
  f.cpu.s.gpr[kRsp] = 0x8000;
  REQUIRE(f.cpu.load_paging(f.cpu.s.cr[0], LmFixture::kPml4, cr4, kEferLme, true));
  f.load(0x5000, {0x0f, 0x22, 0xc0, 0xea, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00});
  f.load(LmFixture::kCode, {0xf4});
  f.r(kRax) = kCr0PePg;
  f.cpu.s.rip = 0x5000;
}

/// The fault `fn` raises, or {255} for none.
template <class F> GuestFault fault_of(F&& fn) {
  try {
    fn();
  } catch (const GuestFault& g) {
    return g;
  }
  return GuestFault{255, false, 0};
}

TEST_CASE("CR0.PG with EFER.LME activates IA-32e mode; a far JMP enters 64-bit code") {
  LmFixture f;
  enter_legacy(f, kCr4Pae);
  f.run(1);
  CHECK((f.cpu.s.efer & kEferLma) != 0);
  CHECK(f.cpu.long_mode());
  CHECK(!f.cpu.long_mode64());  // compatibility mode until CS changes
  f.run(1);
  CHECK(f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == LmFixture::kCode);
  CHECK(f.cpu.s.seg[kCs].base == 0);
}

TEST_CASE("activating IA-32e mode without CR4.PAE raises #GP(0)") {
  LmFixture f;
  enter_legacy(f, 0);
  f.cpu.s.idtr.limit = 0;  // the #GP is not delivered: what matters is CR0
  f.run(1);
  CHECK(!(f.cpu.s.efer & kEferLma));
  CHECK(!(f.cpu.s.cr[0] & 0x80000000));
}

TEST_CASE("CR0.PG cannot be cleared in 64-bit mode") {
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0x0f, 0x22, 0xc0});  // mov cr0, rax
  f.r(kRax) = 0x11;
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK((f.cpu.s.efer & kEferLma) != 0);
}

TEST_CASE("clearing CR4.PAE or changing LA57 in IA-32e mode raises #GP(0)") {
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0x0f, 0x22, 0xe0});  // mov cr4, rax
  f.r(kRax) = 0;
  f.run(1);
  CHECK(f.vector() == kVecGp);
  f.cpu.s.halted = false;
  f.r(kRax) = kCr4Pae | kCr4La57;
  f.cpu.s.rip = LmFixture::kCode;
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.cpu.s.cr[4] == kCr4Pae);
}

TEST_CASE("CR8 is the task-priority register in 64-bit mode") {
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0x44, 0x0f, 0x22, 0xc0, 0x44, 0x0f, 0x20, 0xc3});
  f.r(kRax) = 9;
  f.run(2);
  CHECK(f.cpu.s.cr[8] == 9);
  CHECK(f.r(kRbx) == 9);
  f.r(kRax) = 0x10;  // bits 63:4 reserved
  f.cpu.s.rip = LmFixture::kCode;
  f.run(1);
  CHECK(f.vector() == kVecGp);
}

TEST_CASE("64-bit mode: non-canonical data is #GP(0), a non-canonical stack #SS(0)") {
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0x48, 0x8b, 0x03});  // mov rax, [rbx]
  f.r(kRbx) = 0x0000800000000000;
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0);  // error code
  CHECK(f.stack(1) == LmFixture::kCode);

  LmFixture g;
  g.enter_long();
  g.load(LmFixture::kCode, {0x48, 0x8b, 0x03});
  g.r(kRbx) = 0xffff800000001000;  // canonical, not mapped: #PF instead
  g.run(1);
  CHECK(g.vector() == kVecPf);
  CHECK(g.cpu.s.cr[2] == 0xffff800000001000);

  LmFixture h;
  h.enter_long();
  h.load(LmFixture::kCode, {0x50});  // push rax
  h.cpu.s.gpr[kRsp] = 0x8000000000000004;
  // The handler's stack would be the same bad RSP: give it IST1.
  h.set_gate(kVecSs, kCode64, LmFixture::kHandlers + 16 * kVecSs, 0x8e, 1);
  h.run(1);
  CHECK(h.vector() == kVecSs);
  CHECK(h.cpu.s.gpr[kRsp] == LmFixture::kIst1 - 48);
  CHECK(h.stack(4) == 0x8000000000000004);  // the old RSP, above the error code
}

TEST_CASE("64-bit mode ignores DS limits and bases; FS and GS bases come from MSRs") {
  LmFixture f;
  f.enter_long();
  f.cpu.s.seg[kDs].limit = 0xff;
  f.cpu.s.seg[kDs].base = 0x5000;
  CHECK(f.cpu.linear(kDs, 0x123456, 8) == 0x123456);
  f.mem.write_phys(0x40008, 0x1122334455667788, 8);
  f.r(kRcx) = kMsrGsBase;
  f.r(kRax) = 0x40000;
  f.r(kRdx) = 0;
  // wrmsr; mov rax, gs:[8]; swapgs; mov rax, gs:[8]
  f.load(LmFixture::kCode, {0x0f, 0x30, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x08, 0, 0, 0,
                            0x0f, 0x01, 0xf8});
  f.run(2);
  CHECK(f.r(kRax) == 0x1122334455667788);
  f.cpu.s.msr.kernel_gs_base = 0xffff800000000000;
  f.run(1);
  CHECK(f.cpu.s.seg[kGs].base == 0xffff800000000000);
  CHECK(f.cpu.s.msr.kernel_gs_base == 0x40000);
  // A non-canonical base is refused.
  f.r(kRax) = 0;
  f.r(kRdx) = 0x8000;
  f.load(LmFixture::kCode + 0x100, {0x0f, 0x30});
  f.cpu.s.rip = LmFixture::kCode + 0x100;
  f.run(1);
  CHECK(f.vector() == kVecGp);
}

TEST_CASE("a null SS loads at CPL 0 in 64-bit mode") {
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0x8e, 0xd0, 0x50});  // mov ss, ax; push rax
  f.r(kRax) = 0;
  f.run(2);
  CHECK(f.cpu.s.seg[kSs].selector == 0);
  CHECK(f.cpu.s.gpr[kRsp] == 0x8000 - 8);
  CHECK(!f.cpu.s.halted);
}

TEST_CASE("INT from ring 3 through a 64-bit gate: RSP0, the 64-bit frame, IRETQ back") {
  LmFixture f;
  f.enter_long();
  f.set_gate(0x80, kCode64, LmFixture::kCode + 0x100, 0xee, 0);  // DPL 3 interrupt gate
  f.load(LmFixture::kCode, {0xcd, 0x80, 0xf4});                   // int 0x80; hlt
  f.load(LmFixture::kCode + 0x100, {0x48, 0xcf});                 // iretq
  f.goto_ring3(LmFixture::kCode);
  f.cpu.s.gpr[kRsp] = LmFixture::kStack3 - 8;
  f.run(1);
  CHECK(f.cpu.s.cpl == 0);
  CHECK(f.cpu.s.seg[kSs].selector == 0);  // null SS, RPL 0
  // RSP0 (9000h) aligned to 16 then five slots.
  CHECK(f.cpu.s.gpr[kRsp] == LmFixture::kStack0 - 40);
  CHECK(f.stack(0) == LmFixture::kCode + 2);
  CHECK(f.stack(1) == kCode64u);
  CHECK(f.stack(3) == LmFixture::kStack3 - 8);
  CHECK(f.stack(4) == kData3);
  f.run(1);  // iretq
  CHECK(f.cpu.s.cpl == 3);
  CHECK(f.cpu.s.rip == LmFixture::kCode + 2);
  CHECK(f.cpu.s.gpr[kRsp] == LmFixture::kStack3 - 8);
  CHECK(f.cpu.s.seg[kSs].selector == kData3);
  CHECK(f.cpu.long_mode64());
}

TEST_CASE("an IST gate switches stacks even without a privilege change") {
  LmFixture f;
  f.enter_long();
  f.set_gate(kVecBp, kCode64, LmFixture::kHandlers + 16 * kVecBp, 0xee, 1);
  f.load(LmFixture::kCode, {0xcc});  // int3
  f.cpu.s.gpr[kRsp] = 0x8008;
  f.run(1);
  CHECK(f.vector() == kVecBp);
  CHECK(f.cpu.s.gpr[kRsp] == LmFixture::kIst1 - 40);
  CHECK(f.stack(3) == 0x8008);
  CHECK(f.stack(4) == kData0);
  CHECK(f.cpu.s.seg[kSs].selector == kData0);  // same level: SS unchanged
}

TEST_CASE("64-bit gates: a legacy gate type, a non-64-bit target and the IDT limit fault") {
  LmFixture f;
  f.enter_long();
  f.set_gate(0x40, kCode64, 0x1234, 0x8e, 0);
  f.mem.write_phys(LmFixture::kIdt + 16 * 0x41 + 5, 0x85, 1);  // task gate
  f.set_gate(0x42, kCode32, 0x1234, 0xee, 0);                   // compatibility target
  GuestFault g = fault_of([&] { deliver_event(f.cpu, 0x41, EventKind::kSoftware); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == 0x41 * 8 + 2);
  g = fault_of([&] { deliver_event(f.cpu, 0x42, EventKind::kExternal); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == (kCode32 | 1u));
  f.cpu.s.idtr.limit = 0x40 * 16 + 14;
  g = fault_of([&] { deliver_event(f.cpu, 0x40, EventKind::kExternal); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == 0x40 * 8 + 3);
}

}  // namespace
}  // namespace kestrel::cpu

namespace kestrel::cpu {
namespace {

using namespace lmtest;

TEST_CASE("16-byte system descriptors: a 64-bit base, the upper type field, the limit") {
  LmFixture f;
  f.enter_long();
  // The TSS descriptor at 30h with bits 63:32 of its base = 1.
  f.mem.write_phys(LmFixture::kGdt + 0x38, 1, 4);
  SegmentCache c = system_segment_cache(f.cpu, kTssSel, f.desc(kTssSel));
  CHECK(c.base == (uint64_t{1} << 32 | LmFixture::kTss));
  // A type in bits 12:8 of the fourth dword is #GP(selector).
  f.mem.write_phys(LmFixture::kGdt + 0x3c, 0x900, 4);
  GuestFault g = fault_of([&] { (void)system_segment_cache(f.cpu, kTssSel, f.desc(kTssSel)); });
  CHECK(g.vector == kVecGp);
  CHECK(g.error == kTssSel);
  // The second half beyond the GDT limit is #GP(selector).
  f.cpu.s.gdtr.limit = 0x37;
  g = fault_of([&] { (void)read_descriptor_upper(f.cpu, kTssSel); });
  CHECK(g.vector == kVecGp);
  // A non-canonical base is refused.
  f.cpu.s.gdtr.limit = 12 * 8 - 1;
  f.mem.write_phys(LmFixture::kGdt + 0x38, 0x8000, 8);
  g = fault_of([&] { (void)system_segment_cache(f.cpu, kTssSel, f.desc(kTssSel)); });
  CHECK(g.vector == kVecGp);
}

TEST_CASE("LTR and LLDT in 64-bit mode load 64-bit bases; a 16-bit TSS is refused") {
  LmFixture f;
  f.enter_long();
  // LTR AX (0F 00 D8) on an available 64-bit TSS whose base has bit 32 set.
  f.set_desc(6, LmFixture::kTss, 0x67, 0x89, 0);
  f.mem.write_phys(LmFixture::kGdt + 0x38, 1, 4);
  f.load(LmFixture::kCode, {0x0f, 0x00, 0xd8, 0xf4});
  f.r(kRax) = kTssSel;
  f.run(2);
  CHECK(f.cpu.s.tr.base == (uint64_t{1} << 32 | LmFixture::kTss));
  CHECK(((f.desc(kTssSel).hi >> 8) & 0xf) == 0xb);  // now busy
  // LLDT AX (0F 00 D0) on an LDT descriptor at 60h with base bits 63:32 = 2.
  f.set_desc(12, 0x5000, 0xfff, 0x82, 0);
  f.mem.write_phys(LmFixture::kGdt + 0x68, 2, 8);
  f.cpu.s.gdtr.limit = 14 * 8 - 1;
  f.cpu.s.halted = false;
  f.cpu.s.rip = LmFixture::kCode + 0x10;
  f.load(LmFixture::kCode + 0x10, {0x0f, 0x00, 0xd0, 0xf4});
  f.r(kRax) = 0x60;
  f.run(2);
  CHECK(f.cpu.s.ldtr.base == (uint64_t{2} << 32 | 0x5000));
  // A 16-bit available TSS (type 1) does not exist in IA-32e mode: #GP(sel).
  f.set_desc(12, 0x5000, 0x2b, 0x81, 0);
  f.r(kRax) = 0x60;
  f.cpu.s.halted = false;
  f.cpu.s.rip = LmFixture::kCode + 0x20;
  f.load(LmFixture::kCode + 0x20, {0x0f, 0x00, 0xd8, 0xf4});
  f.run(2);
  CHECK(f.vector() == kVecGp);
}

TEST_CASE("a near branch to a non-canonical address is #GP(0) on the branch") {
  LmFixture f;
  f.enter_long();
  // JMP RAX (FF E0) with RAX = 0000_8000_0000_0000: rIP stays on the JMP.
  f.load(LmFixture::kCode, {0xff, 0xe0});
  f.r(kRax) = uint64_t{1} << 47;
  const uint64_t rsp = f.r(kRsp);
  f.run(1);
  CHECK(f.vector() == kVecGp);
  CHECK(f.stack(0) == 0);                    // error code
  CHECK(f.stack(1) == LmFixture::kCode);     // the faulting JMP
  // RET to a non-canonical address: same, and RSP as it was before.
  LmFixture g;
  g.enter_long();
  g.load(LmFixture::kCode, {0xc3});
  g.mem.write_phys(0x8000 - 8, uint64_t{0xffff7fff00000000}, 8);
  g.r(kRsp) = 0x8000 - 8;
  g.run(1);
  CHECK(g.vector() == kVecGp);
  CHECK(g.stack(1) == LmFixture::kCode);
  CHECK(g.stack(4) == 0x8000 - 8);           // the RSP pushed in the frame
  (void)rsp;
}

TEST_CASE("a fused CMP and Jcc: the budget splits them; a non-canonical target faults on the Jcc") {
  // CMP EAX, EAX; JE rel32 at the top of the lower canonical half, its
  // target past it: 2 MiB at 7FFF_FFE0_0000 map to 400000h.
  constexpr uint64_t kTop = 0x7fffffe00000, kPdpt2 = 0x13000, kPd2 = 0x14000;
  constexpr uint64_t kAt = kTop + 0x1ffff0, kJcc = kAt + 2;
  auto machine = [&](LmFixture& f) {
    f.enter_long();
    f.mem.write_phys(LmFixture::kPml4 + 8 * 255, kPdpt2 | 7, 8);
    f.mem.write_phys(kPdpt2 + 8 * 511, kPd2 | 7, 8);
    f.mem.write_phys(kPd2 + 8 * 511, 0x400000 | 0x87, 8);
    f.load(0x400000 + 0x1ffff0, {0x39, 0xc0, 0x0f, 0x84, 0x00, 0x01, 0x00, 0x00});
    f.cpu.s.rip = kAt;
  };
  // One instruction at a time: the compare, then the faulting Jcc.
  LmFixture a;
  machine(a);
  a.run(1);
  CHECK(a.cpu.s.rip == kJcc);
  CHECK(a.cpu.s.icount == 1);
  CHECK((arith_flags(a.cpu.s) & kZf) != 0);
  a.run(1);
  CHECK(a.vector() == kVecGp);
  // The block whole, as one fused pair: the same fault, frame and count.
  LmFixture b;
  machine(b);
  b.run(2);
  CHECK(b.vector() == kVecGp);
  CHECK(b.cpu.s.icount == a.cpu.s.icount);
  for (unsigned i = 0; i < 4; ++i) CHECK(b.stack(i) == a.stack(i));
  CHECK(b.stack(1) == kJcc);                  // the faulting Jcc
  CHECK((b.stack(3) & kZf) != 0);             // with the compare done
}

TEST_CASE("ENDBR64 and the other 0F 18-1E hint encodings run as NOPs") {
  // Debian's amd64 userland starts functions with ENDBR64 (F3 0F 1E FA).
  LmFixture f;
  f.enter_long();
  f.load(LmFixture::kCode, {0xf3, 0x0f, 0x1e, 0xfa,         // endbr64
                            0x0f, 0x1f, 0x44, 0x00, 0x00,   // nop [rax+rax]
                            0x0f, 0x18, 0xe0,               // reserved hint, register form
                            0x0f, 0x1c, 0x00,               // reserved hint, memory form
                            0xf4});
  f.r(kRax) = uint64_t{1} << 47;  // a memory-form hint never touches memory
  f.run(5);
  CHECK(f.vector() == -1);
  CHECK(f.cpu.s.halted);
  CHECK(f.cpu.s.rip == LmFixture::kCode + 16);
}

TEST_CASE("compatibility mode: 32-bit linear addresses, limits checked") {
  LmFixture f;
  f.enter_long();
  load_code_segment(f.cpu, kCode32, f.desc(kCode32), 0);
  CHECK(!f.cpu.long_mode64());
  f.cpu.s.seg[kDs].base = 0xfffff000;
  CHECK(f.cpu.linear(kDs, 0x2000, 4) == 0x1000);  // wraps at 4 GiB
  f.cpu.s.seg[kDs].limit = 0xfff;
  const GuestFault g = fault_of([&] { (void)f.cpu.linear(kDs, 0x2000, 4); });
  CHECK(g.vector == kVecGp);
}

}  // namespace
}  // namespace kestrel::cpu

namespace kestrel::cpu {
namespace {

using namespace lmtest;

TEST_CASE("an interrupt in compatibility mode enters 64-bit code with a 64-bit frame") {
  LmFixture f;
  f.enter_long();
  load_code_segment(f.cpu, kCode32, f.desc(kCode32), 0);
  f.set_gate(0x80, kCode64, LmFixture::kCode + 0x100, 0x8e, 0);
  f.load(0x5000, {0xcd, 0x80});  // int 0x80
  f.load(LmFixture::kCode + 0x100, {0x48, 0xcf});  // iretq
  f.cpu.s.rip = 0x5000;
  f.cpu.s.gpr[kRsp] = 0xdead00008008;  // compatibility mode uses ESP only
  f.run(1);
  CHECK(f.cpu.long_mode64());
  CHECK(f.cpu.s.gpr[kRsp] == 0x8000 - 40);  // aligned to 16, five slots
  CHECK(f.stack(0) == 0x5002);
  CHECK(f.stack(1) == kCode32);
  CHECK(f.stack(3) == 0x8008);
  f.run(1);  // iretq back to compatibility mode, same level: SS:RSP popped
  CHECK(!f.cpu.long_mode64());
  CHECK(f.cpu.s.rip == 0x5002);
  CHECK(f.cpu.s.gpr[kRsp] == 0x8008);
}

TEST_CASE("INVLPG in 64-bit mode: DS has no base, a non-canonical address does nothing") {
  LmFixture f;
  f.enter_long();
  f.cpu.s.seg[kDs].base = 0x200000;
  (void)f.cpu.read<uint8_t>(kDs, 0x5000);
  f.mem.write_phys(LmFixture::kPd, 0, 8);  // unmap 0-2 MiB behind the TLB's back
  CHECK(f.cpu.read<uint8_t>(kDs, 0x5000) == 0);  // still cached
  // The code lies in the unmapped 2 MiB too: run INVLPG [RBX] directly.
  DecodedInsn insn;
  insn.mod = 0;
  insn.base = kRbx;
  insn.seg = kDs;
  insn.asize = 8;
  f.r(kRbx) = 0x5000;
  exec::INVLPG_Mb(f.cpu, insn);
  GuestFault g{255};
  try {
    (void)f.cpu.read<uint8_t>(kDs, 0x5000);
  } catch (const GuestFault& e) {
    g = e;
  }
  CHECK(g.vector == kVecPf);
  f.r(kRbx) = 0x0000800000000000;
  exec::INVLPG_Mb(f.cpu, insn);  // no fault
}

}  // namespace
}  // namespace kestrel::cpu
