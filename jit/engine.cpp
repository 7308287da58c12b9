// SPDX-License-Identifier: MIT
// The JIT's dispatcher: the same boundary rules as the interpreter's run
// loop (cpu/interp/interpreter.cpp), translated blocks where they can run
// whole within the budget, the interpreter for single instructions where
// they cannot (debug checks, TF, the budget's tail, uncached code), and the
// exits of generated code (dispatch, link a direct exit, re-check).
#include "jit/engine.h"

#include "jit/engine_impl.h"
#include "jit/x64/backend.h"

namespace kestrel::jit {
namespace {
constexpr size_t kCacheBytes = size_t{256} << 20;
}

bool host_supported() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

JitEngine::Impl::Impl(cpu::Cpu& c, const JitOptions& o)
    : cpu(c), options(o), interp(c), cache(kCacheBytes) {
  // The JIT listens for code-page writes and passes them on to the
  // interpreter, whose cached blocks run while breakpoints are set.
  cpu.mem.set_code_listener(this);
  ctx.cpu = &cpu;
  ctx.interp = &interp;
  ctx.engine = this;
  ctx.tlb = cpu.mem.tlb_base();
  ctx.jump_table = jump_cache.entries();
  ctx.tlb_generation = cpu.mem.tlb_generation_address();
  if (!cache.ok()) return;
  const x64::Trampoline t = x64::emit_trampoline(uint64_t(cache.base()));
  cache.commit(cache.base(), t.bytes);
  trampoline_size = t.bytes.size();
  enter = reinterpret_cast<EnterFn>(cache.base());
  epilogue = uint64_t(cache.base()) + t.epilogue;
  emit_thunk();
}

JitEngine::Impl::~Impl() { cpu.mem.remove_code_listener(this); }

void JitEngine::Impl::interp_step() {
  ++stats.interp_steps;
  interp.step();
}

CompiledBlock* JitEngine::Impl::run_cold(uint64_t end) {
  cpu::CpuState& s = cpu.s;
  const uint64_t before = s.icount;
  // Only run_once() and lookup() run in this loop, so the trail stays valid.
  cpu::Interpreter::Trail trail;
  CompiledBlock* b = nullptr;
  for (;;) {
    interp.run_once(end - s.icount, trail);
    ++stats.cold_runs;
    // run()'s checks before its lookup, in its order.
    if (s.icount >= end || boundary_stops()) break;
    if (!graveyard.empty()) graveyard.clear();
    if (needs_interpreter()) break;
    bool cold = false;
    try {
      b = lookup(&cold);
    } catch (const cpu::GuestFault&) {
      break;  // run() looks again and leaves the fault to the interpreter
    }
    if (b || !cold) break;
  }
  stats.interp_steps += s.icount - before;
  return b;
}

void JitEngine::Impl::interp_run(uint64_t n) {
  const uint64_t before = cpu.s.icount;
  interp.run(n);
  stats.interp_steps += cpu.s.icount - before;
}

void JitEngine::Impl::run_block(CompiledBlock* b) {
  ++stats.blocks_run;
  ctx.running = b;
  ctx.running_valid = true;
  ctx.exit_slot = nullptr;
  ctx.faulted = ctx.stop = false;
  const uint32_t rc = enter(&cpu.s, &ctx, b->body_entry);
  if (rc == kExitChain && ctx.exit_slot && !options.lockstep) link(ctx.exit_slot);
  if (rc == kExitFault) {
    // As the interpreter's execute(): the faulting instruction counts, it
    // reports no data breakpoint, and rIP goes back to it.
    ++cpu.s.icount;
    cpu.s.dbg_hits = 0;
    interp.deliver_fault(ctx.fault);
  }
}

cpu::StopReason JitEngine::Impl::run(uint64_t max_insns) {
  cpu::CpuState& s = cpu.s;
  const uint64_t end = s.icount + max_insns;
  ctx.end_icount = end;
  while (s.icount < end) {
    // boundary_stop() only when it may stop (boundary_stops).
    if (boundary_stops()) {
      if (cpu::StopReason r = interp.boundary_stop(); r != cpu::StopReason::kBudget) return r;
    }
    if (!graveyard.empty()) graveyard.clear();
    if (needs_interpreter()) {
      // Breakpoints and watchpoints stay set for a while: the interpreter's
      // cached blocks check them at every instruction, at its own speed.
      if (s.dbg_exec || !cpu.mem.watches().empty()) {
        if (cpu::StopReason r = interp.run(end - s.icount); r != cpu::StopReason::kBudget) return r;
        continue;
      }
      // One instruction (an interrupt shadow, single-step, RF) through the
      // interpreter's block cache: decoded once, not at every visit.
      interp_run(1);
      continue;
    }
    CompiledBlock* b = nullptr;
    bool cold = false;
    try {
      b = lookup(&cold);
    } catch (const cpu::GuestFault&) {
      b = nullptr;  // the interpreter raises the fetch fault precisely
    }
    if (!b) {
      // Cold code runs on in the interpreter up to the next translated
      // block, which run_cold() found after run()'s checks: it runs next.
      if (cold) b = run_cold(end);
      else interp_step();
      if (!b) continue;
    }
    if (s.icount + b->insns.size() > end) {
      // The slice ends inside the block: the interpreter runs to its end
      // exactly, from its own cached blocks.
      interp_run(end - s.icount);
      continue;
    }
    if (options.lockstep) run_lockstep(b);
    else run_block(b);
  }
  return interp.boundary_stop();
}

JitEngine::JitEngine(cpu::Cpu& cpu, const JitOptions& options)
    : impl_(std::make_unique<Impl>(cpu, options)) {}
JitEngine::~JitEngine() = default;

cpu::StopReason JitEngine::run(uint64_t max_insns) { return impl_->run(max_insns); }

cpu::StopReason JitEngine::step() {
  ++impl_->stats.interp_steps;
  return impl_->interp.step();
}

void JitEngine::flush() {
  impl_->interp.flush();
  impl_->flush_all();
  impl_->graveyard.clear();
}

const JitEngine::Stats& JitEngine::stats() const {
  // Generated code counts its inline chains in JitCtx (no helper call).
  impl_->stats.chained_inline = impl_->ctx.chained_inline;
  impl_->stats.chained_indirect = impl_->chained_by_helper + impl_->ctx.chained_inline;
  return impl_->stats;
}

}  // namespace kestrel::jit
