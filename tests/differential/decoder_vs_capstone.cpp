// SPDX-License-Identifier: MIT
// Differential test of the decoder: random byte strings decoded by Kestrel
// (a model with every feature, so decode-only rows count) and by Capstone 4,
// comparing validity and length in 16-, 32- and 64-bit code. Disagreements
// are sorted into the documented classes of capstone_quirks.cpp; any other
// disagreement fails the test.
#include <capstone/capstone.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/differential/capstone_quirks.h"

namespace kestrel::differential {
namespace {

constexpr size_t kBufLen = 16;  // one more than the 15-byte limit

struct Options {
  uint64_t count = 1'000'000;  ///< byte strings per mode
  std::vector<cpu::CodeSize> modes{cpu::CodeSize::k16, cpu::CodeSize::k32, cpu::CodeSize::k64};
  uint64_t seed = 1;
  int examples = 3;  ///< examples printed per class
  bool list_quirks = false;
};

/// Random instruction-like byte strings, in three kinds: uniform noise;
/// bytes built from prefixes, an opcode map and a ModRM byte; and the
/// encoding of a random table row (its map, opcode, mandatory prefix and a
/// ModRM byte that fits), so every row is reached.
class Generator {
 public:
  Generator(uint64_t seed, cpu::CodeSize mode) : rng_(seed), mode64_(mode == cpu::CodeSize::k64) {}

  void next(uint8_t* buf) {
    for (size_t i = 0; i < kBufLen; i += 8) {
      const uint64_t r = rng_();
      std::memcpy(buf + i, &r, 8);
    }
    switch (pick(4)) {
      case 0: return;  // uniform bytes
      case 1: from_row(buf); return;
      default: from_structure(buf); return;
    }
  }

 private:
  unsigned pick(unsigned n) { return unsigned(rng_() % n); }

  uint8_t random_prefix() {
    static constexpr uint8_t kLegacy[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66,
                                          0x67, 0xf0, 0xf2, 0xf3, 0x66, 0xf2, 0xf3};
    if (mode64_ && pick(8) == 0) return uint8_t(0x40 | pick(16));  // REX not last
    return kLegacy[pick(sizeof kLegacy)];
  }

  size_t prefixes(uint8_t* buf, unsigned max_count) {
    size_t n = 0;
    const unsigned count = pick(8) < 5 ? pick(3) : pick(max_count);
    for (unsigned i = 0; i < count; ++i) buf[n++] = random_prefix();
    return n;
  }

  void from_structure(uint8_t* buf) {
    size_t n = prefixes(buf, 12);
    if (mode64_ && pick(2) == 0) buf[n++] = uint8_t(0x40 | pick(16));
    switch (pick(8)) {
      case 0:
      case 1:
      case 2: break;  // primary map
      case 3:
      case 4: buf[n++] = 0x0f; break;
      case 5:
      case 6:
        buf[n++] = 0x0f;
        buf[n++] = 0x38;
        break;
      default:
        buf[n++] = 0x0f;
        buf[n++] = 0x3a;
        break;
    }
    ++n;  // the opcode byte stays random
    if (n < kBufLen && pick(2) == 0) buf[n] = uint8_t(buf[n] | 0xc0);  // register forms
  }

  void from_row(uint8_t* buf) {
    const cpu::isa::Row& r = cpu::isa::kRows[pick(unsigned(cpu::isa::kRows.size()))];
    size_t n = prefixes(buf, 6);
    static constexpr uint8_t kMandatory[] = {0, 0, 0x66, 0xf3, 0xf2};
    if (const uint8_t m = kMandatory[size_t(r.prefix)]) buf[n++] = m;
    if (mode64_ && pick(2) == 0) buf[n++] = uint8_t(0x40 | pick(16));
    if (r.map != cpu::isa::Map::kPrimary) buf[n++] = 0x0f;
    if (r.map == cpu::isa::Map::k0F38) buf[n++] = 0x38;
    if (r.map == cpu::isa::Map::k0F3A) buf[n++] = 0x3a;
    bool zreg = false;
    for (const cpu::isa::Operand& o : r.ops) zreg |= o.am == cpu::isa::Am::kZ;
    buf[n++] = uint8_t(r.opcode + (zreg ? pick(8) : 0));
    if (!r.modrm.present) return;
    uint8_t m = buf[n];
    if (r.modrm.reg >= 0) m = uint8_t((m & 0xc7) | r.modrm.reg << 3);
    if (r.modrm.mod == 3) m |= 0xc0;
    if (r.modrm.mod == 0 && m >= 0xc0) m &= 0xbf;
    if (r.modrm.rm >= 0) m = uint8_t((m & 0xf8) | r.modrm.rm);
    buf[n] = m;
  }

  std::mt19937_64 rng_;
  bool mode64_;
};

const char* mode_name(cpu::CodeSize m) {
  return m == cpu::CodeSize::k16 ? "16" : m == cpu::CodeSize::k32 ? "32" : "64";
}

std::string hex(const uint8_t* b, size_t n) {
  std::string s;
  char t[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(t, sizeof t, "%02x", b[i]);
    s += t;
  }
  return s;
}

struct ClassStats {
  uint64_t count = 0;
  std::vector<std::string> examples;
};

struct ModeReport {
  uint64_t decoded = 0, agree = 0, both_invalid = 0, explained = 0, unexplained = 0;
  std::map<std::string, ClassStats> classes;  ///< quirk id or raw key -> stats
};

/// Runs one mode; returns the number of unexplained disagreements.
uint64_t run_mode(const Options& opt, cpu::CodeSize mode, std::map<std::string, uint64_t>& totals) {
  Decoders dec(mode);
  Generator gen(opt.seed * 3 + uint64_t(mode), mode);
  ModeReport rep;
  uint8_t buf[kBufLen];
  for (uint64_t i = 0; i < opt.count; ++i) {
    gen.next(buf);
    const Outcome k = dec.kestrel(buf, kBufLen);
    const Outcome c = dec.capstone(buf, kBufLen);
    ++rep.decoded;
    if (k.valid == c.valid && (!k.valid || k.len == c.len)) {
      ++rep.agree;
      if (!k.valid) ++rep.both_invalid;
      continue;
    }
    const Quirk* q = classify(dec, buf, kBufLen, k, c);
    std::string key;
    if (q) {
      ++rep.explained;
      key = q->id;
    } else {
      ++rep.unexplained;
      key = "UNEXPLAINED " + raw_key(buf, kBufLen, mode, k, c);
    }
    ClassStats& st = rep.classes[key];
    ++st.count;
    if (int(st.examples.size()) < opt.examples) {
      st.examples.push_back(hex(buf, std::max<size_t>(std::max(k.len, c.len), 1)) +
                            "  kestrel=" + describe(k) + " capstone=" + describe(c));
    }
  }
  std::printf(
      "== %s-bit: %llu decoded, %llu agree (%llu both invalid), %llu explained, %llu unexplained\n",
      mode_name(mode), (unsigned long long)rep.decoded, (unsigned long long)rep.agree,
      (unsigned long long)rep.both_invalid, (unsigned long long)rep.explained,
      (unsigned long long)rep.unexplained);
  for (const auto& [key, st] : rep.classes) {
    std::printf("  %8llu  %s\n", (unsigned long long)st.count, key.c_str());
    for (const std::string& e : st.examples) std::printf("              %s\n", e.c_str());
    if (key.rfind("UNEXPLAINED", 0) != 0) totals[key] += st.count;
  }
  return rep.unexplained;
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
    if (a == "--quirks") {
      opt.list_quirks = true;
      continue;
    }
    if (a == "--examples" && number(n)) {
      opt.examples = int(n);
      continue;
    }
    if (a == "--mode" && v) {
      ++i;
      const std::string_view m = v;
      if (m == "16")
        opt.modes = {cpu::CodeSize::k16};
      else if (m == "32")
        opt.modes = {cpu::CodeSize::k32};
      else if (m == "64")
        opt.modes = {cpu::CodeSize::k64};
      else if (m != "all")
        return false;
      continue;
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
                 "usage: decoder_vs_capstone [--count N] [--mode 16|32|64|all] [--seed S] "
                 "[--examples N] [--quirks]\n");
    return 2;
  }
  if (opt.list_quirks) {
    for (const Quirk& q : known_quirks()) std::printf("%s\n    %s\n", q.id, q.reason);
    return 0;
  }
  uint64_t unexplained = 0;
  std::map<std::string, uint64_t> totals;
  for (kestrel::cpu::CodeSize m : opt.modes) unexplained += run_mode(opt, m, totals);
  std::printf("== known Capstone/Kestrel differences, all modes:\n");
  for (const auto& [key, n] : totals)
    std::printf("  %8llu  %s\n", (unsigned long long)n, key.c_str());
  std::printf("== %llu unexplained disagreements\n", (unsigned long long)unexplained);
  return unexplained == 0 ? 0 : 1;
}
