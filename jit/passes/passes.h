// SPDX-License-Identifier: MIT
// The IR passes, one per file in jit/passes/ (STYLE.md A2), and the order
// the JIT runs them in. In debug builds the verifier checks after each.
#pragma once

#include "jit/ir/ir.h"

namespace kestrel::jit::passes {

/// Guest-register load/store elimination: loads see the last value stored
/// or loaded in the block, stores overwritten before any exit or call go.
void reg_cache(ir::Block& b);
/// Folds operations whose arguments are constants; drops never-taken exits.
void const_fold(ir::Block& b);
/// Algebraic identities: extensions of values that fit, x + 0, negated
/// compares, the CMP operand rebuilt from its flags record; repeated pure
/// operations (value numbering).
void simplify(ir::Block& b);
/// Drops lazy-flags stores that a later record overwrites before anything
/// (a condition, a handler call, an exit) can observe them.
void dead_flags(ir::Block& b);
/// Drops pure and state-reading instructions whose values nobody uses.
void dce(ir::Block& b);

/// All of the above in order; returns the verifier's complaint, if any.
std::string run_all(ir::Block& b, bool verify_each);

}  // namespace kestrel::jit::passes
