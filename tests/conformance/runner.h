// SPDX-License-Identifier: MIT
// Runs a SingleStepTests suite: finds its vector files, spreads them over
// worker threads (one file per worker at a time), applies the skip rules and
// collects per-file results; prints the report and checks the ratchet.
// Running one test is bench.h's job.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/conformance/bench.h"

namespace kestrel::conformance {

struct RunOptions {
  std::filesystem::path data_dir;
  std::string only_file;  ///< "" or one vector file's stem ("F6.6")
  unsigned jobs = 2;
  bool verbose = false;   ///< keep every failing test's diff, not only the first
  BenchEngine engine = BenchEngine::kInterp;
};

/// Skip categories: only what the upstream data marks untestable.
inline constexpr const char* kSkipRevoked = "revoked upstream (revocation_list.txt)";

/// Passed and run tests of one metadata status ("normal", "alias", ...).
struct StatusCount {
  uint64_t passed = 0;
  uint64_t run = 0;
};

struct FileReport {
  std::string stem;      ///< "F6.6"
  uint32_t passed = 0;
  uint32_t failed = 0;
  uint32_t skipped = 0;
  std::map<std::string, uint32_t> skips;
  std::map<std::string, StatusCount> by_status;
  bool has_failure = false;
  uint32_t first_index = 0;
  std::string first_name;
  std::string first_status;  ///< metadata status of the first failing test
  std::string first_diff;
  std::string read_error;   ///< "" or "test N: what" for a damaged file
  std::string verbose_log;  ///< with RunOptions::verbose: one line per failing test
  uint64_t jit_blocks = 0;  ///< BenchEngine::kJit: blocks the JIT ran
};

struct SuiteReport {
  std::string name;
  std::string error;  ///< "" or why the suite could not run (no data, bad metadata)
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  std::map<std::string, uint64_t> skips;
  std::map<std::string, StatusCount> by_status;  ///< README §5.6: reported apart
  std::vector<FileReport> files;
  double seconds = 0;
  unsigned jobs = 0;
  BenchEngine engine = BenchEngine::kInterp;
  uint64_t jit_blocks = 0;
};

/// The vector files of a suite (stems, sorted); empty when its folder is absent.
std::vector<std::string> suite_files(const SuiteSpec& spec, const std::filesystem::path& data_dir);

SuiteReport run_suite(const SuiteSpec& spec, const RunOptions& opt);

/// The per-opcode failure list, skip counts and the closing line
/// "NAME: N passed, N failed, N skipped".
void print_report(const SuiteReport& r, std::ostream& out);

/// Minimum pass counts per suite, from a JSON ratchet file.
std::optional<std::map<std::string, uint64_t>> load_ratchet(const std::string& path,
                                                            std::string& err);
bool save_ratchet(const std::string& path, const std::map<std::string, uint64_t>& floor,
                  std::string& err);
/// Prints a line per suite checked; false when a pass count fell below its floor.
bool check_ratchet(const std::map<std::string, uint64_t>& floor,
                   const std::vector<SuiteReport>& reports, std::ostream& out);

}  // namespace kestrel::conformance
