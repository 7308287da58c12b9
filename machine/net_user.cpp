// SPDX-License-Identifier: MIT
// User-mode networking over libslirp: option parsing for forward rules and
// the network, the slirp instance and its callbacks (host clock, timers,
// socket polling), and the bounded queue of frames for the NIC.
#include "machine/net_user.h"

#include <arpa/inet.h>
#include <slirp/libslirp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace kestrel::machine {
namespace {

int64_t host_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

in_addr to_in(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  return a;
}

bool parse_port(std::string_view text, uint16_t& out) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 65535) return false;
  out = uint16_t(v);
  return true;
}

std::string format_ipv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

}  // namespace

bool parse_ipv4(std::string_view text, uint32_t& out) {
  uint32_t v = 0;
  for (int part = 0; part < 4; ++part) {
    const size_t dot = part < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 3) return false;
    unsigned b = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + dot, b);
    if (ec != std::errc() || end != text.data() + dot || b > 255) return false;
    v = v << 8 | b;
    text.remove_prefix(part < 3 ? dot + 1 : dot);
  }
  out = v;
  return true;
}

// [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's hostfwd).
std::optional<std::string> parse_hostfwd(std::string_view rule, HostForward& out) {
  HostForward f;
  std::string_view r = rule;
  if (r.starts_with("tcp:")) r.remove_prefix(4);
  else if (r.starts_with("udp:")) f.udp = true, r.remove_prefix(4);
  else if (r.starts_with(":")) r.remove_prefix(1);
  else return "expected tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or udp:...";
  const size_t dash = r.find('-');
  if (dash == std::string_view::npos) return "no '-' between the host and the guest side";
  const std::string_view host = r.substr(0, dash), guest = r.substr(dash + 1);
  const size_t hc = host.rfind(':'), gc = guest.rfind(':');
  if (hc == std::string_view::npos) return "the host side needs [ADDR]:PORT";
  if (gc == std::string_view::npos) return "the guest side needs [ADDR]:PORT";
  if (hc > 0 && !parse_ipv4(host.substr(0, hc), f.host_addr)) {
    return "bad host address '" + std::string(host.substr(0, hc)) + "'";
  }
  if (!parse_port(host.substr(hc + 1), f.host_port)) {
    return "bad host port '" + std::string(host.substr(hc + 1)) + "'";
  }
  if (gc > 0 && !parse_ipv4(guest.substr(0, gc), f.guest_addr)) {
    return "bad guest address '" + std::string(guest.substr(0, gc)) + "'";
  }
  if (!parse_port(guest.substr(gc + 1), f.guest_port)) {
    return "bad guest port '" + std::string(guest.substr(gc + 1)) + "'";
  }
  out = f;
  return std::nullopt;
}

std::optional<std::string> parse_user_net(std::string_view text, UserNetConfig& c) {
  const size_t slash = text.find('/');
  uint32_t addr = 0;
  if (!parse_ipv4(text.substr(0, slash), addr)) return "expected ADDR[/PREFIX], e.g. 10.0.2.0/24";
  unsigned prefix = 24;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || prefix < 8 || prefix > 28) {
      return "the prefix must be 8 to 28";
    }
  }
  const uint32_t mask = ~uint32_t{0} << (32 - prefix);
  c.network = addr & mask;
  c.prefix = prefix;
  return std::nullopt;
}

// ---- the slirp instance ------------------------------------------------------

std::unique_ptr<UserNet> UserNet::create(const UserNetConfig& config, std::string& error) {
  std::unique_ptr<UserNet> n(new UserNet(config));
  if (!n->start(error)) return nullptr;
  return n;
}

UserNet::~UserNet() {
  if (slirp_) slirp_cleanup(slirp_);
}

// QEMU's layout of the virtual network: the gateway (host) at .2, DNS at
// .3 and DHCP leases from .15.
bool UserNet::start(std::string& error) {
  static const SlirpCb callbacks = {
      .send_packet = &UserNet::send_packet,
      .guest_error = [](const char* msg, void*) { std::fprintf(stderr, "kestrel: slirp: %s\n", msg); },
      .clock_get_ns = [](void*) { return host_ns(); },
      .timer_new = &UserNet::timer_new,
      .timer_free = &UserNet::timer_free,
      .timer_mod = &UserNet::timer_mod,
      .register_poll_fd = [](int, void*) {},
      .unregister_poll_fd = [](int, void*) {},
      .notify = [](void*) {},
      .init_completed = nullptr,
      .timer_new_opaque = nullptr,
  };
  SlirpConfig cfg{};
  cfg.version = 4;
  cfg.in_enabled = true;
  const uint32_t net = config_.network;
  cfg.vnetwork = to_in(net);
  cfg.vnetmask = to_in(~uint32_t{0} << (32 - config_.prefix));
  cfg.vhost = to_in(net + 2);
  cfg.vnameserver = to_in(net + 3);
  cfg.vdhcp_start = to_in(net + 15);
  cfg.in6_enabled = false;
  slirp_ = slirp_new(&cfg, &callbacks, this);
  if (!slirp_) {
    error = "libslirp could not start";
    return false;
  }
  for (const HostForward& f : config_.forwards) {
    const uint32_t guest = f.guest_addr ? f.guest_addr : net + 15;
    if (slirp_add_hostfwd(slirp_, f.udp, to_in(f.host_addr), f.host_port, to_in(guest),
                          f.guest_port) < 0) {
      error = std::string(f.udp ? "udp:" : "tcp:") + format_ipv4(f.host_addr) + ":" +
              std::to_string(f.host_port) + ": cannot listen (port in use or not permitted)";
      return false;
    }
  }
  return true;
}

void UserNet::send(std::span<const uint8_t> frame) {
  slirp_input(slirp_, frame.data(), int(frame.size()));
}

// Called by slirp, also from inside slirp_input: frames are only queued
// here and handed over from poll(), so a NIC is never re-entered.
ssize_t UserNet::send_packet(const void* buf, size_t len, void* opaque) {
  auto* self = static_cast<UserNet*>(opaque);
  if (self->held_.size() < kMaxHeld) {
    const auto* p = static_cast<const uint8_t*>(buf);
    self->held_.emplace_back(p, p + len);
  }
  return ssize_t(len);
}

void UserNet::deliver() {
  ready_ = false;
  while (peer_ && !held_.empty() && peer_->can_receive()) {
    const std::vector<uint8_t> f = std::move(held_.front());
    held_.pop_front();
    peer_->receive(f);
  }
  if (!peer_) held_.clear();
}

int UserNet::add_poll(int fd, int events, void* opaque) {
  auto* self = static_cast<UserNet*>(opaque);
  short ev = 0;
  if (events & SLIRP_POLL_IN) ev |= POLLIN;
  if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
  self->fds_.push_back(pollfd{fd, ev, 0});
  return int(self->fds_.size() - 1);
}

int UserNet::get_revents(int idx, void* opaque) {
  auto* self = static_cast<UserNet*>(opaque);
  if (idx < 0 || size_t(idx) >= self->fds_.size()) return 0;
  const short r = self->fds_[size_t(idx)].revents;
  int out = 0;
  if (r & POLLIN) out |= SLIRP_POLL_IN;
  if (r & POLLOUT) out |= SLIRP_POLL_OUT;
  if (r & POLLPRI) out |= SLIRP_POLL_PRI;
  if (r & POLLERR) out |= SLIRP_POLL_ERR;
  if (r & POLLHUP) out |= SLIRP_POLL_HUP;
  return out;
}

void UserNet::poll() {
  fds_.clear();
  uint32_t timeout = 0;
  slirp_pollfds_fill(slirp_, &timeout, &UserNet::add_poll, this);
  const int r = fds_.empty() ? 0 : ::poll(fds_.data(), fds_.size(), 0);
  slirp_pollfds_poll(slirp_, r < 0, &UserNet::get_revents, this);
  fire_timers();
  if (!held_.empty()) deliver();
}

void UserNet::wait_fds(std::vector<pollfd>& fds) {
  fds_.clear();
  uint32_t timeout = 0;
  slirp_pollfds_fill(slirp_, &timeout, &UserNet::add_poll, this);
  fds.insert(fds.end(), fds_.begin(), fds_.end());
}

void UserNet::fire_timers() {
  const int64_t now_ms = host_ns() / 1'000'000;
  for (size_t i = 0; i < timers_.size(); ++i) {
    Timer& t = *timers_[i];
    if (t.expire_ms >= 0 && t.expire_ms <= now_ms) {
      t.expire_ms = -1;
      t.cb(t.cb_opaque);  // may free or add timers: index, not iterator
    }
  }
}

void* UserNet::timer_new(void (*cb)(void*), void* cb_opaque, void* opaque) {
  auto* self = static_cast<UserNet*>(opaque);
  self->timers_.push_back(std::make_unique<Timer>(Timer{cb, cb_opaque}));
  return self->timers_.back().get();
}

void UserNet::timer_free(void* timer, void* opaque) {
  auto* self = static_cast<UserNet*>(opaque);
  std::erase_if(self->timers_, [timer](const auto& t) { return t.get() == timer; });
}

void UserNet::timer_mod(void* timer, int64_t expire_ms, void*) {
  static_cast<Timer*>(timer)->expire_ms = expire_ms;
}

}  // namespace kestrel::machine
