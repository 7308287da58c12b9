// SPDX-License-Identifier: MIT
// Code emission for x86-64 hosts through asmjit's x86::Assembler. Each IR op
// has one emit<Op> specialisation (a missing one fails to link, STYLE.md
// A2). Values come from their register or stack slot into rax/rcx, results
// go back; CpuState is [rbx + offsetof], JitCtx is [rbp + offsetof].
#include <asmjit/x86.h>

#include <cstddef>
#include <cstring>

#include "cpu/flags.h"
#include "cpu/state.h"
#include "mmu/tlb.h"
#include "jit/runtime/sse_access.h"
#include "jit/x64/backend.h"

namespace kestrel::jit::x64 {
namespace {

namespace x86 = asmjit::x86;
using ir::Op;

/// Stack frame below the saved registers: the spill slots (+8 keeps the
/// stack 16-byte aligned at calls: six pushes and the return address).
constexpr int32_t kFrame = int32_t(kSpillSlots) * 8 + 8;

/// CR0.EM | CR0.TS and CR4.OSFXSR (cpu/interp/sse.h, sse_check).
constexpr uint32_t kCr0EmTs = (1u << 2) | (1u << 3);
constexpr uint32_t kCr4Osfxsr = 1u << 9;

/// cpu::arith_flags for generated code (it throws nothing).
uint64_t arith_flags_of(const cpu::CpuState* s) noexcept { return cpu::arith_flags(*s); }

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

template <> void Emitter::emit<Op::kConst>(size_t, const ir::Inst&) {}
template <> void Emitter::emit<Op::kLdGpr>(size_t i, const ir::Inst& in) {
  a.mov(x86::rax, state(offsetof(cpu::CpuState, gpr) + 8 * in.imm));
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kStGpr>(size_t, const ir::Inst& in) {
  load(x86::rax, in.a);
  a.mov(state(offsetof(cpu::CpuState, gpr) + 8 * in.imm), x86::rax);
}
template <> void Emitter::emit<Op::kLdField>(size_t i, const ir::Inst& in) {
  a.mov(x86::rax, state(in.imm));
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kStField>(size_t, const ir::Inst& in) {
  load(x86::rax, in.a);
  a.mov(state(in.imm), x86::rax);
}
template <> void Emitter::emit<Op::kStField32>(size_t, const ir::Inst& in) {
  load(x86::rax, in.a);
  a.mov(x86::dword_ptr(x86::rbx, int32_t(in.imm)), x86::eax);
}

#define KESTREL_BINOP(OP, INSN)                                  \
  template <> void Emitter::emit<Op::OP>(size_t i, const ir::Inst& in) { \
    load(x86::rax, in.a);                                        \
    load(x86::rcx, in.b);                                        \
    a.INSN(x86::rax, x86::rcx);                                  \
    store(i, x86::rax);                                          \
  }
KESTREL_BINOP(kAdd, add)
KESTREL_BINOP(kSub, sub)
KESTREL_BINOP(kAnd, and_)
KESTREL_BINOP(kOr, or_)
KESTREL_BINOP(kXor, xor_)
#undef KESTREL_BINOP

template <> void Emitter::emit<Op::kShl>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  if (in.imm >= 64) a.xor_(x86::eax, x86::eax);
  else if (in.imm) a.shl(x86::rax, unsigned(in.imm));
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kShr>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  if (in.imm >= 64) a.xor_(x86::eax, x86::eax);
  else if (in.imm) a.shr(x86::rax, unsigned(in.imm));
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kZext>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  switch (in.imm) {
    case 1: a.movzx(x86::eax, x86::al); break;
    case 2: a.movzx(x86::eax, x86::ax); break;
    case 4: a.mov(x86::eax, x86::eax); break;
    default: break;
  }
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSext>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  switch (in.imm) {
    case 1: a.movsx(x86::rax, x86::al); break;
    case 2: a.movsx(x86::rax, x86::ax); break;
    case 4: a.movsxd(x86::rax, x86::eax); break;
    default: break;
  }
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kCmp>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  load(x86::rcx, in.b);
  a.cmp(x86::rax, x86::rcx);
  switch (ir::Cond(in.imm)) {
    case ir::Cond::kEq: a.sete(x86::al); break;
    case ir::Cond::kNe: a.setne(x86::al); break;
    case ir::Cond::kUlt: a.setb(x86::al); break;
    case ir::Cond::kUle: a.setbe(x86::al); break;
    case ir::Cond::kSlt: a.setl(x86::al); break;
    case ir::Cond::kSle: a.setle(x86::al); break;
  }
  a.movzx(x86::eax, x86::al);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSar>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  a.sar(x86::rax, unsigned(in.imm >= 64 ? 63 : in.imm));
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kMul>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  load(x86::rcx, in.b);
  a.imul(x86::rax, x86::rcx);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kMulOf>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  load(x86::rcx, in.b);
  switch (in.imm) {
    case 1:  // no 8-bit two-operand IMUL on the host: compare with the extension
      a.movsx(x86::eax, x86::al);
      a.movsx(x86::ecx, x86::cl);
      a.imul(x86::eax, x86::ecx);
      a.movsx(x86::ecx, x86::al);
      a.cmp(x86::eax, x86::ecx);
      a.setne(x86::al);
      break;
    case 2: a.imul(x86::ax, x86::cx); a.seto(x86::al); break;
    case 4: a.imul(x86::eax, x86::ecx); a.seto(x86::al); break;
    default: a.imul(x86::rax, x86::rcx); a.seto(x86::al); break;
  }
  a.movzx(x86::eax, x86::al);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSelect>(size_t i, const ir::Inst& in) {
  load(x86::rdx, in.a);
  load(x86::rax, in.b);
  load(x86::rcx, in.c);
  a.test(x86::rdx, x86::rdx);
  a.cmovz(x86::rax, x86::rcx);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSzp>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  switch (in.imm) {
    case 1: a.test(x86::al, x86::al); break;
    case 2: a.test(x86::ax, x86::ax); break;
    case 4: a.test(x86::eax, x86::eax); break;
    default: a.test(x86::rax, x86::rax); break;
  }
  // The host's PF/ZF/SF are the guest's: same definitions, same bit numbers.
  a.setp(x86::cl);
  a.setz(x86::dl);
  a.sets(x86::al);
  a.movzx(x86::ecx, x86::cl);
  a.shl(x86::ecx, 2);
  a.movzx(x86::edx, x86::dl);
  a.shl(x86::edx, 6);
  a.or_(x86::ecx, x86::edx);
  a.movzx(x86::eax, x86::al);
  a.shl(x86::eax, 7);
  a.or_(x86::eax, x86::ecx);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kArithFlags>(size_t i, const ir::Inst&) {
  a.mov(x86::rdi, x86::rbx);
  call(reinterpret_cast<const void*>(&arith_flags_of));
  a.mov(x86::eax, x86::eax);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kTestCc>(size_t i, const ir::Inst& in) {
  a.mov(x86::rdi, x86::rbx);
  a.mov(x86::esi, uint32_t(in.imm));
  call(reinterpret_cast<const void*>(h.test_cc));
  a.movzx(x86::eax, x86::al);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kCarryFlag>(size_t i, const ir::Inst&) {
  a.mov(x86::rdi, x86::rbx);
  call(reinterpret_cast<const void*>(h.carry_flag));
  a.movzx(x86::eax, x86::al);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kAddIcount>(size_t, const ir::Inst& in) {
  a.add(state(offsetof(cpu::CpuState, icount)), uint32_t(in.imm));
}
template <> void Emitter::emit<Op::kLoad>(size_t i, const ir::Inst& in) {
  load(x86::rsi, in.a);
  if (!b.inline_mem) {
    slow_access(i, in);
    store(i, x86::rax);
    return;
  }
  const Slow sp{a.newLabel(), a.newLabel(), i};
  const unsigned size = unsigned(in.imm >> 8) & 0xff;
  probe(uint8_t(in.imm), size, false, sp.at);
  switch (size) {
    case 1: a.movzx(x86::eax, x86::byte_ptr(x86::rax)); break;
    case 2: a.movzx(x86::eax, x86::word_ptr(x86::rax)); break;
    case 4: a.mov(x86::eax, x86::dword_ptr(x86::rax)); break;
    default: a.mov(x86::rax, x86::qword_ptr(x86::rax)); break;
  }
  a.bind(sp.back);
  store(i, x86::rax);
  slow.push_back(sp);
}
template <> void Emitter::emit<Op::kStore>(size_t i, const ir::Inst& in) {
  load(x86::rsi, in.a);
  load(x86::rdx, in.b);
  if (!b.inline_mem) {
    slow_access(i, in);
    return;
  }
  const Slow sp{a.newLabel(), a.newLabel(), i};
  const unsigned size = unsigned(in.imm >> 8) & 0xff;
  probe(uint8_t(in.imm), size, true, sp.at);
  switch (size) {
    case 1: a.mov(x86::byte_ptr(x86::rax), x86::dl); break;
    case 2: a.mov(x86::word_ptr(x86::rax), x86::dx); break;
    case 4: a.mov(x86::dword_ptr(x86::rax), x86::edx); break;
    default: a.mov(x86::qword_ptr(x86::rax), x86::rdx); break;
  }
  a.bind(sp.back);
  slow.push_back(sp);
}
template <> void Emitter::emit<Op::kCheckStop>(size_t, const ir::Inst& in) {
  asmjit::Label go_on = a.newLabel();
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, stop))), 0);
  a.je(go_on);
  a.mov(x86::rax, in.imm);
  a.mov(state(offsetof(cpu::CpuState, rip)), x86::rax);
  a.jmp(leave);
  a.bind(go_on);
}
/// rIP is set: on to the next block's chained entry when Helpers::chain
/// finds it in the jump cache, else out through the dispatcher.
void chain_or_leave(Emitter& e) {
  e.a.mov(x86::rdi, x86::rbp);
  e.call(reinterpret_cast<const void*>(e.h.chain));
  e.a.test(x86::rax, x86::rax);
  e.a.jz(e.leave);
  e.a.jmp(x86::rax);
}
/// The jump cache probed inline for the rIP just set (jit/runtime/
/// jump_cache.h, JitEngine::Impl::jump_key): CS and the mode are the
/// block's own (only rIP changed since it was entered), the privilege and
/// the TLB generation are read now. A hit enters the target's chained
/// entry, which checks events and the budget as the dispatcher would; a
/// miss asks Helpers::chain. A helper's request to leave (JitCtx::stop:
/// code written, an event raised) is honoured first.
void emit_chain_probe(Emitter& e) {
  x86::Assembler& a = e.a;
  using Entry = JumpCache::Entry;
  const asmjit::Label miss = a.newLabel();
  a.bind(e.chain_probe);
  e.out.chain_probe = uint32_t(a.offset());
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, stop))), 0);
  a.jne(e.leave);
  a.mov(x86::rdx, e.state(offsetof(cpu::CpuState, rip)));
  // rcx = &table[JumpCache::index(CS.base + rIP)] (32-byte entries).
  a.mov(x86::rax, x86::rdx);
  if (e.b.cs_base) {
    a.mov(x86::ecx, uint32_t(e.b.cs_base));
    a.add(x86::rax, x86::rcx);
  }
  a.mov(x86::rcx, x86::rax);
  a.shr(x86::rcx, 12);
  a.xor_(x86::rcx, x86::rax);
  a.shr(x86::rax, 24);
  a.xor_(x86::rcx, x86::rax);
  a.and_(x86::ecx, int32_t(JumpCache::kEntries - 1));
  a.shl(x86::ecx, 5);
  a.add(x86::rcx, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, jump_table))));
  a.cmp(x86::rdx, x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, rip))));
  a.jne(miss);
  a.mov(x86::rax, e.b.cs_base | uint64_t{e.b.cs_limit} << 32);
  a.cmp(x86::rax, x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, segment))));
  a.jne(miss);
  // The tag: generation << 16 | mode | (CPL == 3) << 8.
  a.xor_(x86::edx, x86::edx);
  a.cmp(x86::byte_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, cpl))), 3);
  a.sete(x86::dl);
  a.shl(x86::edx, 8);
  a.or_(x86::edx, int32_t(e.b.mode));
  a.mov(x86::rax, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, tlb_generation))));
  a.mov(x86::rax, x86::qword_ptr(x86::rax));
  a.shl(x86::rax, 16);
  a.or_(x86::rax, x86::rdx);
  a.cmp(x86::rax, x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, tag))));
  a.jne(miss);
  a.add(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, chained_inline))), 1);
  a.jmp(x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, code))));
  a.bind(miss);
  chain_or_leave(e);
}
template <> void Emitter::emit<Op::kCallInsn>(size_t, const ir::Inst& in) {
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rsi, in.imm);
  call(reinterpret_cast<const void*>(h.call_insn));
  a.test(x86::eax, x86::eax);
  asmjit::Label go_on = a.newLabel();
  a.jz(go_on);
  chain_or_leave(*this);  // the handler left the block (a branch, an event)
  a.bind(go_on);
}
template <> void Emitter::emit<Op::kExit>(size_t, const ir::Inst& in) { direct_exit(in.imm); }
template <> void Emitter::emit<Op::kExitIf>(size_t, const ir::Inst& in) {
  asmjit::Label skip = a.newLabel();
  load(x86::rax, in.a);
  a.test(x86::rax, x86::rax);
  a.jz(skip);
  direct_exit(in.imm);
  a.bind(skip);
}
template <> void Emitter::emit<Op::kExitRip>(size_t, const ir::Inst&) { a.jmp(leave); }
/// imm 1 (a native RET, JMP or CALL through r/m): the inline probe;
/// otherwise a handler ran and may have changed CS or the mode: the helper.
template <> void Emitter::emit<Op::kExitIndirect>(size_t, const ir::Inst& in) {
  if (in.imm != 1 || !b.chain_inline) {
    chain_or_leave(*this);
    return;
  }
  if (!chain_probe.isValid()) chain_probe = a.newLabel();
  a.jmp(chain_probe);
}
/// cpu::exec::near_jump's check inline (48-bit canonical form, or the
/// keyed CS limit); a failure asks Helpers::branch_fault, which decides
/// exactly and records the #GP(0).
template <> void Emitter::emit<Op::kCheckBranch>(size_t, const ir::Inst& in) {
  asmjit::Label ok = a.newLabel();
  load(x86::rsi, in.a);
  if (in.imm == ~uint64_t{0}) {
    a.mov(x86::rax, x86::rsi);
    a.shl(x86::rax, 16);
    a.sar(x86::rax, 16);
    a.cmp(x86::rax, x86::rsi);
    a.je(ok);
  } else {
    a.mov(x86::eax, uint32_t(in.imm));
    a.cmp(x86::rsi, x86::rax);
    a.jbe(ok);
  }
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rdx, in.imm2);
  call(reinterpret_cast<const void*>(h.branch_fault));
  a.test(x86::al, x86::al);
  a.jnz(fault);
  a.bind(ok);
}

// ---- SSE (jit/frontend/lift_sse.cpp) ----
/// cpu::exec::sse_check inline; when it would fault, the helper records
/// exactly which fault.
template <> void Emitter::emit<Op::kSseCheck>(size_t, const ir::Inst& in) {
  asmjit::Label ok = a.newLabel(), bad = a.newLabel();
  a.test(x86::byte_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, cr))), uint32_t(kCr0EmTs));
  a.jnz(bad);
  a.test(x86::dword_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, cr) + 4 * 8)), uint32_t(kCr4Osfxsr));
  a.jnz(ok);
  a.bind(bad);
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rsi, in.imm2);
  call(reinterpret_cast<const void*>(&sse::check_fault));
  a.test(x86::al, x86::al);
  a.jnz(fault);
  a.bind(ok);
}
/// cpu::exec::check_align16: the linear address, segment base included as
/// the interpreter adds it.
template <> void Emitter::emit<Op::kCheckAlign16>(size_t, const ir::Inst& in) {
  asmjit::Label ok = a.newLabel();
  load(x86::rsi, in.a);
  a.mov(x86::rax, state(seg_field(uint8_t(in.imm), offsetof(cpu::SegmentCache, base))));
  a.add(x86::rax, x86::rsi);
  a.test(x86::al, 15);
  a.jz(ok);
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rsi, in.imm2);
  call(reinterpret_cast<const void*>(&sse::align_fault));
  a.jmp(fault);
  a.bind(ok);
}
/// A 16-byte access inline when the probe allows it (a 16-bit offset that
/// wraps between the halves takes the slow path, as read_m128 splits there).
void Emitter::access_x(size_t i, const ir::Inst& in, bool write) {
  load(x86::rsi, in.a);
  if (!b.inline_mem) {
    slow_x(in);
    return;
  }
  const Slow sp{a.newLabel(), a.newLabel(), i};
  if (((in.imm >> 8) & 0xff) == 2) {
    a.cmp(x86::rsi, 0xfff0);
    a.ja(sp.at);
  }
  probe(uint8_t(in.imm), 16, write, sp.at);
  const x86::Mem field = x86::xmmword_ptr(x86::rbx, int32_t(in.imm >> 16));
  if (write) {
    a.movdqu(x86::xmm0, field);
    a.movdqu(x86::xmmword_ptr(x86::rax), x86::xmm0);
  } else {
    a.movdqu(x86::xmm0, x86::xmmword_ptr(x86::rax));
    a.movdqu(field, x86::xmm0);
  }
  a.bind(sp.back);
  slow.push_back(sp);
}
void Emitter::slow_x(const ir::Inst& in) {
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rdx, in.imm);
  a.mov(x86::rcx, in.imm2);
  call(reinterpret_cast<const void*>(in.op == Op::kLoadX ? &sse::load_x : &sse::store_x));
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, faulted))), 0);
  a.jne(fault);
}
template <> void Emitter::emit<Op::kLoadX>(size_t i, const ir::Inst& in) { access_x(i, in, false); }
template <> void Emitter::emit<Op::kStoreX>(size_t i, const ir::Inst& in) { access_x(i, in, true); }

template <> void Emitter::emit<Op::kLaneEq>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  load(x86::rcx, in.b);
  a.movq(x86::xmm0, x86::rax);
  a.movq(x86::xmm1, x86::rcx);
  switch (in.imm) {
    case 1: a.pcmpeqb(x86::xmm0, x86::xmm1); break;
    case 2: a.pcmpeqw(x86::xmm0, x86::xmm1); break;
    default: a.pcmpeqd(x86::xmm0, x86::xmm1); break;
  }
  a.movq(x86::rax, x86::xmm0);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSignBits8>(size_t i, const ir::Inst& in) {
  load(x86::rax, in.a);
  a.movq(x86::xmm0, x86::rax);
  a.pmovmskb(x86::eax, x86::xmm0);  // the upper quadword is zero: bits 15:8 are clear
  store(i, x86::rax);
}

template <> void Emitter::emit<Op::kSseCompare>(size_t i, const ir::Inst& in) {
  load(x86::rsi, in.a);
  load(x86::rdx, in.b);
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::ecx, uint32_t(in.imm));
  a.mov(x86::r8, in.imm2);
  call(reinterpret_cast<const void*>(&sse::compare));
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, faulted))), 0);
  a.jne(fault);
  store(i, x86::rax);
}

using EmitFn = void (Emitter::*)(size_t, const ir::Inst&);
constexpr EmitFn kEmit[] = {
#define OP(name, ...) &Emitter::emit<Op::k##name>,
#include "jit/ir/opcodes.inc"
#undef OP
};

}  // namespace

bool emit_block(const ir::Block& b, uint64_t base, uint64_t epilogue, const Helpers& h,
                const std::vector<ExitSlot*>& slots, const void* owner, Emitted& out) {
  std::vector<Location> loc;
  if (!allocate(b, loc)) return false;
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host(), base);
  x86::Assembler a(&code);
  Emitter e{a, b, loc, h, epilogue, slots, out, a.newLabel(), a.newLabel(), 0, {}, {}};
  asmjit::Label check = a.newLabel();
  // Chained entry: leave for the dispatcher when an event can be taken
  // (cpu::event_deliverable: a request IF holds back does not count) or
  // the block would run past the budget (JitCtx::end_icount).
  out.check_entry = uint32_t(a.offset());
  a.mov(x86::rax, reinterpret_cast<uint64_t>(owner));
  a.mov(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, running))), x86::rax);
  asmjit::Label quiet = a.newLabel();
  a.mov(x86::eax, x86::dword_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, pending))));
  a.test(x86::eax, x86::eax);
  a.jz(quiet);
  a.test(x86::eax, ~uint32_t{cpu::kPendingIrq});
  a.jnz(check);
  a.test(x86::dword_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, rflags))), uint32_t{cpu::kIf});
  a.jnz(check);
  a.bind(quiet);
  a.mov(x86::rax, e.state(offsetof(cpu::CpuState, icount)));
  a.add(x86::rax, b.guest_insns);
  a.cmp(x86::rax, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, end_icount))));
  a.ja(check);
  out.body_entry = uint32_t(a.offset());
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    (e.*kEmit[unsigned(in.op)])(i, in);
  }
  a.bind(check);
  a.mov(x86::eax, uint32_t(kExitCheck));
  a.jmp(asmjit::Imm(epilogue));
  a.bind(e.leave);
  a.mov(x86::eax, uint32_t(kExitDispatch));
  a.jmp(asmjit::Imm(epilogue));
  a.bind(e.fault);
  a.mov(x86::eax, uint32_t(kExitFault));
  a.jmp(asmjit::Imm(epilogue));
  e.emit_slow_paths();
  if (out.exits.size() != slots.size()) return false;
  e.emit_stubs();
  // Direct exits to another page reach the probe once link() patches them.
  if (b.chain_inline && (e.chain_probe.isValid() || !out.exits.empty())) {
    if (!e.chain_probe.isValid()) e.chain_probe = a.newLabel();
    emit_chain_probe(e);
  }
  if (code.flatten() || code.resolveUnresolvedLinks() || code.relocateToBase(base)) return false;
  const asmjit::CodeBuffer& buf = code.textSection()->buffer();
  out.bytes.assign(buf.data(), buf.data() + buf.size());
  // The patchable jumps start out at their stubs.
  for (const Emitted::Exit& x : out.exits) {
    const int32_t rel = int32_t(x.stub) - int32_t(x.jump + 5);
    std::memcpy(out.bytes.data() + x.jump + 1, &rel, 4);
  }
  return true;
}

Trampoline emit_trampoline(uint64_t base) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host(), base);
  x86::Assembler a(&code);
  // enter(rdi = CpuState*, rsi = JitCtx*, rdx = entry): System V.
  for (const x86::Gp& r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15}) a.push(r);
  a.sub(x86::rsp, kFrame);
  a.mov(x86::rbx, x86::rdi);
  a.mov(x86::rbp, x86::rsi);
  a.jmp(x86::rdx);
  Trampoline t;
  t.epilogue = uint32_t(a.offset());
  a.add(x86::rsp, kFrame);
  for (const x86::Gp& r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) a.pop(r);
  a.ret();
  code.flatten();
  code.relocateToBase(base);
  const asmjit::CodeBuffer& buf = code.textSection()->buffer();
  t.bytes.assign(buf.data(), buf.data() + buf.size());
  return t;
}

}  // namespace kestrel::jit::x64
