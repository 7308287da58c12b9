// SPDX-License-Identifier: MIT
// Code emission for x86-64 hosts through asmjit's x86::Assembler: the
// integer and control ops (memory accesses are emit_mem.cpp, the SSE group
// emit_sse.cpp), the
// block's entry checks, exits and stubs, and the trampoline. Each IR op has
// one emit<Op> specialisation (a missing one fails to link, STYLE.md A2).
#include <cpuid.h>

#include <cstring>

#include "jit/runtime/jump_cache.h"
#include "jit/x64/emitter.h"

namespace kestrel::jit::x64 {
namespace {

/// Stack frame below the saved registers: the spill slots (+8 keeps the
/// stack 16-byte aligned at calls: six pushes and the return address).
constexpr int32_t kFrame = int32_t(kSpillSlots + 4) * 8 + 8;  // + the r9-r11 save area

}  // namespace

namespace detail {
namespace {

/// LAHF in 64-bit mode (CPUID 8000_0001h ECX bit 0): every x86-64 part
/// but the first few has it.
bool host_has_lahf() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx) && (ecx & 1);
  }();
  return has;
}

/// cpu::arith_flags for generated code (it throws nothing).
uint64_t arith_flags_of(const cpu::CpuState* s) noexcept { return cpu::arith_flags(*s); }

}  // namespace

template <> void Emitter::emit<Op::kConst>(size_t, const ir::Inst&) {}
template <> void Emitter::emit<Op::kLdGpr>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst(i);
  a.mov(d, state(offsetof(cpu::CpuState, gpr) + 8 * in.imm));
  store(i, d);
}
namespace {
/// *(u64*)(state + off) = v: from its register, as an immediate, or via rax.
void store_state(Emitter& e, uint64_t off, ir::Value v) {
  const asmjit::Operand o = e.src(v, x86::rax);
  if (o.isMem()) {
    e.a.mov(x86::rax, o.as<x86::Mem>());
    e.a.mov(e.state(off), x86::rax);
  } else if (o.isImm()) {
    e.a.mov(e.state(off), o.as<asmjit::Imm>());
  } else {
    e.a.mov(e.state(off), o.as<x86::Gp>());
  }
}
/// The host condition of an ir::Cond.
x86::CondCode host_cond(ir::Cond c) {
  switch (c) {
    case ir::Cond::kEq: return x86::CondCode::kE;
    case ir::Cond::kNe: return x86::CondCode::kNE;
    case ir::Cond::kUlt: return x86::CondCode::kB;
    case ir::Cond::kUle: return x86::CondCode::kBE;
    case ir::Cond::kSlt: return x86::CondCode::kL;
    case ir::Cond::kSle: return x86::CondCode::kLE;
  }
  return x86::CondCode::kE;
}
}  // namespace
namespace {
/// *(u32*)(state + off) = v.
void store_state32(Emitter& e, uint64_t off, ir::Value v) {
  const x86::Mem m = x86::dword_ptr(x86::rbx, int32_t(off));
  if (e.is_const(v)) {
    e.a.mov(m, uint32_t(e.b.insts[v].imm));
  } else if (e.loc[v].reg >= 0) {
    e.a.mov(m, x86::gpd(e.loc[v].reg));
  } else {
    e.load(x86::rax, v);
    e.a.mov(m, x86::eax);
  }
}
}  // namespace
void Emitter::write_lazy(const Lazy& l) {
  if (l.width == 4) store_state32(*this, uint64_t(l.off), l.v);
  else store_state(*this, uint64_t(l.off), l.v);
}
// A store with imm2 is lazy: written only where a memory access leaves or
// something calls out before the store at imm2 supersedes it.
template <> void Emitter::emit<Op::kStGpr>(size_t, const ir::Inst& in) {
  const int32_t off = int32_t(offsetof(cpu::CpuState, gpr) + 8 * in.imm);
  if (in.imm2) return defer(off, 8, in);
  store_state(*this, uint64_t(off), in.a);
}
template <> void Emitter::emit<Op::kLdField>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst(i);
  a.mov(d, state(in.imm));
  store(i, d);
}
template <> void Emitter::emit<Op::kStField>(size_t, const ir::Inst& in) {
  if (in.imm2) return defer(int32_t(in.imm), 8, in);
  store_state(*this, in.imm, in.a);
}
template <> void Emitter::emit<Op::kStField32>(size_t, const ir::Inst& in) {
  if (in.imm2) return defer(int32_t(in.imm), 4, in);
  store_state32(*this, in.imm, in.a);
}

template <> void Emitter::emit<Op::kAdd>(size_t i, const ir::Inst& in) { binop(i, in, x86::Inst::kIdAdd, true); }
template <> void Emitter::emit<Op::kSub>(size_t i, const ir::Inst& in) { binop(i, in, x86::Inst::kIdSub, false); }
template <> void Emitter::emit<Op::kAnd>(size_t i, const ir::Inst& in) { binop(i, in, x86::Inst::kIdAnd, true); }
template <> void Emitter::emit<Op::kOr>(size_t i, const ir::Inst& in) { binop(i, in, x86::Inst::kIdOr, true); }
template <> void Emitter::emit<Op::kXor>(size_t i, const ir::Inst& in) { binop(i, in, x86::Inst::kIdXor, true); }
template <> void Emitter::emit<Op::kMul>(size_t i, const ir::Inst& in) {
  binop(i, in, x86::Inst::kIdImul, true, false);
}

template <> void Emitter::emit<Op::kShl>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst_with(i, in.a);
  if (in.imm >= 64) a.xor_(d.r32(), d.r32());
  else if (in.imm) a.shl(d, unsigned(in.imm));
  store(i, d);
}
template <> void Emitter::emit<Op::kShr>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst_with(i, in.a);
  if (in.imm >= 64) a.xor_(d.r32(), d.r32());
  else if (in.imm) a.shr(d, unsigned(in.imm));
  store(i, d);
}
template <> void Emitter::emit<Op::kZext>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst_with(i, in.a);
  switch (in.imm) {
    case 1: a.movzx(d.r32(), d.r8()); break;
    case 2: a.movzx(d.r32(), d.r16()); break;
    case 4: a.mov(d.r32(), d.r32()); break;
    default: break;
  }
  store(i, d);
}
template <> void Emitter::emit<Op::kSext>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst_with(i, in.a);
  switch (in.imm) {
    case 1: a.movsx(d, d.r8()); break;
    case 2: a.movsx(d, d.r16()); break;
    case 4: a.movsxd(d, d.r32()); break;
    default: break;
  }
  store(i, d);
}
/// The compare; when its one user is the next instruction's branch, the
/// host flags carry the result there (emit<kExitIf>) and no setcc is needed.
template <> void Emitter::emit<Op::kCmp>(size_t i, const ir::Inst& in) {
  x86::Gp x = x86::rax;
  if (!is_const(in.a) && loc[in.a].reg >= 0) x = x86::gpq(loc[in.a].reg);
  else load(x86::rax, in.a);
  if (is_const(in.b) && b.insts[in.b].imm == 0) a.test(x, x);  // the same flags for these conditions
  else a.emit(x86::Inst::kIdCmp, x, src(in.b, x86::rcx));
  size_t next = i + 1;
  while (next < b.insts.size() && b.insts[next].dead) ++next;
  const Op user = next < b.insts.size() ? b.insts[next].op : Op::kConst;
  if (uses[i] == 1 && (user == Op::kExitIf || user == Op::kSelect) && b.insts[next].a == i) {
    fused = ir::Value(i);
    return;
  }
  const x86::Gp d = dst(i);
  a.set(host_cond(ir::Cond(in.imm)), d.r8());
  a.movzx(d.r32(), d.r8());
  store(i, d);
}
namespace {
/// A shift by a count known at run time: the host's takes it in CL and
/// masks it to 6 bits as the IR op says.
void shift_by_cl(Emitter& e, size_t i, const ir::Inst& in, asmjit::InstId id) {
  e.load(x86::rcx, in.b);  // first: the result's register may be the count's
  const x86::Gp d = e.dst_with(i, in.a);
  e.a.emit(id, d, x86::cl);
  e.store(i, d);
}
}  // namespace
template <> void Emitter::emit<Op::kShlV>(size_t i, const ir::Inst& in) { shift_by_cl(*this, i, in, x86::Inst::kIdShl); }
template <> void Emitter::emit<Op::kShrV>(size_t i, const ir::Inst& in) { shift_by_cl(*this, i, in, x86::Inst::kIdShr); }
template <> void Emitter::emit<Op::kSarV>(size_t i, const ir::Inst& in) { shift_by_cl(*this, i, in, x86::Inst::kIdSar); }
template <> void Emitter::emit<Op::kSar>(size_t i, const ir::Inst& in) {
  const x86::Gp d = dst_with(i, in.a);
  a.sar(d, unsigned(in.imm >= 64 ? 63 : in.imm));
  store(i, d);
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
  if (fused == in.a) {
    // The compare's flags choose: the result's register takes one value
    // and CMOVcc the other (MOV leaves the flags alone).
    fused = ir::kNone;
    x86::CondCode cc = host_cond(ir::Cond(b.insts[in.a].imm));
    const x86::Gp d = dst(i);
    ir::Value base = in.c, other = in.b;
    if (in_reg(in.b, d)) {
      std::swap(base, other);
      cc = x86::negateCond(cc);
    }
    load(d, base);
    asmjit::Operand o = src(other, x86::rcx, false);
    if (o.isReg()) a.cmov(cc, d, o.as<x86::Gp>());
    else a.cmov(cc, d, o.as<x86::Mem>());
    store(i, d);
    return;
  }
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
  // The host's PF/ZF/SF are the guest's: same definitions, same bit
  // numbers, and LAHF puts them (with CF, AF and bit 1) in AH.
  if (host_has_lahf()) {
    a.lahf();
    a.movzx(x86::eax, x86::ah);
    a.and_(x86::eax, int32_t(cpu::kSf | cpu::kZf | cpu::kPf));
  } else {
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
  }
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
  pending += uint32_t(in.imm);
}
namespace {

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
  // The tag: generation << 16 | mode (the privilege is the block's own),
  // or global generation << 16 | kGlobalTag | mode.
  const asmjit::Label hit = a.newLabel();
  a.mov(x86::rdx, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, tlb_generation))));
  a.mov(x86::rax, x86::qword_ptr(x86::rdx));
  a.shl(x86::rax, 16);
  a.or_(x86::rax, int32_t(e.b.mode));
  a.cmp(x86::rax, x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, tag))));
  a.je(hit);
  a.mov(x86::rax, x86::qword_ptr(x86::rdx, 8));
  a.shl(x86::rax, 16);
  a.or_(x86::rax, int32_t(e.b.mode | JumpCache::kGlobalTag));
  a.cmp(x86::rax, x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, tag))));
  a.jne(miss);
  a.bind(hit);
  a.add(x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, chained_inline))), 1);
  a.jmp(x86::qword_ptr(x86::rcx, int32_t(offsetof(Entry, code))));
  a.bind(miss);
  chain_or_leave(e);
}
}  // namespace

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
  if (fused == in.a) {
    a.j(x86::negateCond(host_cond(ir::Cond(b.insts[in.a].imm))), skip);
    fused = ir::kNone;
  } else if (!is_const(in.a) && loc[in.a].reg >= 0) {
    a.test(x86::gpq(loc[in.a].reg), x86::gpq(loc[in.a].reg));
    a.jz(skip);
  } else {
    load(x86::rax, in.a);
    a.test(x86::rax, x86::rax);
    a.jz(skip);
  }
  count_pending(false);
  write_dirty(false);
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
  if (b.chain_probe_at) {
    a.jmp(asmjit::Imm(b.chain_probe_at));
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

}  // namespace detail

namespace {

using detail::Emitter;
namespace x86 = asmjit::x86;

using EmitFn = void (Emitter::*)(size_t, const ir::Inst&);
constexpr EmitFn kEmit[] = {
#define OP(name, ...) &Emitter::emit<ir::Op::k##name>,
#include "jit/ir/opcodes.inc"
#undef OP
};

}  // namespace

struct Workspace::Impl {
  asmjit::CodeHolder code;  ///< reset, not freed, between blocks (its zone stays)
  std::vector<Location> loc;
  // The Emitter's vectors, lent to it for one block (their capacity kept).
  std::vector<Emitter::Lazy> saved, dirty;
  std::vector<Emitter::Slow> slow;
  std::vector<Emitter::StopExit> stops;
  std::vector<uint32_t> uses;
  std::vector<ir::Value> caller_saved;
};

namespace {

/// Lends the workspace's vectors to `e` for one block and takes them back.
class Lend {
 public:
  Lend(Workspace::Impl& ws, Emitter& e) : ws_(ws), e_(e) { swap_all(); }
  ~Lend() { swap_all(); }
  Lend(const Lend&) = delete;
  Lend& operator=(const Lend&) = delete;

 private:
  void swap_all() {
    std::swap(ws_.saved, e_.saved);
    std::swap(ws_.dirty, e_.dirty);
    std::swap(ws_.slow, e_.slow);
    std::swap(ws_.stops, e_.stops);
    std::swap(ws_.uses, e_.uses);
    std::swap(ws_.caller_saved, e_.caller_saved);
    e_.saved.clear();
    e_.dirty.clear();
    e_.slow.clear();
    e_.stops.clear();
    e_.uses.clear();
    e_.caller_saved.clear();
  }
  Workspace::Impl& ws_;
  Emitter& e_;
};

}  // namespace

Workspace::Workspace() : impl_(std::make_unique<Impl>()) {}
Workspace::~Workspace() = default;

bool emit_block(Workspace& ws, const ir::Block& b, uint64_t base, uint64_t epilogue, const Helpers& h,
                const std::vector<ExitSlot*>& slots, const void* owner, Emitted& out) {
  std::vector<Location>& loc = ws.impl().loc;
  if (!allocate(b, loc)) return false;
  asmjit::CodeHolder& code = ws.impl().code;
  code.reset();
  code.init(asmjit::Environment::host(), base);
  x86::Assembler a(&code);
  Emitter e{a, b, loc, h, epilogue, slots, out, a.newLabel(), a.newLabel(), {}, {}, {}, {}, {}};
  e.owner = owner;
  const Lend lend(ws.impl(), e);
  e.uses.assign(b.insts.size(), 0);
  for (const ir::Inst& in : b.insts) {
    if (in.dead) continue;
    for (ir::Value v : {in.a, in.b, in.c}) {
      if (v != ir::kNone) ++e.uses[v];
    }
  }
  asmjit::Label check = a.newLabel();
  // Chained entry: leave for the dispatcher when the block would run past
  // the budget (JitCtx::end_icount). Events need no test here: within a
  // slice only a helper or a handler can make one deliverable (devices
  // run on this thread, and the clock's deadlines end slices), and both
  // leave the block when they do (note_stop and CheckStop; call_insn); the
  // dispatcher, the chain helper and the inline probe (JitCtx::stop first)
  // check before they enter a block.
  out.check_entry = uint32_t(a.offset());
  a.mov(x86::rax, e.state(offsetof(cpu::CpuState, icount)));
  a.add(x86::rax, b.guest_insns);
  a.cmp(x86::rax, x86::qword_ptr(x86::rbp, int32_t(offsetof(JitCtx, end_icount))));
  a.ja(check);
  out.body_entry = uint32_t(a.offset());
  for (size_t v = 0; v < b.insts.size(); ++v) {
    if (!b.insts[v].dead && loc[v].reg >= 0 && loc[v].reg < 12) e.caller_saved.push_back(ir::Value(v));
  }
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.dead) continue;
    e.cur = i;
    e.expire(i);
    // icount is exact before anything that calls out or leaves; Load,
    // Store, CheckStop and ExitIf do it on their out-of-line paths only.
    const ir::Effect eff = ir::info(in.op).effect;
    using ir::Op;
    const bool own = in.op == Op::kLoad || in.op == Op::kStore || in.op == Op::kCheckStop ||
                     in.op == Op::kExitIf;
    if (!own && (eff == ir::Effect::kMemory || eff == ir::Effect::kCall || eff == ir::Effect::kExit)) {
      e.count_pending(true);
      e.write_dirty(true);
    }
    (e.*kEmit[unsigned(in.op)])(i, in);
  }
  if (e.pending) return false;  // a block ends in an exit, which counts
  a.bind(check);
  // The dispatcher takes over at this block's start; a chained jump here
  // did not store rIP (Emitter::direct_exit).
  a.mov(x86::rax, b.guest_rip);
  a.mov(e.state(offsetof(cpu::CpuState, rip)), x86::rax);
  a.mov(x86::eax, uint32_t(kExitCheck));
  a.jmp(asmjit::Imm(epilogue));
  a.bind(e.leave);
  a.mov(x86::eax, uint32_t(kExitDispatch));
  a.jmp(asmjit::Imm(epilogue));
  a.bind(e.fault);
  a.mov(x86::eax, uint32_t(kExitFault));
  a.jmp(asmjit::Imm(epilogue));
  e.emit_slow_paths();
  e.emit_stop_exits();
  if (out.exits.size() != slots.size()) return false;
  e.emit_stubs();
  // The probe itself, when an ExitIndirect here jumped to it: only the stub
  // of JitEngine::Impl::probe_for, since every block of a key with a probe
  // jumps to that stub (ir::Block::chain_probe_at).
  if (e.chain_probe.isValid()) detail::emit_chain_probe(e);
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
