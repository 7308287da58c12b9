// SPDX-License-Identifier: MIT
// Differential test of 32-bit integer code: random sequences generated from
// cpu/isa/instructions.inc run in Kestrel's interpreter and in Unicorn 2
// (QEMU's TCG), both in flat 32-bit protected mode at CPL 0. GPRs, EIP,
// EFLAGS (less the flags the executed rows leave undefined), exceptions and
// the data window must agree; known Unicorn errors are sorted into the
// documented classes of unicorn_quirks.cpp.
#include <capstone/capstone.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "tests/differential/unicorn_quirks.h"
#include "tests/differential/unicorn_runners.h"

namespace kestrel::differential {
namespace {

struct Options {
  uint64_t count = 1'000'000;
  uint64_t seed = 1;
  uint64_t start = 0;  ///< index of the first sequence (repro: --start I --count 1)
  unsigned len = 8;
  int examples = 3;
  bool verbose = false;
};

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

const char* const kRegNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

std::string disassemble(csh cs, const Sequence& seq) {
  std::string out;
  const uint8_t* code = seq.code.data();
  size_t size = seq.code.size();
  uint64_t addr = kCodeBase;
  cs_insn* insn = cs_malloc(cs);
  char line[256];
  while (size > 0) {
    const uint64_t at = addr;
    const uint8_t* bytes = code;
    if (!cs_disasm_iter(cs, &code, &size, &addr, insn)) {
      std::snprintf(line, sizeof line, "    %05llx  %02x  (bad)\n", (unsigned long long)at, *code);
      out += line;
      ++code, --size, ++addr;
      continue;
    }
    std::string hex;
    for (uint16_t i = 0; i < insn->size; ++i) {
      char b[4];
      std::snprintf(b, sizeof b, "%02x", bytes[i]);
      hex += b;
    }
    std::snprintf(line, sizeof line, "    %05llx  %-30s %s %s\n", (unsigned long long)at,
                  hex.c_str(), insn->mnemonic, insn->op_str);
    out += line;
  }
  cs_free(insn, 1);
  return out;
}

std::string state_line(const char* who, const uint32_t* gpr, uint32_t eip, uint32_t eflags,
                       int vector) {
  std::string s = std::string("    ") + who + ":";
  char b[40];
  for (unsigned i = 0; i < 8; ++i) {
    std::snprintf(b, sizeof b, " %s=%08x", kRegNames[i], gpr[i]);
    s += b;
  }
  std::snprintf(b, sizeof b, " eip=%08x efl=%08x", eip, eflags);
  s += b;
  if (vector >= 0) {
    std::snprintf(b, sizeof b, " fault=%d", vector);
    s += b;
  }
  return s + "\n";
}

/// Every difference between the outcomes, one short phrase each; empty when
/// they agree outside the undefined flags.
std::vector<std::string> differences(const Outcome& k, const Outcome& u, const Undefined& und) {
  std::vector<std::string> d;
  char b[96];
  if (!k.error.empty()) d.push_back("kestrel: " + k.error);
  if (!u.error.empty()) d.push_back("unicorn: " + u.error);
  if (k.vector != u.vector) {
    std::snprintf(b, sizeof b, "exception %d vs %d", k.vector, u.vector);
    d.push_back(b);
  }
  for (unsigned i = 0; i < 8; ++i) {
    if (k.gpr[i] == u.gpr[i]) continue;
    std::snprintf(b, sizeof b, "%s %08x vs %08x", kRegNames[i], k.gpr[i], u.gpr[i]);
    d.push_back(b);
  }
  if (k.eip != u.eip) {
    std::snprintf(b, sizeof b, "eip %08x vs %08x", k.eip, u.eip);
    d.push_back(b);
  }
  const uint32_t mask = ~uint32_t(und.flags);
  if ((k.eflags ^ u.eflags) & mask) {
    std::snprintf(b, sizeof b, "eflags %08x vs %08x (undefined %03x)", k.eflags, u.eflags,
                  und.flags);
    d.push_back(b);
  }
  for (uint32_t i = 0; i < kWinSize; ++i) {
    if (k.window[i] == u.window[i]) continue;
    if (std::find(und.bytes.begin(), und.bytes.end(), kWinBase + i) != und.bytes.end()) continue;
    std::snprintf(b, sizeof b, "memory %05x %02x vs %02x", kWinBase + i, k.window[i], u.window[i]);
    d.push_back(b);
    break;
  }
  return d;
}

/// The kinds of the differences ("eax", "memory"...), for grouping.
std::string kinds(const std::vector<std::string>& diffs) {
  std::string out;
  for (const std::string& d : diffs) {
    const std::string word = d.substr(0, d.find(' '));
    if (out.find(word) == std::string::npos) out += (out.empty() ? "" : "+") + word;
  }
  return out;
}

struct Report {
  uint64_t sequences = 0, insns = 0, faults = 0, agree = 0, explained = 0, unexplained = 0;
  std::map<std::string, uint64_t> classes;
  std::map<std::string, int> shown;
};

void print_case(csh cs, const Options& opt, uint64_t index, const Sequence& seq, const Outcome& k,
                const Outcome& u, const std::vector<std::string>& diffs, const char* label) {
  std::printf("-- %s: sequence %llu  (repro: unicorn_diff --seed %llu --start %llu --count 1 "
              "--len %u)\n",
              label, (unsigned long long)index, (unsigned long long)opt.seed,
              (unsigned long long)index, opt.len);
  std::printf("   forms:");
  for (const std::string& f : seq.forms) std::printf(" %s", f.c_str());
  std::printf("\n   differences:");
  for (const std::string& d : diffs) std::printf(" [%s]", d.c_str());
  std::printf("\n%s", disassemble(cs, seq).c_str());
  std::printf("%s", state_line("start  ", seq.gpr, kCodeBase, seq.eflags, -1).c_str());
  std::printf("%s", state_line("kestrel", k.gpr, k.eip, k.eflags, k.vector).c_str());
  std::printf("%s", state_line("unicorn", u.gpr, u.eip, u.eflags, u.vector).c_str());
  int shown = 0;
  for (uint32_t i = 0; i < kWinSize && shown < 8; ++i) {
    if (k.window[i] == u.window[i]) continue;
    std::printf("    memory %05x: start %02x kestrel %02x unicorn %02x\n", kWinBase + i, seq.window[i],
                k.window[i], u.window[i]);
    ++shown;
  }
}

int run(const Options& opt) {
  SequenceGenerator gen(*cpu::find_cpu_model("max"));
  KestrelSide kestrel;
  UnicornSide unicorn;
  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs) != CS_ERR_OK) return 2;
  Report rep;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = opt.start; i < opt.start + opt.count; ++i) {
    const Sequence seq = gen.generate(mix(opt.seed * 0x100000001b3ull ^ i), opt.len);
    Undefined und;
    const Outcome k = kestrel.run(seq, unicorn.cr0(), und);
    const Outcome u = unicorn.run(seq);
    ++rep.sequences;
    rep.insns += und.insns;
    if (k.vector >= 0) ++rep.faults;
    const std::vector<std::string> diffs = differences(k, u, und);
    if (diffs.empty()) {
      ++rep.agree;
      if (opt.verbose) print_case(cs, opt, i, seq, k, u, diffs, "agree");
      continue;
    }
    const Quirk* q = classify(seq, k, u, und);
    const std::string key = q ? std::string(q->id) : "UNEXPLAINED " + kinds(diffs);
    ++(q ? rep.explained : rep.unexplained);
    ++rep.classes[key];
    if (rep.shown[key]++ < opt.examples || opt.verbose)
      print_case(cs, opt, i, seq, k, u, diffs, q ? q->id : "UNEXPLAINED");
  }
  cs_close(&cs);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("== %llu sequences from %zu rows (%llu instructions executed, %llu ended in an "
              "exception) in %.1f s\n",
              (unsigned long long)rep.sequences, gen.rows().size(), (unsigned long long)rep.insns,
              (unsigned long long)rep.faults, secs);
  std::printf("== %llu agree, %llu explained by known Unicorn errors, %llu unexplained\n",
              (unsigned long long)rep.agree, (unsigned long long)rep.explained,
              (unsigned long long)rep.unexplained);
  for (const auto& [key, n] : rep.classes) std::printf("  %8llu  %s\n", (unsigned long long)n, key.c_str());
  return rep.unexplained == 0 ? 0 : 1;
}

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto number = [&](uint64_t& out) {
      if (!v) return false;
      ++i;
      return std::from_chars(v, v + std::strlen(v), out).ec == std::errc{};
    };
    uint64_t n = 0;
    if (a == "--count" && number(opt.count)) continue;
    if (a == "--seed" && number(opt.seed)) continue;
    if (a == "--start" && number(opt.start)) continue;
    if (a == "--len" && number(n) && n >= 1 && n <= 64) {
      opt.len = unsigned(n);
      continue;
    }
    if (a == "--examples" && number(n)) {
      opt.examples = int(n);
      continue;
    }
    if (a == "--verbose") {
      opt.verbose = true;
      continue;
    }
    if (a == "--rows") {
      const SequenceGenerator gen(*cpu::find_cpu_model("max"));
      for (const auto* r : gen.rows())
        std::printf("%.*s\n", int(r->form.size()), r->form.data());
      std::exit(0);
    }
    if (a == "--quirks") {
      for (const Quirk& q : known_quirks()) std::printf("%s\n    %s\n", q.id, q.reason);
      std::exit(0);
    }
    return false;
  }
  return true;
}

}  // namespace
}  // namespace kestrel::differential

int main(int argc, char** argv) {
  using namespace kestrel::differential;
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: unicorn_diff [--count N] [--seed S] [--start I] [--len L] "
                 "[--examples N] [--verbose] [--quirks] [--rows]\n");
    return 2;
  }
  return run(opt);
}
