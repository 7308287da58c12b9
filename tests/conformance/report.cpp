// SPDX-License-Identifier: MIT
// What the runner prints (the per-opcode failure list and the closing line
// "NAME: N passed, N failed, N skipped") and the pass-count ratchet file.
#include "tests/conformance/runner.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace kestrel::conformance {
namespace {

std::string padded(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void print_file_line(const FileReport& f, std::ostream& out) {
  const uint32_t total = f.passed + f.failed;
  out << "  " << padded(f.stem, 6) << " " << padded(std::to_string(f.failed) + "/" +
                                                    std::to_string(total), 11);
  if (!f.read_error.empty()) {
    out << " bad file " << f.stem << ".MOO.gz: " << f.read_error << "\n";
    if (!f.has_failure) return;
    out << "  " << std::string(6 + 1 + 11, ' ');
  }
  if (f.has_failure) {
    out << " #" << f.first_index << " \"" << f.first_name << "\"";
    if (f.first_status != "normal") out << " [" << f.first_status << "]";
    out << ": " << f.first_diff << "\n";
  }
  out << f.verbose_log;
}

}  // namespace

void print_report(const SuiteReport& r, std::ostream& out) {
  if (!r.error.empty()) {
    out << r.name << ": not run: " << r.error << "\n";
    return;
  }
  unsigned failing_files = 0;
  for (const FileReport& f : r.files) failing_files += f.failed > 0;
  out << r.name << " failures by opcode file (" << failing_files << " of " << r.files.size()
      << " files; failed/total, first failing test):\n";
  for (const FileReport& f : r.files) {
    if (f.failed) print_file_line(f, out);
  }
  // README §5.6: behaviour outside "normal" is reported apart.
  out << r.name << " passed by metadata status:";
  for (const auto& [status, n] : r.by_status) out << " " << status << " " << n.passed << "/" << n.run << ";";
  out << "\n";
  out << r.name << " skipped:";
  if (r.skips.empty()) out << " nothing is marked untestable";
  for (const auto& [category, n] : r.skips) out << " " << category << " = " << n << ";";
  out << "\n";
  char timing[96];
  std::snprintf(timing, sizeof timing, "%s: ran %zu files in %.1f s on %u threads\n",
                r.name.c_str(), r.files.size(), r.seconds, r.jobs);
  out << timing;
  if (r.engine == BenchEngine::kJit) {
    out << r.name << ": on the JIT, " << r.jit_blocks << " translated blocks run\n";
  }
  out << r.name << ": " << r.passed << " passed, " << r.failed << " failed, " << r.skipped
      << " skipped\n";
}

std::optional<std::map<std::string, uint64_t>> load_ratchet(const std::string& path,
                                                            std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot read ratchet file " + path;
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const nlohmann::json doc = nlohmann::json::parse(ss.str(), nullptr, false);
  const auto passed = doc.is_object() ? doc.find("passed") : doc.end();
  if (doc.is_discarded() || !doc.is_object() || passed == doc.end() || !passed->is_object()) {
    err = path + ": expected {\"passed\": {\"8086\": N, ...}}";
    return std::nullopt;
  }
  std::map<std::string, uint64_t> floor;
  for (const auto& [suite, n] : passed->items()) {
    if (!n.is_number_unsigned()) {
      err = path + ": passed." + suite + " is not a count";
      return std::nullopt;
    }
    floor[suite] = n.get<uint64_t>();
  }
  return floor;
}

bool save_ratchet(const std::string& path, const std::map<std::string, uint64_t>& floor,
                  std::string& err) {
  nlohmann::ordered_json doc;
  doc["description"] =
      "Minimum SingleStepTests pass counts per suite. kestrel-conformance --ratchet fails "
      "when a count drops below; raise them with --update-ratchet.";
  doc["passed"] = floor;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << doc.dump(2) << "\n";
  if (!out) {
    err = "cannot write ratchet file " + path;
    return false;
  }
  return true;
}

bool check_ratchet(const std::map<std::string, uint64_t>& floor,
                   const std::vector<SuiteReport>& reports, std::ostream& out) {
  bool ok = true;
  for (const SuiteReport& r : reports) {
    auto it = floor.find(r.name);
    if (it == floor.end()) continue;
    if (!r.error.empty()) {
      // A suite that cannot run any more has lost every pass it had.
      if (it->second > 0) {
        out << "ratchet: " << r.name << " did not run but " << it->second << " passes are recorded\n";
        ok = false;
      }
      continue;
    }
    if (r.passed < it->second) {
      out << "ratchet: " << r.name << " passed " << r.passed << " < " << it->second
          << " recorded: a regression\n";
      ok = false;
    } else if (r.passed > it->second) {
      out << "ratchet: " << r.name << " passed " << r.passed << " > " << it->second
          << " recorded: raise it (--update-ratchet)\n";
    } else {
      out << "ratchet: " << r.name << " passed " << r.passed << " = recorded\n";
    }
  }
  return ok;
}

}  // namespace kestrel::conformance
