// SPDX-License-Identifier: MIT
// The JIT's SSE slow paths: generated code calls them when its inline
// check or TLB probe does not settle an access (jit/x64/emit.cpp); they run
// the interpreter's code so faults and their order are the interpreter's.
#include "jit/runtime/sse_access.h"

#include <cstring>

#include "cpu/flags.h"
#include "cpu/interp/sse_fp.h"

namespace kestrel::jit::sse {
namespace {

namespace simd = cpu::simd;

void record(JitCtx* ctx, const cpu::GuestFault& f) {
  ctx->fault = f;
  ctx->faulted = true;
}

/// As the Load/Store helpers (jit/blocks.cpp): leave after this instruction
/// when the running block was written or an event can be taken.
void note_stop(JitCtx* ctx) {
  if (!ctx->running_valid || cpu::event_deliverable(ctx->cpu->s)) ctx->stop = true;
}

/// The operand as read_m128/write_m128 see it: only seg and asize matter.
cpu::DecodedInsn operand(uint64_t imm) {
  cpu::DecodedInsn d;
  d.seg = uint8_t(imm);
  d.asize = uint8_t(imm >> 8);
  return d;
}

uint8_t* field(JitCtx* ctx, uint64_t imm) {
  return reinterpret_cast<uint8_t*>(&ctx->cpu->s) + (imm >> 16);
}

}  // namespace

bool check_fault(JitCtx* ctx, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  try {
    cpu::exec::sse_check(c);
  } catch (const cpu::GuestFault& f) {
    c.insn_rip = rip;
    record(ctx, f);
    return true;
  }
  return false;
}

void align_fault(JitCtx* ctx, uint64_t rip) noexcept {
  ctx->cpu->insn_rip = rip;
  record(ctx, cpu::GuestFault{cpu::kVecGp, true, 0});
}

void load_x(JitCtx* ctx, uint64_t off, uint64_t imm, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  c.insn_rip = rip;
  cpu::exec::Xmm x;
  try {
    x = cpu::exec::read_m128(c, operand(imm), off);
  } catch (const cpu::GuestFault& f) {
    record(ctx, f);
    return;
  }
  std::memcpy(field(ctx, imm), x.b, 16);
  note_stop(ctx);
}

void store_x(JitCtx* ctx, uint64_t off, uint64_t imm, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  c.insn_rip = rip;
  cpu::exec::Xmm x;
  std::memcpy(x.b, field(ctx, imm), 16);
  try {
    cpu::exec::write_m128(c, operand(imm), off, x);
  } catch (const cpu::GuestFault& f) {
    record(ctx, f);
    return;
  }
  note_stop(ctx);
}

uint64_t compare(JitCtx* ctx, uint64_t a, uint64_t b, uint64_t imm, uint64_t rip) noexcept {
  cpu::Cpu& c = *ctx->cpu;
  const bool signalling = (imm >> 8) & 1;
  simd::Order o;
  try {
    cpu::exec::SimdFp fp(c);
    if ((imm & 0xff) == 4) {
      o = fp([&](simd::Env& env) {
        return simd::compare_ordered<simd::F32>(simd::F32(a), simd::F32(b), signalling, env);
      });
    } else {
      o = fp([&](simd::Env& env) { return simd::compare_ordered<simd::F64>(a, b, signalling, env); });
    }
    fp.finish(c);
  } catch (const cpu::GuestFault& f) {
    c.insn_rip = rip;
    record(ctx, f);
    return 0;
  }
  switch (o) {
    case simd::Order::kUnordered: return cpu::kZf | cpu::kPf | cpu::kCf;
    case simd::Order::kLess: return cpu::kCf;
    case simd::Order::kEqual: return cpu::kZf;
    case simd::Order::kGreater: break;
  }
  return 0;
}

}  // namespace kestrel::jit::sse
