// SPDX-License-Identifier: MIT
// Lockstep (-accel jit,lockstep=on): every translated block runs twice from
// the same state, first as generated code, then, with CpuState, RAM and
// the TLB rolled back, through the interpreter for the same number of
// instructions; registers, flags, segment and control state and every RAM
// byte either side wrote must match. The interpreter's result is kept.
//
// Memory: the MMU's journal (mmu/journal.cpp) records the bytes each run
// replaces and the TLB entries it changes (no page keeps a write fast path
// meanwhile, so every store is seen). Both runs start from the TLB the
// block found: stale translations behave as without lockstep and both
// walks set the same accessed and dirty bits. Devices: a block with port
// I/O (IN, OUT, INS, OUTS) runs once and is counted as unchecked, since
// running it twice would talk to the device twice; so does a block whose
// generated code reached device registers (the MMU counts MMIO accesses),
// whose JIT result is kept. Clock readings of the first run are replayed
// to the second (jit/lockstep.h).
#include <capstone/capstone.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "cpu/flags.h"
#include "jit/engine_impl.h"
#include "jit/frontend/discover.h"

namespace kestrel::jit {
namespace {

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
  const cs_mode mode = (b.key.mode & 3) == 2 ? CS_MODE_64 : (b.key.mode & 3) == 1 ? CS_MODE_32 : CS_MODE_16;
  if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) return;
  std::vector<uint8_t> code(b.guest_bytes);
  // A block that crosses pages goes on at the start of its second page.
  const size_t first = b.crosses() ? mmu::kPageSize - (b.key.phys & (mmu::kPageSize - 1)) : code.size();
  mem.copy_from_phys(b.key.phys, std::span(code).first(std::min(first, code.size())));
  if (first < code.size()) mem.copy_from_phys(b.second_page << mmu::kPageBits, std::span(code).subspan(first));
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(h, code.data(), code.size(), b.key.rip, 0, &insn);
  for (size_t i = 0; i < n; ++i) {
    std::fprintf(stderr, "    %08llx  %s %s\n", static_cast<unsigned long long>(insn[i].address),
                 insn[i].mnemonic, insn[i].op_str);
  }
  cs_free(insn, n);
  cs_close(&h);
}

/// Sets the CPU's time source to the replaying clock for one run of the
/// block and back afterwards (nothing outlives the engine's clock proxy).
class ClockScope {
 public:
  ClockScope(cpu::Cpu& cpu, ReplayClock& clock, ReplayClock::Mode mode) : cpu_(cpu), real_(cpu.time) {
    if (!real_) return;
    clock.start(mode, real_);
    cpu.time = &clock;
  }
  ~ClockScope() { cpu_.time = real_; }
  ClockScope(const ClockScope&) = delete;
  ClockScope& operator=(const ClockScope&) = delete;

 private:
  cpu::Cpu& cpu_;
  const cpu::TimeSource* real_;
};

/// A RAM byte and a value for it.
struct ByteValue {
  uint64_t pa;
  uint8_t value;
  bool operator<(const ByteValue& o) const { return pa < o.pa; }
};

/// The bytes the journal says were written, sorted by address, each once:
/// `now` gives the value they hold now, else the value before the first write.
std::vector<ByteValue> written_bytes(mmu::Mmu& mem, const mmu::Mmu::Journal& j, bool now) {
  std::vector<ByteValue> out;
  out.reserve(j.ram.size());
  for (const mmu::Mmu::Journal::Byte& b : j.ram) out.push_back({b.pa, b.old});
  std::stable_sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(), [](const ByteValue& x, const ByteValue& y) { return x.pa == y.pa; }),
            out.end());
  if (now) {
    for (ByteValue& b : out) b.value = uint8_t(mem.read_phys(b.pa, 1));
  }
  return out;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The bytes the JIT wrote must hold what it left there, and those only
/// the interpreter wrote what they held before.
std::string memory_difference(mmu::Mmu& mem, const mmu::Mmu::Journal& interp_run,
                              const std::vector<ByteValue>& jit_bytes) {
  for (const ByteValue& w : jit_bytes) {
    if (uint8_t(mem.read_phys(w.pa, 1)) != w.value) return "memory at physical " + hex(w.pa);
  }
  for (const ByteValue& w : written_bytes(mem, interp_run, false)) {
    const bool jit_wrote = std::binary_search(jit_bytes.begin(), jit_bytes.end(), w);
    if (!jit_wrote && uint8_t(mem.read_phys(w.pa, 1)) != w.value) {
      return "memory at physical " + hex(w.pa) + " (only the interpreter wrote it)";
    }
  }
  return {};
}

/// The interpreter up to `end_icount`, as single steps would: the block's
/// decoded instructions while execution follows them (decoding is most of
/// what uncached single steps cost), else Interpreter::step(), which
/// fetches and decodes afresh (a branch taken, an event, code the block
/// overwrote). The bound stops a run whose count never reaches the JIT's.
void interpret(cpu::Interpreter& interp, cpu::Cpu& cpu, const CompiledBlock& b, uint64_t end_icount) {
  const uint64_t mask = frontend::ip_mask(cpu);
  uint64_t rip = b.key.rip;
  size_t next = 0;
  bool follow = true;
  for (size_t guard = 0; cpu.s.icount < end_icount && guard < 4 * b.insns.size() + 4; ++guard) {
    const cpu::StopReason r = interp.boundary_stop();
    if (r == cpu::StopReason::kShutdown || r == cpu::StopReason::kHalted) return;  // as step()
    follow = follow && b.valid && next < b.insns.size() && cpu.s.rip == rip;
    if (!follow) {
      interp.step();
      continue;
    }
    const cpu::DecodedInsn& insn = b.insns[next++];
    rip = (rip + insn.len) & mask;
    follow = interp.execute_one(insn);
  }
}

void report_difference(const std::string& diff, const BlockKey& key, uint32_t guest_bytes,
                       const cpu::CpuState& pre, const cpu::CpuState& jit_post, cpu::Cpu& cpu) {
  std::fprintf(stderr, "kestrel: error: lockstep: the JIT and the interpreter differ in %s after the block at %llx (physical %llx)\n",
               diff.c_str(), static_cast<unsigned long long>(key.rip), static_cast<unsigned long long>(key.phys));
  print_state("before", pre);
  print_state("jit", jit_post);
  print_state("interpreter", cpu.s);
  CompiledBlock shown;
  shown.key = key;
  shown.guest_bytes = guest_bytes;
  disassemble(shown, cpu.mem);
}

}  // namespace

LockstepState::~LockstepState() {
  // Short runs (the test ROMs, whose tests compare stderr exactly) stay quiet.
  if (checked + port_io + device < kSummaryBlocks) return;
  std::fprintf(stderr,
               "kestrel: lockstep: %llu blocks checked (%llu read the clock), %llu unchecked "
               "(%llu with port I/O, %llu reached device registers)\n",
               static_cast<unsigned long long>(checked), static_cast<unsigned long long>(clock_reads),
               static_cast<unsigned long long>(port_io + device), static_cast<unsigned long long>(port_io),
               static_cast<unsigned long long>(device));
}

void JitEngine::Impl::run_lockstep(CompiledBlock* b) {
  if (b->has_port_io) {
    ++stats.lockstep_unchecked;
    ++lockstep.port_io;
    run_block(b);
    return;
  }
  mmu::Mmu& mem = cpu.mem;
  mmu::Mmu::Journal& journal = lockstep.journal;
  if (!lockstep.journaling) {
    mem.set_journal(&journal);
    lockstep.journaling = true;
  }
  journal.clear();
  const cpu::CpuState pre = cpu.s;
  const BlockKey key = b->key;
  const uint32_t guest_bytes = b->guest_bytes;
  // 1. Generated code.
  const uint64_t mmio_before = mem.stats().mmio_accesses;
  {
    ClockScope clock(cpu, lockstep.clock, ReplayClock::Mode::kRecord);
    run_block(b);
  }
  if (mem.stats().mmio_accesses != mmio_before) {
    // The device saw the accesses once; a second run would repeat them.
    ++stats.lockstep_unchecked;
    ++lockstep.device;
    return;
  }
  if (lockstep.clock.reads()) ++lockstep.clock_reads;
  const cpu::CpuState jit_post = cpu.s;
  const std::vector<ByteValue> jit_bytes = written_bytes(mem, journal, true);
  // 2. The interpreter from the same state, TLB included, as many
  // instructions. The MMU keeps its own copy of the paging mode: give it
  // the old one back first (its flush is journaled, so undo covers it).
  cpu.s = pre;
  if (jit_post.cr[0] != pre.cr[0] || jit_post.cr[3] != pre.cr[3] || jit_post.cr[4] != pre.cr[4] ||
      jit_post.efer != pre.efer) {
    cpu.load_paging(pre.cr[0], pre.cr[3], pre.cr[4], pre.efer, true);
  }
  mem.undo(journal);
  {
    ClockScope clock(cpu, lockstep.clock, ReplayClock::Mode::kReplay);
    interpret(interp, cpu, *b, jit_post.icount);
  }
  ++stats.lockstep_blocks;
  ++lockstep.checked;
  // 3. Compare.
  std::string diff = state_difference(jit_post, cpu.s);
  if (diff.empty()) diff = memory_difference(mem, journal, jit_bytes);
  if (diff.empty()) return;
  report_difference(diff, key, guest_bytes, pre, jit_post, cpu);
  std::exit(3);
}

}  // namespace kestrel::jit
