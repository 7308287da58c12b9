// SPDX-License-Identifier: MIT
// The minimal machine: where the firmware lands for each CPU model, and
// every way the run loop ends (debug exit, halt, shutdown, reset).
#include "machine/machine.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

namespace kestrel::machine {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * kKiB;

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 13 + (i >> 8));
  return v;
}

/// A 64 KiB image of HLT bytes with `code` at F000:0000 and `reset` at F000:FFF0.
std::vector<uint8_t> rom(std::initializer_list<uint8_t> reset, std::initializer_list<uint8_t> code = {}) {
  std::vector<uint8_t> image(64 * kKiB, 0xf4);
  std::copy(code.begin(), code.end(), image.begin());
  std::copy(reset.begin(), reset.end(), image.begin() + 0xfff0);
  return image;
}

MachineConfig config(std::vector<uint8_t> image, const char* model = "max") {
  MachineConfig c;
  c.ram_bytes = 2 * kMiB;
  c.cpu_model = cpu::find_cpu_model(model);
  c.firmware = std::move(image);
  return c;
}

bool shows(Machine& m, uint64_t base, const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i < bytes.size(); i += 4099) {
    if (m.memory().read_phys(base + i, 1) != bytes[i]) return false;
  }
  return m.memory().read_phys(base + bytes.size() - 1, 1) == bytes.back();
}

TEST_CASE("firmware sizes: empty and over 16 MiB are refused") {
  CHECK(firmware_size_problem(0) == "the image is empty");
  CHECK(!firmware_size_problem(1));
  CHECK(!firmware_size_problem(16 * kMiB));
  CHECK(firmware_size_problem(16 * kMiB + 1) ==
        "the image is 16777217 bytes; at most 16 MiB fits");
}

TEST_CASE("the firmware ends at the reset vector and its last 128 KiB at 1 MiB") {
  const std::vector<uint8_t> image = pattern(256 * kKiB);
  const std::vector<uint8_t> tail(image.end() - 128 * kKiB, image.end());
  SUBCASE("32-bit models: at 4 GiB - size") {
    Machine m(config(image, "max"));
    CHECK(shows(m, 0x100000000 - image.size(), image));
    CHECK(shows(m, 0xe0000, tail));
    CHECK(m.memory().read_phys(0xdffff, 1) == 0);  // RAM below the window
  }
  SUBCASE("80286: at 16 MiB - size") {
    Machine m(config(image, "80286"));
    CHECK(shows(m, 0x1000000 - image.size(), image));
    CHECK(shows(m, 0xe0000, tail));
  }
  SUBCASE("8086: only the low window exists") {
    Machine m(config(image, "8086"));
    CHECK(shows(m, 0xe0000, tail));
  }
  SUBCASE("a small image ends at 1 MiB whole") {
    const std::vector<uint8_t> small = pattern(4 * kKiB);
    Machine m(config(small, "max"));
    CHECK(shows(m, 0xff000, small));
    CHECK(shows(m, 0xfffff000, small));
    CHECK(m.memory().read_phys(0xfefff, 1) == 0);
  }
}

TEST_CASE("reset puts each model at its reset vector") {
  const std::vector<uint8_t> image = rom({0xf4});
  Machine max(config(image, "max"));
  CHECK(max.cpu().s.seg[cpu::kCs].selector == 0xf000);
  CHECK(max.cpu().s.rip == 0xfff0);
  Machine i8086(config(image, "8086"));
  CHECK(i8086.cpu().s.seg[cpu::kCs].selector == 0xffff);
  CHECK(i8086.cpu().s.rip == 0);
}

TEST_CASE("a write to port 0xF4 ends the run with the value written") {
  // mov al, 0x2a; out 0xf4, al; hlt
  for (const char* model : {"max", "80386", "80286", "8086"}) {
    CAPTURE(model);
    Machine m(config(rom({0xb0, 0x2a, 0xe6, 0xf4, 0xf4}), model));
    const RunResult r = m.run();
    CHECK(r.outcome == Outcome::kGuestExit);
    CHECK(r.exit_value == 0x2a);
  }
}

TEST_CASE("bytes written to port 0xE9 reach the debug console") {
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  // mov al, 'K'; out 0xe9, al; mov al, 10; out 0xe9, al; out 0xf4, al
  MachineConfig c = config(rom({0xb0, 'K', 0xe6, 0xe9, 0xb0, 10, 0xe6, 0xe9, 0xe6, 0xf4}));
  c.debug_console = out;
  Machine m(c);
  CHECK(m.run().exit_value == 10);
  std::rewind(out);
  char buf[8] = {};
  CHECK(std::fread(buf, 1, sizeof buf, out) == 2);
  CHECK(std::string(buf) == "K\n");
  std::fclose(out);
}

TEST_CASE("HLT that nothing can wake ends the run, reporting where") {
  SUBCASE("interrupts disabled") {
    Machine m(config(rom({0xfa, 0xf4})));  // cli; hlt
    const RunResult r = m.run();
    CHECK(r.outcome == Outcome::kHalted);
    CHECK(!r.interrupts_enabled);
    CHECK(r.cs == 0xf000);
    CHECK(r.ip == 0xfff2);
  }
  SUBCASE("interrupts enabled, but no interrupt source") {
    Machine m(config(rom({0xfb, 0xf4})));  // sti; hlt
    const RunResult r = m.run();
    CHECK(r.outcome == Outcome::kHalted);
    CHECK(r.interrupts_enabled);
  }
}

// F000:0000: marks RAM, then triple-faults (IDT limit 0, INT3); after the
// reset it finds the mark (RAM survives a reset) and exits with 0x2a.
//   xor ax, ax / mov ds, ax / cmp byte [0x500], 1 / je second
//   mov byte [0x500], 1 / lidt [cs:idtptr] / int3
//   second: mov al, 0x2a / out 0xf4, al / hlt / idtptr: dw 0, 0, 0
const std::initializer_list<uint8_t> kTripleFaultOnce = {
    0x31, 0xc0, 0x8e, 0xd8, 0x80, 0x3e, 0x00, 0x05, 0x01, 0x74, 0x0c, 0xc6,
    0x06, 0x00, 0x05, 0x01, 0x2e, 0x0f, 0x01, 0x1e, 0x1c, 0x00, 0xcc, 0xb0,
    0x2a, 0xe6, 0xf4, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const std::initializer_list<uint8_t> kJumpToCode = {0xea, 0x00, 0x00, 0x00, 0xf0};

TEST_CASE("a shutdown resets the machine, or ends the run under no_reboot") {
  SUBCASE("reset") {
    Machine m(config(rom(kJumpToCode, kTripleFaultOnce)));
    CHECK(m.resets() == 1);
    const RunResult r = m.run();
    CHECK(r.outcome == Outcome::kGuestExit);
    CHECK(r.exit_value == 0x2a);
    CHECK(m.resets() == 2);
  }
  SUBCASE("no_reboot") {
    MachineConfig c = config(rom(kJumpToCode, kTripleFaultOnce));
    c.no_reboot = true;
    Machine m(c);
    CHECK(m.run().outcome == Outcome::kShutdown);
    CHECK(m.resets() == 1);
  }
}

TEST_CASE("ports 0xE9 and 0xF4 are wired, the rest float") {
  Machine m(config(rom({0xf4})));
  CHECK(m.io().owner(0xe9) != nullptr);
  CHECK(m.io().owner(0xf4) != nullptr);
  CHECK(m.io().in(0xe9, 1) == 0xe9);
  CHECK(m.io().in(0x80, 1) == 0xff);
}

}  // namespace
}  // namespace kestrel::machine
