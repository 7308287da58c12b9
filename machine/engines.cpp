// SPDX-License-Identifier: MIT
// The engine choice behind -accel.
#include "machine/engines.h"

#include "cpu/interp/interpreter.h"

namespace kestrel::machine {

std::optional<std::string> accel_problem(Accel accel) {
  if (accel == Accel::kJit) return "the JIT is not built into this Kestrel (use -accel interp)";
  return std::nullopt;
}

Accel default_accel() { return Accel::kInterp; }

std::unique_ptr<cpu::ExecEngine> make_engine(Accel accel, cpu::Cpu& cpu) {
  (void)accel;
  return std::make_unique<cpu::Interpreter>(cpu);
}

}  // namespace kestrel::machine
