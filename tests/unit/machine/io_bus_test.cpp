// SPDX-License-Identifier: MIT
// The I/O bus: routing by port, open-bus reads, and wiring errors.
#include "machine/io_bus.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

namespace kestrel::machine {
namespace {

struct Access {
  uint16_t port;
  uint32_t value;
  unsigned size;
  bool operator==(const Access&) const = default;
};

class RecordingDevice final : public devices::Device {
 public:
  void reset() override { ++resets; }
  uint32_t io_read(uint16_t port, unsigned size) override {
    reads.push_back({port, 0, size});
    return 0xa5a5a500u | port;
  }
  void io_write(uint16_t port, uint32_t value, unsigned size) override {
    writes.push_back({port, value, size});
  }
  std::vector<Access> reads, writes;
  int resets = 0;
};

TEST_CASE("unclaimed ports read all ones and drop writes") {
  IoBus bus;
  CHECK(bus.in(0x60, 1) == 0xff);
  CHECK(bus.in(0x60, 2) == 0xffff);
  CHECK(bus.in(0xffff, 4) == 0xffffffffu);
  bus.out(0x60, 0x12, 1);
  CHECK(bus.owner(0x60) == nullptr);
}

TEST_CASE("claimed ports reach their device, with the port and size of the access") {
  IoBus bus;
  RecordingDevice d;
  bus.claim(0x40, 4, d);
  CHECK(bus.owner(0x40) == &d);
  CHECK(bus.owner(0x43) == &d);
  CHECK(bus.owner(0x44) == nullptr);
  CHECK(bus.owner(0x3f) == nullptr);

  CHECK(bus.in(0x42, 1) == 0x42);  // masked to the access size
  CHECK(bus.in(0x41, 2) == 0xa541);
  CHECK(bus.in(0x43, 4) == 0xa5a5a543u);
  bus.out(0x40, 0x1234, 1);         // the bus drops bits above the size
  bus.out(0x41, 0xbeef, 2);
  bus.out(0x43, 0xdeadbeef, 4);
  CHECK(d.reads == std::vector<Access>{{0x42, 0, 1}, {0x41, 0, 2}, {0x43, 0, 4}});
  CHECK(d.writes == std::vector<Access>{{0x40, 0x34, 1}, {0x41, 0xbeef, 2}, {0x43, 0xdeadbeef, 4}});
}

TEST_CASE("a wide access goes to the owner of its first port") {
  IoBus bus;
  RecordingDevice low, high;
  bus.claim(0x70, 1, low);
  bus.claim(0x71, 1, high);
  bus.out(0x70, 0xabcd, 2);
  CHECK(low.writes.size() == 1);
  CHECK(high.writes.empty());
  CHECK(bus.in(0x6f, 2) == 0xffff);  // first port unclaimed: open bus
  CHECK(low.reads.empty());
}

TEST_CASE("claiming a port twice or outside the space is a wiring bug") {
  IoBus bus;
  RecordingDevice a, b;
  bus.claim(0x3f8, 8, a);
  CHECK_THROWS_AS(bus.claim(0x3ff, 1, b), std::logic_error);
  CHECK(bus.owner(0x3ff) == &a);
  CHECK_THROWS_AS(bus.claim(0xfffe, 3, b), std::logic_error);
  CHECK(bus.owner(0xfffe) == nullptr);
  CHECK_THROWS_AS(bus.claim(0x100, 0, b), std::logic_error);
  bus.claim(0xfffe, 2, b);
  CHECK(bus.owner(0xffff) == &b);
}

TEST_CASE("released ports float again and can be claimed anew") {
  IoBus bus;
  RecordingDevice a, b;
  bus.claim(0x60, 5, a);
  bus.release(0x61, 2);
  CHECK(bus.owner(0x60) == &a);
  CHECK(bus.owner(0x61) == nullptr);
  CHECK(bus.owner(0x62) == nullptr);
  CHECK(bus.owner(0x63) == &a);
  CHECK(bus.in(0x61, 1) == 0xff);
  bus.claim(0x61, 2, b);
  CHECK(bus.owner(0x62) == &b);
}

}  // namespace
}  // namespace kestrel::machine
