// SPDX-License-Identifier: MIT
// The IR verifier and printer: every argument is defined earlier, is live,
// and has the type opcodes.inc asks for; the block ends with an exit.
#include <cstdio>

#include "jit/ir/ir.h"

namespace kestrel::jit::ir {

std::string verify(const Block& b) {
  const auto problem = [](size_t i, const char* what) {
    return "inst " + std::to_string(i) + ": " + what;
  };
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const Inst& in = b.insts[i];
    if (in.dead) continue;
    if (unsigned(in.op) >= unsigned(Op::kCount)) return problem(i, "bad op");
    const OpInfo& oi = info(in.op);
    const Value args[3] = {in.a, in.b, in.c};
    for (int k = 0; k < 3; ++k) {
      if (oi.args[k] == Type::kVoid) {
        if (args[k] != kNone) return problem(i, "unexpected argument");
        continue;
      }
      if (args[k] == kNone || args[k] >= i) return problem(i, "argument not defined before use");
      const Inst& def = b.insts[args[k]];
      if (def.dead) return problem(i, "argument is dead");
      if (info(def.op).result != oi.args[k]) return problem(i, "argument type");
    }
  }
  for (size_t i = b.insts.size(); i-- > 0;) {
    if (b.insts[i].dead) continue;
    if (b.insts[i].op != Op::kExit && b.insts[i].op != Op::kExitRip &&
        b.insts[i].op != Op::kExitIndirect)
      return problem(i, "block does not end with an exit");
    return {};
  }
  return "empty block";
}

std::string dump(const Block& b) {
  std::string out;
  char line[160];
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const Inst& in = b.insts[i];
    if (in.dead) continue;
    std::snprintf(line, sizeof line, "v%zu = %s", i, info(in.op).name);
    out += line;
    for (Value v : {in.a, in.b, in.c}) {
      if (v != kNone) out += " v" + std::to_string(v);
    }
    std::snprintf(line, sizeof line, " #%llx\n", static_cast<unsigned long long>(in.imm));
    out += line;
  }
  return out;
}

}  // namespace kestrel::jit::ir
