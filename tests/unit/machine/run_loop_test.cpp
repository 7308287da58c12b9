// SPDX-License-Identifier: MIT
// The run loop with the board: a PIT interrupt wakes HLT, a halted CPU
// jumps (icount) or sleeps (host time) to the next deadline instead of
// spinning, -icount runs are reproducible, and the device reset lines.
#include "machine/machine.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <vector>

#include "devices/pic.h"

namespace kestrel::machine {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

/// Real mode at F000:0000: vector 8 -> isr; PIC at 0x08 with only IRQ 0
/// unmasked; PIT counter 0 in mode 2 with 1193 (about 1 ms); then STI and
/// HLT until the ISR has counted 10 interrupts, and OUT 0xF4 with the
/// count. The ISR stores the low TSC dword of each interrupt at 0x600 + 4n
/// and counts at 0x500; the loop counts its wake-ups at 0x502.
const std::initializer_list<uint8_t> kPitWake = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, 0xc7, 0x06,
    0x20, 0x00, 0x56, 0x00, 0xc7, 0x06, 0x22, 0x00, 0x00, 0xf0, 0xb0, 0x11,
    0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01,
    0xe6, 0x21, 0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34, 0xe6, 0x43, 0xb8, 0xa9,
    0x04, 0xe6, 0x40, 0x88, 0xe0, 0xe6, 0x40, 0xc7, 0x06, 0x00, 0x05, 0x00,
    0x00, 0xc7, 0x06, 0x02, 0x05, 0x00, 0x00, 0xfb, 0xf4, 0xff, 0x06, 0x02,
    0x05, 0x83, 0x3e, 0x00, 0x05, 0x0a, 0x72, 0xf4, 0xa0, 0x00, 0x05, 0xe6,
    0xf4, 0xf4, 0x50, 0x52, 0x53, 0x0f, 0x31, 0x8b, 0x1e, 0x00, 0x05, 0xc1,
    0xe3, 0x02, 0x66, 0x89, 0x87, 0x00, 0x06, 0xff, 0x06, 0x00, 0x05, 0xb0,
    0x20, 0xe6, 0x20, 0x5b, 0x5a, 0x58, 0xcf,
};
const std::initializer_list<uint8_t> kJumpToCode = {0xea, 0x00, 0x00, 0x00, 0xf0};

std::vector<uint8_t> rom(std::initializer_list<uint8_t> reset, std::initializer_list<uint8_t> code) {
  std::vector<uint8_t> image(64 * 1024, 0xf4);
  std::copy(code.begin(), code.end(), image.begin());
  std::copy(reset.begin(), reset.end(), image.begin() + 0xfff0);
  return image;
}

MachineConfig config(std::initializer_list<uint8_t> code, ClockMode mode, unsigned shift = 3) {
  MachineConfig c;
  c.ram_bytes = 2 * kMiB;
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware = rom(kJumpToCode, code);
  c.clock.mode = mode;
  c.clock.icount_shift = shift;
  return c;
}

/// PIT ticks of the programmed count, in virtual nanoseconds.
constexpr Nanos kTenPeriods = 10 * 1193 * 1'000'000'000ull / 1'193'182;

struct Trace {
  uint64_t icount;
  Nanos now;
  std::vector<uint32_t> tsc;
  uint16_t wakeups;
};

Trace run_pit_wake(ClockMode mode) {
  Machine m(config(kPitWake, mode));
  const RunResult r = m.run();
  REQUIRE(r.outcome == Outcome::kGuestExit);
  CHECK(r.exit_value == 10);
  Trace t{m.cpu().s.icount, m.clock().now(), {}, uint16_t(m.memory().read_phys(0x502, 2))};
  for (unsigned i = 0; i < 10; ++i) t.tsc.push_back(uint32_t(m.memory().read_phys(0x600 + 4 * i, 4)));
  return t;
}

TEST_CASE("icount: PIT interrupts wake HLT and the idle CPU jumps to each deadline") {
  const Trace t = run_pit_wake(ClockMode::kInstructions);
  CHECK(t.now >= kTenPeriods);
  CHECK(t.now < kTenPeriods + 1'000'000);
  // 10 ms at 8 ns an instruction would be 1.25 million instructions of
  // spinning; halted, the CPU runs a few dozen per interrupt.
  CHECK(t.icount < 1000);
  CHECK(t.wakeups == 10);
}

TEST_CASE("icount: two identical runs give identical counts and timer firings") {
  const Trace a = run_pit_wake(ClockMode::kInstructions);
  const Trace b = run_pit_wake(ClockMode::kInstructions);
  CHECK(a.icount == b.icount);
  CHECK(a.now == b.now);
  CHECK(a.tsc == b.tsc);
  CHECK(a.tsc.front() != a.tsc.back());
}

TEST_CASE("-stats counts the instructions run under -icount too") {
  Machine m(config(kPitWake, ClockMode::kInstructions));
  REQUIRE(m.run().outcome == Outcome::kGuestExit);
  CHECK(m.stats().instructions == m.cpu().s.icount);
  CHECK(m.stats().slices >= 10);
}

TEST_CASE("host time: the halted CPU sleeps to the deadline, taking about the guest's time") {
  const auto t0 = std::chrono::steady_clock::now();
  const Trace t = run_pit_wake(ClockMode::kHost);
  const auto host_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - t0).count();
  CHECK(t.now >= kTenPeriods);
  CHECK(uint64_t(host_ns) >= kTenPeriods * 9 / 10);
  CHECK(t.wakeups == 10);
  CHECK(t.icount < 1000);
}

TEST_CASE("an IRQ pending with IF = 0 does not stop the CPU") {
  // cli; mov al, 0x42 (x3); out 0xf4, al
  Machine m(config({0xfa, 0xb0, 0x42, 0xb0, 0x42, 0xb0, 0x42, 0xe6, 0xf4}, ClockMode::kInstructions));
  m.board().pic().set_irq(1, true);
  REQUIRE(m.board().pic().interrupt_pending());
  const RunResult r = m.run();
  CHECK(r.outcome == Outcome::kGuestExit);
  CHECK(r.exit_value == 0x42);
}

TEST_CASE("the 8042 and port 0x92 reset the CPU; -no-reboot reports it") {
  // mov al, 0xfe; out 0x64, al
  MachineConfig c = config({0xb0, 0xfe, 0xe6, 0x64}, ClockMode::kInstructions);
  c.no_reboot = true;
  Machine m(c);
  CHECK(m.run().outcome == Outcome::kReset);
  // mov al, 1; out 0x92, al
  MachineConfig c2 = config({0xb0, 0x01, 0xe6, 0x92}, ClockMode::kInstructions);
  c2.no_reboot = true;
  Machine m2(c2);
  CHECK(m2.run().outcome == Outcome::kReset);
}

TEST_CASE("A20 follows the 8042 output port OR port 0x92") {
  Machine m(config({0xf4}, ClockMode::kInstructions));
  CHECK(m.memory().a20());
  m.io().out(0x64, 0xd1, 1);
  m.io().out(0x60, 0xcd, 1);  // 8042 A20 off; 0x92 is off too
  CHECK(!m.memory().a20());
  m.io().out(0x92, 0x02, 1);
  CHECK(m.memory().a20());
  m.io().out(0x92, 0x00, 1);
  CHECK(!m.memory().a20());
  m.reset();
  CHECK(m.memory().a20());
}

TEST_CASE("FERR# raises IRQ 13 until a write to port 0xF0") {
  // mov al, 1 (x2); out 0xf4, al
  Machine m(config({0xb0, 0x01, 0xb0, 0x01, 0xe6, 0xf4}, ClockMode::kInstructions));
  m.cpu().s.pending |= cpu::kPendingFerr;
  CHECK(m.run().outcome == Outcome::kGuestExit);
  CHECK((m.cpu().s.pending & cpu::kPendingFerr) == 0);
  CHECK((m.board().pic().chip(1).lines & 0x20) != 0);
  CHECK((m.board().pic().chip(1).irr & 0x20) != 0);
  m.io().out(0xf0, 0, 1);
  CHECK((m.board().pic().chip(1).lines & 0x20) == 0);
}

TEST_CASE("the CMOS holds the memory sizes") {
  MachineConfig c = config({0xf4}, ClockMode::kInstructions);
  c.ram_bytes = 64 * kMiB;
  Machine m(c);
  auto cmos = [&](uint8_t i) {
    m.io().out(0x70, i, 1);
    return m.io().in(0x71, 1);
  };
  CHECK((cmos(0x15) | cmos(0x16) << 8) == 640);
  CHECK((cmos(0x17) | cmos(0x18) << 8) == 63 * 1024);
  CHECK((cmos(0x30) | cmos(0x31) << 8) == 63 * 1024);
  CHECK((cmos(0x34) | cmos(0x35) << 8) == (64 - 16) * 16);
  CHECK(cmos(0x5b) == 0);
  CHECK(cmos(0x32) == 0x20);
  CHECK(cmos(0x09) == 0x24);  // the fixed -icount date: 2024-01-01
}

}  // namespace
}  // namespace kestrel::machine
