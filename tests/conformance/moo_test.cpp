// SPDX-License-Identifier: MIT
// Unit tests of the MOO reader: field decoding, skipping unknown chunks, and
// hostile input (every truncation and every single-byte corruption of a
// small file must end in a clean error, never a read out of bounds).
#include "tests/conformance/moo.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/conformance/moo_builder.h"

namespace kestrel::conformance {
namespace {

using test_support::MooBuilder;
using test_support::sample_test;

std::vector<uint8_t> two_test_file() {
  MooBuilder b;
  b.header(2, "C286");
  b.chunk("META", std::vector<uint8_t>(31, 0x55));
  b.test(sample_test(0, true));
  b.chunk("ZZZZ", {1, 2, 3});  // unknown top-level tag
  b.test(sample_test(1, false));
  return b.data();
}

TEST_CASE("MOO reader decodes header and test fields") {
  const std::vector<uint8_t> data = two_test_file();
  MooReader r(data);
  REQUIRE(r.read_header());
  CHECK(r.header().major == 1);
  CHECK(r.header().test_count == 2);
  CHECK(r.header().cpu == "C286");

  MooTest t;
  REQUIRE(r.next(t));
  CHECK(t.index == 0);
  CHECK(t.name == "div di");
  CHECK(t.bytes == std::vector<uint8_t>{0xf7, 0xf7, 0xf4});
  CHECK(t.init.regs.present == kMooAllRegs);
  CHECK(t.init.regs.value[kMooAx] == 0x4484);
  CHECK(t.init.regs.value[kMooFlags] == 0xd487);
  REQUIRE(t.init.ram.size() == 3);
  CHECK(t.init.ram[1].addr == 905897);
  CHECK(t.init.ram[1].value == 0xf7);
  CHECK(t.fina.regs.present == (1u << kMooSp | 1u << kMooIp));
  CHECK(t.fina.regs.value[kMooSp] == 9406);
  CHECK(t.fina.regs.value[kMooIp] == 0xf830);
  REQUIRE(t.fina.ram.size() == 2);
  CHECK(t.has_exception);
  CHECK(t.exception_vector == 0);
  CHECK(t.flags_addr == 98930);
  CHECK(t.hash_hex() == "000102030405060708090a0b0c0d0e0f10111213");

  REQUIRE(r.next(t));
  CHECK(t.index == 1);
  CHECK_FALSE(t.has_exception);  // state of the previous test does not leak
  CHECK_FALSE(t.has_hash);
  CHECK_FALSE(r.next(t));
  CHECK(r.error().empty());
  CHECK(r.tests_read() == 2);
}

TEST_CASE("MOO reader rejects a file that is not MOO") {
  const std::vector<uint8_t> junk = {'J', 'U', 'N', 'K', 0, 0, 0, 0};
  MooReader r(junk);
  CHECK_FALSE(r.read_header());
  CHECK(r.error().find("test 0") == 0);
  CHECK(r.error().find("not a MOO file") != std::string::npos);
}

TEST_CASE("MOO reader reports a chunk length past the end with the test index") {
  MooBuilder b;
  b.header(3, "8086");
  b.test(sample_test(0, false));
  b.test(sample_test(1, false));
  std::vector<uint8_t> data = b.data();
  // Claim a huge TEST length for the second test.
  const size_t second = data.size() - b.last_chunk_size();
  data[second + 7] = 0x7f;
  MooReader r(data);
  REQUIRE(r.read_header());
  MooTest t;
  CHECK(r.next(t));
  CHECK_FALSE(r.next(t));
  CHECK(r.error().find("test 1: 'TEST' chunk length") == 0);
}

TEST_CASE("MOO reader notices missing tests at the end of the data") {
  MooBuilder b;
  b.header(5, "8086");
  b.test(sample_test(0, false));
  MooReader r(b.data());
  REQUIRE(r.read_header());
  MooTest t;
  CHECK(r.next(t));
  CHECK_FALSE(r.next(t));
  CHECK(r.error() == "test 1: file ends after 1 of 5 tests");
}

TEST_CASE("MOO reader survives every truncation") {
  const std::vector<uint8_t> data = two_test_file();
  for (size_t len = 0; len < data.size(); ++len) {
    // A copy of exactly `len` bytes so that a read past it is caught by ASan too.
    const std::vector<uint8_t> cut(data.begin(), data.begin() + std::ptrdiff_t(len));
    MooReader r(cut);
    MooTest t;
    unsigned n = 0;
    if (r.read_header()) {
      while (r.next(t)) ++n;
    }
    CHECK(n < 2);
    CHECK_FALSE(r.error().empty());
    CHECK(r.error().rfind("test ", 0) == 0);
  }
}

TEST_CASE("MOO reader survives every single-byte corruption") {
  const std::vector<uint8_t> data = two_test_file();
  for (size_t i = 0; i < data.size(); ++i) {
    for (uint8_t v : {uint8_t(0x00), uint8_t(0xff), uint8_t(data[i] ^ 0x80)}) {
      std::vector<uint8_t> bad = data;
      bad[i] = v;
      MooReader r(bad);
      MooTest t;
      unsigned n = 0;
      if (r.read_header()) {
        while (r.next(t) && n < 10) ++n;
      }
      CHECK(n <= 3);
    }
  }
}

TEST_CASE("MOO reader rejects bad sub-chunks") {
  SUBCASE("RAM count larger than its chunk") {
    MooBuilder b;
    b.header(1, "8086");
    b.test(sample_test(0, false), /*ram_count_override=*/1000);
    MooReader r(b.data());
    REQUIRE(r.read_header());
    MooTest t;
    CHECK_FALSE(r.next(t));
    CHECK(r.error() == "test 0: INIT: RAM count 1000 exceeds the chunk length");
  }
  SUBCASE("INIT without every register") {
    MooTest s = sample_test(0, false);
    s.init.regs.present = kMooAllRegs & ~1u;
    MooBuilder b;
    b.header(1, "8086");
    b.test(s);
    MooReader r(b.data());
    REQUIRE(r.read_header());
    MooTest t;
    CHECK_FALSE(r.next(t));
    CHECK(r.error() == "test 0: INIT does not give all 14 registers");
  }
}

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("kestrel-moo-test-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir;
}

TEST_CASE("gzip input: whole, truncated and damaged files") {
  const auto dir = temp_dir();
  const std::vector<uint8_t> data = two_test_file();
  const std::string good = (dir / "good.MOO.gz").string();
  test_support::write_gzip(good, data);

  std::vector<uint8_t> out;
  std::string err;
  CHECK(read_gzip_file(good, out, err));
  CHECK(out == data);

  const std::vector<uint8_t> gz = test_support::read_bytes(good);
  const std::string cut = (dir / "cut.MOO.gz").string();
  test_support::write_bytes(cut, {gz.begin(), gz.begin() + std::ptrdiff_t(gz.size() / 2)});
  CHECK_FALSE(read_gzip_file(cut, out, err));
  CHECK(err.find("gzip") == 0);
  CHECK(out.size() < data.size());

  std::vector<uint8_t> damaged = gz;
  for (size_t i = 12; i < damaged.size() - 8; ++i) damaged[i] ^= 0x5a;
  const std::string bad = (dir / "bad.MOO.gz").string();
  test_support::write_bytes(bad, damaged);
  CHECK_FALSE(read_gzip_file(bad, out, err));

  CHECK_FALSE(read_gzip_file((dir / "absent.MOO.gz").string(), out, err));
  CHECK(err.find("cannot open") == 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::conformance
