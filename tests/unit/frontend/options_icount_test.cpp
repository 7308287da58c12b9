// SPDX-License-Identifier: MIT
// -icount on the command line: the forms QEMU accepts, and the one-line
// errors for the rest.
#include <doctest/doctest.h>

#include <vector>

#include "frontend/options.h"

namespace kestrel::frontend {
namespace {

ParseResult parse(std::initializer_list<std::string_view> words) {
  const std::vector<std::string_view> args(words);
  return parse_options(args);
}

TEST_CASE("-icount takes SHIFT, auto, and shift=...[,sleep=on|off]") {
  CHECK(!parse({}).options.icount_shift);
  CHECK(parse({"-icount", "0"}).options.icount_shift == 0u);
  CHECK(parse({"-icount", "7"}).options.icount_shift == 7u);
  CHECK(parse({"--icount", "auto"}).options.icount_shift == 3u);
  CHECK(parse({"-icount", "shift=5"}).options.icount_shift == 5u);
  CHECK(parse({"-icount", "shift=auto,sleep=off"}).options.icount_shift == 3u);
  CHECK(parse({"-icount", "sleep=on,shift=2"}).options.icount_shift == 2u);
}

TEST_CASE("-icount refuses what it cannot use, in one line") {
  const std::string why =
      "expected SHIFT (0-10), auto, or shift=SHIFT|auto[,sleep=on|off]";
  for (std::string_view bad : {"11", "x", "", "shift=", "sleep=on", "3,4", "shift=1,align=on",
                               "sleep=maybe,shift=1", "-1"}) {
    CAPTURE(bad);
    const ParseResult r = parse({"-icount", bad});
    REQUIRE(r.error.has_value());
    CHECK(r.error->message() == "kestrel: error: -icount " + std::string(bad) + ": " + why);
  }
  const ParseResult r = parse({"-icount"});
  REQUIRE(r.error.has_value());
  CHECK(r.error->message() == "kestrel: error: -icount: missing argument SHIFT");
}

}  // namespace
}  // namespace kestrel::frontend
