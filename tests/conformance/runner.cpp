// SPDX-License-Identifier: MIT
// Suite execution: file discovery, the worker pool, skip rules and the
// per-file bookkeeping, including files that turn out to be damaged.
#include "tests/conformance/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/conformance/metadata.h"

namespace kestrel::conformance {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".MOO.gz";
constexpr uint32_t kMaxTestsPerFile = 1u << 20;

/// What every worker shares, read-only.
struct SuiteContext {
  const SuiteSpec& spec;
  const RunOptions& opt;
  const Metadata& metadata;
  const std::set<std::string, std::less<>>& revoked;
  fs::path dir;
};

void record_failure(FileReport& f, const MooTest& t, const OpcodeInfo& info,
                    const std::string& diff, bool verbose) {
  ++f.failed;
  if (!f.has_failure) {
    f.has_failure = true;
    f.first_index = t.index;
    f.first_name = t.name;
    f.first_status = info.status;
    f.first_diff = diff;
  }
  if (verbose) {
    f.verbose_log += "    #" + std::to_string(t.index) + " " + t.name + ": " + diff + "\n";
  }
}

void run_tests(const SuiteContext& ctx, MooReader& reader, FileReport& f) {
  TestBench bench(ctx.spec, ctx.opt.engine);
  MooTest t;
  while (reader.next(t)) {
    const OpcodeInfo info = ctx.metadata.lookup(f.stem, t.bytes);
    if (t.has_hash && ctx.revoked.count(t.hash_hex())) {
      ++f.skipped;
      ++f.skips[kSkipRevoked];
      continue;
    }
    const Verdict v = bench.run(t, info.flags_mask);
    StatusCount& sc = f.by_status[info.status];
    ++sc.run;
    sc.passed += v.passed;
    if (v.passed) {
      ++f.passed;
    } else {
      record_failure(f, t, info, v.diff, ctx.opt.verbose);
    }
  }
  f.jit_blocks = bench.jit_blocks();
}

/// "" for an intact file, else "test N: what" (N = the first test not read).
std::string describe_damage(const MooReader& reader, bool gz_ok, const std::string& gz_err) {
  if (reader.error().empty() && gz_ok) return {};
  if (reader.error().empty()) return "test " + std::to_string(reader.tests_read()) + ": " + gz_err;
  return gz_ok ? reader.error() : reader.error() + " (" + gz_err + ")";
}

FileReport run_file(const SuiteContext& ctx, const std::string& stem) {
  FileReport f;
  f.stem = stem;
  const std::string path = (ctx.dir / (stem + std::string(kSuffix))).string();
  std::vector<uint8_t> data;
  std::string gz_err;
  const bool gz_ok = read_gzip_file(path, data, gz_err);
  MooReader reader(data);
  try {
    if (reader.read_header()) run_tests(ctx, reader, f);
  } catch (const std::exception& e) {
    // Setting up the bench failed (no CPU model, no memory): nothing ran.
    f.read_error = std::string("test ") + std::to_string(reader.tests_read()) + ": " + e.what();
  }
  if (f.read_error.empty()) f.read_error = describe_damage(reader, gz_ok, gz_err);
  if (!f.read_error.empty()) {
    // Tests that could not be read count as failed: a damaged file must not
    // look like a smaller, cleaner one.
    // (The header's count is capped: it is as untrusted as the rest.)
    const uint32_t want = std::min(reader.header().test_count, kMaxTestsPerFile);
    f.failed += std::max<uint32_t>(1, want > reader.tests_read() ? want - reader.tests_read() : 0);
  }
  return f;
}

/// Runs `stems` on `jobs` threads, biggest files first so the pool drains evenly.
std::vector<FileReport> run_files(const SuiteContext& ctx, const std::vector<std::string>& stems,
                                  unsigned jobs) {
  std::vector<std::pair<uintmax_t, size_t>> order;
  for (size_t i = 0; i < stems.size(); ++i) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(ctx.dir / (stems[i] + std::string(kSuffix)), ec);
    order.emplace_back(ec ? 0 : size, i);
  }
  std::sort(order.begin(), order.end(), std::greater<>());
  std::vector<FileReport> reports(stems.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next.fetch_add(1)) < order.size();) {
      const size_t i = order[k].second;
      reports[i] = run_file(ctx, stems[i]);
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned j = 1; j < jobs && j < stems.size(); ++j) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins: the other workers may still be on their last file
  return reports;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> suite_files(const SuiteSpec& spec, const fs::path& data_dir) {
  std::vector<std::string> stems;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_dir / spec.vector_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
      stems.push_back(name.substr(0, name.size() - kSuffix.size()));
    }
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

SuiteReport run_suite(const SuiteSpec& spec, const RunOptions& opt) {
  SuiteReport r;
  r.name = spec.name;
  r.jobs = std::max(1u, opt.jobs);
  r.engine = opt.engine;
  std::vector<std::string> stems = suite_files(spec, opt.data_dir);
  if (stems.empty()) {
    r.error = "no vector files in " + (opt.data_dir / spec.vector_dir).string();
    return r;
  }
  if (!opt.only_file.empty()) {
    std::erase_if(stems, [&](const std::string& s) { return s != opt.only_file; });
    if (stems.empty()) {
      r.error = "no file " + opt.only_file + std::string(kSuffix) + " in this suite";
      return r;
    }
  }
  std::string err;
  const auto md = Metadata::load((opt.data_dir / spec.metadata).string(), err);
  if (!md) {
    r.error = err;
    return r;
  }
  std::set<std::string, std::less<>> revoked;
  if (!spec.revocation.empty()) {
    revoked = parse_revocation_list(read_text(opt.data_dir / spec.revocation));
    r.skips[kSkipRevoked] = 0;
  }
  const auto start = std::chrono::steady_clock::now();
  const SuiteContext ctx{spec, opt, *md, revoked, opt.data_dir / spec.vector_dir};
  r.files = run_files(ctx, stems, r.jobs);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const FileReport& f : r.files) {
    r.passed += f.passed;
    r.failed += f.failed;
    r.skipped += f.skipped;
    r.jit_blocks += f.jit_blocks;
    for (const auto& [category, n] : f.skips) r.skips[category] += n;
    for (const auto& [status, n] : f.by_status) {
      r.by_status[status].passed += n.passed;
      r.by_status[status].run += n.run;
    }
  }
  return r;
}

}  // namespace kestrel::conformance
