// SPDX-License-Identifier: MIT
// User networking: hostfwd rules and net= as QEMU writes them, and a
// forward whose port is taken failing cleanly.
#include "machine/net_user.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kestrel::machine {
namespace {

TEST_CASE("hostfwd: QEMU's forms parse, with 127.0.0.1 as the default host address") {
  HostForward f;
  REQUIRE_FALSE(parse_hostfwd("tcp::5555-:22", f));
  CHECK_FALSE(f.udp);
  CHECK(f.host_addr == 0x7f000001);
  CHECK(f.host_port == 5555);
  CHECK(f.guest_addr == 0);
  CHECK(f.guest_port == 22);
  REQUIRE_FALSE(parse_hostfwd("udp:0.0.0.0:6000-10.0.2.16:7000", f));
  CHECK(f.udp);
  CHECK(f.host_addr == 0);
  CHECK(f.guest_addr == 0x0a000210);
  CHECK(f.guest_port == 7000);
  REQUIRE_FALSE(parse_hostfwd(":127.0.0.2:80-:8080", f));
  CHECK(f.host_addr == 0x7f000002);
}

TEST_CASE("hostfwd: malformed rules say what is wrong") {
  HostForward f;
  CHECK(parse_hostfwd("sctp::1-:2", f));
  CHECK(parse_hostfwd("tcp::5555", f));
  CHECK(parse_hostfwd("tcp:5555-:22", f));
  CHECK(parse_hostfwd("tcp::0-:22", f));
  CHECK(parse_hostfwd("tcp::70000-:22", f));
  CHECK(parse_hostfwd("tcp::22x-:22", f));
  CHECK(parse_hostfwd("tcp:1.2.3:5555-:22", f));
  CHECK(parse_hostfwd("tcp:1.2.3.256:5555-:22", f));
  CHECK(parse_hostfwd("tcp::5555-:", f));
  CHECK(*parse_hostfwd("tcp::5555-10.0.2:22", f) == "bad guest address '10.0.2'");
}

TEST_CASE("net=: an address and prefix; the address is masked") {
  UserNetConfig c;
  REQUIRE_FALSE(parse_user_net("192.168.76.9/24", c));
  CHECK(c.network == 0xc0a84c00);
  CHECK(c.prefix == 24);
  CHECK(parse_user_net("10.0.2.0/30", c));
  CHECK(parse_user_net("nonsense", c));
}

TEST_CASE("user networking: a forward on a port in use fails with a message") {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(s, 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  UserNetConfig c;
  HostForward f;
  f.host_port = ntohs(a.sin_port);
  f.guest_port = 22;
  c.forwards.push_back(f);
  std::string error;
  CHECK(UserNet::create(c, error) == nullptr);
  CHECK(error.find("cannot listen") != std::string::npos);
  ::close(s);
  c.forwards.clear();
  CHECK(UserNet::create(c, error) != nullptr);
}

}  // namespace
}  // namespace kestrel::machine
