// SPDX-License-Identifier: MIT
// Kestrel and Unicorn set up alike: a flat GDT (code 08, data 10), CPL 0,
// the same registers, window and code. Kestrel runs one instruction at a
// time so the undefined flags of exactly the executed instructions are
// known; Unicorn runs to the HLT's address.
#include "tests/differential/unicorn_runners.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "cpu/decode.h"
#include "cpu/flags.h"

namespace kestrel::differential {

namespace fl = cpu::isa::fl;

std::vector<uint8_t> gdt_image() {
  // Base 0, limit FFFFF with G: 4 GiB; D/B = 1. Access 9B: present, DPL 0,
  // execute/read, accessed; 93: read/write data, accessed.
  static constexpr uint64_t kDesc[] = {0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull};
  std::vector<uint8_t> out(sizeof kDesc);
  std::memcpy(out.data(), kDesc, sizeof kDesc);
  return out;
}

std::vector<uint8_t> idt_image() {
  std::vector<uint8_t> out(kIdtVectors * 8);
  for (unsigned v = 0; v < kIdtVectors; ++v) {
    const uint32_t off = kStubBase + 4 * v;
    // 32-bit interrupt gate, DPL 0, present (SDM 3A §6.11, figure 6-2).
    const uint32_t lo = uint32_t(kCodeSel) << 16 | (off & 0xffff);
    const uint32_t hi = (off & 0xffff0000u) | 0x8e00u;
    std::memcpy(out.data() + 8 * v, &lo, 4);
    std::memcpy(out.data() + 8 * v + 4, &hi, 4);
  }
  return out;
}

// ---- Kestrel --------------------------------------------------------------

namespace {

const cpu::CpuModel& max_model() { return *cpu::find_cpu_model("max"); }

bool operand_is_cl(const cpu::isa::Operand& o) {
  return o.am == cpu::isa::Am::kReg && o.ot == cpu::isa::Ot::kB && o.reg == 1;
}

/// Flags one executed instruction writes and leaves undefined, refined by
/// its shift count where the count decides (SDM vol. 2, SAL/SAR/SHL/SHR,
/// ROL/ROR/RCL/RCR and SHLD/SHRD "Flags Affected": a masked count of 0
/// changes no flag; SHL/SHR by at least the operand width leave CF
/// undefined; SHLD/SHRD by more than the width leave everything undefined).
void executed_flags(const cpu::DecodedInsn& d, const cpu::CpuState& pre, uint16_t& written,
                    uint16_t& undef) {
  const cpu::isa::Row& r = d.row();
  written = static_written(r);
  undef = r.flags_undefined;
  if (!is_shift(r)) return;
  written = r.flags_written;
  unsigned count = 1;
  for (const auto& o : r.ops) {
    if (operand_is_cl(o)) count = unsigned(pre.gpr[cpu::kRcx] & 0xff);
    else if (o.am == cpu::isa::Am::kI) count = unsigned(d.imm & 0xff);
  }
  count &= 0x1f;
  if (count == 0) {
    written = undef = 0;
    return;
  }
  const unsigned width = r.ops[0].ot == cpu::isa::Ot::kB ? 8 : d.osize * 8u;
  const bool shift = r.mnemonic == "shl" || r.mnemonic == "shr" || r.mnemonic == "sal";
  if (shift && count >= width) undef |= fl::C;
  if ((r.mnemonic == "shld" || r.mnemonic == "shrd") && count > width) undef = fl::OSZAPC;
}

/// Memory an executed instruction leaves undefined. PUSH of a segment
/// register with a 32-bit operand size either writes the zero-extended
/// selector or moves only its 16 bits, leaving the upper half of the slot
/// unmodified (SDM vol. 2, PUSH: "Operation" note; recent Intel CPUs do
/// the 16-bit move).
void undefined_bytes(const cpu::DecodedInsn& d, const cpu::CpuState& post, Undefined& undef) {
  if (d.row().mnemonic != "push" || d.row().ops[0].am != cpu::isa::Am::kSreg || d.osize != 4) return;
  const uint32_t sp = uint32_t(post.gpr[cpu::kRsp]);
  undef.bytes.push_back(sp + 2);
  undef.bytes.push_back(sp + 3);
}

/// Conditions some Unicorn errors need (unicorn_quirks.cpp), from the
/// state an instruction starts in.
void note_events(const cpu::DecodedInsn& d, const cpu::CpuState& pre, Undefined& undef) {
  const uint32_t count = uint32_t(pre.gpr[cpu::kRcx]) & (d.asize == 2 ? 0xffffu : 0xffffffffu);
  const std::string_view mn = d.row().mnemonic;
  if (d.rep != cpu::kRepNone && (d.row().attrs & cpu::isa::a_rep) && count == 0) undef.rep_count0 = true;
  if ((mn == "loope" || mn == "loopne") && count == 1) undef.loopcc_exit0 = true;
}

}  // namespace

KestrelSide::KestrelSide()
    : mem_(2u << 20, max_model().phys_addr_bits), cpu_(max_model(), mem_, bus_), interp_(cpu_) {
  load_tables();
}

void KestrelSide::load_tables() {
  mem_.load_phys(kGdtBase, gdt_image());
  mem_.load_phys(kIdtBase, idt_image());
  std::vector<uint8_t> stubs(kIdtVectors * 4, 0xf4);
  mem_.load_phys(kStubBase, stubs);
}

void KestrelSide::set_state(const Sequence& seq, uint32_t cr0) {
  cpu::CpuState& s = cpu_.s;
  s = cpu::CpuState{};
  s.cr[0] = cr0;
  s.cpl = 0;
  s.gdtr = {kGdtBase, 0x17};
  s.idtr = {kIdtBase, kIdtVectors * 8 - 1};
  using namespace cpu;
  const uint16_t kFlat = kAttrPresent | kAttrS | kAttrAccessed | kAttrDb | kAttrG;
  for (unsigned i = 0; i < kSegCount; ++i)
    s.seg[i] = {0, 0xffffffffu, kDataSel, uint16_t(kFlat | kAttrWritable)};
  // Execute/read code: the writable bit of a code segment means readable.
  s.seg[kCs] = {0, 0xffffffffu, kCodeSel, uint16_t(kFlat | kAttrCode | kAttrWritable)};
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = seq.gpr[i];
  s.rflags = seq.eflags;
  s.rip = kCodeBase;
}

/// After an exception went through the IDT to its stub: the state it
/// interrupted, from the frame (EIP, CS, EFLAGS [, error code]).
void KestrelSide::interrupted_state(Outcome& out) {
  const cpu::CpuState& s = cpu_.s;
  const unsigned v = unsigned(s.rip - kStubBase) / 4;
  const bool has_error = v == 8 || (v >= 10 && v <= 14) || v == 17;
  const uint32_t sp = uint32_t(s.gpr[cpu::kRsp]) + (has_error ? 4 : 0);
  out.vector = int(v);
  for (unsigned i = 0; i < 8; ++i) out.gpr[i] = uint32_t(s.gpr[i]);
  out.gpr[cpu::kRsp] = sp + 12;
  out.eip = uint32_t(mem_.read_phys(sp, 4));
  // The frame of a fault has RF set (SDM 3A §17.3.1.1); the interrupted
  // EFLAGS register did not.
  out.eflags = uint32_t(mem_.read_phys(sp + 8, 4)) & ~uint32_t(cpu::kRf);
}

Outcome KestrelSide::run(const Sequence& seq, uint32_t cr0, Undefined& undef) {
  mem_.load_phys(kWinBase, seq.window);
  mem_.load_phys(kCodeBase, seq.code);
  set_state(seq, cr0);
  cpu::CpuState& s = cpu_.s;
  cpu::DecodeContext ctx;
  ctx.code = cpu::CodeSize::k32;
  ctx.protected_mode = true;
  ctx.model = cpu_.model;
  Outcome out;
  undef = {};
  for (unsigned steps = 0; s.rip != seq.end; ++steps) {
    if (steps > 100000 || s.rip < kCodeBase || s.rip >= seq.end) {
      out.error = "left the sequence";
      break;
    }
    const size_t at = size_t(s.rip - kCodeBase);
    cpu::DecodedInsn d;
    const auto st = cpu::decode(std::span(seq.code).subspan(at), ctx, d);
    const cpu::CpuState pre = s;
    if (st == cpu::DecodeStatus::kOk && d.form != cpu::isa::Form::kInvalid) note_events(d, pre, undef);
    const uint32_t frame_top = uint32_t(pre.gpr[cpu::kRsp]);
    uint8_t below[16];
    mem_.copy_from_phys(frame_top - 16, below);
    interp_.step();
    ++undef.insns;
    if (s.rip >= kStubBase && s.rip < kStubBase + 4 * kIdtVectors) {
      interrupted_state(out);
      mem_.load_phys(frame_top - 16, below);
      // AAM 0 raises #DE after setting SF, ZF, PF from an early divide step
      // on the 80286, which Kestrel follows for later CPUs too (bcd.cpp);
      // the SDM does not say, so the flags count as undefined here.
      if (st == cpu::DecodeStatus::kOk && d.form != cpu::isa::Form::kInvalid &&
          d.row().mnemonic == "aam")
        undef.flags |= fl::OSZAPC;
      mem_.copy_from_phys(kWinBase, out.window);
      return out;
    }
    if (st == cpu::DecodeStatus::kOk && d.form != cpu::isa::Form::kInvalid) {
      uint16_t written = 0, und = 0;
      executed_flags(d, pre, written, und);
      undef.flags = uint16_t((undef.flags & ~written) | und);
      undefined_bytes(d, s, undef);
    }
    if (s.halted) break;
  }
  for (unsigned i = 0; i < 8; ++i) out.gpr[i] = uint32_t(s.gpr[i]);
  out.eip = uint32_t(s.rip);
  out.eflags = uint32_t(cpu::read_flags(s));
  mem_.copy_from_phys(kWinBase, out.window);
  return out;
}

// ---- Unicorn --------------------------------------------------------------

namespace {

void check(uc_err e, const char* what) {
  if (e == UC_ERR_OK) return;
  std::fprintf(stderr, "unicorn: %s: %s\n", what, uc_strerror(e));
  std::exit(2);
}

constexpr int kGprIds[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                            UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};

}  // namespace

UnicornSide::UnicornSide() { open(); }

void UnicornSide::open() {
  check(uc_open(UC_ARCH_X86, UC_MODE_32, &uc_), "uc_open");
  check(uc_mem_map(uc_, 0, kMapSize, UC_PROT_ALL), "uc_mem_map");
  const std::vector<uint8_t> gdt = gdt_image(), idt = idt_image();
  check(uc_mem_write(uc_, kGdtBase, gdt.data(), gdt.size()), "gdt");
  check(uc_mem_write(uc_, kIdtBase, idt.data(), idt.size()), "idt");
  uc_x86_mmr gdtr{0, kGdtBase, 0x17, 0}, idtr{0, kIdtBase, kIdtVectors * 8 - 1, 0};
  check(uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr), "gdtr");
  check(uc_reg_write(uc_, UC_X86_REG_IDTR, &idtr), "idtr");
  // Loading the selectors through the GDT gives Unicorn the same caches.
  uint32_t sel = kCodeSel;
  check(uc_reg_write(uc_, UC_X86_REG_CS, &sel), "cs");
  sel = kDataSel;
  for (int id : {UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS})
    check(uc_reg_write(uc_, id, &sel), "data selector");
  check(uc_reg_read(uc_, UC_X86_REG_CR0, &cr0_), "cr0");
  check(uc_hook_add(uc_, &intr_hook_, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this,
                    1, 0),
        "hook");
  // Unicorn skips the delivery of an exception it reports through the hook,
  // so QEMU's record of the exception in flight stays set and the next one
  // would be promoted to #DF. Every run starts from this saved context.
  check(uc_context_alloc(uc_, &fresh_), "context");
  check(uc_context_save(uc_, fresh_), "context save");
}

UnicornSide::~UnicornSide() { close(); }

void UnicornSide::close() {
  uc_context_free(fresh_);
  uc_close(uc_);
  fresh_ = nullptr;
  uc_ = nullptr;
}

void UnicornSide::on_interrupt(uc_engine* uc, uint32_t intno, void* self) {
  static_cast<UnicornSide*>(self)->vector_ = int(intno);
  uc_emu_stop(uc);
}

Outcome UnicornSide::run(const Sequence& seq) {
  check(uc_mem_write(uc_, kCodeBase, seq.code.data(), seq.code.size()), "code");
  check(uc_ctl_remove_cache(uc_, kCodeBase, kCodeBase + kCodeMax), "remove cache");

  check(uc_mem_write(uc_, kWinBase, seq.window.data(), kWinSize), "window");
  check(uc_context_restore(uc_, fresh_), "context restore");
  for (unsigned i = 0; i < 8; ++i) check(uc_reg_write(uc_, kGprIds[i], &seq.gpr[i]), "gpr");
  check(uc_reg_write(uc_, UC_X86_REG_EFLAGS, &seq.eflags), "eflags");
  vector_ = -1;
  const uc_err e = uc_emu_start(uc_, kCodeBase, seq.end, 0, 0);
  Outcome out;
  if (e == UC_ERR_INSN_INVALID) out.vector = cpu::kVecUd;
  else if (e != UC_ERR_OK) out.error = uc_strerror(e);
  if (vector_ >= 0) out.vector = vector_;
  for (unsigned i = 0; i < 8; ++i) uc_reg_read(uc_, kGprIds[i], &out.gpr[i]);
  uc_reg_read(uc_, UC_X86_REG_EIP, &out.eip);
  uc_reg_read(uc_, UC_X86_REG_EFLAGS, &out.eflags);
  uc_mem_read(uc_, kWinBase, out.window.data(), kWinSize);
  return out;
}

}  // namespace kestrel::differential
