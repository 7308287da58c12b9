// SPDX-License-Identifier: MIT
// Unit tests of the metadata lookup and the revocation list parser.
#include "tests/conformance/metadata.h"

#include <doctest/doctest.h>

#include <vector>

namespace kestrel::conformance {
namespace {

constexpr const char* kJson = R"({
  "cpu": "8086",
  "opcodes": {
    "00": {"status": "normal"},
    "d6": {"status": "undocumented"},
    "F6": {"reg": {
      "0": {"status": "normal", "flags": ".....a..", "flags-mask": 65519},
      "1": {"status": "alias", "flags": ".....a..", "flags-mask": 65519},
      "6": {"status": "normal", "flags": "o..szapc", "flags-mask": 63274}}},
    "8F": {"reg": {"0": {"status": "normal"}, "1": {"status": "undefined"}}}
  }
})";

TEST_CASE("metadata lookup by file stem") {
  std::string err;
  auto md = Metadata::parse(kJson, err);
  REQUIRE(md);
  CHECK(md->lookup("00", {}).status == "normal");
  CHECK(md->lookup("00", {}).flags_mask == 0xffff);
  CHECK(md->lookup("D6", {}).status == "undocumented");  // keys are case-insensitive
  CHECK(md->lookup("F6.6", {}).flags_mask == 63274);
  CHECK(md->lookup("F6.1", {}).status == "alias");
  CHECK_FALSE(md->lookup("F6.3", {}).known);
  CHECK_FALSE(md->lookup("0F", {}).known);
  CHECK(md->lookup("0F", {}).flags_mask == 0xffff);
}

TEST_CASE("metadata of a group opcode filed whole takes reg from the bytes") {
  std::string err;
  auto md = Metadata::parse(kJson, err);
  REQUIRE(md);
  const std::vector<uint8_t> pop_reg0 = {0x2e, 0x8f, 0x06, 0x34, 0x12};
  const std::vector<uint8_t> pop_reg1 = {0xf0, 0x26, 0x8f, 0x0e, 0x34, 0x12};
  CHECK(md->lookup("8F", pop_reg0).status == "normal");
  CHECK(md->lookup("8F", pop_reg1).status == "undefined");
  CHECK(modrm_reg(std::vector<uint8_t>{0x26, 0x8f}) == std::nullopt);
}

TEST_CASE("malformed metadata is an error, not a crash") {
  std::string err;
  CHECK_FALSE(Metadata::parse("{\"opcodes\": [", err));
  CHECK_FALSE(Metadata::parse("[1, 2]", err));
  CHECK_FALSE(Metadata::parse("{\"cpu\": 1}", err));
  auto md = Metadata::parse(R"({"opcodes": {"00": 5, "01": {"reg": 7, "status": 3}}})", err);
  REQUIRE(md);
  CHECK(md->lookup("01", {}).status == "normal");
}

TEST_CASE("revocation list") {
  auto h = parse_revocation_list("# comment\n\nABCDEF0123 # bad test\n  a1b2  \n");
  CHECK(h.size() == 2);
  CHECK(h.count("abcdef0123") == 1);
  CHECK(h.count("a1b2") == 1);
  CHECK(parse_revocation_list("# Hopefully this list stays empty!\n").empty());
}

}  // namespace
}  // namespace kestrel::conformance
