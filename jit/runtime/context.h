// SPDX-License-Identifier: MIT
// What generated code and the dispatcher share: the context block the
// pinned register points at, the exit codes a block returns with, and the
// exit slots that direct chaining patches.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "jit/runtime/jump_cache.h"

namespace kestrel::jit {

class JitEngine;

/// How a block left generated code (the value in eax at the epilogue).
enum ExitCode : uint32_t {
  kExitDispatch = 0,  ///< rIP is set: the dispatcher looks the next block up
  kExitChain = 1,     ///< a direct exit not linked yet: JitCtx::exit_slot says which
  kExitCheck = 2,     ///< a chained entry saw a pending bit or the budget's end
  kExitFault = 3,     ///< a memory access faulted: JitCtx::fault, rIP is insn_rip
};

/// One direct exit of a block: where its patchable jump is and where it goes.
struct ExitSlot {
  uint8_t* jump = nullptr;   ///< the E9 rel32 jump in the code cache (executable view)
  uint8_t* stub = nullptr;   ///< what the jump reaches while unlinked
  uint64_t target_rip = 0;
  void* owner = nullptr;     ///< the CompiledBlock holding the slot
  void* linked = nullptr;    ///< the CompiledBlock it jumps to, or nullptr
};

/// The block of data generated code reaches through its pinned register.
struct JitCtx {
  cpu::Cpu* cpu = nullptr;
  cpu::Interpreter* interp = nullptr;  ///< runs the instructions without a lowering
  void* engine = nullptr;              ///< the JitEngine::Impl (the indirect-exit helper's)
  const mmu::TlbEntry* tlb = nullptr;  ///< Mmu::tlb_base(), for the inlined probes
  /// The inline jump-cache probe's table and the TLB generations its
  /// entries are checked against (Mmu::tlb_generation_address: the
  /// generation, then the global one).
  const JumpCache::Entry* jump_table = nullptr;
  const uint64_t* tlb_generation = nullptr;
  uint64_t chained_inline = 0;  ///< exits the inline probe chained (Stats::chained_inline)
  uint64_t end_icount = 0;    ///< the budget: blocks may not retire past it
  ExitSlot* exit_slot = nullptr;
  void* running = nullptr;    ///< the CompiledBlock whose code runs
  bool running_valid = true;  ///< cleared when that block is invalidated
  /// Set by the memory helpers: the access faulted (the block leaves with
  /// kExitFault), or the block must leave after this instruction (its code
  /// was written, or a device raised a pending bit).
  bool faulted = false;
  bool stop = false;
  cpu::GuestFault fault{0};
};

}  // namespace kestrel::jit
