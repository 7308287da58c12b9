// SPDX-License-Identifier: MIT
// kestrel-conformance: the command line of the SingleStepTests runner. Exit
// status: 0 pass, 1 failures (or, with --ratchet, a pass count below the
// ratchet), 2 usage or data errors, 77 (meson's "skipped") without data.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/conformance/runner.h"

namespace kc = kestrel::conformance;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSourceRoot = KESTREL_SOURCE_ROOT;
constexpr int kExitFail = 1, kExitUsage = 2, kExitSkip = 77;

constexpr const char* kUsage =
    "usage: kestrel-conformance [options]\n"
    "  --suite 8086|80286|all  suites to run (default all)\n"
    "  --file STEM             one opcode file, e.g. F6.6 (debugging)\n"
    "  --data DIR              data folder (default $KESTREL_CONFORMANCE_DIR,\n"
    "                          else ../shared/conformance next to the source tree)\n"
    "  --ratchet FILE          fail when a pass count drops below FILE's\n"
    "  --update-ratchet        raise FILE's counts to this run's (with --ratchet)\n"
    "  --jobs N                worker threads (default 2)\n"
    "  --verbose               print every failing test, not only the first per file\n"
    "  --accel interp|jit      engine (default interp; jit: one instruction per block)\n";

struct Args {
  std::string suite = "all";
  kc::RunOptions run;
  std::string ratchet;
  bool update_ratchet = false;
  std::string accel = "interp";
};

int usage_error(const std::string& what) {
  std::cerr << "kestrel-conformance: error: " << what << "\n" << kUsage;
  return kExitUsage;
}

fs::path default_data_dir() {
  if (const char* env = std::getenv("KESTREL_CONFORMANCE_DIR"); env && *env) return env;
  return (fs::path(kSourceRoot) / ".." / "shared" / "conformance").lexically_normal();
}

/// Fills `a`; returns -1 to go on, else the exit status.
int parse_args(int argc, char** argv, Args& a) {
  a.run.data_dir = default_data_dir();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--verbose" || arg == "-v") {
      a.run.verbose = true;
    } else if (arg == "--update-ratchet") {
      a.update_ratchet = true;
    } else if (arg == "--suite" || arg == "--file" || arg == "--data" || arg == "--ratchet" ||
               arg == "--jobs" || arg == "--accel") {
      const char* v = value();
      if (!v) return usage_error(std::string(arg) + " needs a value");
      if (arg == "--suite") a.suite = v;
      if (arg == "--file") a.run.only_file = v;
      if (arg == "--data") a.run.data_dir = v;
      if (arg == "--ratchet") a.ratchet = v;
      if (arg == "--jobs") a.run.jobs = unsigned(std::strtoul(v, nullptr, 10));
      if (arg == "--accel") a.accel = v;
    } else {
      return usage_error("unknown option " + std::string(arg));
    }
  }
  if (a.suite != "all" && a.suite != "8086" && a.suite != "80286") {
    return usage_error("--suite must be 8086, 80286 or all");
  }
  if (a.run.jobs == 0) return usage_error("--jobs must be at least 1");
  if (a.accel != "interp" && a.accel != "jit") return usage_error("--accel must be interp or jit");
  if (a.accel == "jit" && !kc::bench_jit_supported()) {
    return usage_error("--accel jit: the JIT has no backend for this host");
  }
  a.run.engine = a.accel == "jit" ? kc::BenchEngine::kJit : kc::BenchEngine::kInterp;
  if (a.update_ratchet && a.ratchet.empty()) return usage_error("--update-ratchet needs --ratchet");
  if (a.update_ratchet && !a.run.only_file.empty()) {
    return usage_error("--update-ratchet needs whole suites, not --file");
  }
  std::string& f = a.run.only_file;
  if (f.ends_with(".MOO.gz")) f.resize(f.size() - 7);
  return -1;
}

/// Applies the ratchet file; returns the exit status of the run.
int apply_ratchet(const Args& a, const std::vector<kc::SuiteReport>& reports) {
  std::string err;
  auto floor = kc::load_ratchet(a.ratchet, err);
  if (!floor) {
    std::cerr << "kestrel-conformance: error: " << err << "\n";
    return kExitUsage;
  }
  const bool ok = kc::check_ratchet(*floor, reports, std::cout);
  if (a.update_ratchet) {
    for (const kc::SuiteReport& r : reports) {
      if (r.error.empty() && r.passed > (*floor)[r.name]) (*floor)[r.name] = r.passed;
    }
    if (!kc::save_ratchet(a.ratchet, *floor, err)) {
      std::cerr << "kestrel-conformance: error: " << err << "\n";
      return kExitUsage;
    }
    std::cout << "ratchet: wrote " << a.ratchet << "\n";
  }
  return ok ? 0 : kExitFail;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (int status = parse_args(argc, argv, a); status >= 0) return status;

  std::vector<const kc::SuiteSpec*> specs;
  for (const kc::SuiteSpec& s : kc::suite_specs()) {
    if (a.suite == "all" || a.suite == s.name) specs.push_back(&s);
  }
  bool any_data = false;
  for (const kc::SuiteSpec* s : specs) any_data |= !kc::suite_files(*s, a.run.data_dir).empty();
  if (!any_data) {
    std::cout << "kestrel-conformance: no SingleStepTests data in " << a.run.data_dir.string()
              << " (set KESTREL_CONFORMANCE_DIR or --data); skipping\n";
    return kExitSkip;
  }

  std::vector<kc::SuiteReport> reports;
  bool failed = false, errors = false, ran_file = a.run.only_file.empty();
  for (const kc::SuiteSpec* s : specs) {
    if (!a.run.only_file.empty()) {
      // With --file, a suite that lacks the file is simply not involved.
      const auto stems = kc::suite_files(*s, a.run.data_dir);
      if (std::find(stems.begin(), stems.end(), a.run.only_file) == stems.end()) continue;
      ran_file = true;
    }
    kc::SuiteReport r = kc::run_suite(*s, a.run);
    kc::print_report(r, std::cout);
    std::cout.flush();
    failed |= r.failed > 0;
    errors |= !r.error.empty();
    reports.push_back(std::move(r));
  }
  if (!ran_file) {
    std::cerr << "kestrel-conformance: error: no suite has " << a.run.only_file << ".MOO.gz\n";
    return kExitUsage;
  }
  if (!a.ratchet.empty() && a.run.only_file.empty()) return apply_ratchet(a, reports);
  if (errors) return kExitUsage;
  return failed ? kExitFail : 0;
}
