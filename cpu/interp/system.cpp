// SPDX-License-Identifier: MIT
// System and miscellaneous instructions: RDTSC, the descriptor-table
// registers (SGDT/SIDT/LGDT/LIDT), the machine status word, control and
// debug register moves with the IA-32e activation rules of CR0/CR4, cache
// control, WAIT, the 8086's ESC and the deliberate #UD forms. CPUID is in
// cpuid.cpp; HLT and the privileged I/O instructions are control flow and
// I/O and live elsewhere.
#include <cstdint>

#include "cpu/debug.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"
#include "cpu/interp/x87.h"
#include "cpu/msr.h"
#include "cpu/segment.h"

namespace kestrel::cpu::exec {
namespace {

// CR0 bits (SDM 3A §2.5).
constexpr uint64_t kCr0Pe = 1u << 0, kCr0Mp = 1u << 1, kCr0Em = 1u << 2, kCr0Ts = 1u << 3,
                   kCr0Et = 1u << 4, kCr0Ne = 1u << 5, kCr0Wp = 1u << 16, kCr0Am = 1u << 18,
                   kCr0Nw = 1u << 29, kCr0Cd = 1u << 30, kCr0Pg = 1u << 31;
// CR4 bits Kestrel may allow.
constexpr uint64_t kCr4Tsd = 1u << 2, kCr4De = 1u << 3, kCr4Pse = 1u << 4, kCr4Pae = 1u << 5,
                   kCr4Pge = 1u << 7, kCr4Pce = 1u << 8, kCr4Osfxsr = 1u << 9,
                   kCr4Osxmmexcpt = 1u << 10, kCr4La57 = 1u << 12, kCr4Fsgsbase = 1u << 16,
                   kCr4Osxsave = 1u << 18, kCr4Smap = 1u << 21;

/// Instructions marked a_priv: #GP(0) outside CPL 0 (virtual-8086 mode runs at CPL 3).
void require_cpl0(const Cpu& cpu) {
  if (!cpu.real_mode() && (cpu.v86() || cpu.s.cpl != 0)) raise(kVecGp, 0);
}

/// Width of a control/debug register move: 64 bits in 64-bit mode, else 32.
void write_ry(Cpu& cpu, unsigned reg, uint64_t v) {
  if (cpu.long_mode64()) cpu.s.gpr[reg] = v;
  else write_gpr<uint32_t>(cpu.s, reg, uint32_t(v));
}
uint64_t read_ry(const Cpu& cpu, unsigned reg) {
  return cpu.long_mode64() ? cpu.s.gpr[reg] : uint32_t(cpu.s.gpr[reg]);
}

/// CR0 bits the model implements; other bits read as zero and writes to
/// them are ignored (SDM 3A §2.5: reserved CR0[31:0] bits are ignored).
uint64_t cr0_bits(const Cpu& cpu) {
  uint64_t m = kCr0Pe | kCr0Mp | kCr0Em | kCr0Ts | kCr0Et | kCr0Pg;
  if (cpu.model->has(isa::f486)) m |= kCr0Ne | kCr0Wp | kCr0Am | kCr0Nw | kCr0Cd;
  return m;
}

/// CR4 bits of the features this model has. 5-level paging (LA57) comes
/// with long mode (cpu/interp/cpuid.cpp reports it so).
uint64_t cr4_bits(const Cpu& cpu) {
  uint64_t m = 0;
  // VME, PVI (SDM 3A §20.3, §20.4) and DE (I/O breakpoints) came with the Pentium.
  if (cpu.model->has(isa::fPentium)) m |= 0x3 | kCr4De;
  if (cpu.model->has(isa::fLm)) m |= kCr4La57;
  if (cpu.model->has(isa::fPse)) m |= kCr4Pse;
  if (cpu.model->has(isa::fPae)) m |= kCr4Pae;
  if (cpu.model->has(isa::fPge)) m |= kCr4Pge;
  if (cpu.model->has(isa::fTsc)) m |= kCr4Tsd;
  if (cpu.model->has(isa::fP6)) m |= kCr4Pce;  // RDPMC (cpu/interp/msr.cpp)
  if (cpu.model->has(isa::fFxsr)) m |= kCr4Osfxsr;
  if (cpu.model->has(isa::fSse)) m |= kCr4Osxmmexcpt;
  if (cpu.model->has(isa::fFsgsbase)) m |= kCr4Fsgsbase;
  if (cpu.model->has(isa::fXsave)) m |= kCr4Osxsave;
  if (cpu.model->has(isa::fSmap)) m |= kCr4Smap;
  return m;
}

/// EFER after a CR0 write: LMA follows LME while paging is on (SDM 3A
/// §9.8.5). Activating IA-32e mode needs CR4.PAE, a CS without L and a
/// 32-bit TSS loaded; leaving it is not possible from 64-bit mode.
uint64_t efer_for_cr0(const Cpu& cpu, uint64_t cr0) {
  const uint64_t efer = cpu.s.efer;
  const bool pg_was = cpu.s.cr[0] & kCr0Pg, pg = cr0 & kCr0Pg;
  if (pg == pg_was || !(efer & kEferLme)) return efer;
  if (!pg) {
    if (cpu.long_mode64()) raise(kVecGp, 0);
    return efer & ~uint64_t{kEferLma};
  }
  const bool tss16 = (cpu.s.tr.attr & 0xf) == kSysTss16Busy || (cpu.s.tr.attr & 0xf) == kSysTss16;
  if (!(cpu.s.cr[4] & kCr4Pae) || (cpu.s.seg[kCs].attr & kAttrL) || tss16) raise(kVecGp, 0);
  return efer | kEferLma;
}

void write_cr0(Cpu& cpu, uint64_t v) {
  // SDM 2 MOV CR: #GP(0) for bits 63:32, PG without PE, NW without CD.
  if (v >> 32) raise(kVecGp, 0);
  if ((v & kCr0Pg) && !(v & kCr0Pe)) raise(kVecGp, 0);
  if ((v & kCr0Nw) && !(v & kCr0Cd)) raise(kVecGp, 0);
  v &= cr0_bits(cpu);
  if (cpu.model->has(isa::f486)) v |= kCr0Et;  // hardwired from the 486 on
  const uint64_t efer = efer_for_cr0(cpu, v);
  // The MMU flushes what the change requires and, for PAE, loads the PDPTEs.
  if (!cpu.load_paging(v, cpu.s.cr[3], cpu.s.cr[4], efer, false)) raise(kVecGp, 0);
}

/// SDM 2 MOV CR4: reserved bits, and in IA-32e mode clearing PAE or
/// changing LA57, raise #GP(0).
void write_cr4(Cpu& cpu, uint64_t v) {
  if (v & ~cr4_bits(cpu)) raise(kVecGp, 0);
  if (cpu.s.efer & kEferLma) {
    if (!(v & kCr4Pae) || ((v ^ cpu.s.cr[4]) & kCr4La57)) raise(kVecGp, 0);
  }
  if (!cpu.load_paging(cpu.s.cr[0], cpu.s.cr[3], v, cpu.s.efer, false)) raise(kVecGp, 0);
}

void write_cr(Cpu& cpu, unsigned n, uint64_t v) {
  switch (n) {
    case 0: write_cr0(cpu, v); return;
    case 2: cpu.s.cr[2] = v; return;
    case 3:
      // Bits above MAXPHYADDR are reserved in IA-32e mode (SDM 3A §4.5).
      if ((cpu.s.efer & kEferLma) && (v >> cpu.model->phys_addr_bits)) raise(kVecGp, 0);
      if (!cpu.load_paging(cpu.s.cr[0], v, cpu.s.cr[4], cpu.s.efer, true)) raise(kVecGp, 0);
      return;
    case 4: write_cr4(cpu, v); return;
    default:  // CR8, the task-priority register
      if (v & ~uint64_t{0xf}) raise(kVecGp, 0);
      cpu.s.cr[8] = v;
      if (cpu.apic) cpu.apic->write_cr8(v);
      return;
  }
}

/// The control register named by ModRM.reg (+ REX.R): CR0, CR2, CR3, CR4
/// (Pentium and later), CR8 (64-bit mode); #UD for the others.
unsigned cr_operand(const Cpu& cpu, const DecodedInsn& i) {
  const unsigned n = i.reg;
  const bool ok = n == 0 || n == 2 || n == 3 || (n == 4 && cpu.model->has(isa::fPentium)) ||
                  (n == 8 && cpu.long_mode64());
  if (!ok) raise(kVecUd);
  return n;
}

/// The debug register named by ModRM.reg, after the SDM 2 MOV DR checks:
/// DR7.GD turns the access into #DB (with DR6.BD), DR4/DR5 alias DR6/DR7
/// unless CR4.DE makes them #UD.
unsigned dr_operand(Cpu& cpu, const DecodedInsn& i) {
  unsigned n = i.reg;
  if (n > 7) raise(kVecUd);
  if ((n == 4 || n == 5) && (cpu.s.cr[4] & kCr4De)) raise(kVecUd);
  if (cpu.s.dr[7] & kDr7Gd) {
    cpu.s.dr[6] |= kDr6Bd;
    cpu.s.dr[7] &= ~kDr7Gd;  // so the #DB handler can use the registers
    raise(kVecDb);
  }
  if (n == 4 || n == 5) n += 2;
  return n;
}

/// SGDT/SIDT image: limit, then the base (24 bits + 0xFF on the 286, whose
/// 16-bit form stores ones in the top byte; 32 bits on the 386 and later;
/// 64 bits in 64-bit mode).
void store_table_register(Cpu& cpu, const DecodedInsn& i, const TableRegister& tr) {
  const uint64_t ea = effective_address(cpu, i);
  const uint64_t mask = addr_mask(i.asize);
  if (cpu.long_mode64()) {
    cpu.write<uint16_t>(i.seg, ea, uint16_t(tr.limit));
    cpu.write<uint64_t>(i.seg, (ea + 2) & mask, tr.base);
    return;
  }
  uint32_t base = uint32_t(tr.base);
  if (!cpu.model->has(isa::f386)) base = (base & 0x00ffffff) | 0xff000000;
  cpu.write<uint16_t>(i.seg, ea, uint16_t(tr.limit));
  cpu.write<uint32_t>(i.seg, (ea + 2) & mask, base);
}

/// LGDT/LIDT: a 16-bit operand size loads a 24-bit base (SDM 2 LGDT).
void load_table_register(Cpu& cpu, const DecodedInsn& i, TableRegister& tr) {
  require_cpl0(cpu);
  const uint64_t ea = effective_address(cpu, i);
  const uint64_t mask = addr_mask(i.asize);
  const uint16_t limit = cpu.read<uint16_t>(i.seg, ea);
  uint64_t base;
  if (cpu.long_mode64()) {
    base = cpu.read<uint64_t>(i.seg, (ea + 2) & mask);
  } else {
    base = cpu.read<uint32_t>(i.seg, (ea + 2) & mask);
    if (i.osize == 2) base &= 0x00ffffff;
  }
  tr.limit = limit;
  tr.base = base;
}

void set_edx_eax(CpuState& s, uint64_t v) {
  write_gpr<uint32_t>(s, kRax, uint32_t(v));
  write_gpr<uint32_t>(s, kRdx, uint32_t(v >> 32));
}

}  // namespace

// ---- identification and time ----
void RDTSC(Cpu& cpu, const DecodedInsn&) {
  // CR4.TSD restricts RDTSC to CPL 0 (SDM 2 RDTSC).
  if ((cpu.s.cr[4] & kCr4Tsd) && !cpu.real_mode() && (cpu.v86() || cpu.s.cpl != 0)) {
    raise(kVecGp, 0);
  }
  // The retired-instruction count keeps runs deterministic until the
  // machine's virtual clock drives the counter (cpu/msr.h).
  set_edx_eax(cpu.s, read_tsc(cpu));
}

// ---- descriptor-table registers and the machine status word ----
void SGDT_Ms(Cpu& cpu, const DecodedInsn& insn) { store_table_register(cpu, insn, cpu.s.gdtr); }
void SIDT_Ms(Cpu& cpu, const DecodedInsn& insn) { store_table_register(cpu, insn, cpu.s.idtr); }
void LGDT_Ms(Cpu& cpu, const DecodedInsn& insn) { load_table_register(cpu, insn, cpu.s.gdtr); }
void LIDT_Ms(Cpu& cpu, const DecodedInsn& insn) { load_table_register(cpu, insn, cpu.s.idtr); }

void SMSW_Ev(Cpu& cpu, const DecodedInsn& insn) {
  uint64_t msw = cpu.s.cr[0];
  // The 286's MSW has 12 reserved bits that read as ones (FFF0h after reset).
  if (!cpu.model->has(isa::f386)) msw = (msw & 0xf) | 0xfff0;
  if (insn.is_mem()) {
    cpu.write<uint16_t>(insn.seg, effective_address(cpu, insn), uint16_t(msw));
    return;
  }
  // A 32/64-bit register receives all of CR0 (the SDM leaves bits 31:16
  // undefined; this is what later processors store).
  with_osize(insn, [&](auto t) { write_gpr<decltype(t)>(cpu.s, insn.rm, decltype(t)(msw)); });
}

void LMSW_Ew(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const uint16_t v = read_e<uint16_t>(cpu, insn);
  // SDM 2 LMSW: only PE, MP, EM and TS change, and PE cannot be cleared.
  uint64_t cr0 = cpu.s.cr[0];
  cr0 = (cr0 & ~uint64_t{kCr0Mp | kCr0Em | kCr0Ts}) | (v & (kCr0Pe | kCr0Mp | kCr0Em | kCr0Ts));
  if (!cpu.load_paging(cr0, cpu.s.cr[3], cpu.s.cr[4], cpu.s.efer, false)) raise(kVecGp, 0);
}

void CLTS(Cpu& cpu, const DecodedInsn&) {
  require_cpl0(cpu);
  // TS is no paging bit: the MMU sees no change and flushes nothing.
  if (!cpu.load_paging(cpu.s.cr[0] & ~kCr0Ts, cpu.s.cr[3], cpu.s.cr[4], cpu.s.efer, false)) {
    raise(kVecGp, 0);
  }
}

// ---- control and debug registers ----
void MOV_Ry_Cy(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const unsigned n = cr_operand(cpu, insn);
  // CR8 is the APIC's TPR when there is one (SDM 3A §10.8.6.1).
  write_ry(cpu, insn.rm, n == 8 && cpu.apic ? cpu.apic->read_cr8() : cpu.s.cr[n]);
}

void MOV_Cy_Ry(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const unsigned n = cr_operand(cpu, insn);
  write_cr(cpu, n, read_ry(cpu, insn.rm));
}

void MOV_Ry_Dy(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  write_ry(cpu, insn.rm, cpu.s.dr[dr_operand(cpu, insn)]);
}

void MOV_Dy_Ry(Cpu& cpu, const DecodedInsn& insn) {
  require_cpl0(cpu);
  const unsigned n = dr_operand(cpu, insn);
  const uint64_t v = read_ry(cpu, insn.rm);
  if (n >= 6 && (v >> 32)) raise(kVecGp, 0);
  write_debug_register(cpu, n, v);
}

// ---- cache control, WAIT, hints, deliberate #UD ----
void INVD(Cpu& cpu, const DecodedInsn&) { require_cpl0(cpu); }
void WBINVD(Cpu& cpu, const DecodedInsn&) { require_cpl0(cpu); }

void FWAIT(Cpu& cpu, const DecodedInsn&) {
  // SDM 2 WAIT: #NM when CR0.MP and CR0.TS are both set; then an unmasked
  // x87 exception left pending raises #MF or signals FERR#.
  if ((cpu.s.cr[0] & (kCr0Mp | kCr0Ts)) == (kCr0Mp | kCr0Ts)) raise(kVecNm);
  if (cpu.model->has(isa::fX87)) fpu_wait(cpu);
}

void NOP_Ev(Cpu&, const DecodedInsn&) {}
// 0F 18-1E outside the prefetch encodings: the reserved-hint NOP space
// (SDM 2 NOP, "Recommended Multi-Byte Sequence"; ENDBR32/64 are F3 0F 1E
// FB/FA and run as NOPs without CET). No memory is accessed.
void NOP_Ev_18(Cpu&, const DecodedInsn&) {}
void NOP_Ev_19(Cpu&, const DecodedInsn&) {}
void NOP_Ev_1A(Cpu&, const DecodedInsn&) {}
void NOP_Ev_1B(Cpu&, const DecodedInsn&) {}
void NOP_Ev_1C(Cpu&, const DecodedInsn&) {}
void NOP_Ev_1D(Cpu&, const DecodedInsn&) {}
void NOP_Ev_1E(Cpu&, const DecodedInsn&) {}
void UD2(Cpu&, const DecodedInsn&) { raise(kVecUd); }
void UD1_Gv_Ev(Cpu&, const DecodedInsn&) { raise(kVecUd); }

// The 8086 with no coprocessor runs ESC as a bus read of the memory operand
// (for an 8087 to capture) and nothing else (vectors D8-DF).
void ESC_8086(Cpu& cpu, const DecodedInsn& insn) {
  if (insn.is_mem()) (void)cpu.read<uint16_t>(insn.seg, effective_address(cpu, insn));
}
void ESC_8086_D9(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DA(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DB(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DC(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DD(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DE(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }
void ESC_8086_DF(Cpu& cpu, const DecodedInsn& insn) { ESC_8086(cpu, insn); }

}  // namespace kestrel::cpu::exec
