// SPDX-License-Identifier: MIT
// The 0xE9 debug console and the isa-debug-exit port.
#include "devices/debug_ports.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace kestrel::devices {
namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += char(c);
  return s;
}

TEST_CASE("the debug console writes the low byte of each write") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  DebugConsole con(f);
  for (char c : std::string("hi\n")) con.io_write(kDebugConsolePort, uint8_t(c), 1);
  con.io_write(kDebugConsolePort, 0x4241, 2);  // 0x42 would belong to port 0xEA
  CHECK(contents(f) == "hi\nA");
  std::fclose(f);
}

TEST_CASE("reading the debug console port returns 0xE9") {
  DebugConsole con(stdout);
  CHECK(con.io_read(kDebugConsolePort, 1) == 0xe9);
}

TEST_CASE("isa-debug-exit reports the value written, masked to the access size") {
  std::optional<uint32_t> got;
  DebugExit dev([&](uint32_t v) { got = v; });
  dev.io_write(kDebugExitPort, 0x1234, 1);
  CHECK(got == 0x34u);
  dev.io_write(kDebugExitPort, 0x12345678, 2);
  CHECK(got == 0x5678u);
  dev.io_write(kDebugExitPort, 0x12345678, 4);
  CHECK(got == 0x12345678u);
  CHECK(dev.io_read(kDebugExitPort, 1) == 0xff);
}

TEST_CASE("isa-debug-exit statuses follow QEMU: (v << 1) | 1") {
  CHECK(DebugExit::exit_status(0) == 1);
  CHECK(DebugExit::exit_status(0x10) == 33);
  CHECK(DebugExit::exit_status(0x2a) == 85);
  CHECK(DebugExit::exit_status(0x7f) == 255);
  CHECK(DebugExit::exit_status(0x80) == 1);  // the OS keeps 8 bits
}

}  // namespace
}  // namespace kestrel::devices
