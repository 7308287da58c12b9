// SPDX-License-Identifier: MIT
// The JIT against the interpreter: random 64-bit instruction sequences from
// the ISA table (host_oracle_gen.cpp's generator) run at CPL 0 under
// 4-level paging, once through each engine from the same state; the whole
// architectural state and the scratch memory must be equal afterwards.
// Exceptions go through an IDT to HLT stubs, so faulting sequences compare
// the state the fault was delivered with (frame included); some cases make
// a data page not present or read-only so memory operands raise #PF.
// Usage: jit_vs_interp [--count N sequences] [--seed S] [--len L] [--only MN[,MN..]]
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "jit/engine.h"
#include "tests/differential/host_oracle_gen.h"

namespace kestrel::differential {
namespace {

using namespace oracle;

constexpr uint64_t kPml4 = 0x1000;
constexpr uint64_t kDataPhys = 0x40000;
constexpr uint64_t kSeqPhys = 0x80000;
constexpr uint64_t kSysPhys = 0x90000;   ///< GDT, IDT, stubs
constexpr uint64_t kSysBase = 0x10400000;
constexpr uint64_t kIdtOff = 0x100, kStubOff = 0x400;
constexpr unsigned kVectors = 32;
constexpr uint64_t kRam = 1u << 20;

const cpu::CpuModel& model() { return *cpu::find_cpu_model("max"); }

/// One machine: memory, CPU and an engine, with the fixed tables loaded.
struct Side {
  explicit Side(bool jit) : mem(kRam, model().phys_addr_bits), c(model(), mem, bus) {
    uint64_t next = kPml4 + 0x1000;
    const auto map = [&](uint64_t lin, uint64_t phys) {
      uint64_t table = kPml4;
      for (int level = 3; level >= 1; --level) {
        const uint64_t slot = table + 8 * ((lin >> (12 + 9 * level)) & 0x1ff);
        uint64_t e = mem.read_phys(slot, 8);
        if (!(e & 1)) {
          e = next | 7;
          next += 0x1000;
          mem.write_phys(slot, e, 8);
        }
        table = e & ~uint64_t{0xfff};
      }
      mem.write_phys(table + 8 * ((lin >> 12) & 0x1ff), phys | 7, 8);
      return table + 8 * ((lin >> 12) & 0x1ff);
    };
    for (uint64_t off = 0; off < kDataSize; off += kPage) data_pte[off / kPage] = map(kDataBase + off, kDataPhys + off);
    for (uint64_t off = 0; off < kSeqMax + kPage; off += kPage) map(kSeqBase + off, kSeqPhys + off);
    map(kSysBase, kSysPhys);
    // GDT: null, 08 = 64-bit code (L, P, DPL 0, execute/read).
    mem.write_phys(kSysPhys + 8, 0x00209b0000000000ull, 8);
    for (unsigned v = 0; v < kVectors; ++v) {
      const uint64_t off = kSysBase + kStubOff + 4 * v;
      // 64-bit interrupt gate (SDM 3A §6.14.1, figure 6-8).
      const uint64_t lo = (off & 0xffff) | uint64_t(0x08) << 16 | uint64_t(0x8e00) << 32 |
                          ((off >> 16) & 0xffff) << 48;
      mem.write_phys(kSysPhys + kIdtOff + 16 * v, lo, 8);
      mem.write_phys(kSysPhys + kIdtOff + 16 * v + 8, off >> 32, 8);
      mem.write_phys(kSysPhys + kStubOff + 4 * v, 0xf4f4f4f4, 4);
    }
    if (jit) engine = std::make_unique<jit::JitEngine>(c, jit::JitOptions{});
    else engine = std::make_unique<cpu::Interpreter>(c);
  }

  /// `sse_off` 1, 2, 3: CR0.TS, CR0.EM, CR4.OSFXSR clear (the SSE forms'
  /// #NM and #UD, which the JIT checks inline). `pages` 1: the last data
  /// page is not present, 2: the one below it read-only, so memory operands
  /// aimed there fault (#PF) on a read or a write (the stack is below both).
  void start(const Case& k, unsigned sse_off = 0, unsigned pages = 0) {
    using namespace cpu;
    CpuState& s = c.s;
    s = CpuState{};
    mem.write_phys(data_pte[3], (kDataPhys + 3 * kPage) | (pages == 1 ? 6 : 7), 8);
    mem.write_phys(data_pte[2], (kDataPhys + 2 * kPage) | (pages == 2 ? 5 : 7), 8);
    const uint64_t cr0 = 0x80050033 | (sse_off == 1 ? 8 : sse_off == 2 ? 4 : 0);
    c.load_paging(cr0, kPml4, sse_off == 3 ? 0x420 : 0x620, 0xd01, true);
    s.cpl = 0;
    s.gdtr = {kSysBase, 0x0f};
    s.idtr = {kSysBase + kIdtOff, kVectors * 16 - 1};
    const uint16_t data = kAttrPresent | kAttrS | kAttrAccessed | kAttrWritable | kAttrDb | kAttrG;
    for (unsigned i = 0; i < kSegCount; ++i) s.seg[i] = {0, 0xffffffffu, 0, data};
    s.seg[kCs] = {0, 0xffffffffu, 0x08,
                  uint16_t(kAttrPresent | kAttrS | kAttrAccessed | kAttrWritable | kAttrCode | kAttrL | kAttrG)};
    std::memcpy(s.gpr, k.in.gpr, sizeof s.gpr);
    s.rip = kSeqBase;
    write_flags(s, k.in.rflags | kFixed1, ~uint64_t{0});
    s.rflags &= ~uint64_t{kTf | kIf};
    s.mxcsr = k.in.mxcsr;
    for (unsigned x = 0; x < 16; ++x) std::memcpy(s.vec[x], k.in.xmm[x], 16);
    mem.load_phys(kDataPhys, k.data);
    std::vector<uint8_t> code = k.code;
    code.push_back(0xf4);  // HLT: the end
    mem.load_phys(kSeqPhys, code);
  }

  mmu::Mmu mem;
  cpu::OpenBus bus;
  cpu::Cpu c;
  std::unique_ptr<cpu::ExecEngine> engine;
  uint64_t data_pte[kDataSize / kPage] = {};  ///< physical addresses of the data pages' PTEs
};

/// The first difference between two states, or an empty string.
std::string difference(const cpu::CpuState& a, const cpu::CpuState& b) {
  char buf[200];
  for (unsigned r = 0; r < 16; ++r) {
    if (a.gpr[r] != b.gpr[r]) {
      std::snprintf(buf, sizeof buf, "gpr %u: interp %016" PRIx64 " jit %016" PRIx64, r, a.gpr[r], b.gpr[r]);
      return buf;
    }
  }
  const auto num = [&](const char* what, uint64_t x, uint64_t y) -> std::string {
    if (x == y) return {};
    std::snprintf(buf, sizeof buf, "%s: interp %" PRIx64 " jit %" PRIx64, what, x, y);
    return buf;
  };
  for (const std::string& d : {num("rip", a.rip, b.rip), num("rflags", cpu::read_flags(a), cpu::read_flags(b)),
                               num("cc_op", a.cc_op, b.cc_op), num("icount", a.icount, b.icount),
                               num("halted", a.halted, b.halted), num("pending", a.pending, b.pending),
                               num("cr2", a.cr[2], b.cr[2]), num("mxcsr", a.mxcsr, b.mxcsr),
                               num("fsw", a.fsw, b.fsw)}) {
    if (!d.empty()) return d;
  }
  // The lazy record itself must be the same canonical form, not only decode alike.
  if (a.cc_op && (a.cc_dst != b.cc_dst || a.cc_src != b.cc_src || a.cc_src2 != b.cc_src2)) return "lazy flags record";
  if (std::memcmp(a.vec, b.vec, sizeof a.vec)) return "vector registers";
  for (unsigned i = 0; i < cpu::kSegCount; ++i) {
    const cpu::SegmentCache &x = a.seg[i], &y = b.seg[i];  // field by field: the struct has padding
    if (x.base != y.base || x.limit != y.limit || x.selector != y.selector || x.attr != y.attr ||
        x.lo != y.lo || x.rights != y.rights)
      return "segment registers";
  }
  if (std::memcmp(a.st, b.st, sizeof a.st)) return "x87 registers";
  return {};
}

struct Options {
  uint64_t count = 10000;
  uint64_t seed = 1;
  unsigned len = 8;
  std::vector<std::string> only;
};

bool all_features(unsigned) { return true; }

int run(const Options& o) {
  const Generator gen(o.only, all_features);
  Side interp(false), jit(true);
  uint64_t mismatches = 0, insns = 0;
  uint64_t faults[kVectors] = {};  // cases that ended in each exception's stub
  for (uint64_t n = 0; n < o.count; ++n) {
    const Case k = gen.generate(o.seed * 0x100000001b3ull + n, o.len);
    const unsigned sse_off = n % 16 == 15 ? unsigned(n / 16 % 3) + 1 : 0;
    const unsigned pages = n % 16 == 5 ? 1 : n % 16 == 9 ? 2 : 0;
    interp.start(k, sse_off, pages);
    jit.start(k, sse_off, pages);
    // A budget beyond any straight sequence; both stop at HLT or at it.
    interp.engine->run(4000);
    jit.engine->run(4000);
    insns += interp.c.s.icount;
    const uint64_t stub = interp.c.s.rip - 1 - (kSysBase + kStubOff);
    if (stub < 4 * kVectors) ++faults[stub / 4];
    std::string d = difference(interp.c.s, jit.c.s);
    if (d.empty()) {
      std::vector<uint8_t> a(kDataSize), b(kDataSize);
      interp.mem.copy_from_phys(kDataPhys, a);
      jit.mem.copy_from_phys(kDataPhys, b);
      if (a != b) d = "scratch memory";
    }
    if (d.empty()) continue;
    if (++mismatches <= 10) {
      std::printf("case %" PRIu64 ": %s\n  forms:", n, d.c_str());
      for (const std::string& f : k.forms) std::printf(" %s", f.c_str());
      std::printf("\n  code:");
      for (uint8_t byte : k.code) std::printf(" %02x", byte);
      std::printf("\n");
    }
  }
  const auto& st = static_cast<jit::JitEngine&>(*jit.engine).stats();
  std::printf("jit_vs_interp: %" PRIu64 " sequences, %" PRIu64 " instructions, %" PRIu64 " mismatches\n"
              "  jit: %" PRIu64 " blocks compiled, %" PRIu64 " run, %" PRIu64 " instructions left to the interpreter\n",
              o.count, insns, mismatches, st.blocks_compiled, st.blocks_run, st.interp_steps);
  std::printf("  exceptions delivered:");
  for (unsigned v = 0; v < kVectors; ++v) {
    if (faults[v]) std::printf(" #%u x%" PRIu64, v, faults[v]);
  }
  std::printf("\n");
  return mismatches ? 1 : 0;
}

}  // namespace
}  // namespace kestrel::differential

int main(int argc, char** argv) {
  kestrel::differential::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--count") o.count = std::strtoull(argv[i + 1], nullptr, 0);
    else if (a == "--seed") o.seed = std::strtoull(argv[i + 1], nullptr, 0);
    else if (a == "--len") o.len = unsigned(std::strtoul(argv[i + 1], nullptr, 0));
    else if (a == "--only") {
      std::string list = argv[i + 1];
      for (size_t p = 0; p <= list.size();) {
        const size_t q = std::min(list.find(',', p), list.size());
        o.only.push_back(list.substr(p, q - p));
        p = q + 1;
      }
    } else {
      std::fprintf(stderr, "kestrel: error: jit_vs_interp: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  return kestrel::differential::run(o);
}
