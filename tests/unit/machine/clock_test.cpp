// SPDX-License-Identifier: MIT
// The virtual clock: instruction-count time, host time with its catch-up
// limit, the timer queue's order, and the slice arithmetic of the run loop.
#include "machine/clock.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace kestrel::machine {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

ClockConfig icount(unsigned shift) { return {ClockMode::kInstructions, shift}; }

TEST_CASE("icount: 2^shift ns per instruction, read live") {
  uint64_t insns = 0;
  Clock c(icount(3), insns);
  CHECK(c.now() == 0);
  insns = 1000;
  CHECK(c.now() == 8000);
  c.sync();
  insns = 1001;
  CHECK(c.now() == 8008);
  SUBCASE("sync, then rebase, keeps the time when the counter restarts") {
    c.sync();
    insns = 0;
    c.rebase();
    CHECK(c.now() == 8008);
    insns = 2;
    CHECK(c.now() == 8024);
  }
}

TEST_CASE("timers fire in deadline order, ties in arming order, each once") {
  uint64_t insns = 0;
  Clock c(icount(0), insns);
  std::vector<std::string> log;
  const auto a = c.add_timer([&] { log.push_back("a"); });
  const auto b = c.add_timer([&] { log.push_back("b"); });
  const auto d = c.add_timer([&] { log.push_back("d"); });
  const auto e = c.add_timer([&] { log.push_back("e"); });
  c.arm(a, 300);
  c.arm(b, 100);
  c.arm(d, 200);
  c.arm(e, 200);
  c.arm(a, 200);  // re-arming replaces the deadline and moves it behind d and e
  CHECK(c.next_deadline() == 100);
  insns = 150;
  CHECK(c.run_due() == 1);
  insns = 1000;
  CHECK(c.run_due() == 3);
  CHECK(log == std::vector<std::string>{"b", "d", "e", "a"});
  CHECK(c.run_due() == 0);
  CHECK(!c.any_armed());
  c.arm(b, 2000);
  c.disarm(b);
  insns = 3000;
  CHECK(c.run_due() == 0);
}

TEST_CASE("a timer may re-arm itself and add timers while firing") {
  uint64_t insns = 0;
  Clock c(icount(0), insns);
  unsigned ticks = 0;
  devices::Scheduler::TimerId t = 0;
  t = c.add_timer([&] {
    ++ticks;
    c.arm(t, c.now() + 10);
    c.add_timer([] {});
  });
  c.arm(t, 10);
  for (insns = 0; insns <= 100; insns += 5) c.run_due();
  CHECK(ticks == 10);
}

TEST_CASE("icount slices end exactly at the deadline; idle jumps to it") {
  uint64_t insns = 0;
  Clock c(icount(2), insns);
  CHECK(c.slice_insns(1000) == 1000);  // nothing armed: the cap
  const auto t = c.add_timer([] {});
  c.arm(t, 401);
  CHECK(c.slice_insns(1000) == 101);  // 101 * 4 ns >= 401
  c.arm(t, 100000);
  CHECK(c.slice_insns(1000) == 1000);
  CHECK(c.idle_until(100000) == 0);
  CHECK(c.now() == 100000);
  CHECK(c.slice_insns(1000) == 1);  // due: run the timers first
}

struct FakeHost {
  TimePoint t{};
  Clock::HostNow fn() {
    return [this] { return t; };
  }
};

TEST_CASE("host time follows the steady clock and never jumps by more than a step") {
  FakeHost host;
  uint64_t insns = 0;
  Clock c(ClockConfig{}, insns, host.fn());
  host.t += 5ms;
  CHECK(c.now() == 5'000'000);
  c.sync();
  host.t += 10s;  // the process was stopped
  CHECK(c.now() == 5'000'000 + Clock::kMaxHostStep);
  c.sync();
  host.t += 1ms;
  CHECK(c.now() == 5'000'000 + Clock::kMaxHostStep + 1'000'000);
  SUBCASE("monotonic across syncs") {
    Nanos last = 0;
    for (int i = 0; i < 100; ++i) {
      host.t += std::chrono::microseconds(i * 37 % 200);
      if (i % 3 == 0) c.sync();
      CHECK(c.now() >= last);
      last = c.now();
    }
  }
  SUBCASE("idle returns the host time left to the deadline") {
    const Nanos now = c.now();
    CHECK(c.idle_until(now + 700) == 700);
    CHECK(c.idle_until(now) == 0);
  }
}

TEST_CASE("host slices follow the measured speed") {
  FakeHost host;
  uint64_t insns = 0;
  Clock c(ClockConfig{}, insns, host.fn());
  for (int i = 0; i < 20; ++i) c.note_slice(100'000, 1'000'000);  // 10 ns each
  const auto t = c.add_timer([] {});
  c.arm(t, 1'000'000);
  CHECK(c.slice_insns(1'000'000) >= 95'000);
  CHECK(c.slice_insns(1'000'000) <= 105'000);
  c.arm(t, 10);
  CHECK(c.slice_insns(1'000'000) >= 256);  // never below the floor
}

TEST_CASE("a reset disarms every timer and starts the time at zero") {
  uint64_t insns = 50;
  Clock c(icount(0), insns);
  const auto t = c.add_timer([] {});
  c.arm(t, 70);
  insns = 60;
  c.reset();
  CHECK(c.now() == 0);
  CHECK(!c.any_armed());
}

}  // namespace
}  // namespace kestrel::machine
