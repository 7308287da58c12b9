// SPDX-License-Identifier: MIT
// The JIT engine's inside, shared by the dispatcher (engine.cpp), the
// translation and block bookkeeping (blocks.cpp) and lockstep (lockstep.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/decode.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"
#include "jit/runtime/code_cache.h"
#include "jit/runtime/context.h"
#include "mmu/mmu.h"

namespace kestrel::jit {

/// What a translation depends on besides the code bytes.
struct BlockKey {
  uint64_t phys, rip, cs_base;
  uint32_t cs_limit;
  uint32_t mode;  ///< code size, PE, VM
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
  uint64_t first_page = 0, last_page = 0;
  uint8_t* check_entry = nullptr;
  uint8_t* body_entry = nullptr;
  std::vector<std::unique_ptr<ExitSlot>> exits;
  std::vector<ExitSlot*> incoming;  ///< linked jumps that reach check_entry
  bool valid = true;
  bool has_port_io = false;  ///< lockstep leaves such blocks unchecked
};

using EnterFn = uint32_t (*)(cpu::CpuState*, JitCtx*, const uint8_t*);

struct JitEngine::Impl final : mmu::CodeWriteListener {
  Impl(cpu::Cpu& c, const JitOptions& o);
  ~Impl() override;

  cpu::Cpu& cpu;
  JitOptions options;
  cpu::Interpreter interp;
  Stats stats;
  JitCtx ctx;
  CodeCache cache;
  size_t trampoline_size = 0;
  EnterFn enter = nullptr;
  uint64_t epilogue = 0;
  std::unordered_map<BlockKey, std::unique_ptr<CompiledBlock>, BlockKeyHash> blocks;
  std::unordered_map<uint64_t, std::vector<BlockKey>> page_blocks;
  std::vector<std::unique_ptr<CompiledBlock>> graveyard;
  /// Lockstep: pages written during the block being checked, with their
  /// contents before it (jit/lockstep.cpp).
  std::unordered_map<uint64_t, std::vector<uint8_t>> preimages;
  bool capturing = false;
  bool ram_marked = false;
  /// Lockstep: pages whose code mark a write cleared, marked again before
  /// the next checked block (interpreter steps and unchecked blocks write too).
  std::vector<uint64_t> remark;

  // blocks.cpp
  void code_page_written(uint64_t page) override;
  BlockKey key_here(uint64_t phys) const;
  CompiledBlock* lookup();
  CompiledBlock* compile(const BlockKey& key);
  void invalidate(CompiledBlock* b);
  void flush_all();
  void link(ExitSlot* slot);
  void set_jump(uint8_t* jump, const uint8_t* to);

  // engine.cpp
  cpu::StopReason run(uint64_t max_insns);
  bool needs_interpreter() const;
  void interp_step();
  void run_block(CompiledBlock* b);

  // lockstep.cpp
  void run_lockstep(CompiledBlock* b);
};

}  // namespace kestrel::jit
