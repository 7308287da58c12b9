// SPDX-License-Identifier: MIT
// The pcap tap: the libpcap file header and records for frames in both
// directions, and frames passed through unchanged.
#include "machine/pcap.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace kestrel::machine {
namespace {

struct Inner final : devices::NetBackend {
  void attach(devices::NetPeer& p) override { peer = &p; }
  void send(std::span<const uint8_t> f) override { sent.emplace_back(f.begin(), f.end()); }
  void peer_ready() override {}
  devices::NetPeer* peer = nullptr;
  std::vector<std::vector<uint8_t>> sent;
};

struct Nic final : devices::NetPeer {
  bool can_receive() const override { return true; }
  void receive(std::span<const uint8_t> f) override { got.emplace_back(f.begin(), f.end()); }
  std::vector<std::vector<uint8_t>> got;
};

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);
  return v;
}

TEST_CASE("pcap: header, then one record per frame in either direction") {
  const std::string path = "/tmp/kestrel_pcap_test_" + std::to_string(::getpid()) + ".pcap";
  Inner inner;
  Nic nic;
  std::string error;
  {
    auto tap = PcapTap::create(path, &inner, error);
    REQUIRE(tap);
    tap->attach(nic);
    CHECK(inner.peer == tap.get());
    const std::vector<uint8_t> out(60, 0xab), in(42, 0xcd);
    tap->send(out);
    inner.peer->receive(in);
    CHECK(inner.sent.at(0) == out);
    CHECK(nic.got.at(0) == in);
  }
  std::ifstream f(path, std::ios::binary);
  const std::vector<uint8_t> b{std::istreambuf_iterator<char>(f), {}};
  ::unlink(path.c_str());
  REQUIRE(b.size() == 24 + 16 + 60 + 16 + 42);
  CHECK(u32(b, 0) == 0xa1b2c3d4);
  CHECK((b[4] | b[5] << 8) == 2);
  CHECK((b[6] | b[7] << 8) == 4);
  CHECK(u32(b, 20) == 1);  // LINKTYPE_ETHERNET
  CHECK(u32(b, 24 + 8) == 60);
  CHECK(u32(b, 24 + 12) == 60);
  CHECK(b[24 + 16] == 0xab);
  CHECK(u32(b, 24 + 16 + 60 + 8) == 42);
  CHECK(b.back() == 0xcd);
}

TEST_CASE("pcap: an unwritable path is an error") {
  std::string error;
  CHECK(PcapTap::create("/nonexistent-dir/x.pcap", nullptr, error) == nullptr);
  CHECK_FALSE(error.empty());
}

}  // namespace
}  // namespace kestrel::machine
