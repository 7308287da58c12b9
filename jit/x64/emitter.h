// SPDX-License-Identifier: MIT
// The x86-64 emitter's state and its per-op member functions, shared by the
// files that define them (emit.cpp: the integer and control ops and
// emit_block; emit_mem.cpp: Load, Store, the TLB probe and slow paths;
// emit_sse.cpp: the SSE group). Operations work on their values' homes (a
// register, a stack slot, an immediate), rax/rcx being scratch; CpuState is
// [rbx + offsetof], JitCtx is [rbp + offsetof].
#pragma once

#include <asmjit/x86.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
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
  /// A lazy state store (StGpr, StField, StField32 with imm2) not yet
  /// written: the value the field holds until the store at `until`
  /// supersedes it (passes/reg_cache.cpp, dead_flags.cpp).
  struct Lazy {
    int32_t off;     ///< CpuState offset
    uint8_t width;   ///< 8 or 4 bytes
    ir::Value v;
    uint64_t until;
  };
  /// Lazy stores due on an out-of-line path: saved[first, first + count).
  struct Due {
    uint32_t first = 0, count = 0;
  };
  /// The dirty stores of every out-of-line path, one copy after another
  /// (one vector per block rather than one per path).
  std::vector<Lazy> saved = {};
  Due save_dirty() {
    const Due d{uint32_t(saved.size()), uint32_t(dirty.size())};
    saved.insert(saved.end(), dirty.begin(), dirty.end());
    return d;
  }
  /// Out-of-line slow paths of inlined memory accesses (emitted after the body).
  struct Slow {
    asmjit::Label at, back;
    size_t i;
    uint32_t pending = 0;  ///< instructions the helper's icount must include
    Due stores = {};       ///< lazy state stores due
  };
  std::vector<Slow> slow;
  /// Out-of-line exits of CheckStop (emitted after the body): the fast
  /// path only tests JitCtx::stop and falls through.
  struct StopExit {
    asmjit::Label at;
    uint64_t rip;  ///< the next instruction's
    uint32_t pending = 0;
    Due stores = {};
  };
  std::vector<StopExit> stops;
  asmjit::Label chain_probe;  ///< emit_chain_probe's, made when first needed
  std::vector<uint32_t> uses;  ///< live users of each value
  /// A Cmp whose only user, the next instruction, branches on the host's
  /// flags as the Cmp left them (no setcc), or kNone.
  ir::Value fused = ir::kNone;
  const void* owner = nullptr;  ///< the CompiledBlock (JitCtx::running), or none
  size_t cur = 0;               ///< the instruction being emitted (its slow path's)
  std::vector<ir::Value> caller_saved = {};  ///< values living in r9-r11
  /// Instructions retired (Op::kAddIcount) but not yet added to
  /// CpuState::icount: the add happens where something can see it (an
  /// exit, a call, a slow path's helper), not once per memory access,
  /// whose adds would chain through memory.
  uint32_t pending = 0;
  x86::Mem icount() const { return state(offsetof(cpu::CpuState, icount)); }
  std::vector<Lazy> dirty = {};
  /// Notes the lazy store `in`, replacing an older one of the same field.
  void defer(int32_t off, uint8_t width, const ir::Inst& in) {
    std::erase_if(dirty, [&](const Lazy& l) { return l.off == off; });
    dirty.push_back({off, width, in.a, in.imm2});
  }
  /// Forgets the lazy stores superseded by instruction i or earlier.
  void expire(size_t i) {
    std::erase_if(dirty, [&](const Lazy& l) { return l.until <= i; });
  }
  void write_lazy(const Lazy& l);
  void write_due(const std::vector<Lazy>& d) {
    for (const Lazy& l : d) write_lazy(l);
  }
  void write_due(Due d) {
    for (uint32_t k = d.first; k < d.first + d.count; ++k) write_lazy(saved[k]);
  }
  /// The lazy stores written here; `settle` when the path goes on.
  void write_dirty(bool settle) {
    write_due(dirty);
    if (settle) dirty.clear();
  }
  /// icount += pending in generated code; `settle` when the path goes on.
  void count_pending(bool settle) {
    if (pending) a.add(icount(), pending);
    if (settle) pending = 0;
  }

  x86::Mem slot(int16_t s) const { return x86::qword_ptr(x86::rsp, int32_t(s) * 8); }
  x86::Mem state(uint64_t off) const { return x86::qword_ptr(x86::rbx, int32_t(off)); }

  void load(const x86::Gp& dst, ir::Value v) {
    const ir::Inst& d = b.insts[v];
    if (d.op == Op::kConst) {
      a.mov(dst, d.imm);
    } else if (loc[v].reg >= 0) {
      if (uint32_t(loc[v].reg) != dst.id()) a.mov(dst, x86::gpq(loc[v].reg));
    } else {
      a.mov(dst, slot(loc[v].slot));
    }
  }
  void store(size_t i, const x86::Gp& src) {
    if (loc[i].reg >= 0) {
      if (uint32_t(loc[i].reg) != src.id()) a.mov(x86::gpq(loc[i].reg), src);
    } else if (loc[i].slot >= 0) {
      a.mov(slot(loc[i].slot), src);
    }
  }
  bool is_const(ir::Value v) const { return b.insts[v].op == Op::kConst; }
  /// Whether `v` lives in host register `r` (a constant lives nowhere).
  bool in_reg(ir::Value v, const x86::Gp& r) const { return !is_const(v) && loc[v].reg == int(r.id()); }
  /// `v` as a source operand: an immediate when `imm` allows and the
  /// constant sign-extends from 32 bits, else its register, its slot, or
  /// the constant loaded into `scratch`.
  asmjit::Operand src(ir::Value v, const x86::Gp& scratch, bool imm = true) {
    const ir::Inst& d = b.insts[v];
    if (d.op == Op::kConst) {
      if (imm && int64_t(d.imm) == int64_t(int32_t(d.imm))) return asmjit::Imm(int64_t(d.imm));
      a.mov(scratch, d.imm);
      return scratch;
    }
    if (loc[v].reg >= 0) return x86::gpq(loc[v].reg);
    return slot(loc[v].slot);
  }
  /// The register instruction i computes its result in: its own, or rax
  /// when it lives in a stack slot (store() then puts it there).
  x86::Gp dst(size_t i) const { return loc[i].reg >= 0 ? x86::gpq(loc[i].reg) : x86::rax; }
  /// dst(i) holding `v` (the first operand of a two-address operation).
  x86::Gp dst_with(size_t i, ir::Value v) {
    const x86::Gp d = dst(i);
    load(d, v);
    return d;
  }
  /// d = a OP b for a two-address host instruction `id`.
  void binop(size_t i, const ir::Inst& in, asmjit::InstId id, bool commutative, bool imm = true) {
    const x86::Gp d = dst(i);
    ir::Value x = in.a, y = in.b;
    if (commutative && (in_reg(y, d) || is_const(x))) std::swap(x, y);
    // A sum into a third register: one LEA.
    if (id == x86::Inst::kIdAdd && !is_const(x) && loc[x].reg >= 0 && !in_reg(x, d) && !in_reg(y, d)) {
      const x86::Gp xr = x86::gpq(loc[x].reg);
      const ir::Inst& yd = b.insts[y];
      if (yd.op == Op::kConst && int64_t(yd.imm) == int64_t(int32_t(yd.imm))) {
        a.lea(d, x86::ptr(xr, int32_t(yd.imm)));
        store(i, d);
        return;
      }
      if (yd.op != Op::kConst && loc[y].reg >= 0) {
        a.lea(d, x86::ptr(xr, x86::gpq(loc[y].reg)));
        store(i, d);
        return;
      }
    }
    if (in_reg(y, d)) {  // y lives where the result goes: compute in rax
      load(x86::rax, x);
      a.emit(id, x86::rax, src(y, x86::rcx, imm));
      a.mov(d, x86::rax);
    } else if (id == x86::Inst::kIdAnd && is_const(y) && b.insts[y].imm >> 31 == 1) {
      // A mask of bits 31..0 that sign-extension would widen: the 32-bit
      // AND, which clears the upper half as the mask does.
      load(d, x);
      a.and_(d.r32(), uint32_t(b.insts[y].imm));
    } else {
      load(d, x);
      a.emit(id, d, src(y, x86::rcx, imm));
    }
    store(i, d);
  }
  /// A helper call. JitCtx::running names this block first: a helper that
  /// writes code needs it (a chained entry does not store it).
  void call(const void* fn) {
    // r9-r11 values that outlive the instruction being emitted.
    uint32_t saved = 0;
    for (const ir::Value v : caller_saved) {
      if (v < cur && loc[v].until > cur) {
        const int r = loc[v].reg;
        if (!(saved >> r & 1)) a.mov(save_slot(r), x86::gpq(r));
        saved |= 1u << r;
      }
    }
    if (owner) {
      a.mov(x86::rax, reinterpret_cast<uint64_t>(owner));
      a.mov(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, running))), x86::rax);
    }
    a.mov(x86::rax, reinterpret_cast<uint64_t>(fn));
    a.call(x86::rax);
    for (int r = 0; r < 16; ++r) {
      if (saved >> r & 1) a.mov(x86::gpq(r), save_slot(r));
    }
  }
  /// Where call() keeps r9-r11 (the frame's words after the spill slots).
  x86::Mem save_slot(int r) const { return slot(int16_t(kSpillSlots + (r - 9))); }
  /// The patchable jump (E9 rel32) to `target`'s stub. rIP is stored first
  /// only for a target on another linear page, whose link goes through the
  /// jump-cache probe (JitEngine::Impl::link); a jump within the page links
  /// straight to the target block, which knows its own rIP, and the stub
  /// stores it for the dispatcher.
  void direct_exit(uint64_t target) {
    if (((b.cs_base + target) ^ (b.cs_base + b.guest_rip)) & mmu::kPageMask) {
      a.mov(x86::rax, target);
      a.mov(state(offsetof(cpu::CpuState, rip)), x86::rax);
    }
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
      a.mov(x86::rax, out.exits[k].target_rip);
      a.mov(state(offsetof(cpu::CpuState, rip)), x86::rax);
      a.mov(x86::rcx, reinterpret_cast<uint64_t>(slots[k]));
      a.mov(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, exit_slot))), x86::rcx);
      a.mov(x86::eax, uint32_t(kExitChain));
      a.jmp(asmjit::Imm(epilogue));
    }
  }

  /// The host address of the access of `size` bytes at seg:`off` (an
  /// operand based on rax), or a jump to `slow_at` for whatever
  /// Cpu::read/write would not do on their fast path (emit_mem.cpp). Only
  /// rax, rcx and r8 change.
  x86::Mem probe(uint8_t seg, unsigned size, bool write, asmjit::Label slow_at,
                 const x86::Gp& off = x86::rsi, int32_t disp = 0);
  /// A Load's or Store's displacement, added to its address operand
  /// (passes/simplify.cpp folds it there in 64-bit mode).
  static int32_t displacement(const ir::Inst& in) { return int32_t(in.imm >> 32); }
  static int32_t seg_field(uint8_t seg, size_t field) {
    return int32_t(offsetof(cpu::CpuState, seg) + seg * sizeof(cpu::SegmentCache) + field);
  }
  /// The register holding `v` for an address: its own, else `v` loaded into rsi.
  x86::Gp addr_reg(ir::Value v);
  /// The helper call of a Load (offset in rsi; result in rax) or a Store
  /// (offset in rsi, value in rdx): Cpu::read/write with every check.
  void slow_access(size_t, const ir::Inst& in);
  /// The out-of-line slow paths, after the body.
  void emit_slow_paths();
  void quick_scalar(ir::SseOp op, unsigned size, asmjit::Label slow);
  void emit_stop_exits();
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
