// SPDX-License-Identifier: MIT
// The serial backends without a terminal: the escape keys, stdio reading a
// pipe (escape processing, the pending limit, end of input) and files.
// tests/frontend/serial_test.py covers the terminal on a pseudo-terminal.
#include "frontend/chardev.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kestrel::frontend {
namespace {

std::string drain(devices::CharBackend& b) {
  std::string s;
  while (auto byte = b.read()) s += char(*byte);
  return s;
}

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += char(c);
  return s;
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void put(const std::string& s) { REQUIRE(::write(fds[1], s.data(), s.size()) == ssize_t(s.size())); }
  void close_writer() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

TEST_CASE("escape keys: Ctrl-A commands, everything else passes through") {
  EscapeKeys keys;
  CHECK(keys.feed('q').to_guest == uint8_t('q'));
  CHECK(!keys.feed(0x01).to_guest);
  const EscapeKeys::Result help = keys.feed('h');
  CHECK(!help.to_guest);
  CHECK(help.message == EscapeKeys::help_text());
  CHECK(help.message.find("C-a x    exit Kestrel") != std::string_view::npos);
  keys.feed(0x01);
  CHECK(keys.feed('a').to_guest == uint8_t(0x01));
  keys.feed(0x01);
  CHECK(keys.feed(0x01).to_guest == uint8_t(0x01));  // QEMU's C-a C-a
  keys.feed(0x01);
  const EscapeKeys::Result monitor = keys.feed('c');
  CHECK(monitor.message.find("monitor is not available yet") != std::string_view::npos);
  keys.feed(0x01);
  const EscapeKeys::Result unknown = keys.feed('z');  // ignored, as in QEMU
  CHECK(!unknown.to_guest);
  CHECK(unknown.message.empty());
  CHECK(!unknown.quit);
  CHECK(keys.feed(0x03).to_guest == uint8_t(0x03));  // Ctrl-C is the guest's
  keys.feed(0x01);
  CHECK(keys.feed('x').quit);
}

TEST_CASE("stdio from a pipe: bytes arrive in order, the help goes to the output") {
  Pipe pipe;
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  {
    StdioBackend stdio(true, pipe.fds[0], out);
    CHECK(!stdio.read());
    pipe.put("ab\x01hc");
    stdio.poll();
    CHECK(drain(stdio) == "abc");
    stdio.write('Z');
    CHECK(contents(out) == std::string(EscapeKeys::help_text()) + "Z");
    pipe.put("\x01x");
    CHECK_THROWS_AS(stdio.poll(), QuitRequest);
  }
  std::fclose(out);
}

TEST_CASE("stdio without escape keys passes Ctrl-A through") {
  Pipe pipe;
  StdioBackend stdio(false, pipe.fds[0], stdout);
  pipe.put("\x01x\x01");
  CHECK(drain(stdio) == "\x01x\x01");
}

TEST_CASE("stdio holds at most its limit and leaves the rest in the pipe") {
  Pipe pipe;
  StdioBackend stdio(false, pipe.fds[0], stdout);
  pipe.put(std::string(5000, 'k'));
  stdio.poll();
  std::string got;
  for (int i = 0; i < 4096; ++i) got += char(*stdio.read());
  stdio.poll();
  got += drain(stdio);
  CHECK(got.size() == 5000);
}

TEST_CASE("stdio at the end of a pipe: no more input, no error") {
  Pipe pipe;
  StdioBackend stdio(true, pipe.fds[0], stdout);
  pipe.put("end");
  pipe.close_writer();
  stdio.poll();
  CHECK(drain(stdio) == "end");
  stdio.poll();
  CHECK(!stdio.read());
}

TEST_CASE("file backend: created, truncated, written; a bad path is reported") {
  const auto dir = std::filesystem::temp_directory_path() / "kestrel-chardev-test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "com1.txt").string();
  { std::ofstream(path) << "old contents"; }
  std::string why;
  {
    auto file = FileBackend::open(path, why);
    REQUIRE(file);
    for (char c : std::string("hi\n")) file->write(uint8_t(c));
    CHECK(!file->read());
  }
  std::stringstream got;
  got << std::ifstream(path).rdbuf();
  CHECK(got.str() == "hi\n");
  CHECK(!FileBackend::open((dir / "missing" / "x").string(), why));
  CHECK(why == "No such file or directory");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::frontend
