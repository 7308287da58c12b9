// SPDX-License-Identifier: MIT
// Descriptor fetch, segment-cache filling and the segment-load checks of
// SDM 3A chapter 5 and SDM 2 MOV/POP/RET/IRET, shared by every instruction
// and by event delivery.
#include "cpu/segment.h"

namespace kestrel::cpu {

bool fetch_descriptor(Cpu& cpu, uint16_t selector, Descriptor& d) {
  const bool ldt = selector & 4;
  if (ldt && (cpu.s.ldtr.selector & 0xfffc) == 0) return false;
  const TableRegister table = ldt ? TableRegister{cpu.s.ldtr.base, cpu.s.ldtr.limit} : cpu.s.gdtr;
  const uint32_t index = selector & 0xfff8;
  if (index + 7 > table.limit) return false;
  const uint64_t addr = table.base + index;
  d.lo = sys_read<uint32_t>(cpu, addr);
  d.hi = sys_read<uint32_t>(cpu, addr + 4);
  return true;
}

Descriptor read_descriptor(Cpu& cpu, uint16_t selector, uint8_t vector, uint32_t ext) {
  Descriptor d;
  if (!fetch_descriptor(cpu, selector, d)) raise(vector, sel_error(selector) | ext);
  return d;
}

void set_accessed(Cpu& cpu, uint16_t selector, Descriptor& d) {
  if (d.hi & (1u << 8)) return;
  d.hi |= 1u << 8;
  const uint64_t base = selector & 4 ? cpu.s.ldtr.base : cpu.s.gdtr.base;
  sys_write<uint8_t>(cpu, base + (selector & 0xfff8) + 5, uint8_t(d.hi >> 8));
}

SegmentCache make_cache(uint16_t selector, const Descriptor& d) {
  SegmentCache c;
  c.selector = selector;
  c.base = d.base();
  c.attr = d.attr();
  c.limit = d.limit();
  c.lo = 0;
  if (d.expand_down()) {
    // Valid offsets run from limit + 1 to FFFFh or FFFFFFFFh (SDM 3A §3.4.5.1).
    c.lo = c.limit + 1;
    c.limit = d.big() ? 0xffffffff : 0xffff;
  }
  c.rights = 0;
  if (d.readable()) c.rights |= kSegReadable;
  if (d.writable()) c.rights |= kSegWritable;
  return c;
}

void load_null_segment(Cpu& cpu, uint8_t seg, uint16_t selector) {
  SegmentCache& c = cpu.s.seg[seg];
  c.selector = selector;
  c.attr = 0;
  c.rights = 0;
}

void load_v86_segment(Cpu& cpu, uint8_t seg, uint16_t selector) {
  SegmentCache& c = cpu.s.seg[seg];
  c.selector = selector;
  c.base = uint64_t(selector) << 4;
  c.limit = 0xffff;
  c.lo = 0;
  // Present, DPL 3, read/write data, accessed (SDM 3A §20.1.1).
  c.attr = kAttrPresent | 3u << 5 | kAttrS | kAttrWritable | kAttrAccessed;
  c.rights = kSegReadable | kSegWritable;
}

void load_data_segment_pm(Cpu& cpu, uint8_t seg, uint16_t selector) {
  const unsigned cpl = cpu.s.cpl;
  const uint32_t err = sel_error(selector);
  if (seg == kSs) {
    // 64-bit mode accepts a null SS at CPL 0-2 when RPL = CPL (SDM 2 MOV).
    if (err == 0 && cpu.long_mode64() && cpl != 3 && (selector & 3u) == cpl) {
      load_null_segment(cpu, kSs, selector);
      return;
    }
    if (err == 0) raise(kVecGp, 0);
    Descriptor d = read_descriptor(cpu, selector, kVecGp);
    if ((selector & 3u) != cpl || !d.writable() || d.dpl() != cpl) raise(kVecGp, err);
    if (!d.present()) raise(kVecSs, err);
    set_accessed(cpu, selector, d);
    cpu.s.seg[kSs] = make_cache(selector, d);
    return;
  }
  if (err == 0) {
    load_null_segment(cpu, seg, selector);
    // Intel processors clear the base of FS and GS loaded with a null
    // selector in 64-bit mode (AMD keeps it); elsewhere it is never used.
    if (cpu.long_mode64()) cpu.s.seg[seg].base = 0;
    return;
  }
  Descriptor d = read_descriptor(cpu, selector, kVecGp);
  if (!d.readable()) raise(kVecGp, err);
  if (!d.conforming() && ((selector & 3u) > d.dpl() || cpl > d.dpl())) raise(kVecGp, err);
  if (!d.present()) raise(kVecNp, err);
  set_accessed(cpu, selector, d);
  cpu.s.seg[seg] = make_cache(selector, d);
}

Descriptor check_stack_segment(Cpu& cpu, uint16_t selector, unsigned cpl, uint8_t vector,
                               uint32_t ext) {
  if (sel_error(selector) == 0) raise(vector, ext);
  const Descriptor d = read_descriptor(cpu, selector, vector, ext);
  if ((selector & 3u) != cpl || !d.writable() || d.dpl() != cpl) {
    raise(vector, sel_error(selector) | ext);
  }
  if (!d.present()) raise(kVecSs, sel_error(selector) | ext);
  return d;
}

void load_code_segment(Cpu& cpu, uint16_t selector, Descriptor d, unsigned cpl) {
  set_accessed(cpu, selector, d);
  cpu.s.seg[kCs] = make_cache(uint16_t((selector & ~3u) | cpl), d);
  // 64-bit code ignores the base (SDM 3A §3.4.4); a zero one keeps CS:rIP
  // the linear address for the fetch.
  if (is_code64(cpu, d)) cpu.s.seg[kCs].base = 0;
  cpu.set_cpl(cpl);
}

void null_outer_segments(Cpu& cpu) {
  for (uint8_t seg : {kEs, kDs, kFs, kGs}) {
    const SegmentCache& c = cpu.s.seg[seg];
    if (!(c.attr & kAttrS)) continue;  // already null
    const bool conforming_code = (c.attr & kAttrCode) && (c.attr & (1u << 2));
    const unsigned dpl = (c.attr >> 5) & 3;
    if (!conforming_code && dpl < cpu.s.cpl) load_null_segment(cpu, seg, 0);
  }
}

StackPointer tss_stack(Cpu& cpu, unsigned dpl, uint32_t ext) {
  const SegmentCache& tr = cpu.s.tr;
  const bool tss32 = tr.attr & 8;
  const uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
  const uint32_t end = off + (tss32 ? 5 : 3);
  if (end > tr.limit) raise(kVecTs, sel_error(tr.selector) | ext);
  if (tss32) {
    return {sys_read<uint16_t>(cpu, tr.base + off + 4), sys_read<uint32_t>(cpu, tr.base + off)};
  }
  return {sys_read<uint16_t>(cpu, tr.base + off + 2), sys_read<uint16_t>(cpu, tr.base + off)};
}

}  // namespace kestrel::cpu

namespace kestrel::cpu {

uint32_t read_descriptor_upper(Cpu& cpu, uint16_t selector, uint32_t ext) {
  const bool ldt = selector & 4;
  const TableRegister table = ldt ? TableRegister{cpu.s.ldtr.base, cpu.s.ldtr.limit} : cpu.s.gdtr;
  const uint32_t index = selector & 0xfff8;
  if (index + 15 > table.limit) raise(kVecGp, sel_error(selector) | ext);
  const uint32_t upper = sys_read<uint32_t>(cpu, table.base + index + 8);
  const uint32_t type = sys_read<uint32_t>(cpu, table.base + index + 12) >> 8 & 0x1f;
  if (type != 0) raise(kVecGp, sel_error(selector) | ext);
  return upper;
}

SegmentCache system_segment_cache(Cpu& cpu, uint16_t selector, const Descriptor& d) {
  SegmentCache c = make_cache(selector, d);
  if (cpu.long_mode()) {
    c.base |= uint64_t(read_descriptor_upper(cpu, selector)) << 32;
    if (!cpu.canonical(c.base)) raise(kVecGp, sel_error(selector));
  }
  return c;
}

uint64_t tss64_stack(Cpu& cpu, unsigned dpl, unsigned ist, uint32_t ext) {
  // RSP0-2 at 4, 12, 20; IST1-7 at 36 + 8 (n - 1) (SDM 3A §8.7, figure 8-11).
  const uint32_t off = ist ? 36 + 8 * (ist - 1) : 4 + 8 * dpl;
  const SegmentCache& tr = cpu.s.tr;
  if (off + 7 > tr.limit) raise(kVecTs, sel_error(tr.selector) | ext);
  return sys_read<uint64_t>(cpu, tr.base + off);
}

void load_null_stack64(Cpu& cpu, unsigned cpl) {
  load_null_segment(cpu, kSs, uint16_t(cpl));
  // A null SS in 64-bit mode still addresses the flat stack; its DPL
  // follows CPL, as the hidden attributes do on hardware.
  cpu.s.seg[kSs].attr = uint16_t(cpl << 5);
}

}  // namespace kestrel::cpu
