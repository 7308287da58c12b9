// SPDX-License-Identifier: MIT
// Loading, running and judging one hardware-captured test. The judging rules
// are those of ../shared/conformance/README.md §5: expected = INIT overridden
// by FINA, FLAGS (and a FLAGS word an exception pushed) under the metadata
// mask, RAM only at the addresses FINA lists. Bus cycles are not compared.
#include "tests/conformance/bench.h"

#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "cpu/flags.h"

namespace kestrel::conformance {
namespace {

// 80286 tests end at an HLT; a REP string instruction (CX < 64 in the data)
// may count each iteration, and an exception adds the handler's HLT.
constexpr uint64_t kRunBudget = 1000;

constexpr std::array kSuites = {
    SuiteSpec{"8086", "8086/v1_binary", "8086/v1/metadata.json", "", "8086",
              uint64_t{1} << 20, 20, false, false, true},
    SuiteSpec{"80286", "80286/v1_real_mode", "80286/v1_real_mode/metadata.json",
              "80286/revocation_list.txt", "80286", uint64_t{1} << 24, 24, true, true, false},
};

/// Where each MOO register lives in CpuState: a GPR or a segment selector.
struct RegSlot {
  bool segment;
  uint8_t index;
};
constexpr std::array<RegSlot, kMooIp> kRegSlots = {{
    {false, cpu::kRax}, {false, cpu::kRbx}, {false, cpu::kRcx}, {false, cpu::kRdx},
    {true, cpu::kCs},   {true, cpu::kSs},   {true, cpu::kDs},   {true, cpu::kEs},
    {false, cpu::kRsp}, {false, cpu::kRbp}, {false, cpu::kRsi}, {false, cpu::kRdi},
}};

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

void note(std::string& diff, const std::string& what) {
  if (!diff.empty()) diff += "; ";
  diff += what;
}

const cpu::CpuModel& model_for(const SuiteSpec& spec) {
  const cpu::CpuModel* m = cpu::find_cpu_model(spec.model);
  if (!m) throw std::runtime_error("no CPU model named " + std::string(spec.model));
  return *m;
}

/// Physical addresses of the two bytes of a FLAGS word pushed by an exception.
std::optional<std::array<uint32_t, 2>> stacked_flags(const SuiteSpec& spec, const MooTest& t,
                                                     const MooRegs& expected) {
  const uint32_t wrap = (1u << spec.addr_bits) - 1;
  if (t.has_exception) {
    // The handler is a lone HLT, so the final SS:SP+4 is the pushed FLAGS.
    // EXCP holds the bus address of the word write: for an odd SP that is
    // the address rounded down to even (about 9% of the 80286 exceptions).
    const uint32_t ss_base = uint32_t(expected.value[kMooSs]) << 4;
    const uint16_t off = uint16_t(expected.value[kMooSp] + 4);
    const uint32_t lo = (ss_base + off) & wrap;
    if ((lo & ~1u) == t.flags_addr) {
      return std::array<uint32_t, 2>{lo, (ss_base + uint16_t(off + 1)) & wrap};
    }
    return std::array<uint32_t, 2>{t.flags_addr, t.flags_addr + 1};
  }
  if (!spec.divide_fault_rule) return std::nullopt;
  // 8086 (README §5.4): the only fault is #DE, whose handler the generator
  // puts at 0000:0400; FLAGS is the first word pushed, at SS:SP-2.
  if (expected.value[kMooCs] != 0 || expected.value[kMooIp] != 0x400) return std::nullopt;
  bool read_ivt = false;
  for (const MooRamByte& b : t.init.ram) read_ivt |= b.addr == 0;
  if (!read_ivt) return std::nullopt;
  const uint32_t ss_base = uint32_t(t.init.regs.value[kMooSs]) << 4;
  const uint16_t sp = t.init.regs.value[kMooSp];
  return std::array<uint32_t, 2>{(ss_base + uint16_t(sp - 2)) & wrap,
                                 (ss_base + uint16_t(sp - 1)) & wrap};
}

}  // namespace

std::span<const SuiteSpec> suite_specs() { return kSuites; }

std::string flag_names(uint32_t bits) {
  static constexpr std::array<const char*, 16> kNames = {
      "CF", "b1", "PF", "b3", "AF", "b5", "ZF", "SF",
      "TF", "IF", "DF", "OF", "b12", "b13", "b14", "b15"};
  std::string s;
  auto add = [&s](const char* name) {
    if (!s.empty()) s += ' ';
    s += name;
  };
  for (unsigned i = 0; i < 16; ++i) {
    if (bits >> i & 1) add(kNames[i]);
  }
  if (bits >> 16) add("high");
  return s;
}

TestBench::TestBench(const SuiteSpec& spec, BenchEngine engine)
    : spec_(spec),
      mem_(spec.ram_bytes, spec.addr_bits),
      cpu_(model_for(spec), mem_, io_),
      interp_(cpu_) {
  if (engine == BenchEngine::kJit) {
    jit_ = make_bench_jit(cpu_);
    if (!jit_) throw std::runtime_error("the JIT has no backend for this host");
  }
}

Verdict TestBench::run(const MooTest& t, uint16_t flags_mask) {
  load(t);
  Verdict v;
  v.diff = execute();
  compare(t, flags_mask, v.diff);
  v.passed = v.diff.empty();
  return v;
}

void TestBench::load(const MooTest& t) {
  // Undo the previous test's bytes instead of clearing all of RAM: every byte
  // a test reads is in its INIT list, every byte it writes in its FINA list.
  for (uint32_t a : touched_) mem_.write_phys(a, 0, 1);
  touched_.clear();
  for (const MooRamByte& b : t.init.ram) {
    mem_.write_phys(b.addr, b.value, 1);
    touched_.push_back(b.addr);
  }
  for (const MooRamByte& b : t.fina.ram) touched_.push_back(b.addr);

  interp_.flush();
  if (jit_) jit_->flush();
  cpu_.reset();
  cpu::CpuState& s = cpu_.s;
  const auto& v = t.init.regs.value;
  for (unsigned r = 0; r < kRegSlots.size(); ++r) {
    if (kRegSlots[r].segment) {
      cpu_.load_real_segment(kRegSlots[r].index, v[r]);
    } else {
      s.gpr[kRegSlots[r].index] = v[r];
    }
  }
  s.rip = v[kMooIp];
  // README §5, 80286: the initial FLAGS are raw LOADALL values; a real-mode
  // 286 cannot hold bits 12-15.
  const uint16_t flags = spec_.clear_high_flags ? v[kMooFlags] & 0x0fff : v[kMooFlags];
  cpu::write_flags(s, flags, 0xffff);
}

std::string TestBench::execute() {
  try {
    if (!spec_.run_to_halt) {
      // A REP string instruction runs to completion inside one step; the
      // JIT's run(1) runs the instruction as a one-instruction block.
      const cpu::StopReason r = jit_ ? jit_->run(1) : interp_.step();
      if (r == cpu::StopReason::kShutdown) return "shutdown (triple fault)";
      return {};
    }
    const cpu::StopReason r = jit_ ? jit_->run(kRunBudget) : interp_.run(kRunBudget);
    if (r == cpu::StopReason::kHalted) return {};
    if (r == cpu::StopReason::kShutdown) return "shutdown (triple fault)";
    return "no HLT within " + std::to_string(kRunBudget) + " instructions";
  } catch (const cpu::GuestFault& f) {
    return "guest fault " + std::to_string(f.vector) + " escaped the engine";
  } catch (const std::exception& e) {
    return std::string("host exception: ") + e.what();
  }
}

void TestBench::compare(const MooTest& t, uint16_t flags_mask, std::string& diff) {
  MooRegs expected = t.init.regs;
  if (spec_.clear_high_flags) expected.value[kMooFlags] &= 0x0fff;
  for (unsigned r = 0; r < kMooRegCount; ++r) {
    if (t.fina.regs.has(r)) expected.value[r] = t.fina.regs.value[r];
  }
  const cpu::CpuState& s = cpu_.s;
  for (unsigned r = 0; r <= kMooIp; ++r) {
    uint64_t actual = s.rip;
    if (r < kRegSlots.size()) {
      const RegSlot slot = kRegSlots[r];
      actual = slot.segment ? s.seg[slot.index].selector : s.gpr[slot.index];
    }
    if (actual != expected.value[r]) {
      note(diff, std::string(kMooRegNames[r]) + " expected " + hex(expected.value[r], 4) +
                     " got " + hex(actual, 4));
    }
  }
  const uint64_t flags = cpu::read_flags(s);
  const uint64_t want = expected.value[kMooFlags];
  if (((flags ^ want) & flags_mask) != 0 || flags >> 16) {
    note(diff, "flags expected " + hex(want, 4) + " got " + hex(flags, 4) + " (" +
                   flag_names(uint32_t((flags ^ want) & (flags_mask | ~uint64_t{0xffff}))) +
                   (flags_mask != 0xffff ? "; mask " + hex(flags_mask, 4) : "") + ")");
  }
  const auto pushed = stacked_flags(spec_, t, expected);
  for (const MooRamByte& b : t.fina.ram) {
    const uint8_t actual = uint8_t(mem_.read_phys(b.addr, 1));
    uint8_t mask = 0xff;
    if (pushed && b.addr == (*pushed)[0]) mask = uint8_t(flags_mask);
    if (pushed && b.addr == (*pushed)[1]) mask = uint8_t(flags_mask >> 8);
    if ((actual ^ b.value) & mask) {
      std::string what = "[";
      what += hex(b.addr, 5);
      what += "] expected " + hex(b.value, 2) + " got " + hex(actual, 2);
      note(diff, what);
    }
  }
}

}  // namespace kestrel::conformance
