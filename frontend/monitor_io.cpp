// SPDX-License-Identifier: MIT
// The monitor's byte side (frontend/monitor.h): standard I/O or one TCP
// client at a time on a listening socket, read with poll() and a zero
// timeout so the machine thread never blocks on it. A client that leaves
// makes room for the next one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "frontend/monitor.h"

namespace kestrel::frontend {
namespace {

constexpr size_t kMaxLine = 4096;
constexpr std::string_view kPrompt = "(kestrel) ";

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int listen_tcp(const MonitorSpec& spec, std::string& why) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(spec.port);
  const std::string host = spec.host == "localhost" ? "127.0.0.1" : spec.host;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    why = "not an IPv4 address: " + spec.host;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) {
    why = std::string("cannot listen: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::unique_ptr<Monitor> Monitor::open(const MonitorSpec& spec, std::string& why) {
  int fd = -1;
  if (spec.kind == MonitorSpec::kTcp) {
    fd = listen_tcp(spec, why);
    if (fd < 0) return nullptr;
  }
  return std::unique_ptr<Monitor>(new Monitor(spec, fd));
}

Monitor::Monitor(const MonitorSpec& spec, int listen_fd) : spec_(spec), listen_fd_(listen_fd) {
  if (spec.kind == MonitorSpec::kStdio) {
    in_fd_ = 0;
    out_fd_ = 1;
  } else {
    port_ = spec.port;
  }
}

Monitor::~Monitor() {
  if (listen_fd_ >= 0) {
    drop_client();
    ::close(listen_fd_);
  }
}

void Monitor::attach(machine::Machine& m, MonitorHooks hooks) {
  commands_ = std::make_unique<MonitorCommands>(m, std::move(hooks));
  if (listen_fd_ < 0) {
    greet();
    return;
  }
  if (spec_.wait) {
    std::fprintf(stderr, "kestrel: waiting for a monitor connection on %s:%u\n",
                 spec_.host.c_str(), unsigned(port_));
    accept_client(true);
  }
}

bool Monitor::accept_client(bool block) {
  if (!readable(listen_fd_, block ? -1 : 0)) return false;
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return false;
  in_fd_ = out_fd_ = fd;
  eof_ = false;
  line_.clear();
  greet();
  return true;
}

void Monitor::greet() {
  send("Kestrel monitor - type 'help' for more information\n");
  send(kPrompt);
}

void Monitor::send(std::string_view text) {
  while (out_fd_ >= 0 && !text.empty()) {
    const ssize_t n = listen_fd_ >= 0 ? ::send(out_fd_, text.data(), text.size(), MSG_NOSIGNAL)
                                      : ::write(out_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A client that went away; standard output that closed stays quiet.
      if (listen_fd_ >= 0) drop_client();
      return;
    }
    text.remove_prefix(size_t(n));
  }
}

void Monitor::drop_client() {
  if (listen_fd_ >= 0 && in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = out_fd_ = -1;
}

bool Monitor::read_input() {
  char buf[512];
  while (in_fd_ >= 0 && readable(in_fd_, 0)) {
    const ssize_t n = ::read(in_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    line_.append(buf, size_t(n));
    if (size_t(n) < sizeof buf) break;
  }
  return true;
}

void Monitor::run_lines() {
  size_t nl;
  while (commands_ && (nl = line_.find('\n')) != std::string::npos) {
    const std::string line = line_.substr(0, nl);
    line_.erase(0, nl + 1);
    if (discarding_) {
      discarding_ = false;
      send("error: line too long\n");
    } else {
      send(commands_->run(line));
    }
    send(kPrompt);
  }
  if (line_.size() > kMaxLine) {
    line_.clear();
    discarding_ = true;
  }
}

void Monitor::poll() {
  if (in_fd_ < 0) {
    if (listen_fd_ < 0 || !accept_client(false)) return;
  }
  if (eof_) return;
  if (!read_input()) {
    // Standard input ended: the monitor goes quiet. A client left: the
    // next one may connect.
    if (listen_fd_ >= 0) drop_client();
    else eof_ = true;
  }
  run_lines();
}

}  // namespace kestrel::frontend
