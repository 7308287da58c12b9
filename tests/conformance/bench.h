// SPDX-License-Identifier: MIT
// One CPU on a test bench: loads a MOO test's initial state, runs it on the
// suite's CPU model and judges the final registers, flags and memory
// (README §5). Files, threads and reports are runner.h's job.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/engine.h"
#include "cpu/interp/interpreter.h"
#include "mmu/mmu.h"
#include "tests/conformance/moo.h"

namespace kestrel::conformance {

/// Where a suite's data lives and how its tests run.
struct SuiteSpec {
  std::string_view name;        ///< "8086" or "80286", as in the closing line
  std::string_view vector_dir;  ///< relative to the data folder
  std::string_view metadata;    ///< metadata.json, relative to the data folder
  std::string_view revocation;  ///< revocation list or ""
  std::string_view model;       ///< -cpu model name
  uint64_t ram_bytes;
  unsigned addr_bits;
  bool run_to_halt;        ///< 80286: every test ends with HLT; 8086: one instruction
  bool clear_high_flags;   ///< 80286: FLAGS bits 12-15 cannot be set in real mode
  bool divide_fault_rule;  ///< 8086: no EXCP chunk; find the pushed FLAGS from CS:IP 0:400
};

/// The two suites of ../shared/conformance.
std::span<const SuiteSpec> suite_specs();

/// The engine a bench runs its tests on.
enum class BenchEngine {
  kInterp,  ///< Interpreter::step() / run(), the reference
  kJit,     ///< the JIT with one instruction per block (-accel jit's code path)
};

/// The JIT for `cpu` with single-instruction blocks, or nullptr where the
/// host has no JIT backend (bench_jit.cpp, bench_jit_none.cpp).
std::unique_ptr<cpu::ExecEngine> make_bench_jit(cpu::Cpu& cpu);
/// Whether this host has the JIT (x86-64).
bool bench_jit_supported();
/// Instructions the JIT ran as translated blocks so far.
uint64_t bench_jit_blocks(const cpu::ExecEngine& jit);

struct Verdict {
  bool passed = false;
  std::string diff;  ///< "" or the mismatches, "; "-separated
};

class TestBench {
 public:
  /// Throws std::runtime_error when `engine` cannot run on this host.
  explicit TestBench(const SuiteSpec& spec, BenchEngine engine = BenchEngine::kInterp);
  TestBench(const TestBench&) = delete;
  TestBench& operator=(const TestBench&) = delete;

  /// Runs `t` from a clean state; `flags_mask` hides undefined flags.
  Verdict run(const MooTest& t, uint16_t flags_mask);
  /// Instructions run as JIT blocks (0 on the interpreter).
  uint64_t jit_blocks() const { return jit_ ? bench_jit_blocks(*jit_) : 0; }

 private:
  void load(const MooTest& t);
  std::string execute();
  void compare(const MooTest& t, uint16_t flags_mask, std::string& diff);

  const SuiteSpec& spec_;
  mmu::Mmu mem_;
  cpu::OpenBus io_;
  cpu::Cpu cpu_;
  cpu::Interpreter interp_;
  std::unique_ptr<cpu::ExecEngine> jit_;  ///< BenchEngine::kJit only
  std::vector<uint32_t> touched_;  ///< RAM bytes to zero before the next test
};

/// "OF AF" etc.: the names of the FLAGS bits set in `bits`.
std::string flag_names(uint32_t bits);

}  // namespace kestrel::conformance
