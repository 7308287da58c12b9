// SPDX-License-Identifier: MIT
// Power-on state, the 8086's wrapping segment accesses, and the CPU's side
// of paging: control-register state to the MMU, page faults back.
#include "cpu/cpu.h"

#include "cpu/flags.h"

namespace kestrel::cpu {

void Cpu::reset() {
  s = CpuState{};
  // SDM 3A §9.1.1, table 9-1: CS = F000 with base FFFF0000, IP = FFF0.
  for (SegmentCache& sc : s.seg) {
    sc = {0, 0xffff, 0, uint16_t(kAttrPresent | kAttrS | kAttrWritable | kAttrAccessed)};
  }
  // The 8086 starts at FFFF:0000; the 286 and later at F000:FFF0 with the
  // CS base at the top of their address space.
  SegmentCache& cs = s.seg[kCs];
  cs.attr |= kAttrCode;
  if (model->phys_addr_bits <= 20) {
    cs.selector = 0xffff;
    cs.base = 0xffff0;
    s.rip = 0;
  } else {
    cs.selector = 0xf000;
    cs.base = model->phys_addr_bits == 24 ? 0xff0000 : 0xffff0000;
    s.rip = 0xfff0;
  }
  s.rflags = kFixed1 | (model->quirk(kQuirkFlagsHighSet) ? 0xf000 : 0);
  s.cr[0] = 0x60000010;
  s.gpr[kRdx] = model->cpuid_signature;
  s.ldtr.attr = 0x82;
  s.tr.attr = 0x8b;
  // The x87 after power-up, not after FINIT: control word 0040h (all
  // exceptions unmasked, 24-bit precision), every register +0 and tagged
  // zero (SDM 3A §9.1.1, table 9-1). FINIT/FNINIT give 037Fh and FFFFh.
  s.fcw = 0x0040;
  s.fsw = 0;
  s.ftw = 0x5555;
  mem.set_a20(true);
  load_paging(s.cr[0], 0, 0, 0, true);
  sync_tlb();
}

bool Cpu::load_paging(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, bool cr3_load) {
  mmu::PagingConfig cfg;
  cfg.enabled = cr0 & (1u << 31);
  cfg.wp = cr0 & (1u << 16);
  cfg.pse = cr4 & (1u << 4);
  cfg.pae = cr4 & (1u << 5);
  cfg.pge = cr4 & (1u << 7);
  cfg.nxe = efer & (1u << 11);
  cfg.lma = efer & (1u << 10);
  cfg.la57 = cfg.lma && (cr4 & (1u << 12));
  cfg.cr3 = cr3;
  if (!mem.set_paging(cfg, cr3_load)) return false;
  s.cr[0] = cr0;
  s.cr[3] = cr3;
  s.cr[4] = cr4;
  s.efer = efer;
  return true;
}

void Cpu::page_fault(uint64_t linear, uint32_t error_code) {
  s.cr[2] = linear;
  raise(kVecPf, error_code);
}

uint64_t Cpu::read_wrapped(uint8_t seg, uint64_t offset, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    v |= uint64_t(mem.read<uint8_t>(s.seg[seg].base + ((offset + i) & 0xffff))) << (8 * i);
  }
  return v;
}

void Cpu::write_wrapped(uint8_t seg, uint64_t offset, uint64_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    mem.write<uint8_t>(s.seg[seg].base + ((offset + i) & 0xffff), uint8_t(value >> (8 * i)));
  }
}

}  // namespace kestrel::cpu
