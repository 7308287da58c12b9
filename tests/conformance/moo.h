// SPDX-License-Identifier: MIT
// Reader of SingleStepTests MOO files (the binary test-vector format; see
// ../shared/conformance/README.md §3): gzip decompression and a chunk walker
// that trusts no length it reads. Running and judging tests is runner.h's job.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::conformance {

/// Register order of a MOO `REGS` chunk (bit i of the presence mask).
enum MooReg : uint8_t {
  kMooAx, kMooBx, kMooCx, kMooDx, kMooCs, kMooSs, kMooDs, kMooEs,
  kMooSp, kMooBp, kMooSi, kMooDi, kMooIp, kMooFlags, kMooRegCount,
};
inline constexpr uint16_t kMooAllRegs = (1u << kMooRegCount) - 1;
inline constexpr std::array<std::string_view, kMooRegCount> kMooRegNames = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es",
    "sp", "bp", "si", "di", "ip", "flags"};

struct MooRegs {
  uint16_t present = 0;  ///< bit i set = value[i] is given
  std::array<uint16_t, kMooRegCount> value{};
  bool has(unsigned r) const { return present >> r & 1; }
};

struct MooRamByte {
  uint32_t addr;
  uint8_t value;
};

/// The `INIT` or `FINA` half of a test.
struct MooState {
  MooRegs regs;
  std::vector<MooRamByte> ram;
};

struct MooTest {
  uint32_t index = 0;
  std::string name;
  std::vector<uint8_t> bytes;
  MooState init;
  MooState fina;
  bool has_exception = false;
  uint8_t exception_vector = 0;
  uint32_t flags_addr = 0;  ///< physical address of the FLAGS word the exception pushed
  bool has_hash = false;
  std::array<uint8_t, 20> hash{};

  /// The `HASH` as 40 lower-case hex digits ("" without one).
  std::string hash_hex() const;
};

struct MooHeader {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint32_t test_count = 0;
  std::string cpu;  ///< "8086", "C286", ...
};

/// Walks the decompressed bytes of one MOO file, one test at a time. Every
/// length is checked against the bytes that remain in its enclosing chunk;
/// on a bad length the reader stops and error() names the test.
class MooReader {
 public:
  explicit MooReader(std::span<const uint8_t> data) : data_(data) {}

  /// Reads the `MOO ` chunk; false (and error()) if the file does not start with one.
  bool read_header();
  const MooHeader& header() const { return header_; }

  /// Reads the next `TEST` chunk into `t`. Returns false at the end of the
  /// data or on an error; error() is empty only for a clean end.
  bool next(MooTest& t);

  /// Tests read so far.
  uint32_t tests_read() const { return tests_read_; }
  /// "" or a message that starts with "test N: ".
  const std::string& error() const { return error_; }

 private:
  bool fail(uint32_t test, std::string what);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  MooHeader header_;
  uint32_t tests_read_ = 0;
  std::string error_;
};

/// Reads a whole gzip file into `out`. On a damaged stream keeps what was
/// decompressed before the damage and returns false with `err` set.
bool read_gzip_file(const std::string& path, std::vector<uint8_t>& out, std::string& err);

}  // namespace kestrel::conformance
