// SPDX-License-Identifier: MIT
// Tests of the runner on data crafted at run time: damaged vector files are
// reported with their file name and test index, and the run goes on with
// the next file; a missing data folder is not an error of the runner.
#include "tests/conformance/runner.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "tests/conformance/moo_builder.h"

namespace kestrel::conformance {
namespace {

namespace fs = std::filesystem;
using test_support::MooBuilder;

/// An 8086 NOP at 1000:0100: IP advances by one, nothing else changes.
MooTest nop_test(uint32_t index) {
  MooTest t;
  t.index = index;
  t.name = "nop";
  t.bytes = {0x90};
  t.init.regs.present = kMooAllRegs;
  t.init.regs.value = {1, 2, 3, 4, 0x1000, 0x2000, 0x3000, 0x4000,
                       0x100, 6, 7, 8, 0x0100, 0xf002};
  t.init.ram = {{0x10100, 0x90}, {0x10101, 0x90}};
  t.fina.regs.present = 1u << kMooIp;
  t.fina.regs.value[kMooIp] = 0x0101;
  t.fina.ram = {{0x10100, 0x90}};
  return t;
}

std::vector<uint8_t> nop_file(uint32_t count) {
  MooBuilder b;
  b.header(count, "8086");
  for (uint32_t i = 0; i < count; ++i) b.test(nop_test(i));
  return b.data();
}

/// A throw-away data folder laid out like ../shared/conformance/8086.
struct DataDir {
  fs::path root = fs::temp_directory_path() /
                  ("kestrel-conformance-test-" + std::to_string(std::random_device{}()));
  fs::path vectors = root / "8086" / "v1_binary";

  DataDir() {
    fs::create_directories(vectors);
    fs::create_directories(root / "8086" / "v1");
    test_support::write_bytes((root / "8086" / "v1" / "metadata.json").string(),
                              {'{', '"', 'o', 'p', 'c', 'o', 'd', 'e', 's', '"', ':', '{', '}', '}'});
  }
  ~DataDir() { fs::remove_all(root); }
  std::string file(const char* name) const { return (vectors / name).string(); }
};

const SuiteSpec& spec_8086() { return suite_specs()[0]; }

TEST_CASE("damaged vector files are reported by name and test index; the run goes on") {
  DataDir d;
  // 01: a valid gzip stream whose MOO data stops inside test 2.
  std::vector<uint8_t> cut = nop_file(4);
  cut.resize(cut.size() - cut.size() / 3);
  test_support::write_gzip(d.file("01.MOO.gz"), cut);
  // 02: a gzip stream cut short.
  test_support::write_gzip(d.file("02.MOO.gz"), nop_file(50));
  std::vector<uint8_t> gz = test_support::read_bytes(d.file("02.MOO.gz"));
  gz.resize(gz.size() / 2);
  test_support::write_bytes(d.file("02.MOO.gz"), gz);
  // 03: not gzip, not MOO.
  test_support::write_bytes(d.file("03.MOO.gz"), {'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', 1, 2});
  // 04: intact, after the damaged ones.
  test_support::write_gzip(d.file("04.MOO.gz"), nop_file(3));

  RunOptions opt;
  opt.data_dir = d.root;
  opt.jobs = 2;
  const SuiteReport r = run_suite(spec_8086(), opt);
  REQUIRE(r.error.empty());
  REQUIRE(r.files.size() == 4);

  CHECK(r.files[0].read_error.rfind("test 2: 'TEST' chunk length", 0) == 0);
  CHECK(r.files[0].passed + r.files[0].failed == 4);  // 2 read, 2 counted as failed
  CHECK(r.files[1].read_error.rfind("test ", 0) == 0);
  CHECK(r.files[1].read_error.find("gzip") != std::string::npos);
  CHECK(r.files[1].passed + r.files[1].failed >= 1);
  CHECK(r.files[2].read_error.rfind("test 0: not a MOO file", 0) == 0);
  CHECK(r.files[2].failed == 1);
  CHECK(r.files[3].read_error.empty());
  CHECK(r.files[3].passed + r.files[3].failed == 3);

  std::ostringstream out;
  print_report(r, out);
  const std::string text = out.str();
  CHECK(text.find("bad file 01.MOO.gz: test 2: ") != std::string::npos);
  CHECK(text.find("bad file 02.MOO.gz: test ") != std::string::npos);
  CHECK(text.find("bad file 03.MOO.gz: test 0: ") != std::string::npos);
  CHECK(text.find("\n8086: " + std::to_string(r.passed) + " passed, " +
                  std::to_string(r.failed) + " failed, 0 skipped\n") != std::string::npos);
}

TEST_CASE("--file runs one opcode file") {
  DataDir d;
  test_support::write_gzip(d.file("90.MOO.gz"), nop_file(2));
  test_support::write_gzip(d.file("91.MOO.gz"), nop_file(3));
  RunOptions opt;
  opt.data_dir = d.root;
  opt.only_file = "91";
  const SuiteReport r = run_suite(spec_8086(), opt);
  REQUIRE(r.files.size() == 1);
  CHECK(r.files[0].stem == "91");
  CHECK(r.passed + r.failed == 3);
  opt.only_file = "92";
  CHECK_FALSE(run_suite(spec_8086(), opt).error.empty());
}

TEST_CASE("a missing data folder is reported, not run") {
  RunOptions opt;
  opt.data_dir = fs::temp_directory_path() / "kestrel-conformance-absent";
  CHECK(suite_files(spec_8086(), opt.data_dir).empty());
  CHECK_FALSE(run_suite(spec_8086(), opt).error.empty());
}

TEST_CASE("the bench compares registers, masked flags and listed memory") {
  TestBench bench(spec_8086());
  MooTest t = nop_test(0);
  CHECK(bench.run(t, 0xffff).passed);

  MooTest bad_ip = t;
  bad_ip.fina.regs.value[kMooIp] = 0x0102;
  const Verdict v = bench.run(bad_ip, 0xffff);
  CHECK_FALSE(v.passed);
  CHECK(v.diff == "ip expected 0102 got 0101");

  MooTest af = t;  // AF differs: hidden by a mask without AF, seen without one
  af.fina.regs.present |= 1u << kMooFlags;
  af.fina.regs.value[kMooFlags] = 0xf012;
  CHECK(bench.run(af, 0xffef).passed);
  CHECK(bench.run(af, 0xffff).diff == "flags expected F012 got F002 (AF)");

  MooTest mem = t;
  mem.fina.ram = {{0x10100, 0x91}};
  CHECK(bench.run(mem, 0xffff).diff == "[10100] expected 91 got 90");
  CHECK(bench.run(t, 0xffff).passed);  // nothing of the previous test is left over
}

TEST_CASE("ratchet: a drop fails, a rise is reported") {
  SuiteReport r;
  r.name = "8086";
  r.passed = 10;
  std::ostringstream out;
  CHECK(check_ratchet({{"8086", 10}}, {r}, out));
  CHECK_FALSE(check_ratchet({{"8086", 11}}, {r}, out));
  CHECK(check_ratchet({{"8086", 9}, {"80286", 5}}, {r}, out));
  CHECK(out.str().find("raise it") != std::string::npos);
}

}  // namespace
}  // namespace kestrel::conformance
