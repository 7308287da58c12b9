// SPDX-License-Identifier: MIT
// The emitter's memory accesses: Load and Store with the software-TLB probe
// inline (Cpu::linear's checks from the segment cache, the TLB entry of
// the block's privilege, the tag of the access's last byte), their
// out-of-line slow paths through the noexcept helpers with icount and the
// lazy stores made exact first, and CheckStop.
#include "jit/x64/emitter.h"

namespace kestrel::jit::x64::detail {

/// The host address of the access of `size` bytes at seg:`off`, as a
/// memory operand of that size based on rax, or a jump to `slow_at` for
/// whatever Cpu::read/write would not do on their fast path:
/// cpu::Cpu::linear/linear64's checks (a failure faults there), a
/// page-crossing access, misalignment at CPL 3 (#AC), a TLB miss or an
/// entry without the fast path (MMIO, ROM, code pages, watches). Only rax,
/// rcx and r8 change.
x86::Mem Emitter::probe(uint8_t seg, unsigned size, bool write, asmjit::Label slow_at, const x86::Gp& off,
                        int32_t disp) {
  static_assert(sizeof(mmu::TlbEntry) == 32);
  // The linear address: `off` (+ `disp`, only there) for 64-bit mode's
  // flat segments, else rax.
  x86::Gp lin = x86::rax;
  if (b.long64) {
    if (seg == cpu::kFs || seg == cpu::kGs) {
      a.mov(x86::rax, state(seg_field(seg, offsetof(cpu::SegmentCache, base))));
      a.add(x86::rax, off);
    } else {
      lin = off;
    }
    // No canonical check here: the TLB holds only pages that canonical
    // addresses (48 or 57 bits, as paging is set up) were translated
    // for, so a non-canonical address misses the tag below and takes
    // the slow path, which raises #GP or #SS. Its last byte is in the
    // same page (checked below) and so canonical too.
  } else {
    a.mov(x86::ecx, x86::dword_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, lo))));
    a.cmp(off, x86::rcx);
    a.jb(slow_at);
    a.lea(x86::rax, x86::ptr(off, int32_t(size - 1)));
    a.mov(x86::ecx, x86::dword_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, limit))));
    a.cmp(x86::rax, x86::rcx);
    a.ja(slow_at);
    a.test(x86::byte_ptr(x86::rbx, seg_field(seg, offsetof(cpu::SegmentCache, rights))),
           write ? cpu::kSegWritable : cpu::kSegReadable);
    a.jz(slow_at);
    a.mov(x86::rax, state(seg_field(seg, offsetof(cpu::SegmentCache, base))));
    a.add(x86::rax, off);
    a.mov(x86::eax, x86::eax);  // linear addresses are 32 bits wide here
  }
  // The tag compared is that of the access's last byte: one that crosses
  // into the next page misses and takes the slow path. Misaligned at
  // CPL 3 may owe #AC (Cpu::check_alignment): the slow path decides.
  // ecx = the linear address's low half.
  if (disp) a.lea(x86::ecx, x86::ptr(lin, disp));
  else a.mov(x86::ecx, lin.r32());
  if (size > 1 && b.cpl3()) {
    a.test(x86::cl, size - 1);
    a.jnz(slow_at);
  }
  const int32_t last = disp + (size > 1 && !b.cpl3() ? int32_t(size - 1) : 0);
  if (last) a.lea(x86::r8, x86::ptr(lin, last));
  else a.mov(x86::r8, lin);
  a.and_(x86::r8, int32_t(mmu::kPageMask));
  // The entry: tlb[cpl == 3][(lin >> 12) & (kTlbSize - 1)] (Cpu::priv();
  // the privilege is the block's, part of its key), addressed from
  // CpuState when the TLB is near enough (ir::Block::tlb_from_state).
  a.shr(x86::ecx, mmu::kPageBits - 5);
  a.and_(x86::ecx, (mmu::kTlbSize - 1) << 5);
  int32_t array = b.cpl3() ? int32_t(mmu::kTlbSize * sizeof(mmu::TlbEntry)) : 0;
  x86::Gp base = x86::rcx;
  if (b.tlb_from_state) {
    array += int32_t(b.tlb_from_state);
    base = x86::rbx;
  } else {
    a.add(x86::rcx, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, tlb))));
  }
  const auto entry = [&](size_t field) {
    return b.tlb_from_state ? x86::qword_ptr(base, x86::rcx, 0, array + int32_t(field))
                            : x86::qword_ptr(base, array + int32_t(field));
  };
  a.cmp(x86::r8, entry(write ? offsetof(mmu::TlbEntry, write_tag) : offsetof(mmu::TlbEntry, read_tag)));
  a.jne(slow_at);
  x86::Mem host = x86::ptr(x86::rax);
  if (lin == x86::rax) {
    a.add(x86::rax, entry(offsetof(mmu::TlbEntry, addend)));
  } else {
    a.mov(x86::rax, entry(offsetof(mmu::TlbEntry, addend)));
    host = x86::ptr(x86::rax, lin, 0, disp);
  }
  host.setSize(size);
  return host;
}
/// The register holding `v` for an address: its own, else `v` loaded into rsi.
x86::Gp Emitter::addr_reg(ir::Value v) {
  if (!is_const(v) && loc[v].reg >= 0) return x86::gpq(loc[v].reg);
  load(x86::rsi, v);
  return x86::rsi;
}
/// The helper call of a Load (offset in rsi; result in rax) or a Store
/// (offset in rsi, value in rdx): Cpu::read/write with every check.
void Emitter::slow_access(size_t, const ir::Inst& in) {
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
void Emitter::emit_slow_paths() {
  for (const Slow& sp : slow) {
    cur = sp.i;
    a.bind(sp.at);
    if (sp.pending) a.add(icount(), sp.pending);  // exact for the helper and a fault
    write_due(sp.stores);
    const ir::Inst& in = b.insts[sp.i];
    if (in.op == Op::kLoad || in.op == Op::kStore) {
      load(x86::rsi, in.a);  // the fast path kept them where they live
      if (const int32_t disp = displacement(in)) a.lea(x86::rsi, x86::ptr(x86::rsi, disp));
    }
    if (in.op == Op::kStore) load(x86::rdx, in.b);
    slow_access(sp.i, in);
    if (sp.pending) a.sub(icount(), sp.pending);
    if (in.op == Op::kLoad && loc[sp.i].reg >= 0) store(sp.i, x86::rax);
    a.jmp(sp.back);
  }
}

template <> void Emitter::emit<Op::kLoad>(size_t i, const ir::Inst& in) {
  if (!b.inline_mem) {
    load(x86::rsi, in.a);
    count_pending(true);
    write_dirty(true);
    slow_access(i, in);
    store(i, x86::rax);
    return;
  }
  const Slow sp{a.newLabel(), a.newLabel(), i, pending, save_dirty()};
  const unsigned size = unsigned(in.imm >> 8) & 0xff;
  const x86::Mem host = probe(uint8_t(in.imm), size, false, sp.at, addr_reg(in.a), displacement(in));
  // Straight into the result's register (the slow path moves it there).
  const x86::Gp d = dst(i);
  switch (size) {
    case 1: case 2: a.movzx(d.r32(), host); break;
    case 4: a.mov(d.r32(), host); break;
    default: a.mov(d, host); break;
  }
  a.bind(sp.back);
  if (loc[i].reg < 0) store(i, x86::rax);
  slow.push_back(sp);
}
template <> void Emitter::emit<Op::kStore>(size_t i, const ir::Inst& in) {
  if (!b.inline_mem) {
    load(x86::rsi, in.a);
    load(x86::rdx, in.b);
    count_pending(true);
    write_dirty(true);
    slow_access(i, in);
    return;
  }
  const Slow sp{a.newLabel(), a.newLabel(), i, pending, save_dirty()};
  const unsigned size = unsigned(in.imm >> 8) & 0xff;
  const x86::Mem host = probe(uint8_t(in.imm), size, true, sp.at, addr_reg(in.a), displacement(in));
  // The value from where it lives: an immediate (a quadword's only when it
  // sign-extends from 32 bits), its register, else rdx (the slow path loads
  // rdx itself).
  const bool konst = is_const(in.b);
  const uint64_t k = konst ? b.insts[in.b].imm : 0;
  const bool imm = konst && (size < 8 || int64_t(k) == int64_t(int32_t(k)));
  x86::Gp v = x86::rdx;
  if (!konst && loc[in.b].reg >= 0) v = x86::gpq(loc[in.b].reg);
  else if (!imm) load(x86::rdx, in.b);
  if (imm) {
    a.mov(host, asmjit::Imm(size == 8 ? int64_t(int32_t(k)) : int64_t(k & (~uint64_t{0} >> (64 - 8 * size)))));
  } else {
    switch (size) {
      case 1: a.mov(host, v.r8()); break;
      case 2: a.mov(host, v.r16()); break;
      case 4: a.mov(host, v.r32()); break;
      default: a.mov(host, v); break;
    }
  }
  a.bind(sp.back);
  slow.push_back(sp);
}
template <> void Emitter::emit<Op::kCheckStop>(size_t, const ir::Inst& in) {
  const StopExit st{a.newLabel(), in.imm, pending, save_dirty()};
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, stop))), 0);
  a.jne(st.at);
  stops.push_back(st);
}
void Emitter::emit_stop_exits() {
  for (const StopExit& st : stops) {
    a.bind(st.at);
    if (st.pending) a.add(icount(), st.pending);
    write_due(st.stores);
    a.mov(x86::rax, st.rip);
    a.mov(state(offsetof(cpu::CpuState, rip)), x86::rax);
    a.jmp(leave);
  }
}

}  // namespace kestrel::jit::x64::detail
