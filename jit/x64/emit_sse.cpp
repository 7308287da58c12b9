// SPDX-License-Identifier: MIT
// The emitter's SSE group (jit/frontend/lift_sse*.cpp lower into it): the
// availability and alignment checks, 16-byte moves through the inline TLB
// probe, lane compares, adds and byte masks on a quadword, the (U)COMIS
// helper and the arithmetic helpers (jit/runtime/sse_arith.cpp), with the
// common case of scalar add, subtract, multiply and divide inline.
#include "cpu/simd/float.h"
#include "jit/runtime/sse_access.h"
#include "jit/x64/emitter.h"

namespace kestrel::jit::x64::detail {
namespace {

/// CR0.EM | CR0.TS and CR4.OSFXSR (cpu/interp/sse.h, sse_check).
constexpr uint32_t kCr0EmTs = (1u << 2) | (1u << 3);
constexpr uint32_t kCr4Osfxsr = 1u << 9;

/// MXCSR as cpu/simd's quick path wants it (native_x86_64.cpp quiet()):
/// round to nearest, no FTZ or DAZ, PE masked and already set. Only PE can
/// then arise from normal or zero operands with a normal result, and it
/// changes nothing.
namespace simd = cpu::simd;
constexpr uint32_t kPeMask = uint32_t{simd::kPe} << simd::kMxcsrMaskShift;
constexpr uint32_t kQuietMask =
    3u << simd::kMxcsrRcShift | simd::kMxcsrFtz | simd::kMxcsrDaz | kPeMask | simd::kPe;
constexpr uint32_t kQuietValue = kPeMask | simd::kPe;

/// Jumps to `slow` unless c, a `size`-byte float shifted left by one (no
/// sign) and not zero, has an exponent field neither all zeros nor all
/// ones. c changes.
void normal_exponent(x86::Assembler& a, const x86::Gp& c, unsigned size, asmjit::Label slow) {
  a.shr(c, size == 8 ? 53 : 24);
  a.sub(x86::ecx, 1);
  a.cmp(x86::ecx, size == 8 ? 0x7fe : 0xfe);
  a.jae(slow);
}

/// The scratch register c for a `size`-byte float, loaded with `v` shifted
/// left by one (the sign bit out; ZF set for a zero).
x86::Gp shifted(x86::Assembler& a, const x86::Gp& v, unsigned size) {
  const x86::Gp c = size == 8 ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
  a.mov(c, size == 8 ? x86::Gp(v.r64()) : x86::Gp(v.r32()));
  a.add(c, c);
  return c;
}

/// Jumps to `slow` unless the `size`-byte float in `v` is zero or normal;
/// with `nonzero`, zero too. rcx changes.
void normal_or_zero(x86::Assembler& a, const x86::Gp& v, unsigned size, bool nonzero, asmjit::Label slow) {
  asmjit::Label ok = a.newLabel();
  const x86::Gp c = shifted(a, v, size);
  if (nonzero) a.jz(slow);
  else a.jz(ok);
  normal_exponent(a, c, size, slow);
  a.bind(ok);
}

}  // namespace

/// The quick case of an SSE scalar add, subtract, multiply or divide on
/// the host's SSE unit inline (cpu/simd/native_x86_64.cpp quick(), which
/// the helper would take): MXCSR quiet, operands normal or zero (a divisor
/// not zero), a finite normal result other than the smallest (which may
/// be a tiny result rounded up), or an exact zero from a sum. Anything else
/// jumps to `slow`. The operands are in rsi and rdx, the result goes to rax.
void Emitter::quick_scalar(ir::SseOp op, unsigned size, asmjit::Label slow) {
  a.mov(x86::eax, x86::dword_ptr(x86::rbx, int32_t(offsetof(cpu::CpuState, mxcsr))));
  a.and_(x86::eax, kQuietMask);
  a.cmp(x86::eax, kQuietValue);
  a.jne(slow);
  normal_or_zero(a, x86::rsi, size, false, slow);
  normal_or_zero(a, x86::rdx, size, op == ir::SseOp::kDiv, slow);
  if (size == 8) {
    a.movq(x86::xmm0, x86::rsi);
    a.movq(x86::xmm1, x86::rdx);
  } else {
    a.movd(x86::xmm0, x86::esi);
    a.movd(x86::xmm1, x86::edx);
  }
  using ir::SseOp;
  switch (op) {
    case SseOp::kAdd: size == 8 ? a.addsd(x86::xmm0, x86::xmm1) : a.addss(x86::xmm0, x86::xmm1); break;
    case SseOp::kSub: size == 8 ? a.subsd(x86::xmm0, x86::xmm1) : a.subss(x86::xmm0, x86::xmm1); break;
    case SseOp::kMul: size == 8 ? a.mulsd(x86::xmm0, x86::xmm1) : a.mulss(x86::xmm0, x86::xmm1); break;
    default: size == 8 ? a.divsd(x86::xmm0, x86::xmm1) : a.divss(x86::xmm0, x86::xmm1); break;
  }
  if (size == 8) a.movq(x86::rax, x86::xmm0);
  else a.movd(x86::eax, x86::xmm0);
  // The result: zero only from a sum; else exponent 1..max-1, and not the
  // smallest normal magnitude.
  asmjit::Label done = a.newLabel();
  const x86::Gp c = shifted(a, x86::rax, size);
  if (op == SseOp::kAdd || op == SseOp::kSub) a.jz(done);
  else a.jz(slow);
  if (size == 8) {
    a.mov(x86::r8, uint64_t{1} << 53);  // the smallest normal, shifted as c
    a.cmp(x86::rcx, x86::r8);
  } else {
    a.cmp(x86::ecx, uint32_t{1} << 24);
  }
  a.je(slow);
  normal_exponent(a, c, size, slow);
  a.bind(done);
}

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
  const x86::Mem host = probe(uint8_t(in.imm), 16, write, sp.at);
  const x86::Mem field = x86::xmmword_ptr(x86::rbx, int32_t(in.imm >> 16));
  if (write) {
    a.movdqu(x86::xmm0, field);
    a.movdqu(host, x86::xmm0);
  } else {
    a.movdqu(x86::xmm0, host);
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

namespace {

/// PADDB/W/D and PSUBB/W/D on one quadword with the host's own instruction
/// (a free function: emitter.h declares only the shared members).
void lane_arith(Emitter& e, size_t i, const ir::Inst& in, bool sub) {
  x86::Assembler& a = e.a;
  e.load(x86::rax, in.a);
  e.load(x86::rcx, in.b);
  a.movq(x86::xmm0, x86::rax);
  a.movq(x86::xmm1, x86::rcx);
  switch (in.imm) {
    case 1: sub ? a.psubb(x86::xmm0, x86::xmm1) : a.paddb(x86::xmm0, x86::xmm1); break;
    case 2: sub ? a.psubw(x86::xmm0, x86::xmm1) : a.paddw(x86::xmm0, x86::xmm1); break;
    default: sub ? a.psubd(x86::xmm0, x86::xmm1) : a.paddd(x86::xmm0, x86::xmm1); break;
  }
  a.movq(x86::rax, x86::xmm0);
  e.store(i, x86::rax);
}

}  // namespace

template <> void Emitter::emit<Op::kLaneAdd>(size_t i, const ir::Inst& in) { lane_arith(*this, i, in, false); }
template <> void Emitter::emit<Op::kLaneSub>(size_t i, const ir::Inst& in) { lane_arith(*this, i, in, true); }

/// The arithmetic helpers: the one for this op and lane type is chosen now,
/// so the call does no dispatch of its own.
template <> void Emitter::emit<Op::kSseScalar>(size_t i, const ir::Inst& in) {
  load(x86::rsi, in.a);
  load(x86::rdx, in.b);
  const auto op = ir::SseOp(in.imm & 0xff);
  const unsigned size = unsigned(in.imm >> 8) & 0xff;
  asmjit::Label slow = a.newLabel(), done = a.newLabel();
  if (op <= ir::SseOp::kDiv && (size == 4 || size == 8) && cpu::simd::host_mxcsr_default()) {
    quick_scalar(op, size, slow);
    a.jmp(done);
  }
  a.bind(slow);
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rcx, in.imm);
  a.mov(x86::r8, in.imm2);
  call(reinterpret_cast<const void*>(sse::scalar_helper(in.imm)));
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, faulted))), 0);
  a.jne(fault);
  a.bind(done);
  store(i, x86::rax);
}
template <> void Emitter::emit<Op::kSsePacked>(size_t, const ir::Inst& in) {
  load(x86::rsi, in.a);
  load(x86::rdx, in.b);
  a.mov(x86::rdi, x86::rbp);
  a.mov(x86::rcx, in.imm);
  a.mov(x86::r8, in.imm2);
  call(reinterpret_cast<const void*>(sse::packed_helper(in.imm)));
  a.cmp(x86::byte_ptr(x86::rbp, int32_t(offsetof(JitCtx, faulted))), 0);
  a.jne(fault);
}

}  // namespace kestrel::jit::x64::detail
