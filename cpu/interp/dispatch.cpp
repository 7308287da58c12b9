// SPDX-License-Identifier: MIT
// Form -> handler, built from the instruction table.
#include "cpu/interp/handlers.h"

namespace kestrel::cpu::exec {
namespace {

constexpr Handler kHandlers[] = {
#define INSN(form, ...) &form,
#define DECODE_ONLY(form, ...) &invalid_opcode,
#include "cpu/isa/instructions.inc"
#undef INSN
#undef DECODE_ONLY
    &invalid_opcode,  // Form::kInvalid
};
static_assert(std::size(kHandlers) == isa::kFormCount + 1);

}  // namespace

void invalid_opcode(Cpu&, const DecodedInsn&) { raise(kVecUd); }

Handler handler_for(isa::Form form) { return kHandlers[size_t(form)]; }

}  // namespace kestrel::cpu::exec
