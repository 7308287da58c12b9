// SPDX-License-Identifier: MIT
// Power-on state and the 8086's wrapping segment accesses.
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
  mem.set_a20(true);
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
