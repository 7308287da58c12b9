// SPDX-License-Identifier: MIT
// The inspection commands the monitor and gdb's `monitor` command share:
// `info registers`, `info tlb`, `info mtree`, `info pci`, `x` and `xp`
// (with /Ni disassembly through Capstone). They read the machine on the
// machine thread and return text; they never change the guest.
#pragma once

#include <string>
#include <string_view>

#include "machine/machine.h"

namespace kestrel::frontend {

/// Runs one command line; returns its output (each line ending in '\n'),
/// or one line saying what is wrong with the command.
std::string run_debug_command(machine::Machine& m, std::string_view line);

}  // namespace kestrel::frontend
