// SPDX-License-Identifier: MIT
// x87 and MMX against the host CPU: random cases (x87_gen.h) run by the
// host's own FPU (x87_host.h) and by Kestrel's interpreter in flat 32-bit
// protected mode, comparing control, status and tag words, the eight
// registers, EFLAGS, EAX and the memory operand. Where the SDM leaves a
// result undefined (listed in docs/conformance.md, "x87 and MMX vs the
// host") the comparison skips it; transcendental results may differ by one
// ulp and their C1 is not compared. Needs an x86-64 host; elsewhere it
// reports the skip (exit 77, meson's "skipped").
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "cpu/x87/fpu.h"
#include "tests/differential/x87_gen.h"
#include "tests/differential/x87_host.h"

#if defined(__x86_64__)
namespace kestrel::differential {
namespace {

namespace isa = cpu::isa;
namespace x87 = cpu::x87;
using x87::Float80;

constexpr uint32_t kCode = 0x1000, kData = 0x10000;

/// What one side left behind.
struct Observed {
  uint16_t fcw = 0, fsw = 0, ftw = 0;
  Float80 st[8];
  uint32_t eflags = 0, eax = 0;
  uint8_t data[kDataSize] = {};
  bool faulted = false;
};

uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint64_t get64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

/// The FSAVE image a case starts from.
FsaveImage initial_image(const Case& c) {
  FsaveImage im{};
  put16(im.b + 0, c.fcw);
  put16(im.b + 4, c.fsw);
  put16(im.b + 8, c.ftw);
  for (unsigned i = 0; i < 8; ++i) {
    put64(im.b + 28 + 10 * i, c.st[i].mant);
    put16(im.b + 36 + 10 * i, c.st[i].se);
  }
  return im;
}

class Host {
 public:
  Observed run(const Case& c) {
    Observed o;
    std::memcpy(data_, c.data, kDataSize);
    const HostRun r = x87_.run(initial_image(c), c.code, c.len, data_, c.eax, c.rflags);
    o.fcw = get16(r.after.b + 0);
    o.fsw = get16(r.after.b + 4);
    o.ftw = get16(r.after.b + 8);
    for (unsigned i = 0; i < 8; ++i) {
      o.st[i] = {get64(r.after.b + 28 + 10 * i), get16(r.after.b + 36 + 10 * i)};
    }
    o.eflags = uint32_t(r.rflags);
    o.eax = uint32_t(r.rax);
    std::memcpy(o.data, data_, kDataSize);
    return o;
  }

 private:
  HostX87 x87_;
  alignas(16) uint8_t data_[kDataSize];
};

class Guest {
 public:
  Guest() : mem_(1u << 20, model().phys_addr_bits), cpu_(model(), mem_, bus_), interp_(cpu_) {}

  Observed run(const Case& c) {
    mem_.load_phys(kCode, {c.code, c.len});
    mem_.load_phys(kData, {c.data, kDataSize});
    set_state(c);
    interp_.step();
    const cpu::CpuState& s = cpu_.s;
    Observed o;
    o.faulted = s.rip != kCode + c.len || (s.pending & cpu::kPendingReset);
    o.fcw = s.fcw;
    o.fsw = s.fsw;
    o.ftw = x87::stored_tag_word(s);
    for (unsigned i = 0; i < 8; ++i) o.st[i] = x87::st(s, i);
    o.eflags = uint32_t(cpu::read_flags(s));
    o.eax = uint32_t(s.gpr[cpu::kRax]);
    for (unsigned k = 0; k < kDataSize; k += 8) put64(o.data + k, mem_.read_phys(kData + k, 8));
    return o;
  }

 private:
  static const cpu::CpuModel& model() { return *cpu::find_cpu_model("max"); }

  void set_state(const Case& c) {
    cpu::CpuState& s = cpu_.s;
    s = cpu::CpuState{};
    s.cr[0] = 0x31;  // PE, ET, NE: a stray pending exception shows as a fault
    const uint16_t flat = cpu::kAttrPresent | cpu::kAttrS | cpu::kAttrAccessed | cpu::kAttrDb | cpu::kAttrG;
    for (auto& sc : s.seg) sc = {0, 0xffffffffu, 0x10, uint16_t(flat | cpu::kAttrWritable)};
    s.seg[cpu::kCs] = {0, 0xffffffffu, 0x08, uint16_t(flat | cpu::kAttrCode | cpu::kAttrWritable)};
    s.idtr = {0, 0};
    s.gpr[cpu::kRbx] = kData;
    s.gpr[cpu::kRax] = c.eax;
    s.rflags = c.rflags;
    s.rip = kCode;
    s.fcw = c.fcw;
    s.fsw = c.fsw;
    const unsigned top = (c.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) s.st[(top + i) & 7] = {c.st[i].mant, c.st[i].se, {}};
    x87::load_tag_word(s, c.ftw);
  }

  mmu::Mmu mem_;
  cpu::OpenBus bus_;
  cpu::Cpu cpu_;
  cpu::Interpreter interp_;
};

// ---- comparing ----------------------------------------------------------

bool is_form(isa::Form f, std::string_view name) { return isa::row(f).form == name; }

bool transcendental(isa::Form f) {
  static constexpr std::string_view kNames[] = {"FSIN", "FCOS", "FSINCOS", "FPTAN",
                                                "FPATAN", "F2XM1", "FYL2X", "FYL2XP1"};
  for (std::string_view n : kNames) {
    if (is_form(f, n)) return true;
  }
  return false;
}

/// |v| compared with m × 2^(e - 63) for a finite, supported v.
bool magnitude_at_least(Float80 v, uint64_t m, int e) {
  const x87::Class c = x87::classify(v);
  if (c == x87::Class::kZero) return false;
  if (c != x87::Class::kNormal && !x87::is_denormal(c)) return false;
  const x87::Unpacked u = x87::unpack(v);
  return u.exp > e || (u.exp == e && u.sig >= m);
}

/// Cases whose result the SDM leaves undefined: F2XM1 beyond [-1, 1],
/// FYL2XP1 beyond ±(1 - sqrt(2)/2), FBLD of a non-decimal digit; and the
/// undocumented D9 D8+i alias with an empty ST(0), which AMD parts run as
/// FSTPNCE ("no check empty") and Intel parts as FSTP.
bool undefined_case(const Case& c) {
  const bool st0 = ((c.ftw >> (2 * ((c.fsw >> 11) & 7))) & 3) != 3;
  if (is_form(c.form, "FSTP1_STi") && !st0) return true;
  if (is_form(c.form, "F2XM1") && st0) {
    return magnitude_at_least(c.st[0], uint64_t{1} << 63, 0) && !(c.st[0].mant == uint64_t{1} << 63 && (c.st[0].se & 0x7fff) == 0x3fff);
  }
  if (is_form(c.form, "FYL2XP1") && st0) return magnitude_at_least(c.st[0], 0x95f619980c4336f7, -2);
  if (is_form(c.form, "FBLD_Mt")) {
    for (unsigned i = 0; i < 9; ++i) {
      if ((c.data[i] & 0xf) > 9 || (c.data[i] >> 4) > 9) return true;
    }
  }
  return false;
}

/// Distance in ulps between two finite extended values of one sign.
uint64_t ulps(Float80 a, Float80 b) {
  if (a == b) return 0;
  if (a.sign() != b.sign() || a.exp() == 0x7fff || b.exp() == 0x7fff) return ~uint64_t{0};
  const auto index = [](Float80 v) -> __int128 {
    return v.exp() ? __int128(v.exp()) * (__int128(1) << 63) + (v.mant & ~x87::kIntBit) : __int128(v.mant);
  };
  const __int128 d = index(a) - index(b);
  return uint64_t(d < 0 ? -d : d);
}

/// Memory bytes not compared: FXSAVE's pointers, MXCSR_MASK and XMM
/// registers; the pointer words of FNSTENV/FNSAVE (host addresses there).
bool skip_byte(isa::Form f, unsigned k) {
  if (is_form(f, "FXSAVE_M")) return (k >= 6 && k < 24) || (k >= 28 && k < 32) || k >= 160;
  if (is_form(f, "FNSTENV_Me") || is_form(f, "FNSAVE_Me")) return k >= 12 && k < 28;
  return false;
}

std::vector<std::string> differences(const Case& c, const Observed& h, const Observed& k) {
  std::vector<std::string> d;
  if (k.faulted) d.push_back("fault");
  const bool tr = transcendental(c.form);
  const uint16_t sw_mask = tr ? uint16_t(~x87::kSwC1) : 0xffff;
  if (h.fcw != k.fcw) d.push_back("control word");
  if ((h.fsw ^ k.fsw) & sw_mask) d.push_back("status word");
  if (h.ftw != k.ftw) d.push_back("tag word");
  for (unsigned i = 0; i < 8; ++i) {
    if (h.st[i] == k.st[i] || (tr && ulps(h.st[i], k.st[i]) <= 1)) continue;
    d.push_back("register");
    break;
  }
  if ((h.eflags ^ k.eflags) & 0x8d5) d.push_back("eflags");
  if (h.eax != k.eax) d.push_back("eax");
  for (unsigned b = 0; b < kDataSize; ++b) {
    if (h.data[b] == k.data[b] || skip_byte(c.form, b)) continue;
    d.push_back("memory");
    break;
  }
  return d;
}

void print_f80(const char* name, const Float80* v) {
  std::printf("   %s", name);
  for (unsigned i = 0; i < 8; ++i) std::printf(" %04x:%016llx", v[i].se, (unsigned long long)v[i].mant);
  std::printf("\n");
}

void print_case(const Case& c, const Observed& h, const Observed& k) {
  std::printf("   code");
  for (unsigned i = 0; i < c.len; ++i) std::printf(" %02x", c.code[i]);
  std::printf("  fcw %04x fsw %04x ftw %04x eflags %03llx eax %08x\n", c.fcw, c.fsw, c.ftw,
              (unsigned long long)c.rflags, c.eax);
  print_f80("in  ", c.st);
  std::printf("   mem ");
  for (unsigned i = 0; i < 16; ++i) std::printf(" %02x", c.data[i]);
  std::printf("\n");
  for (const Observed* o : {&h, &k}) {
    std::printf("   %s fcw %04x fsw %04x ftw %04x eflags %03x eax %08x mem", o == &h ? "host  " : "kestrel",
                o->fcw, o->fsw, o->ftw, o->eflags & 0x8d5, o->eax);
    for (unsigned i = 0; i < 16; ++i) std::printf(" %02x", o->data[i]);
    std::printf("\n");
    print_f80(o == &h ? "host" : "kes ", o->st);
  }
}

// ---- the run --------------------------------------------------------------

struct Options {
  uint64_t count = 1'000'000;
  uint64_t seed = 1;
  int examples = 2;
  std::string form;  ///< only this form, when given
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i], v = argv[i + 1];
    uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    if (k == "--count") o.count = n;
    else if (k == "--seed") o.seed = n;
    else if (k == "--examples") o.examples = int(n);
    else if (k == "--form") o.form = std::string(v);
    else return false;
  }
  return true;
}

struct Tally {
  uint64_t ops = 0, undefined = 0, mismatched = 0;
  uint64_t transcendental = 0, one_ulp = 0;  ///< results compared, and 1 ulp apart
  std::map<std::string, uint64_t> per_class;   ///< "FORM: field" -> cases
  std::map<std::string, uint64_t> per_form;    ///< cases run per form
};

void report(const Tally& t, const Options& o) {
  std::printf("x87_vs_host: %llu operations (seed %llu), %zu forms, %llu with an undefined operand "
              "(not compared), %llu mismatched\n",
              (unsigned long long)t.ops, (unsigned long long)o.seed, t.per_form.size(),
              (unsigned long long)t.undefined, (unsigned long long)t.mismatched);
  std::printf("x87_vs_host: transcendental results %llu, of which %llu one ulp from the host's\n",
              (unsigned long long)t.transcendental, (unsigned long long)t.one_ulp);
  for (const auto& [k, n] : t.per_class) std::printf("  %-32s %llu\n", k.c_str(), (unsigned long long)n);
}

int run(const Options& o) {
  CaseGen gen(o.seed);
  isa::Form only = isa::Form::kInvalid;
  for (isa::Form f : gen.forms()) {
    if (isa::row(f).form == o.form) only = f;
  }
  if (!o.form.empty() && only == isa::Form::kInvalid) {
    std::fprintf(stderr, "x87_vs_host: no x87/MMX form %s\n", o.form.c_str());
    return 2;
  }
  Host host;
  Guest guest;
  Tally t;
  for (uint64_t n = 0; n < o.count; ++n) {
    const Case c = only == isa::Form::kInvalid ? gen.next() : gen.next(only);
    const std::string name(isa::row(c.form).form);
    ++t.ops;
    ++t.per_form[name];
    if (undefined_case(c)) {
      ++t.undefined;
      continue;
    }
    const Observed h = host.run(c), k = guest.run(c);
    if (transcendental(c.form)) {
      ++t.transcendental;
      for (unsigned i = 0; i < 8; ++i) {
        if (ulps(h.st[i], k.st[i]) != 1) continue;
        ++t.one_ulp;
        break;
      }
    }
    const std::vector<std::string> d = differences(c, h, k);
    if (d.empty()) continue;
    ++t.mismatched;
    for (const std::string& field : d) {
      const uint64_t seen = t.per_class[name + ": " + field]++;
      if (int(seen) >= o.examples || &field != &d.front()) continue;
      std::printf("%s: %s\n", name.c_str(), field.c_str());
      print_case(c, h, k);
    }
  }
  report(t, o);
  return t.mismatched ? 1 : 0;
}

}  // namespace
}  // namespace kestrel::differential
#endif

int main(int argc, char** argv) {
#if defined(__x86_64__)
  kestrel::differential::Options o;
  if (!kestrel::differential::parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: x87_vs_host [--count N] [--seed S] [--examples N] [--form NAME]\n");
    return 2;
  }
  return kestrel::differential::run(o);
#else
  (void)argc;
  (void)argv;
  std::printf("x87_vs_host: skipped: the host oracle needs an x86-64 host\n");
  return 77;
#endif
}
