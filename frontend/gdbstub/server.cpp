// SPDX-License-Identifier: MIT
// The gdbstub's sockets (server.h): POSIX, non-blocking, polled.
#include "frontend/gdbstub/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace kestrel::frontend::gdbstub {
namespace {

/// Bytes queued for a gdb that stopped reading before the connection is dropped.
constexpr size_t kMaxQueued = size_t{16} << 20;

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view spec) {
  Endpoint e;
  if (spec.substr(0, 4) == "tcp:") spec.remove_prefix(4);
  const size_t colon = spec.rfind(':');
  std::string_view port = spec;
  if (colon != std::string_view::npos) {
    if (colon > 0) e.host = std::string(spec.substr(0, colon));
    port = spec.substr(colon + 1);
  }
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || v > 65535) {
    return std::nullopt;
  }
  e.port = uint16_t(v);
  return e;
}

Server::Server(const Endpoint& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(where.port);
  if (const int rc = getaddrinfo(where.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    throw std::runtime_error(std::string("cannot resolve ") + where.host + ": " + gai_strerror(rc));
  }
  std::string why = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0) {
      listen_fd_ = fd;
      break;
    }
    why = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  if (listen_fd_ < 0) throw std::runtime_error(where.host + ":" + port + ": " + why);
  set_nonblocking(listen_fd_);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

Server::~Server() {
  // Without finish() the machine may be gone already (main destroys it
  // first on an error path): the session, which would unhook itself from
  // it, is let go instead.
  if (m_) (void)session_.release();
  if (client_fd_ >= 0) close(client_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void Server::attach(machine::Machine& m, bool wait) {
  m_ = &m;
  session_ = std::make_unique<Session>(m, [this](std::string_view b) { out_.append(b); }, wait);
  if (wait) m.pause();
  m.add_agent(*this);
}

void Server::poll() {
  if (!session_) return;
  if (client_fd_ < 0) {
    accept_client();
  } else {
    read_client();
  }
  session_->poll_running();
  flush();
}

void Server::debug_stopped() {
  if (!session_) return;
  session_->debug_stopped();
  flush();
}

void Server::finish(unsigned status) {
  if (!session_) return;
  if (client_fd_ >= 0) {
    session_->exited(status);
    flush();
    drop_client();
  }
  m_->remove_agent(*this);
  session_.reset();
  m_ = nullptr;
}

void Server::accept_client() {
  const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  client_fd_ = fd;
  out_.clear();
  session_->connected();
}

void Server::read_client() {
  uint8_t buf[4096];
  // A bounded number of reads per poll keeps the guest running under a flood.
  for (int i = 0; i < 16 && client_fd_ >= 0; ++i) {
    const ssize_t n = recv(client_fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      drop_client();
      return;
    }
    if (n < 0) return;
    session_->feed(std::span(buf, size_t(n)));
    if (session_->detach_requested()) {
      flush();
      drop_client();
      return;
    }
  }
}

void Server::flush() {
  while (client_fd_ >= 0 && !out_.empty()) {
    const ssize_t n = send(client_fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) drop_client();
      else if (out_.size() > kMaxQueued) drop_client();
      return;
    }
    out_.erase(0, size_t(n));
  }
  if (client_fd_ < 0) out_.clear();
}

void Server::drop_client() {
  if (client_fd_ < 0) return;
  close(client_fd_);
  client_fd_ = -1;
  out_.clear();
  session_->disconnected();
}

}  // namespace kestrel::frontend::gdbstub
