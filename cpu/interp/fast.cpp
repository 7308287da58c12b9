// SPDX-License-Identifier: MIT
// Specialised handlers (see fast.h). Each one is the generic handler of its
// form with the tests that the decoded instruction answers once and for all
// (operand size, register or memory, base and index present, 64-bit mode)
// taken out; a memory operand without a fast path goes back to the generic
// handler through the caller (Cpu::fast_note).
#include "cpu/interp/fast.h"

#include <array>
#include <cstring>
#include <type_traits>

#include "cpu/flags.h"
#include "cpu/interp/cc_table.h"
#include "cpu/interp/fast_alu.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

// ---- 64-bit mode memory operands ----
// A block decoded for 64-bit code only runs in 64-bit mode (the block key
// holds the code size), so Cpu::read/write would take their linear64 branch.

/// How a 64-bit-mode memory operand with a base register is addressed,
/// settled at decode time: with an index register or not, and whether
/// its segment (FS or GS) adds a base.
enum Addr : unsigned { kBase = 0, kIndexed = 1, kSegBase = 2 };

/// base + disp (+ index << scale) at the 64-bit address size, base a GPR.
template <unsigned kAddr> uint64_t ea64(const CpuState& s, const DecodedInsn& i) {
  uint64_t ea = uint64_t(i.disp) + s.gpr[i.base];
  if constexpr (kAddr & kIndexed) ea += s.gpr[i.index] << i.scale;
  return ea;
}

/// The linear address of seg:off in 64-bit mode, before any check: only
/// FS and GS add their base (kSegBase).
template <unsigned kAddr>
[[gnu::always_inline]] inline uint64_t flat64(const Cpu& cpu, uint8_t seg, uint64_t off) {
  if constexpr (kAddr & kSegBase) return cpu.s.seg[seg].base + off;
  return off;
}

/// What a handler does with its memory operand.
enum class Use { kRead, kWrite, kReadWrite };

/// Where an aligned T at seg:off (64-bit mode) lives on the host, in
/// `host`, when the TLB holds its page with a fast path for `kUse`. It
/// needs no canonical check: the TLB holds only pages that canonical
/// addresses were translated for (jit/x64/emit_mem.cpp's probe relies on
/// the same), and an aligned access stays within its page. Pages that
/// code, a watch or a data breakpoint lives on, and MMIO, have no fast
/// path for the accesses those need to see.
template <class T, Use kUse, unsigned kAddr>
[[gnu::always_inline]] inline bool host64(const Cpu& cpu, uint8_t seg, uint64_t off, uintptr_t& host) {
  const uint64_t lin = flat64<kAddr>(cpu, seg, off);
  const mmu::TlbEntry& e = cpu.tlb_entry(lin);
  const uint64_t page = lin & mmu::kPageMask;
  bool hit;
  if constexpr (kUse == Use::kRead) hit = e.read_tag == page;
  else if constexpr (kUse == Use::kWrite) hit = e.write_tag == page;
  else hit = (e.read_tag == page) & (e.write_tag == page);
  host = lin + e.addend;
  return hit && !(lin & (sizeof(T) - 1));
}
template <class T> T load(uintptr_t host) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(host), sizeof(T));
  return v;
}
template <class T> void store(uintptr_t host, T v) { std::memcpy(reinterpret_cast<void*>(host), &v, sizeof(T)); }

/// The way out of a handler whose operand has no fast path, taken before
/// it changes anything: the caller runs the form's generic handler, which
/// makes every check (kFastMiss). With no slow path of their own, the
/// handlers need no stack frame.
inline void miss(Cpu& cpu) { cpu.fast_note = kFastMiss; }

// ---- ADD SUB AND OR XOR CMP TEST at operand size 4 or 8 ----
// The result and flags record as fast_alu.h has them, the record written
// after the result.

using fast::alu;
using fast::apply;
using fast::Op;
using fast::record;
using fast::writes;

/// The second operand of each encoding shape, sign-extended as alu.cpp does.
enum class Src { kG, kIb, kIz };
template <Src kSrc, class T> T source(const CpuState& s, const DecodedInsn& i) {
  if constexpr (kSrc == Src::kG) return read_gpr<T>(s, i.reg);
  else if constexpr (kSrc == Src::kIb) return T(int64_t(int8_t(i.imm)));
  else return T(int64_t(int32_t(i.imm)));
}

/// E op= source, E a register (rm).
template <Op kOp, Src kSrc, class T> void alu_e_reg(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  const T r = alu<kOp, T>(s, read_gpr<T>(s, i.rm), source<kSrc, T>(s, i));
  if constexpr (writes(kOp)) write_gpr<T>(s, i.rm, r);
}
/// G op= E, E a register.
template <Op kOp, class T> void alu_g_reg(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  const T r = alu<kOp, T>(s, read_gpr<T>(s, i.reg), read_gpr<T>(s, i.rm));
  if constexpr (writes(kOp)) write_gpr<T>(s, i.reg, r);
}
/// rAX op= Iz.
template <Op kOp, class T> void alu_acc(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  const T r = alu<kOp, T>(s, read_gpr<T>(s, kRax), source<Src::kIz, T>(s, i));
  if constexpr (writes(kOp)) write_gpr<T>(s, kRax, r);
}
/// E op= source, E in memory (64-bit mode): the flags only once the write is done.
template <Op kOp, Src kSrc, class T, unsigned kAddr> void alu_e_mem64(Cpu& cpu, const DecodedInsn& i) {
  constexpr Use kUse = writes(kOp) ? Use::kReadWrite : Use::kRead;
  uintptr_t p;
  if (!host64<T, kUse, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  const T b = source<kSrc, T>(cpu.s, i);
  const T r = apply<kOp, T>(load<T>(p), b);
  if constexpr (writes(kOp)) store<T>(p, r);
  record<kOp, T>(cpu.s, r, b);
}
/// G op= E, E in memory (64-bit mode).
template <Op kOp, class T, unsigned kAddr> void alu_g_mem64(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  uintptr_t p;
  if (!host64<T, Use::kRead, kAddr>(cpu, i.seg, ea64<kAddr>(s, i), p)) [[unlikely]] return miss(cpu);
  const T r = alu<kOp, T>(s, read_gpr<T>(s, i.reg), load<T>(p));
  if constexpr (writes(kOp)) write_gpr<T>(s, i.reg, r);
}

// ---- MOV Ev,Gv / MOV Gv,Ev / MOVZX / LEA ----
template <class T> void mov_e_g_reg(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.rm, read_gpr<T>(cpu.s, i.reg));
}
template <class T> void mov_g_e_reg(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, read_gpr<T>(cpu.s, i.rm));
}
template <class T, unsigned kAddr> void mov_e_g_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<T, Use::kWrite, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  store<T>(p, read_gpr<T>(cpu.s, i.reg));
}
template <class T, unsigned kAddr> void mov_g_e_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<T, Use::kRead, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  write_gpr<T>(cpu.s, i.reg, load<T>(p));
}
/// MOVZX Gv, Eb/Ew from memory: S is the source size, T the operand size.
template <class S, class T, unsigned kAddr> void movzx_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<S, Use::kRead, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  write_gpr<T>(cpu.s, i.reg, T(load<S>(p)));
}
template <class T, unsigned kAddr> void lea64(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, T(ea64<kAddr>(cpu.s, i)));
}

/// The Addr of a 64-bit-mode memory operand with a base register.
unsigned addr(const DecodedInsn& i) {
  return (i.index != kNoReg ? kIndexed : kBase) | (i.seg == kFs || i.seg == kGs ? kSegBase : kBase);
}
/// F<T, a>, a an Addr.
template <template <class, unsigned> class F, class T> Handler by_addr(unsigned a) {
  constexpr Handler kBy[4] = {F<T, 0>::fn, F<T, 1>::fn, F<T, 2>::fn, F<T, 3>::fn};
  return kBy[a];
}
template <template <unsigned> class F> Handler by_addr(unsigned a) {
  constexpr Handler kBy[4] = {F<0>::fn, F<1>::fn, F<2>::fn, F<3>::fn};
  return kBy[a];
}

/// Picks F<T, addr(i)> for a 64-bit-mode memory operand with a base
/// register, T the operand size (2, 4 or 8 bytes); nullptr otherwise.
template <template <class, unsigned> class F>
Handler pick_mem64(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.mod == 3 || i.asize != 8) return nullptr;
  if (i.base == kNoReg || i.base == kRipReg) return nullptr;
  const unsigned a = addr(i);
  if (i.osize == 8) return by_addr<F, uint64_t>(a);
  if (i.osize == 4) return by_addr<F, uint32_t>(a);
  return by_addr<F, uint16_t>(a);
}

// Class wrappers, so that pick_mem64 can take each family as one template.
template <class T, unsigned X> struct MovEG { static constexpr Handler fn = &mov_e_g_mem64<T, X>; };
template <class T, unsigned X> struct MovGE { static constexpr Handler fn = &mov_g_e_mem64<T, X>; };
template <class T, unsigned X> struct MovzxB { static constexpr Handler fn = &movzx_mem64<uint8_t, T, X>; };
template <class T, unsigned X> struct MovzxW { static constexpr Handler fn = &movzx_mem64<uint16_t, T, X>; };
template <class T, unsigned X> struct Lea { static constexpr Handler fn = &lea64<T, X & kIndexed>; };

/// F<addr(i)> for a 64-bit-mode memory operand with a base register, at
/// any operand size (byte forms, MOVSXD); nullptr otherwise.
template <template <unsigned> class F>
Handler pick_mem64_any(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.mod == 3 || i.asize != 8) return nullptr;
  if (i.base == kNoReg || i.base == kRipReg) return nullptr;
  return by_addr<F>(addr(i));
}

/// Register-to-register MOV at operand size 4 or 8.
Handler pick_reg(const DecodedInsn& i, Handler h4, Handler h8) {
  if (i.mod != 3) return nullptr;
  return i.osize == 8 ? h8 : i.osize == 4 ? h4 : nullptr;
}

// ---- picking the ALU handlers ----

template <Op kOp, Src kSrc> struct AluE {
  template <class T, unsigned X> struct F { static constexpr Handler fn = &alu_e_mem64<kOp, kSrc, T, X>; };
};
template <Op kOp> struct AluG {
  template <class T, unsigned X> struct F { static constexpr Handler fn = &alu_g_mem64<kOp, T, X>; };
};

enum class Shape { kEG, kGE, kEIb, kEIz, kAcc };

template <Op kOp, Src kSrc> Handler pick_alu_e(const DecodedInsn& i, const DecodeContext& ctx) {
  if (Handler h = pick_reg(i, &alu_e_reg<kOp, kSrc, uint32_t>, &alu_e_reg<kOp, kSrc, uint64_t>)) return h;
  return pick_mem64<AluE<kOp, kSrc>::template F>(i, ctx);
}

template <Op kOp> Handler pick_alu(const DecodedInsn& i, const DecodeContext& ctx, Shape shape) {
  switch (shape) {
    case Shape::kEG: return pick_alu_e<kOp, Src::kG>(i, ctx);
    case Shape::kEIb: return pick_alu_e<kOp, Src::kIb>(i, ctx);
    case Shape::kEIz: return pick_alu_e<kOp, Src::kIz>(i, ctx);
    case Shape::kGE:
      if (Handler h = pick_reg(i, &alu_g_reg<kOp, uint32_t>, &alu_g_reg<kOp, uint64_t>)) return h;
      return pick_mem64<AluG<kOp>::template F>(i, ctx);
    case Shape::kAcc:
      return i.osize == 8 ? &alu_acc<kOp, uint64_t> : i.osize == 4 ? &alu_acc<kOp, uint32_t> : nullptr;
  }
  return nullptr;
}

struct AluForm {
  isa::Form form;
  Op op;
  Shape shape;
};
using F = isa::Form;
constexpr AluForm kAluForms[] = {
    {F::ADD_Ev_Gv, Op::kAdd, Shape::kEG},   {F::ADD_Gv_Ev, Op::kAdd, Shape::kGE},
    {F::ADD_Ev_Ib, Op::kAdd, Shape::kEIb},  {F::ADD_Ev_Iz, Op::kAdd, Shape::kEIz},
    {F::ADD_rAX_Iz, Op::kAdd, Shape::kAcc}, {F::SUB_Ev_Gv, Op::kSub, Shape::kEG},
    {F::SUB_Gv_Ev, Op::kSub, Shape::kGE},   {F::SUB_Ev_Ib, Op::kSub, Shape::kEIb},
    {F::SUB_Ev_Iz, Op::kSub, Shape::kEIz},  {F::SUB_rAX_Iz, Op::kSub, Shape::kAcc},
    {F::AND_Ev_Gv, Op::kAnd, Shape::kEG},   {F::AND_Gv_Ev, Op::kAnd, Shape::kGE},
    {F::AND_Ev_Ib, Op::kAnd, Shape::kEIb},  {F::AND_Ev_Iz, Op::kAnd, Shape::kEIz},
    {F::AND_rAX_Iz, Op::kAnd, Shape::kAcc}, {F::OR_Ev_Gv, Op::kOr, Shape::kEG},
    {F::OR_Gv_Ev, Op::kOr, Shape::kGE},     {F::OR_Ev_Ib, Op::kOr, Shape::kEIb},
    {F::OR_Ev_Iz, Op::kOr, Shape::kEIz},    {F::OR_rAX_Iz, Op::kOr, Shape::kAcc},
    {F::XOR_Ev_Gv, Op::kXor, Shape::kEG},   {F::XOR_Gv_Ev, Op::kXor, Shape::kGE},
    {F::XOR_Ev_Ib, Op::kXor, Shape::kEIb},  {F::XOR_Ev_Iz, Op::kXor, Shape::kEIz},
    {F::XOR_rAX_Iz, Op::kXor, Shape::kAcc}, {F::CMP_Ev_Gv, Op::kCmp, Shape::kEG},
    {F::CMP_Gv_Ev, Op::kCmp, Shape::kGE},   {F::CMP_Ev_Ib, Op::kCmp, Shape::kEIb},
    {F::CMP_Ev_Iz, Op::kCmp, Shape::kEIz},  {F::CMP_rAX_Iz, Op::kCmp, Shape::kAcc},
    {F::TEST_Ev_Gv, Op::kTest, Shape::kEG}, {F::TEST_Ev_Iz_grp3, Op::kTest, Shape::kEIz},
    {F::TEST_Ev_Iz_alias, Op::kTest, Shape::kEIz}, {F::TEST_rAX_Iz, Op::kTest, Shape::kAcc},
};

Handler specialized_alu(const DecodedInsn& i, const DecodeContext& ctx) {
  for (const AluForm& f : kAluForms) {
    if (f.form != i.form) continue;
    switch (f.op) {
      case Op::kAdd: return pick_alu<Op::kAdd>(i, ctx, f.shape);
      case Op::kSub: return pick_alu<Op::kSub>(i, ctx, f.shape);
      case Op::kAnd: return pick_alu<Op::kAnd>(i, ctx, f.shape);
      case Op::kOr: return pick_alu<Op::kOr>(i, ctx, f.shape);
      case Op::kXor: return pick_alu<Op::kXor>(i, ctx, f.shape);
      case Op::kCmp: return pick_alu<Op::kCmp>(i, ctx, f.shape);
      case Op::kTest: return pick_alu<Op::kTest>(i, ctx, f.shape);
    }
  }
  return nullptr;
}

// ---- PUSH, POP, CALL, RET in 64-bit mode (operand size 8) ----
// The stack pointer is all of RSP and SS has no base: push<uint64_t> and
// pop<uint64_t> of operands.h with stack_size() settled.

/// PUSH r64 (models without the 8086's PUSH SP quirk).
void push64(Cpu& cpu, const DecodedInsn& i) {
  const uint64_t sp = cpu.s.gpr[kRsp] - 8;
  uintptr_t p;
  if (!host64<uint64_t, Use::kWrite, kBase>(cpu, kSs, sp, p)) [[unlikely]] return miss(cpu);
  store<uint64_t>(p, cpu.s.gpr[i.reg]);
  cpu.s.gpr[kRsp] = sp;
}
/// POP r64: POP RSP keeps the popped value, written after the increment.
void pop64(Cpu& cpu, const DecodedInsn& i) {
  const uint64_t sp = cpu.s.gpr[kRsp];
  uintptr_t p;
  if (!host64<uint64_t, Use::kRead, kBase>(cpu, kSs, sp, p)) [[unlikely]] return miss(cpu);
  cpu.s.gpr[kRsp] = sp + 8;
  cpu.s.gpr[i.reg] = load<uint64_t>(p);
}
/// CALL rel32: the target is checked before the push.
void call64(Cpu& cpu, const DecodedInsn& i) {
  const uint64_t ret = fast_next_rip(cpu, i);
  const uint64_t sp = cpu.s.gpr[kRsp] - 8;
  uintptr_t p;
  if (!host64<uint64_t, Use::kWrite, kBase>(cpu, kSs, sp, p)) [[unlikely]] return miss(cpu);
  fast_jump64(cpu, ret + i.imm);
  store<uint64_t>(p, ret);
  cpu.s.gpr[kRsp] = sp;
}
/// RET: RSP moves only once the target passed its check.
void ret64(Cpu& cpu, const DecodedInsn&) {
  const uint64_t sp = cpu.s.gpr[kRsp];
  uintptr_t p;
  if (!host64<uint64_t, Use::kRead, kBase>(cpu, kSs, sp, p)) [[unlikely]] return miss(cpu);
  fast_jump64(cpu, load<uint64_t>(p));
  cpu.s.gpr[kRsp] = sp + 8;
}

Handler specialized_stack(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.code != CodeSize::k64 || i.osize != 8) return nullptr;
  switch (i.form) {
    case isa::Form::PUSH_Zv: return ctx.model->quirk(kQuirkPushSpNew) ? nullptr : &push64;
    case isa::Form::POP_Zv: return &pop64;
    case isa::Form::CALL_Jz: return &call64;
    case isa::Form::RET: return &ret64;
    default: return nullptr;
  }
}

// ---- SHL/SAL, SHR, SAR, IMUL, CMOVcc and SETcc on registers ----
// All mode-independent: the operands are registers of 32 or 64 bits (SETcc:
// a byte register), so the blocks of every mode can hold them.

enum class Shift { kShl, kShr, kSar };
enum class Count { kOne, kCl, kIb };

template <Count kCount> unsigned raw_count(const CpuState& s, const DecodedInsn& i) {
  if constexpr (kCount == Count::kOne) return 1;
  else if constexpr (kCount == Count::kCl) return uint8_t(s.gpr[kRcx]);
  else return uint8_t(i.imm);
}

/// shift.cpp's group2 for a shift of a register on a model that masks the
/// count (to 5 bits, 6 for 64-bit operands). A masked count of 0 keeps the
/// flags and still writes the register, zero-extending a 32-bit one.
template <Shift kOp, Count kCount, class T> void shift_reg(Cpu& cpu, const DecodedInsn& i) {
  constexpr unsigned kBits = 8 * sizeof(T);
  CpuState& s = cpu.s;
  const unsigned n = raw_count<kCount>(s, i) & (kBits - 1);
  const T a = read_gpr<T>(s, i.rm);
  if (n == 0) {
    write_gpr<T>(s, i.rm, a);
    return;
  }
  T r;
  bool cf, of;
  if constexpr (kOp == Shift::kShl) {
    r = T(a << n);
    cf = (a >> (kBits - n)) & 1;
    of = bool(r >> (kBits - 1)) != cf;
  } else if constexpr (kOp == Shift::kShr) {
    r = T(a >> n);
    cf = (a >> (n - 1)) & 1;
    of = n == 1 && (a >> (kBits - 1));
  } else {
    r = T(std::make_signed_t<T>(a) >> n);
    cf = (a >> (n - 1)) & 1;
    of = false;
  }
  write_gpr<T>(s, i.rm, r);
  set_lazy(s, CcOp::kCfOf, sizeof(T), r, uint64_t(cf) | uint64_t(of) << 1);
}

struct ShiftForm {
  isa::Form form;
  Shift op;
  Count count;
};
constexpr ShiftForm kShiftForms[] = {
    {F::SHL_Ev_1, Shift::kShl, Count::kOne}, {F::SHL_Ev_CL, Shift::kShl, Count::kCl},
    {F::SHL_Ev_Ib, Shift::kShl, Count::kIb}, {F::SAL_Ev_1, Shift::kShl, Count::kOne},
    {F::SAL_Ev_CL, Shift::kShl, Count::kCl}, {F::SAL_Ev_Ib, Shift::kShl, Count::kIb},
    {F::SHR_Ev_1, Shift::kShr, Count::kOne}, {F::SHR_Ev_CL, Shift::kShr, Count::kCl},
    {F::SHR_Ev_Ib, Shift::kShr, Count::kIb}, {F::SAR_Ev_1, Shift::kSar, Count::kOne},
    {F::SAR_Ev_CL, Shift::kSar, Count::kCl}, {F::SAR_Ev_Ib, Shift::kSar, Count::kIb},
};

template <Shift kOp, Count kCount> Handler pick_shift(const DecodedInsn& i) {
  return pick_reg(i, &shift_reg<kOp, kCount, uint32_t>, &shift_reg<kOp, kCount, uint64_t>);
}
template <Shift kOp> Handler pick_shift(const DecodedInsn& i, Count count) {
  switch (count) {
    case Count::kOne: return pick_shift<kOp, Count::kOne>(i);
    case Count::kCl: return pick_shift<kOp, Count::kCl>(i);
    case Count::kIb: return pick_shift<kOp, Count::kIb>(i);
  }
  return nullptr;
}

Handler specialized_shift(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.model->quirk(kQuirkUnmaskedShift)) return nullptr;
  for (const ShiftForm& f : kShiftForms) {
    if (f.form != i.form) continue;
    switch (f.op) {
      case Shift::kShl: return pick_shift<Shift::kShl>(i, f.count);
      case Shift::kShr: return pick_shift<Shift::kShr>(i, f.count);
      case Shift::kSar: return pick_shift<Shift::kSar>(i, f.count);
    }
  }
  return nullptr;
}

/// muldiv.cpp's imul_to_g on a model with the kCfOf multiply record: the
/// low half goes to G; CF = OF = the product does not fit in it.
template <class T> void imul_g(CpuState& s, const DecodedInsn& i, T a, T b) {
  using S = std::make_signed_t<T>;
  S lo;
  const bool wide = __builtin_mul_overflow(S(a), S(b), &lo);
  write_gpr<T>(s, i.reg, T(lo));
  set_lazy(s, CcOp::kCfOf, sizeof(T), T(lo), wide ? 3 : 0);
}
template <class T> void imul_g_e_reg(Cpu& cpu, const DecodedInsn& i) {
  imul_g<T>(cpu.s, i, read_gpr<T>(cpu.s, i.reg), read_gpr<T>(cpu.s, i.rm));
}
/// IMUL Gv, Ev, Ib/Iz: source() extends the immediate as muldiv.cpp does.
template <Src kSrc, class T> void imul_g_e_imm_reg(Cpu& cpu, const DecodedInsn& i) {
  imul_g<T>(cpu.s, i, read_gpr<T>(cpu.s, i.rm), source<kSrc, T>(cpu.s, i));
}

Handler specialized_imul(const DecodedInsn& i, const DecodeContext& ctx) {
  if (ctx.model->quirk(kQuirkMul8086Flags)) return nullptr;
  switch (i.form) {
    case isa::Form::IMUL_Gv_Ev: return pick_reg(i, &imul_g_e_reg<uint32_t>, &imul_g_e_reg<uint64_t>);
    case isa::Form::IMUL_Gv_Ev_Ib:
      return pick_reg(i, &imul_g_e_imm_reg<Src::kIb, uint32_t>, &imul_g_e_imm_reg<Src::kIb, uint64_t>);
    case isa::Form::IMUL_Gv_Ev_Iz:
      return pick_reg(i, &imul_g_e_imm_reg<Src::kIz, uint32_t>, &imul_g_e_imm_reg<Src::kIz, uint64_t>);
    default: return nullptr;
  }
}

/// data.cpp's cmov: a 32-bit G is written (zero-extended) either way.
template <unsigned kCc, class T> void cmov_reg(Cpu& cpu, const DecodedInsn& i) {
  CpuState& s = cpu.s;
  const T v = read_gpr<T>(s, i.rm);
  write_gpr<T>(s, i.reg, test_cc(s, kCc) ? v : read_gpr<T>(s, i.reg));
}
template <unsigned kCc> void setcc_reg(Cpu& cpu, const DecodedInsn& i) {
  write_reg8(cpu.s, i.rm, i.rex, test_cc(cpu.s, kCc) ? 1 : 0);
}
template <unsigned kCc> struct Cmov32 { static constexpr Handler fn = &cmov_reg<kCc, uint32_t>; };
template <unsigned kCc> struct Cmov64 { static constexpr Handler fn = &cmov_reg<kCc, uint64_t>; };
template <unsigned kCc> struct Setcc { static constexpr Handler fn = &setcc_reg<kCc>; };
constexpr std::array<Handler, 16> kCmov32 = cc_table<Cmov32>();
constexpr std::array<Handler, 16> kCmov64 = cc_table<Cmov64>();
constexpr std::array<Handler, 16> kSetcc = cc_table<Setcc>();

/// CMOVcc and SETcc forms in condition-code order.
constexpr F kCmovForms[16] = {
    F::CMOVO_Gv_Ev, F::CMOVNO_Gv_Ev, F::CMOVB_Gv_Ev, F::CMOVAE_Gv_Ev, F::CMOVE_Gv_Ev, F::CMOVNE_Gv_Ev,
    F::CMOVBE_Gv_Ev, F::CMOVA_Gv_Ev, F::CMOVS_Gv_Ev, F::CMOVNS_Gv_Ev, F::CMOVP_Gv_Ev, F::CMOVNP_Gv_Ev,
    F::CMOVL_Gv_Ev, F::CMOVGE_Gv_Ev, F::CMOVLE_Gv_Ev, F::CMOVG_Gv_Ev};
constexpr F kSetccForms[16] = {
    F::SETO_Eb, F::SETNO_Eb, F::SETB_Eb, F::SETAE_Eb, F::SETE_Eb, F::SETNE_Eb, F::SETBE_Eb, F::SETA_Eb,
    F::SETS_Eb, F::SETNS_Eb, F::SETP_Eb, F::SETNP_Eb, F::SETL_Eb, F::SETGE_Eb, F::SETLE_Eb, F::SETG_Eb};

Handler specialized_cc(const DecodedInsn& i) {
  if (i.mod != 3) return nullptr;
  for (unsigned cc = 0; cc < 16; ++cc) {
    if (kCmovForms[cc] == i.form) return pick_reg(i, kCmov32[cc], kCmov64[cc]);
    if (kSetccForms[cc] == i.form) return kSetcc[cc];
  }
  return nullptr;
}

// ---- byte MOV and CMP/TEST, MOVZX/MOVSX/MOVSXD, MOV with an immediate ----
// Byte registers go through read_reg8/write_reg8 as in operands.h (AH-BH
// without REX); the memory forms are those of 64-bit mode, as above.

void mov_eb_gb_reg(Cpu& cpu, const DecodedInsn& i) {
  write_reg8(cpu.s, i.rm, i.rex, read_reg8(cpu.s, i.reg, i.rex));
}
void mov_gb_eb_reg(Cpu& cpu, const DecodedInsn& i) {
  write_reg8(cpu.s, i.reg, i.rex, read_reg8(cpu.s, i.rm, i.rex));
}
template <unsigned kAddr> void mov_eb_gb_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<uint8_t, Use::kWrite, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  store<uint8_t>(p, read_reg8(cpu.s, i.reg, i.rex));
}
template <unsigned kAddr> void mov_gb_eb_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<uint8_t, Use::kRead, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  write_reg8(cpu.s, i.reg, i.rex, load<uint8_t>(p));
}
/// CMP or TEST Eb, Ib.
template <Op kOp> void alu_eb_ib_reg(Cpu& cpu, const DecodedInsn& i) {
  alu<kOp, uint8_t>(cpu.s, read_reg8(cpu.s, i.rm, i.rex), uint8_t(i.imm));
}
/// MOVZX/MOVSX Gv, Eb/Ew from a register: S the source type (signed for
/// MOVSX), T the operand size.
template <class S, class T> void movx_reg(Cpu& cpu, const DecodedInsn& i) {
  if constexpr (sizeof(S) == 1) write_gpr<T>(cpu.s, i.reg, T(S(read_reg8(cpu.s, i.rm, i.rex))));
  else write_gpr<T>(cpu.s, i.reg, T(S(cpu.s.gpr[i.rm])));
}
/// MOVSXD with REX.W.
void movsxd_reg(Cpu& cpu, const DecodedInsn& i) {
  cpu.s.gpr[i.reg] = uint64_t(int64_t(int32_t(cpu.s.gpr[i.rm])));
}
template <unsigned kAddr> void movsxd_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<uint32_t, Use::kRead, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  cpu.s.gpr[i.reg] = uint64_t(int64_t(int32_t(load<uint32_t>(p))));
}
template <class T> void mov_z_iv(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.reg, T(i.imm));
}
template <class T> void mov_e_iz_reg(Cpu& cpu, const DecodedInsn& i) {
  write_gpr<T>(cpu.s, i.rm, source<Src::kIz, T>(cpu.s, i));
}
template <class T, unsigned kAddr> void mov_e_iz_mem64(Cpu& cpu, const DecodedInsn& i) {
  uintptr_t p;
  if (!host64<T, Use::kWrite, kAddr>(cpu, i.seg, ea64<kAddr>(cpu.s, i), p)) [[unlikely]] return miss(cpu);
  store<T>(p, source<Src::kIz, T>(cpu.s, i));
}

template <unsigned X> struct MovEbGb { static constexpr Handler fn = &mov_eb_gb_mem64<X>; };
template <unsigned X> struct MovGbEb { static constexpr Handler fn = &mov_gb_eb_mem64<X>; };
template <Op kOp> struct AluEbIb {
  template <unsigned X> struct F { static constexpr Handler fn = &alu_e_mem64<kOp, Src::kIb, uint8_t, X>; };
};
template <unsigned X> struct Movsxd { static constexpr Handler fn = &movsxd_mem64<X>; };
template <class T, unsigned X> struct MovEIz { static constexpr Handler fn = &mov_e_iz_mem64<T, X>; };

template <class S> Handler pick_movx(const DecodedInsn& i) {
  return pick_reg(i, &movx_reg<S, uint32_t>, &movx_reg<S, uint64_t>);
}

/// `reg` for a register operand, else F's 64-bit-mode memory handler.
template <template <unsigned> class F>
Handler pick_rm(const DecodedInsn& i, const DecodeContext& ctx, Handler reg) {
  return i.mod == 3 ? reg : pick_mem64_any<F>(i, ctx);
}

Handler specialized_moves(const DecodedInsn& i, const DecodeContext& ctx) {
  switch (i.form) {
    case isa::Form::MOV_Ev_Gv:
      if (Handler h = pick_reg(i, &mov_e_g_reg<uint32_t>, &mov_e_g_reg<uint64_t>)) return h;
      return pick_mem64<MovEG>(i, ctx);
    case isa::Form::MOV_Gv_Ev:
      if (Handler h = pick_reg(i, &mov_g_e_reg<uint32_t>, &mov_g_e_reg<uint64_t>)) return h;
      return pick_mem64<MovGE>(i, ctx);
    case isa::Form::LEA_Gv_M: return pick_mem64<Lea>(i, ctx);
    case isa::Form::MOV_Eb_Gb: return pick_rm<MovEbGb>(i, ctx, &mov_eb_gb_reg);
    case isa::Form::MOV_Gb_Eb: return pick_rm<MovGbEb>(i, ctx, &mov_gb_eb_reg);
    case isa::Form::CMP_Eb_Ib:
      return pick_rm<AluEbIb<Op::kCmp>::template F>(i, ctx, &alu_eb_ib_reg<Op::kCmp>);
    case isa::Form::TEST_Eb_Ib_grp3:
      return pick_rm<AluEbIb<Op::kTest>::template F>(i, ctx, &alu_eb_ib_reg<Op::kTest>);
    case isa::Form::MOVZX_Gv_Eb:
      return i.mod == 3 ? pick_movx<uint8_t>(i) : pick_mem64<MovzxB>(i, ctx);
    case isa::Form::MOVZX_Gv_Ew:
      return i.mod == 3 ? pick_movx<uint16_t>(i) : pick_mem64<MovzxW>(i, ctx);
    case isa::Form::MOVSX_Gv_Eb: return pick_movx<int8_t>(i);
    case isa::Form::MOVSX_Gv_Ew: return pick_movx<int16_t>(i);
    case isa::Form::MOVSXD_Gv_Ed:
      if (i.osize != 8) return nullptr;
      return pick_rm<Movsxd>(i, ctx, &movsxd_reg);
    case isa::Form::MOV_Zv_Iv:
      return i.osize == 8 ? &mov_z_iv<uint64_t> : i.osize == 4 ? &mov_z_iv<uint32_t> : nullptr;
    case isa::Form::MOV_Ev_Iz:
      if (Handler h = pick_reg(i, &mov_e_iz_reg<uint32_t>, &mov_e_iz_reg<uint64_t>)) return h;
      return pick_mem64<MovEIz>(i, ctx);
    default: return nullptr;
  }
}

Handler specialized(const DecodedInsn& i, const DecodeContext& ctx) {
  if (Handler h = specialized_moves(i, ctx)) return h;
  if (Handler h = specialized_alu(i, ctx)) return h;
  if (Handler h = specialized_stack(i, ctx)) return h;
  if (Handler h = specialized_shift(i, ctx)) return h;
  if (Handler h = specialized_imul(i, ctx)) return h;
  if (Handler h = specialized_cc(i)) return h;
  return specialize_branch(i, ctx);
}

}  // namespace

Handler specialize(const DecodedInsn& insn, const DecodeContext& ctx) {
  if (Handler h = specialized(insn, ctx)) return h;
  return insn.handler;
}

bool quiet(const DecodedInsn& insn) { return insn.handler != handler_for(insn.form); }

}  // namespace kestrel::cpu::exec
