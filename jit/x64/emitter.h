// SPDX-License-Identifier: MIT
// The x86-64 emitter's state and its per-op member functions, shared by the
// files that define them (emit.cpp: the integer, memory and control ops and
// emit_block; emit_sse.cpp: the SSE group). Values come from their register
// or stack slot into rax/rcx, results go back; CpuState is [rbx + offsetof],
// JitCtx is [rbp + offsetof].
#pragma once

#include <asmjit/x86.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/flags.h"
#include "cpu/state.h"
#include "jit/x64/backend.h"
#include "mmu/tlb.h"

namespace kestrel::jit::x64::detail {

namespace x86 = asmjit::x86;
using ir::Op;

struct Emitter {
  x86::Assembler& a;
  const ir::Block& b;
  const std::vector<Location>& loc;
  const Helpers& h;
  uint64_t epilogue;
  const std::vector<ExitSlot*>& slots;
  Emitted& out;
  asmjit::Label leave;  ///< kExitDispatch to the epilogue
  asmjit::Label fault;  ///< kExitFault to the epilogue
  size_t next_exit = 0;
  /// Out-of-line slow paths of inlined memory accesses (emitted after the body).
  struct Slow {
    asmjit::Label at, back;
    size_t i;
  };
  std::vector<Slow> slow;
  asmjit::Label chain_probe;  ///< emit_chain_probe's, made when first needed

  x86::Mem slot(int16_t s) const { return x86::qword_ptr(x86::rsp, int32_t(s) * 8); }
  x86::Mem state(uint64_t off) const { return x86::qword_ptr(x86::rbx, int32_t(off)); }

  void load(const x86::Gp& dst, ir::Value v) {
    const ir::Inst& d = b.insts[v];
    if (d.op == Op::kConst) {
      a.mov(dst, d.imm);
    } else if (loc[v].reg >= 0) {
      a.mov(dst, x86::gpq(loc[v].reg));
    } else {
      a.mov(dst, slot(loc[v].slot));
    }
  }
  void store(size_t i, const x86::Gp& src) {
    if (loc[i].reg >= 0) a.mov(x86::gpq(loc[i].reg), src);
    else if (loc[i].slot >= 0) a.mov(slot(loc[i].slot), src);
  }
  void call(const void* fn) {
    a.mov(x86::rax, reinterpret_cast<uint64_t>(fn));
    a.call(x86::rax);
  }
  /// rIP = target, then the patchable jump (E9 rel32) to its stub.
  void direct_exit(uint64_t target) {
    a.mov(x86::rax, target);
    a.mov(state(offsetof(cpu::CpuState, rip)), x86::rax);
    Emitted::Exit e{};
    e.jump = uint32_t(a.offset());
    e.target_rip = target;
    a.embedUInt8(0xe9);
    a.embedUInt32(0);
    out.exits.push_back(e);
  }
  void emit_stubs() {
    for (size_t k = 0; k < out.exits.size(); ++k) {
      out.exits[k].stub = uint32_t(a.offset());
      a.mov(x86::rcx, reinterpret_cast<uint64_t>(slots[k]));
      a.mov(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, exit_slot))), x86::rcx);
      a.mov(x86::eax, uint32_t(kExitChain));
      a.jmp(asmjit::Imm(epilogue));
    }
  }

  /// rax = the host address of the access of `size` bytes at seg:rsi, or a
  /// jump to `slow_at` for whatever Cpu::read/write would not do on their
  /// fast path: cpu::Cpu::linear/linear64's checks (a failure faults there),
  /// a page-crossing access, misalignment at CPL 3 (#AC), a TLB miss or an entry without the
  /// fast path (MMIO, ROM, code pages, watches). rsi and rdx are kept.
  void probe(uint8_t seg, unsigned size, bool write, asmjit::Label slow_at) {
    static_assert(sizeof(mmu::TlbEntry) == 32);
    if (b.long64) {
      if (seg == cpu::kFs || seg == cpu::kGs) {
        a.mov(x86::rax, state(seg_field(seg, offsetof(cpu::SegmentCache, base))));
        a.add(x86::rax, x86::rsi);
      } else {
        a.mov(x86::rax, x86::rsi);
      }
      // No canonical check here: the TLB holds only pages that canonical
      // addresses (48 or 57 bits, as paging is set up) were translated
      // for, so a non-canonical address misses the tag below and takes
      // the slow path, which raises #GP or #SS. Its last byte is in the
      // same page (checked below) and so canonical too.
    } else {
      a.mov(x86::ecx, x86::dword_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, lo))));
      a.cmp(x86::rsi, x86::rcx);
      a.jb(slow_at);
      a.lea(x86::rax, x86::ptr(x86::rsi, int32_t(size - 1)));
      a.mov(x86::ecx, x86::dword_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, limit))));
      a.cmp(x86::rax, x86::rcx);
      a.ja(slow_at);
      a.test(x86::byte_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, rights))),
             write ? cpu::kSegWritable : cpu::kSegReadable);
      a.jz(slow_at);
      a.mov(x86::rax, state(seg_field(seg, offsetof(cpu::SegmentCache, base))));
      a.add(x86::rax, x86::rsi);
      a.mov(x86::eax, x86::eax);  // linear addresses are 32 bits wide here
    }
    if (size > 1) {
      // Misaligned: CPL 3 may owe #AC (Cpu::check_alignment), so it takes
      // the slow path; otherwise only a page-crossing access does.
      asmjit::Label aligned = a.newLabel();
      a.test(x86::al, size - 1);
      a.jz(aligned);
      a.cmp(x86::byte_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, cpl))), 3);
      a.je(slow_at);
      a.mov(x86::ecx, x86::eax);
      a.and_(x86::ecx, int32_t(mmu::kPageSize - 1));
      a.cmp(x86::ecx, int32_t(mmu::kPageSize - size));
      a.ja(slow_at);
      a.bind(aligned);
    }
    // The entry: tlb[cpl == 3][(lin >> 12) & (kTlbSize - 1)] (Cpu::priv()).
    a.mov(x86::ecx, x86::eax);
    a.shr(x86::ecx, mmu::kPageBits - 5);
    a.and_(x86::ecx, (mmu::kTlbSize - 1) << 5);
    a.cmp(x86::byte_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, cpl))), 3);
    a.sete(x86::r8b);
    a.movzx(x86::r8d, x86::r8b);
    a.shl(x86::r8d, mmu::kTlbBits + 5);
    a.add(x86::ecx, x86::r8d);
    a.add(x86::rcx, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, tlb))));
    a.mov(x86::r8, x86::rax);
    a.and_(x86::r8, int32_t(mmu::kPageMask));
    a.cmp(x86::r8, x86::qword_ptr(x86::rcx, write ? int32_t(offsetof(mmu::TlbEntry, write_tag))
                                                  : int32_t(offsetof(mmu::TlbEntry, read_tag))));
    a.jne(slow_at);
    a.add(x86::rax, x86::qword_ptr(x86::rcx, int32_t(offsetof(mmu::TlbEntry, addend))));
  }
  static int32_t seg_field(uint8_t seg, size_t field) {
    return int32_t(offsetof(cpu::CpuState, seg) + seg * sizeof(cpu::SegmentCache) + field);
  }
  /// The helper call of a Load (offset in rsi; result in rax) or a Store
  /// (offset in rsi, value in rdx): Cpu::read/write with every check.
  void slow_access(size_t, const ir::Inst& in) {
    if (in.op == Op::kLoadX || in.op == Op::kStoreX) return slow_x(in);
    a.mov(x86::rdi, x86::rbp);
    if (in.op == Op::kLoad) {
      a.mov(x86::edx, uint32_t(in.imm));
      a.mov(x86::rcx, in.imm2);
      call(reinterpret_cast<const void*>(h.load));
    } else {
      a.mov(x86::ecx, uint32_t(in.imm));
      a.mov(x86::r8, in.imm2);
      call(reinterpret_cast<const void*>(h.store));
    }
    a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, faulted))), 0);
    a.jne(fault);
  }
  void emit_slow_paths() {
    for (const Slow& sp : slow) {
      a.bind(sp.at);
      slow_access(sp.i, b.insts[sp.i]);
      a.jmp(sp.back);
    }
  }

  void access_x(size_t i, const ir::Inst& in, bool write);
  void slow_x(const ir::Inst& in);
  template <Op kOp> void emit(size_t i, const ir::Inst& in);
};

// Every op's specialisation, declared here so the table in emit.cpp may name
// those defined in another file (a missing definition fails to link).
#define OP(name, ...) template <> void Emitter::emit<Op::k##name>(size_t, const ir::Inst&);
#include "jit/ir/opcodes.inc"
#undef OP

}  // namespace kestrel::jit::x64::detail
