// SPDX-License-Identifier: MIT
// Kestrel's interpreter against the host CPU in 64-bit user mode: random
// instruction sequences from the ISA table (host_oracle_gen.cpp) run in a
// sandboxed child (host_oracle_native.cpp) and in Kestrel
// (host_oracle_kestrel.cpp) from the same GPRs, RFLAGS, XMM, MXCSR and
// memory; everything is compared, undefined flags excepted.
// Usage: host_oracle [--count N instructions] [--seed S] [--only MN[,MN..]]
//                    [--threads T] [--len L] [--examples E] [--case I]
//                    [--list-excluded]
#include <capstone/capstone.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/differential/host_oracle_gen.h"
#include "tests/differential/host_oracle_kestrel.h"
#include "tests/differential/host_oracle_native.h"

namespace kestrel::differential::oracle {
namespace {

struct Options {
  uint64_t count = 1000000;  ///< instructions to execute
  uint64_t seed = 1;
  std::vector<std::string> only;
  unsigned threads = 1;
  unsigned len = 4;
  unsigned examples = 5;
  int64_t one_case = -1;
  bool list_excluded = false;
};

constexpr uint64_t kArithMask = 0x0fd5 | (1u << 18) | (1u << 21);  // +AC, ID; not RF

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

const char* kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                             "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

/// The differences between the host's result and Kestrel's, one per line.
std::string compare(const Result& host, const Result& k) {
  std::ostringstream o;
  char buf[160];
  if (!host.error.empty()) o << "  host: " << host.error << "\n";
  if (!k.error.empty()) o << "  kestrel: " << k.error << "\n";
  if (!o.str().empty()) return o.str();
  if (host.vector != k.vector) o << "  vector: host " << host.vector << ", kestrel " << k.vector << "\n";
  if (host.out.rip != k.out.rip) {
    std::snprintf(buf, sizeof buf, "  rip: host +%" PRIx64 ", kestrel +%" PRIx64 "\n",
                  host.out.rip - kSeqBase, k.out.rip - kSeqBase);
    o << buf;
  }
  for (unsigned r = 0; r < 16; ++r) {
    if (host.out.gpr[r] == k.out.gpr[r]) continue;
    std::snprintf(buf, sizeof buf, "  %s: host %016" PRIx64 ", kestrel %016" PRIx64 "\n", kGprNames[r],
                  host.out.gpr[r], k.out.gpr[r]);
    o << buf;
  }
  const uint64_t mask = kArithMask & ~uint64_t(k.undef_flags);
  if ((host.out.rflags ^ k.out.rflags) & mask) {
    std::snprintf(buf, sizeof buf, "  rflags: host %06" PRIx64 ", kestrel %06" PRIx64 " (compared %06" PRIx64 ")\n",
                  host.out.rflags, k.out.rflags, mask);
    o << buf;
  }
  if (host.out.mxcsr != k.out.mxcsr) {
    std::snprintf(buf, sizeof buf, "  mxcsr: host %08x, kestrel %08x\n", host.out.mxcsr, k.out.mxcsr);
    o << buf;
  }
  for (unsigned x = 0; x < 16; ++x) {
    if (std::memcmp(host.out.xmm[x], k.out.xmm[x], 16) == 0) continue;
    uint64_t h[2], kk[2];
    std::memcpy(h, host.out.xmm[x], 16);
    std::memcpy(kk, k.out.xmm[x], 16);
    std::snprintf(buf, sizeof buf, "  xmm%u: host %016" PRIx64 "%016" PRIx64 ", kestrel %016" PRIx64 "%016" PRIx64 "\n",
                  x, h[1], h[0], kk[1], kk[0]);
    o << buf;
  }
  for (size_t i = 0; i < kDataSize; ++i) {
    if (host.data[i] == k.data[i]) continue;
    std::snprintf(buf, sizeof buf, "  memory %" PRIx64 ": host %02x, kestrel %02x (first differing byte)\n",
                  kDataBase + i, host.data[i], k.data[i]);
    o << buf;
    break;
  }
  return o.str();
}

/// The case's code, disassembled by Capstone; generated instructions are
/// marked with '*', the rest are setups.
std::string listing(const Case& c) {
  std::ostringstream o;
  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return "  (capstone unavailable)\n";
  const uint8_t* p = c.code.data();
  size_t n = c.code.size();
  uint64_t addr = kSeqBase;
  cs_insn* insn = cs_malloc(cs);
  char line[256];
  while (n) {
    const uint64_t at = addr;
    const bool generated = std::find(c.starts.begin(), c.starts.end(), uint32_t(at - kSeqBase)) != c.starts.end();
    std::string bytes;
    if (cs_disasm_iter(cs, &p, &n, &addr, insn)) {
      for (unsigned i = 0; i < insn->size; ++i) {
        char h[4];
        std::snprintf(h, sizeof h, "%02x", insn->bytes[i]);
        bytes += h;
      }
      std::snprintf(line, sizeof line, "  %c +%04" PRIx64 "  %-30s %s %s\n", generated ? '*' : ' ',
                    at - kSeqBase, bytes.c_str(), insn->mnemonic, insn->op_str);
    } else {
      std::snprintf(line, sizeof line, "  %c +%04" PRIx64 "  %02x (capstone: invalid)\n", generated ? '*' : ' ',
                    at - kSeqBase, *p);
      ++p, --n, ++addr;
    }
    o << line;
  }
  cs_free(insn, 1);
  cs_close(&cs);
  return o.str();
}

struct Stats {
  uint64_t cases = 0, insns = 0, mismatches = 0, faults = 0;
  std::map<std::string, uint64_t> generated, bad;
  void merge(const Stats& s) {
    cases += s.cases, insns += s.insns, mismatches += s.mismatches, faults += s.faults;
    for (const auto& [k, v] : s.generated) generated[k] += v;
    for (const auto& [k, v] : s.bad) bad[k] += v;
  }
};

std::string mnemonic_of(const std::string& form) {
  for (const cpu::isa::Row& r : cpu::isa::kRows) {
    if (r.form == form) return std::string(r.mnemonic);
  }
  return form;
}

class Shared {
 public:
  Shared(const Options& o, const Generator& g) : opt(o), gen(g) {}
  const Options& opt;
  const Generator& gen;
  std::atomic<uint64_t> next_case{0}, insns{0};
  std::mutex lock;
  unsigned printed = 0;
};

/// Compares one case and records it; prints the first mismatches.
void check(Shared& sh, Stats& st, uint64_t idx, const Case& c, const Result& h, const Result& k) {
  ++st.cases;
  st.insns += k.insns;
  if (h.vector >= 0) ++st.faults;
  std::set<std::string> forms;
  for (const std::string& f : c.forms) {
    ++st.generated[f];
    forms.insert(f);
  }
  const std::string diff = compare(h, k);
  if (diff.empty() && sh.opt.one_case < 0) return;
  if (!diff.empty()) {
    ++st.mismatches;
    for (const std::string& f : forms) ++st.bad[f];
  }
  std::lock_guard<std::mutex> g(sh.lock);
  if (sh.printed++ >= sh.opt.examples && sh.opt.one_case < 0) return;
  std::printf("%s case %" PRIu64 " (--seed %" PRIu64 " --case %" PRIu64 " --len %u), %u instructions:\n%s%s",
              diff.empty() ? "match:" : "MISMATCH:", idx, sh.opt.seed, idx, sh.opt.len, k.insns,
              listing(c).c_str(), diff.c_str());
  std::fflush(stdout);
}

void worker(Shared& sh, Stats& st) {
  NativeRunner native;
  KestrelRunner kestrel;
  std::vector<Case> batch;
  std::vector<uint64_t> ids;
  for (;;) {
    batch.clear();
    ids.clear();
    while (batch.size() < NativeRunner::kBatch) {
      uint64_t idx;
      if (sh.opt.one_case >= 0) {
        if (sh.next_case.fetch_add(1) > 0) break;
        idx = uint64_t(sh.opt.one_case);
      } else {
        if (sh.insns.load() >= sh.opt.count) break;
        idx = sh.next_case.fetch_add(1);
      }
      ids.push_back(idx);
      batch.push_back(sh.gen.generate(mix(sh.opt.seed ^ mix(idx)), sh.opt.len));
    }
    if (batch.empty()) return;
    std::vector<Result> host = native.run(batch, 5000);
    // A batch that hung or killed the child: run its cases one by one to
    // find the culprit.
    if (batch.size() > 1 && !host[0].error.empty()) {
      for (size_t i = 0; i < batch.size(); ++i) host[i] = native.run({batch[i]}, 2000)[0];
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const Result k = kestrel.run(batch[i]);
      sh.insns += k.insns;
      check(sh, st, ids[i], batch[i], host[i], k);
    }
  }
}

void summary(const Stats& st, const Generator& gen) {
  // Per mnemonic: generated instructions and mismatching cases they were in.
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_mn;
  for (const auto& [f, n] : st.generated) by_mn[mnemonic_of(f)].first += n;
  for (const auto& [f, n] : st.bad) by_mn[mnemonic_of(f)].second += n;
  std::printf("per mnemonic (generated instructions / mismatching cases):\n");
  unsigned col = 0;
  for (const auto& [mn, v] : by_mn) {
    std::printf("  %-12s %9" PRIu64 " / %-4" PRIu64 "%s", mn.c_str(), v.first, v.second, ++col % 3 ? "" : "\n");
  }
  if (col % 3) std::printf("\n");
  std::set<std::string> rows_mn;
  for (const auto* r : gen.rows()) rows_mn.insert(std::string(r->mnemonic));
  std::printf("host_oracle: %" PRIu64 " cases, %" PRIu64 " instructions, %zu forms / %zu mnemonics eligible, "
              "%zu mnemonics run, %" PRIu64 " cases ended in an exception, %" PRIu64 " mismatches\n",
              st.cases, st.insns, gen.rows().size(), rows_mn.size(), by_mn.size(), st.faults, st.mismatches);
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--list-excluded") { o.list_excluded = true; continue; }
    if (!(v = val())) return false;
    if (a == "--count") o.count = std::strtoull(v, nullptr, 0);
    else if (a == "--seed") o.seed = std::strtoull(v, nullptr, 0);
    else if (a == "--threads") o.threads = unsigned(std::max(1ul, std::strtoul(v, nullptr, 0)));
    else if (a == "--len") o.len = unsigned(std::max(1ul, std::strtoul(v, nullptr, 0)));
    else if (a == "--examples") o.examples = unsigned(std::strtoul(v, nullptr, 0));
    else if (a == "--case") o.one_case = int64_t(std::strtoll(v, nullptr, 0));
    else if (a == "--only") {
      std::stringstream ss(v);
      for (std::string m; std::getline(ss, m, ',');) if (!m.empty()) o.only.push_back(m);
    } else return false;
  }
  return true;
}

int run(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, opt)) {
    std::fprintf(stderr, "usage: host_oracle [--count N] [--seed S] [--only MN[,MN..]] [--threads T] "
                         "[--len L] [--examples E] [--case I] [--list-excluded]\n");
    return 2;
  }
  if (opt.list_excluded) {
    for (const cpu::isa::Row& r : cpu::isa::kRows) {
      if (const char* why = exclusion(r, host_has)) std::printf("%-24s %-10s %s\n", std::string(r.form).c_str(),
                                                                std::string(r.mnemonic).c_str(), why);
    }
    return 0;
  }
  const Generator gen(opt.only, host_has);
  if (gen.rows().empty()) {
    std::fprintf(stderr, "host_oracle: no eligible row matches --only\n");
    return 2;
  }
  Shared sh(opt, gen);
  std::vector<Stats> stats(opt.threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < opt.threads; ++t) pool.emplace_back(worker, std::ref(sh), std::ref(stats[t]));
  for (auto& t : pool) t.join();
  Stats total;
  for (const Stats& s : stats) total.merge(s);
  summary(total, gen);
  return total.mismatches ? 1 : 0;
}

}  // namespace
}  // namespace kestrel::differential::oracle

int main(int argc, char** argv) { return kestrel::differential::oracle::run(argc, argv); }
