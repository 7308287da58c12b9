// SPDX-License-Identifier: MIT
// The x86-64 backend: register allocation (linear scan over seven host
// registers, stack slots beyond) and code emission through asmjit's
// x86::Assembler. Generated code addresses CpuState from rbx (pinned) and
// JitCtx from rbp; the trampoline saves the host's registers once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "jit/ir/ir.h"
#include "jit/runtime/context.h"

namespace kestrel::jit::x64 {

/// Where a value lives while it is live.
struct Location {
  int8_t reg = -1;    ///< asmjit GP register id, or -1
  int16_t slot = -1;  ///< stack slot, or -1 (constants have neither)
  uint32_t until = 0;  ///< the last instruction that reads it
};

inline constexpr unsigned kSpillSlots = 240;
/// Registers the allocator hands out: r12-r15, which helper calls keep,
/// first; then r9-r11, which a helper call clobbers, so a call saves those
/// of them that hold a value live across it (Emitter::call).
inline constexpr int8_t kCalleeSaved[] = {12, 13, 14, 15};
inline constexpr int8_t kCallerSaved[] = {9, 10, 11};

/// Linear scan over the live instructions; false when the block needs more
/// than kSpillSlots slots.
bool allocate(const ir::Block& b, std::vector<Location>& out);

/// Helpers generated code calls (all noexcept; none lets an exception out).
struct Helpers {
  int (*call_insn)(JitCtx*, const void* insn) noexcept;
  bool (*test_cc)(const cpu::CpuState*, unsigned cc) noexcept;
  bool (*carry_flag)(const cpu::CpuState*) noexcept;
  uint64_t (*load)(JitCtx*, uint64_t offset, uint32_t seg_size, uint64_t rip) noexcept;
  void (*store)(JitCtx*, uint64_t offset, uint64_t value, uint32_t seg_size, uint64_t rip) noexcept;
  /// The entry of the block at the rIP just set (the jump cache; the
  /// dispatcher's checks done), or nullptr to leave through the dispatcher.
  const uint8_t* (*chain)(JitCtx*) noexcept;
  /// near_jump's check failed inline: records #GP(0) at `rip` and returns
  /// true unless the exact check (CR4.LA57, the model) lets `target` pass.
  bool (*branch_fault)(JitCtx*, uint64_t target, uint64_t rip) noexcept;
};

/// Emitted code for one block, before it is copied into the cache.
struct Emitted {
  std::vector<uint8_t> bytes;
  uint32_t check_entry = 0, body_entry = 0;
  uint32_t chain_probe = ~0u;  ///< the inline jump-cache probe (ir::Block::chain_inline), or ~0u
  struct Exit {
    uint32_t jump;  ///< offset of the E9 rel32 jump
    uint32_t stub;  ///< offset of its unlinked stub
    uint64_t target_rip;
  };
  std::vector<Exit> exits;
};

/// What emit_block keeps from one block to the next so that it does not
/// allocate it again each time: asmjit's code holder with its zone, and
/// the register allocation. The engine owns one.
class Workspace {
 public:
  Workspace();
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// Emits `b` for placement at `base`; `epilogue` is the trampoline's exit.
/// The stubs load the exit slot pointer from `slots[i]` (one per Exit/ExitIf
/// in order). Returns false when the block cannot be compiled.
/// `owner` is the block's identity, stored in JitCtx::running before its helper calls.
bool emit_block(Workspace& ws, const ir::Block& b, uint64_t base, uint64_t epilogue, const Helpers& h,
                const std::vector<ExitSlot*>& slots, const void* owner, Emitted& out);

/// The trampoline: enter(CpuState*, JitCtx*, entry) and the shared epilogue.
struct Trampoline {
  std::vector<uint8_t> bytes;
  uint32_t epilogue = 0;
};
Trampoline emit_trampoline(uint64_t base);

}  // namespace kestrel::jit::x64
