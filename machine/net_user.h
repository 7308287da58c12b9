// SPDX-License-Identifier: MIT
// User-mode networking: a NetBackend over libslirp with QEMU's defaults
// (network 10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, DHCP from
// 10.0.2.15) and host port forwarding. It is a host backend: it uses host
// sockets and the host clock, serviced from the run loop (NetService).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devices/net.h"
#include "machine/net_config.h"

struct Slirp;

namespace kestrel::machine {

/// One `hostfwd=` rule: a host socket whose connections (or datagrams) go
/// to a guest port. Addresses are IPv4 in host byte order.
struct HostForward {
  bool udp = false;
  uint32_t host_addr = 0x7f000001;  ///< default 127.0.0.1: loopback only
  uint16_t host_port = 0;
  uint32_t guest_addr = 0;  ///< 0: the first DHCP address
  uint16_t guest_port = 0;
};

/// Parses QEMU's `[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT`;
/// returns why it is malformed, or nothing.
std::optional<std::string> parse_hostfwd(std::string_view rule, HostForward& out);
/// Parses `A.B.C.D`; false when malformed.
bool parse_ipv4(std::string_view text, uint32_t& out);

struct UserNetConfig {
  uint32_t network = 0x0a000200;  ///< 10.0.2.0
  unsigned prefix = 24;
  std::vector<HostForward> forwards;
};
/// Parses QEMU's `net=ADDR[/PREFIX]` value into `c`.
std::optional<std::string> parse_user_net(std::string_view text, UserNetConfig& c);

class UserNet final : public devices::NetBackend, public NetService {
 public:
  /// Frames held for a NIC that cannot receive; more are dropped (TCP
  /// retransmits them).
  static constexpr size_t kMaxHeld = 1024;

  /// Starts the stack and binds the forwarded ports; nullptr and `error`
  /// when a port cannot be bound.
  static std::unique_ptr<UserNet> create(const UserNetConfig& config, std::string& error);
  ~UserNet() override;

  // devices::NetBackend
  void attach(devices::NetPeer& peer) override { peer_ = &peer; }
  void send(std::span<const uint8_t> frame) override;
  void peer_ready() override { ready_ = true; }
  // NetService
  void poll() override;
  void wait_fds(std::vector<pollfd>& fds) override;

 private:
  struct Timer {  ///< one of slirp's timers, on the host clock
    void (*cb)(void*);
    void* cb_opaque;
    int64_t expire_ms = -1;  ///< -1: disarmed
  };
  explicit UserNet(const UserNetConfig& config) : config_(config) {}
  bool start(std::string& error);
  void deliver();
  void fire_timers();
  static ssize_t send_packet(const void* buf, size_t len, void* opaque);
  static int add_poll(int fd, int events, void* opaque);
  static int get_revents(int idx, void* opaque);
  static void* timer_new(void (*cb)(void*), void* cb_opaque, void* opaque);
  static void timer_free(void* timer, void* opaque);
  static void timer_mod(void* timer, int64_t expire_ms, void* opaque);

  UserNetConfig config_;
  Slirp* slirp_ = nullptr;
  devices::NetPeer* peer_ = nullptr;
  std::deque<std::vector<uint8_t>> held_;
  bool ready_ = false;
  std::vector<pollfd> fds_;
  std::vector<std::unique_ptr<Timer>> timers_;
};

}  // namespace kestrel::machine
