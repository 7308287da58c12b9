// SPDX-License-Identifier: MIT
// Test support: writes MOO data and gzip files, so tests can craft vector
// files (good, truncated or damaged) at run time instead of committing binaries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/conformance/moo.h"

namespace kestrel::conformance::test_support {

class MooBuilder {
 public:
  void header(uint32_t test_count, std::string_view cpu);
  void chunk(std::string_view tag, const std::vector<uint8_t>& body);
  /// Appends a TEST chunk; a ram_count_override >= 0 replaces the INIT RAM count.
  void test(const MooTest& t, int64_t ram_count_override = -1);
  const std::vector<uint8_t>& data() const { return data_; }
  /// Size (header included) of the chunk appended last.
  size_t last_chunk_size() const { return last_size_; }

 private:
  std::vector<uint8_t> data_;
  size_t last_size_ = 0;
};

/// The README's 80286 `F7.6` test 1 (a DIV that faults), shortened.
MooTest sample_test(uint32_t index, bool with_exception);

void write_gzip(const std::string& path, const std::vector<uint8_t>& data);
void write_bytes(const std::string& path, const std::vector<uint8_t>& data);
std::vector<uint8_t> read_bytes(const std::string& path);

}  // namespace kestrel::conformance::test_support
