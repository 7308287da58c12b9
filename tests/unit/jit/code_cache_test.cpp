// SPDX-License-Identifier: MIT
// The code cache (jit/runtime/code_cache.h): code placed in it runs, a patch
// takes effect, a reset reuses the space, and no mapping of it is writable
// and executable at once.
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "jit/runtime/code_cache.h"

namespace kestrel::jit {
namespace {

/// The permission string ("r-xs") of the mapping that holds `p`, from /proc/self/maps.
std::string perms_of(const void* p) {
  std::ifstream maps("/proc/self/maps");
  const auto at = reinterpret_cast<uintptr_t>(p);
  for (std::string line; std::getline(maps, line);) {
    std::istringstream f(line);
    std::string range, perms;
    f >> range >> perms;
    const size_t dash = range.find('-');
    const uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (lo <= at && at < hi) return perms;
  }
  return "";
}

using Fn = uint32_t (*)();

TEST_CASE("the code cache runs what it holds, patches it, and is never writable and executable") {
  CodeCache cache(1 << 20);
  REQUIRE(cache.ok());
  // mov eax, imm32; ret
  std::vector<uint8_t> code{0xb8, 0x2a, 0, 0, 0, 0xc3};
  uint8_t* at = cache.reserve(code.size());
  REQUIRE(at == cache.base());
  cache.commit(at, code);
  CHECK(reinterpret_cast<Fn>(at)() == 42);
  const std::vector<uint8_t> imm{7, 1, 0, 0};
  cache.patch(at + 1, imm);
  CHECK(reinterpret_cast<Fn>(at)() == 0x107);

  uint8_t* next = cache.reserve(code.size());
  CHECK(next >= at + code.size());
  CHECK((reinterpret_cast<uintptr_t>(next) & 15) == 0);
  code[1] = 9;
  cache.commit(next, code);
  CHECK(reinterpret_cast<Fn>(next)() == 9);

  const std::string p = perms_of(at);
  CHECK(p.substr(0, 3) == "r-x");
  cache.reset(0);
  CHECK(cache.used() == 0);
  CHECK(cache.reserve(code.size()) == cache.base());
  // A request larger than the cache gets nothing.
  CHECK(cache.reserve(size_t(2) << 20) == nullptr);
}

}  // namespace
}  // namespace kestrel::jit
