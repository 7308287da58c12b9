// SPDX-License-Identifier: MIT
// The JIT engine's inside, shared by the dispatcher (engine.cpp), the
// translation and block bookkeeping (blocks.cpp) and lockstep (lockstep.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cpu/debug.h"
#include "cpu/decode.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"
#include "jit/frontend/discover.h"
#include "jit/lockstep.h"
#include "jit/runtime/code_cache.h"
#include "jit/runtime/context.h"
#include "jit/runtime/jump_cache.h"
#include "jit/x64/backend.h"
#include "mmu/mmu.h"

namespace kestrel::jit {

/// What a translation depends on besides the code bytes.
struct BlockKey {
  uint64_t phys, rip, cs_base;
  uint32_t cs_limit;
  uint32_t mode;  ///< mode_here(): code size, PE, VM, SS.B, CPL 3
  bool operator==(const BlockKey&) const = default;
};
struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    uint64_t h = k.phys * 0x9e3779b97f4a7c15ull ^ k.rip;
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull ^ k.cs_base ^ (uint64_t(k.cs_limit) << 8) ^ k.mode;
    return size_t(h ^ (h >> 31));
  }
};

struct CompiledBlock {
  BlockKey key{};
  std::vector<cpu::DecodedInsn> insns;  ///< CallInsn points into this
  uint32_t guest_bytes = 0;
  uint64_t first_page = 0;  ///< the physical page of its first byte
  /// Where the last instruction continues when it crosses into the next
  /// linear page (frontend::Discovered::second_page): the block holds
  /// only while that page still maps there, so it is entered through
  /// lookups that check (JitEngine::Impl::lookup), never a direct link.
  uint64_t second_page = frontend::Discovered::kNoPage;
  uint8_t* check_entry = nullptr;
  uint8_t* body_entry = nullptr;
  uint8_t* chain_probe = nullptr;  ///< the jump-cache probe stub of its key (probe_for)
  std::vector<std::unique_ptr<ExitSlot>> exits;
  std::vector<ExitSlot*> incoming;  ///< linked jumps that reach check_entry
  bool valid = true;
  bool has_port_io = false;  ///< lockstep leaves such blocks unchecked
  bool crosses() const { return second_page != frontend::Discovered::kNoPage; }
};

using EnterFn = uint32_t (*)(cpu::CpuState*, JitCtx*, const uint8_t*);

struct JitEngine::Impl final : mmu::CodeWriteListener {
  Impl(cpu::Cpu& c, const JitOptions& o);
  ~Impl() override;

  cpu::Cpu& cpu;
  JitOptions options;
  cpu::Interpreter interp;
  Stats stats;
  uint64_t chained_by_helper = 0;  ///< chain_target's hits (Stats::chained_indirect)
  JitCtx ctx;
  CodeCache cache;
  x64::Workspace workspace;  ///< emit_block's memory, kept between blocks
  std::vector<ir::Inst> ir_storage;  ///< compile()'s IR vector, kept between blocks
  size_t trampoline_size = 0;
  EnterFn enter = nullptr;
  uint64_t epilogue = 0;
  /// Shared code after the trampoline: Op::kExitIndirect alone, the
  /// target of direct exits to another page (link()).
  const uint8_t* indirect_thunk = nullptr;
  /// The inline jump-cache probe, one stub per CS and mode (BlockKey
  /// without phys and rIP), shared by the blocks of that key; cleared with
  /// the cache.
  std::map<std::pair<uint64_t, uint32_t>, const uint8_t*> probes;
  std::unordered_map<BlockKey, std::unique_ptr<CompiledBlock>, BlockKeyHash> blocks;
  /// A block's bytes [lo, hi) of one physical page.
  struct CodeSpan {
    BlockKey key;
    uint16_t lo, hi;
  };
  struct CodePage {
    std::vector<CodeSpan> spans;  ///< may name dropped blocks (skipped)
    unsigned lo = mmu::kPageSize, hi = 0;  ///< the bytes any block ever covered
    unsigned misses = 0;  ///< writes inside [lo, hi) that hit no block
  };
  /// The blocks with code on a physical page, for writes to it.
  std::unordered_map<uint64_t, CodePage> page_blocks;
  /// Runs counted per block key not yet translated (hot), direct-mapped by
  /// the key's hash: a collision only makes a block translated sooner.
  /// Saturates, so a block dropped for a code write is translated again
  /// at once.
  static constexpr size_t kHeatSlots = size_t{1} << 16;
  std::vector<uint8_t> heat = std::vector<uint8_t>(options.compile_after ? kHeatSlots : 0);
  std::vector<std::unique_ptr<CompiledBlock>> graveyard;
  /// Linear PC -> block, in front of `blocks` (jit/runtime/jump_cache.h).
  JumpCache jump_cache;
  LockstepState lockstep;  ///< the MMU journal and replayed clock (jit/lockstep.h)

  // blocks.cpp
  void code_page_written(uint64_t page) override;
  bool code_written(uint64_t page, unsigned lo, unsigned hi) override;
  /// Registers `key`'s bytes [lo, hi) of physical page `page`.
  void note_code(uint64_t page, const BlockKey& key, unsigned lo, unsigned hi);
  BlockKey key_here(uint64_t phys) const;
  /// What decoding and lifting depend on besides the bytes, as
  /// frontend::decode_context and Facts see it: the code size, PE, VM, SS.B,
  /// and whether CPL is 3 (the inline TLB probe reads that privilege's
  /// entries; only a far transfer, which ends the block, changes it).
  uint32_t mode_here() const {
    const cpu::CpuState& s = cpu.s;
    const uint32_t code = cpu.long_mode64() ? 2 : s.seg[cpu::kCs].attr & cpu::kAttrDb ? 1 : 0;
    return code | uint32_t(!cpu.real_mode()) << 4 | uint32_t(cpu.v86()) << 5 |
           uint32_t((s.seg[cpu::kSs].attr & cpu::kAttrDb) != 0) << 6 | uint32_t(s.cpl == 3) << 8;
  }
  JumpCache::Generations generations() const {
    return {cpu.mem.tlb_generation(), cpu.mem.global_generation()};
  }
  /// The jump cache's key: the block key without phys (the privilege the
  /// code page's execute permission was checked for is in the mode).
  JumpCache::Key jump_key() const {
    const cpu::SegmentCache& cs = cpu.s.seg[cpu::kCs];
    return {cpu.s.rip, cs.base, cs.limit, mode_here()};
  }
  /// The body entry of the block at CS:rIP when generated code may go
  /// straight on to it (the jump cache has it and the dispatcher would run
  /// it next); nullptr otherwise. The helper behind a CallInsn that left,
  /// a handler's mode change, and the inline probe's misses.
  const uint8_t* chain_target();
  /// The block at CS:rIP, translated now if needed; nullptr when the
  /// instruction there must run uncached, or when the block has not run
  /// often enough to be translated (JitOptions::compile_after): then the
  /// dispatcher (`cold` given) counts this run and gets *cold set. May
  /// throw cpu::GuestFault (fetch).
  CompiledBlock* lookup(bool* cold = nullptr);
  /// Whether the block of `key` has run often enough to be translated;
  /// `count` counts this run when it has not.
  bool hot(const BlockKey& key, bool count);
  CompiledBlock* compile(const BlockKey& key);
  void invalidate(CompiledBlock* b);
  /// Invalidates `b` and takes it out of the map and its pages' lists
  /// (freed with the graveyard).
  void drop(CompiledBlock* b);
  /// Invalidates the block at `it` and takes it out of the map.
  void retire(decltype(blocks)::iterator it);
  /// Whether a block that crosses pages still has its second page where
  /// the linear page after its first maps now. May throw cpu::GuestFault.
  bool second_page_holds(const CompiledBlock& b) const;
  void flush_all();
  void link(ExitSlot* slot);
  void set_jump(uint8_t* jump, const uint8_t* to);
  void emit_thunk();
  /// The shared probe of `key`'s CS and mode, emitted on first use; nullptr
  /// when the cache is full (the caller flushes and asks again).
  const uint8_t* probe_for(const BlockKey& key);
  /// Code that sets rIP to `rip` and enters `probe` (a probe_for stub), or
  /// nullptr when the cache is full.
  const uint8_t* rip_thunk(uint64_t rip, const uint8_t* probe);
  /// ir::Block::tlb_from_state: the TLB's distance from CpuState when
  /// every entry is within a 32-bit displacement of it, else 0.
  int64_t tlb_from_state() const {
    const auto tlb = reinterpret_cast<intptr_t>(cpu.mem.tlb_base());
    const int64_t d = int64_t(tlb - reinterpret_cast<intptr_t>(&cpu.s));
    constexpr int64_t kSize = int64_t(mmu::kPrivCount * mmu::kTlbSize * sizeof(mmu::TlbEntry));
    return d > INT32_MIN && d < INT32_MAX - kSize ? d : 0;
  }

  // engine.cpp
  cpu::StopReason run(uint64_t max_insns);
  /// Instruction-level conditions the interpreter handles around every
  /// instruction: breakpoints, RF, single-step, and an interrupt shadow
  /// (which the next instruction clears). Watched pages (data breakpoints,
  /// debugger watchpoints) report hits the interpreter turns into traps.
  bool needs_interpreter() const {
    const cpu::CpuState& s = cpu.s;
    return !enter || s.dbg_exec || s.inhibit_irq || (s.rflags & (cpu::kTf | cpu::kRf)) ||
           !cpu.mem.watches().empty();
  }
  /// Exactly whether Interpreter::boundary_stop would stop (a masked
  /// interrupt request does not), or conservatively true.
  bool boundary_stops() const {
    const cpu::CpuState& s = cpu.s;
    if (s.halted || (cpu.host_breakpoints && cpu.host_breakpoints->stopped)) return true;
    if (!s.pending) return false;
    return (s.pending & ~uint32_t{cpu::kPendingIrq}) || ((s.rflags & cpu::kIf) && !s.inhibit_irq);
  }
  void interp_step();
  /// Blocks not translated yet (lookup()'s `cold`) through the interpreter,
  /// from CS:rIP on, until `end`, a reason for run() to check, or a block
  /// with a translation, which it returns for run() to run next.
  CompiledBlock* run_cold(uint64_t end);
  /// Up to `n` instructions through Interpreter::run (its cached blocks).
  void interp_run(uint64_t n);
  void run_block(CompiledBlock* b);

  // lockstep.cpp
  void run_lockstep(CompiledBlock* b);
};

}  // namespace kestrel::jit
