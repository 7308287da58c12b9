// SPDX-License-Identifier: MIT
// Which execution engine a machine runs (-accel): the interpreter, always
// there, or the JIT where the host has a backend.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cpu/cpu.h"
#include "cpu/engine.h"
#include "machine/board.h"

namespace kestrel::machine {

/// Why `accel` cannot run on this host, or nothing when it can.
std::optional<std::string> accel_problem(Accel accel);
/// The default engine on this host: the JIT where it has a backend.
Accel default_accel();
/// Builds the engine for `cpu`; `accel` must have no problem.
std::unique_ptr<cpu::ExecEngine> make_engine(Accel accel, cpu::Cpu& cpu);

}  // namespace kestrel::machine
