// SPDX-License-Identifier: MIT
// Lockstep (-accel jit,lockstep=on): every translated block runs twice from
// the same state, first as generated code, then, with CpuState and the RAM
// it wrote rolled back, through the interpreter for the same number of
// instructions; registers, flags, segment and control state and the RAM
// pages either side wrote must match. The interpreter's result is kept.
//
// Memory: every RAM page is marked as a code page, so the first write to a
// page during a run reaches code_page_written before it lands, which keeps
// the page's pre-image (and re-marks it afterwards). Devices: a block with
// port I/O (IN, OUT, INS, OUTS) runs once and is counted as unchecked, since
// running it twice would talk to the device twice; MMIO reached through a
// memory operand is not recognised statically and would be performed twice
// (the device models used by the test ROMs are port-based).
#include <capstone/capstone.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "cpu/flags.h"
#include "jit/engine_impl.h"

namespace kestrel::jit {
namespace {

void mark_all_ram(mmu::Mmu& mem) {
  const uint64_t low = mem.low_ram() >> mmu::kPageBits;
  for (uint64_t p = 0; p < low; ++p) mem.mark_code_page(p);
  const uint64_t high = (mem.ram_size() - mem.low_ram()) >> mmu::kPageBits;
  for (uint64_t p = 0; p < high; ++p) mem.mark_code_page((uint64_t{1} << 20) + p);
}

void print_state(const char* who, const cpu::CpuState& s) {
  static const char* kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  std::fprintf(stderr, "  %s: rip=%016llx rflags=%08llx icount=%llu cc_op=%u\n", who,
               static_cast<unsigned long long>(s.rip),
               static_cast<unsigned long long>(cpu::read_flags(s)),
               static_cast<unsigned long long>(s.icount), s.cc_op);
  for (unsigned r = 0; r < 16; ++r) {
    std::fprintf(stderr, "    %-3s=%016llx%s", kNames[r], static_cast<unsigned long long>(s.gpr[r]),
                 r % 4 == 3 ? "\n" : "");
  }
}

/// What must agree at a block boundary (architectural state; the lazy
/// flags compare in their decoded form).
std::string state_difference(const cpu::CpuState& a, const cpu::CpuState& b) {
  if (std::memcmp(a.gpr, b.gpr, sizeof a.gpr)) return "general registers";
  if (a.rip != b.rip) return "rip";
  if (cpu::read_flags(a) != cpu::read_flags(b)) return "rflags";
  if (a.icount != b.icount) return "icount";
  for (unsigned i = 0; i < cpu::kSegCount; ++i) {
    const cpu::SegmentCache &x = a.seg[i], &y = b.seg[i];  // field by field: the struct has padding
    if (x.base != y.base || x.limit != y.limit || x.selector != y.selector || x.attr != y.attr ||
        x.lo != y.lo || x.rights != y.rights)
      return "segment register " + std::to_string(i) + " (selector " + std::to_string(x.selector) + "/" +
             std::to_string(y.selector) + ", base " + std::to_string(x.base) + "/" + std::to_string(y.base) + ")";
  }
  if (std::memcmp(a.cr, b.cr, sizeof a.cr) || a.efer != b.efer || a.cpl != b.cpl) return "control registers";
  if (a.halted != b.halted || a.inhibit_irq != b.inhibit_irq || a.pending != b.pending) return "halt/shadow/pending";
  if (std::memcmp(a.vec, b.vec, sizeof a.vec) || a.mxcsr != b.mxcsr) return "vector registers";
  if (a.fsw != b.fsw || a.fcw != b.fcw || a.ftw != b.ftw) return "x87 control";
  return {};
}

void disassemble(const CompiledBlock& b, mmu::Mmu& mem) {
  csh h;
  const cs_mode mode = (b.key.mode & 0xf) == 8 ? CS_MODE_64 : (b.key.mode & 0xf) == 4 ? CS_MODE_32 : CS_MODE_16;
  if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) return;
  std::vector<uint8_t> code(b.guest_bytes);
  mem.copy_from_phys(b.key.phys, code);
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(h, code.data(), code.size(), b.key.rip, 0, &insn);
  for (size_t i = 0; i < n; ++i) {
    std::fprintf(stderr, "    %08llx  %s %s\n", static_cast<unsigned long long>(insn[i].address),
                 insn[i].mnemonic, insn[i].op_str);
  }
  cs_free(insn, n);
  cs_close(&h);
}

}  // namespace

void JitEngine::Impl::run_lockstep(CompiledBlock* b) {
  if (b->has_port_io) {
    ++stats.lockstep_unchecked;
    run_block(b);
    return;
  }
  if (!ram_marked) {
    mark_all_ram(cpu.mem);
    ram_marked = true;
  }
  const auto mark_again = [&] {
    for (uint64_t page : remark) cpu.mem.mark_code_page(page);
    remark.clear();
  };
  mark_again();
  const cpu::CpuState pre = cpu.s;
  const BlockKey key = b->key;
  const uint32_t guest_bytes = b->guest_bytes;
  std::vector<cpu::DecodedInsn> insns = b->insns;
  // 1. Generated code, keeping the pre-image of every page it writes.
  // Both runs start from an empty TLB, so both walk the page tables and
  // set the same accessed and dirty bits.
  preimages.clear();
  cpu.mem.flush_tlb();
  capturing = true;
  run_block(b);
  capturing = false;
  const cpu::CpuState jit_post = cpu.s;
  std::map<uint64_t, std::vector<uint8_t>> jit_pages;
  auto before = std::move(preimages);
  for (auto& [page, img] : before) {
    std::vector<uint8_t>& now = jit_pages[page];
    now.resize(mmu::kPageSize);
    cpu.mem.copy_from_phys(page << mmu::kPageBits, now);
    cpu.mem.load_phys(page << mmu::kPageBits, img);
  }
  mark_again();
  // 2. The interpreter from the same state, as many instructions.
  cpu.s = pre;
  // The MMU keeps its own copy of the paging mode: give it the old one back.
  if (jit_post.cr[0] != pre.cr[0] || jit_post.cr[3] != pre.cr[3] || jit_post.cr[4] != pre.cr[4] ||
      jit_post.efer != pre.efer) {
    cpu.load_paging(pre.cr[0], pre.cr[3], pre.cr[4], pre.efer, true);
  }
  preimages.clear();
  cpu.mem.flush_tlb();
  capturing = true;
  for (unsigned guard = 0; cpu.s.icount < jit_post.icount && guard < 4 * insns.size() + 4; ++guard) {
    interp.step();
  }
  capturing = false;
  for (auto& [page, img] : preimages) {
    if (!before.contains(page)) jit_pages[page] = img;  // the JIT left it as it was
  }
  mark_again();
  ++stats.lockstep_blocks;
  // 3. Compare.
  std::string diff = state_difference(jit_post, cpu.s);
  for (auto& [page, img] : jit_pages) {
    if (!diff.empty()) break;
    std::vector<uint8_t> now(mmu::kPageSize);
    cpu.mem.copy_from_phys(page << mmu::kPageBits, now);
    if (now != img) diff = "memory page " + std::to_string(page << mmu::kPageBits);
  }
  if (diff.empty()) return;
  std::fprintf(stderr, "kestrel: error: lockstep: the JIT and the interpreter differ in %s after the block at %llx (physical %llx)\n",
               diff.c_str(), static_cast<unsigned long long>(key.rip), static_cast<unsigned long long>(key.phys));
  print_state("before", pre);
  print_state("jit", jit_post);
  print_state("interpreter", cpu.s);
  CompiledBlock shown;
  shown.key = key;
  shown.guest_bytes = guest_bytes;
  disassemble(shown, cpu.mem);
  std::exit(3);
}

}  // namespace kestrel::jit
