// SPDX-License-Identifier: MIT
// Block discovery (discover.h), with the interpreter's fetch rules: up to
// the CS limit, up to the end of the linear page, the 8086's 64 KiB wrap.
#include "jit/frontend/discover.h"

#include <algorithm>

#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter.h"
#include "mmu/tlb.h"

namespace kestrel::jit::frontend {
namespace {

constexpr unsigned kMaxBlockInsns = 64;


}  // namespace

cpu::DecodeContext decode_context(const cpu::Cpu& cpu) {
  cpu::DecodeContext ctx;
  ctx.model = cpu.model;
  ctx.protected_mode = !cpu.real_mode();
  ctx.v86 = cpu.v86();
  if (cpu.long_mode64()) ctx.code = cpu::CodeSize::k64;
  else ctx.code = cpu.s.seg[cpu::kCs].attr & cpu::kAttrDb ? cpu::CodeSize::k32 : cpu::CodeSize::k16;
  return ctx;
}

uint64_t ip_mask(const cpu::Cpu& cpu) {
  if (cpu.long_mode64()) return ~uint64_t{0};
  return cpu.s.seg[cpu::kCs].attr & cpu::kAttrDb ? 0xffffffff : 0xffff;
}

Discovered discover(cpu::Cpu& cpu, uint64_t phys, unsigned max_insns) {
  Discovered d;
  const cpu::DecodeContext ctx = decode_context(cpu);
  const uint64_t mask = ip_mask(cpu);
  uint64_t ip = cpu.s.rip;
  while (d.insns.size() < std::min(max_insns, kMaxBlockInsns)) {
    uint8_t buf[cpu::kFetchMax];
    bool wrapped;
    size_t n = cpu::fetch_code(cpu, ip, buf, wrapped, true);
    cpu::DecodedInsn insn;
    cpu::DecodeStatus st = cpu::decode({buf, n}, ctx, insn);
    bool crosses = false;
    if (st == cpu::DecodeStatus::kNeedMore && !wrapped) {
      // It may continue on the next page: fetched whole, it ends the block.
      // A fault there (or at the CS limit) is the interpreter's to raise.
      try {
        n = cpu::fetch_code(cpu, ip, buf, wrapped, false);
      } catch (const cpu::GuestFault&) {
        break;
      }
      st = cpu::decode({buf, n}, ctx, insn);
      crosses = true;
    }
    if (st == cpu::DecodeStatus::kNeedMore || st == cpu::DecodeStatus::kTooLong || wrapped) break;
    if (insn.len > n) break;
    insn.handler = cpu::exec::handler_for(insn.form);
    d.insns.push_back(insn);
    d.bytes += insn.len;
    const uint16_t attrs = insn.form == cpu::isa::Form::kInvalid ? uint16_t{cpu::isa::a_stop} : insn.row().attrs;
    if (crosses) {
      const uint64_t last = cpu.s.seg[cpu::kCs].base + ((ip + insn.len - 1) & mask);
      d.second_page = cpu.mem.translate(last, mmu::Access::kExec, cpu.priv()) >> mmu::kPageBits;
      break;
    }
    ip = (ip + insn.len) & mask;
    if (ip == 0 && ctx.code != cpu::CodeSize::k64) break;
    if (attrs & (cpu::isa::a_branch | cpu::isa::a_stop | cpu::isa::a_serial)) break;
    if (((phys + d.bytes) & mmu::kPageMask) != (phys & mmu::kPageMask)) break;
  }
  return d;
}

}  // namespace kestrel::jit::frontend
