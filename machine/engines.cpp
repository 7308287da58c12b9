// SPDX-License-Identifier: MIT
// The engine choice behind -accel, and the KESTREL_ACCEL environment
// variable the test suites use to run a whole suite under one engine.
#include "machine/engines.h"

#include <cstdlib>
#include <string_view>

#include "cpu/interp/interpreter.h"
#if defined(__x86_64__)
#include "jit/engine.h"
#endif

namespace kestrel::machine {
namespace {
/// Runs through the interpreter before the JIT translates a block
/// (jit::JitOptions::compile_after). A translation costs about as much as
/// 30 interpreted runs of a cold block (23,500 against some 750 cycles on
/// the x86-64 Linux boot, cold runs following their links), so a block
/// that runs fewer times is cheaper left to the interpreter. On that boot
/// 32 translates 38,000 blocks instead of 90,000; 16, 32 and 64 are within
/// the noise of one another.
constexpr unsigned kCompileAfter = 32;
}  // namespace

std::optional<std::string> accel_problem(Accel accel) {
  if (accel == Accel::kInterp) return std::nullopt;
#if defined(__x86_64__)
  return std::nullopt;
#else
  return "the JIT has no backend for this host (use -accel interp)";
#endif
}

Accel default_accel() {
  // KESTREL_ACCEL=interp|jit|lockstep picks the default for a test run
  // (meson test --setup jit / --setup interp, docs/architecture.md "The JIT").
  if (const char* env = std::getenv("KESTREL_ACCEL")) {
    const std::string_view v = env;
    if (v == "interp") return Accel::kInterp;
    if (v == "jit" && !accel_problem(Accel::kJit)) return Accel::kJit;
    if (v == "lockstep" && !accel_problem(Accel::kJit)) return Accel::kJitLockstep;
  }
  // The JIT where the host has a backend; the interpreter elsewhere.
  return accel_problem(Accel::kJit) ? Accel::kInterp : Accel::kJit;
}

std::unique_ptr<cpu::ExecEngine> make_engine(Accel accel, cpu::Cpu& cpu) {
#if defined(__x86_64__)
  if (accel != Accel::kInterp) {
    jit::JitOptions options;
    options.lockstep = accel == Accel::kJitLockstep;
    // Lockstep checks translations: every block is translated at once.
    options.compile_after = options.lockstep ? 0 : kCompileAfter;
    return std::make_unique<jit::JitEngine>(cpu, options);
  }
#endif
  (void)accel;
  return std::make_unique<cpu::Interpreter>(cpu);
}

}  // namespace kestrel::machine
