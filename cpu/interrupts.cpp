// SPDX-License-Identifier: MIT
// Event delivery: real-address mode through the interrupt vector table at
// IDTR.base. Protected-mode gates (IDT descriptors, privilege and stack
// switches, task gates) and virtual-8086 delivery slot in at deliver_protected.
#include "cpu/interrupts.h"

#include "cpu/flags.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu {
namespace {

/// FLAGS as an interrupt pushes them. Bits 12-15 are IOPL and NT on the 386
/// and later; the 8086 has no such bits and stores them as 1, the 286 forces
/// them to 0 in real mode.
uint16_t pushed_flags(const Cpu& cpu) {
  uint16_t f = uint16_t(read_flags(cpu.s));
  if (cpu.model->quirk(kQuirkFlagsHighSet)) {
    f |= 0xf000;
  } else if (cpu.model->quirk(kQuirkFlagsHighClearReal) && cpu.real_mode()) {
    f &= 0x0fff;
  }
  return f;
}

/// The 4-byte IVT entry of `vector` must lie inside the IDTR limit.
/// SDM 2 INT n, REAL-ADDRESS-MODE: #GP when it does not; the engine turns a
/// fault raised while delivering an exception into #DF. The 80286 reports
/// the same condition as interrupt 8 directly ("interrupt table limit too
/// small", 80286 PRM table 2-4); it has no separate step through #GP.
void check_ivt_limit(const Cpu& cpu, uint8_t vector) {
  if (uint32_t(vector) * 4 + 3 <= cpu.s.idtr.limit) return;
  if (!cpu.model->has(isa::f386)) raise(kVecDf, 0);
  raise(kVecGp, 0);
}

void deliver_real(Cpu& cpu, uint8_t vector) {
  check_ivt_limit(cpu, vector);
  const uint64_t entry = cpu.s.idtr.base + uint64_t(vector) * 4;
  const uint16_t new_ip = cpu.mem.read<uint16_t>(entry);
  const uint16_t new_cs = cpu.mem.read<uint16_t>(entry + 2);

  // Three word pushes; SP is committed only after all of them succeeded so
  // that a stack fault leaves it as it was.
  const uint64_t sp = exec::read_sp(cpu);
  const uint64_t mask = exec::addr_mask(exec::stack_size(cpu));
  const auto slot = [&](unsigned n) { return (sp - 2 * n) & mask; };
  cpu.write<uint16_t>(kSs, slot(1), pushed_flags(cpu));
  cpu.write<uint16_t>(kSs, slot(2), cpu.s.seg[kCs].selector);
  cpu.write<uint16_t>(kSs, slot(3), uint16_t(cpu.s.rip));
  exec::write_sp(cpu, slot(3));

  // SDM 2 INT n, REAL-ADDRESS-MODE clears IF, TF and AC.
  cpu.s.rflags &= ~uint64_t{kIf | kTf | kAc};
  cpu.load_real_segment(kCs, new_cs);
  cpu.s.rip = new_ip;
}

void deliver_protected([[maybe_unused]] Cpu& cpu, uint8_t vector, EventKind kind,
                       [[maybe_unused]] bool has_error, [[maybe_unused]] uint32_t error) {
  // TODO(kestrel): IDT gates, privilege and stack switches, task gates #3
  // Until then every vector behaves as an IDT entry that is not a gate:
  // #GP(vector * 8 + 2 + EXT) (SDM 2 INT n, PROTECTED-MODE).
  const uint32_t ext = kind == EventKind::kSoftware ? 0 : 1;
  raise(kVecGp, uint32_t(vector) * 8 + 2 + ext);
}

}  // namespace

void deliver_event(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error,
                   uint32_t error) {
  if (cpu.real_mode()) {
    // Real mode pushes no error code (SDM 3A, 8086 emulation, "Interrupt and
    // Exception Handling").
    deliver_real(cpu, vector);
  } else {
    deliver_protected(cpu, vector, kind, has_error, error);
  }
  // Any event taken ends a HLT; the return address already points past it.
  cpu.s.halted = false;
}

}  // namespace kestrel::cpu
