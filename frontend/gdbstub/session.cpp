// SPDX-License-Identifier: MIT
// Framing, dispatch and run control of a gdb session (session.h). Packet
// meanings: GDB manual, "Remote Protocol" §E.2 (packets), §E.3 (stop
// replies), §E.4 (general queries); data and breakpoint commands are in
// session_data.cpp.
#include "frontend/gdbstub/session.h"

#include <algorithm>
#include <cstdio>

#include "cpu/isa/isa.h"

namespace kestrel::frontend::gdbstub {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool has_long_mode(machine::Machine& m) { return m.cpu().model->has(cpu::isa::fLm); }

}  // namespace

Session::Session(machine::Machine& m, Output out, bool held)
    : m_(m), out_(std::move(out)), layout_(has_long_mode(m)), held_(held),
      resets_seen_(m.resets()) {
  m_.cpu().host_breakpoints = &bps_;
}

Session::~Session() {
  clear_points();
  m_.cpu().host_breakpoints = nullptr;
  cpu::refresh_host_breakpoints(m_.cpu());
}

void Session::send_packet(std::string_view payload) { out_(frame_packet(payload)); }

void Session::connected() {
  parser_.reset();
  no_ack_ = false;
  physical_ = false;
  detach_requested_ = false;
  if (!m_.paused()) m_.pause();
  running_ = false;
  signal_ = 5;
}

void Session::disconnected() {
  clear_points();
  running_ = false;
  hit_.reset();
  bps_.stopped = false;
  if (!held_) m_.resume();
}

void Session::clear_points() {
  for (const Watchpoint& w : watches_) m_.memory().remove_watch(w.id);
  watches_.clear();
  sw_bps_.clear();
  hw_bps_.clear();
  bps_.linear.clear();
  cpu::refresh_host_breakpoints(m_.cpu());
}

void Session::feed(std::span<const uint8_t> bytes) {
  for (PacketEvent& e : parser_.feed(bytes)) {
    switch (e.kind) {
      case PacketEvent::Kind::kInterrupt:
        if (running_) {
          stop_now();
          signal_ = 2;
          send_packet(stop_reply());
        }
        break;
      case PacketEvent::Kind::kBadChecksum:
        if (!no_ack_) out_("-");
        break;
      case PacketEvent::Kind::kTooLong:
        if (!no_ack_) out_("+");
        send_packet("E01");
        break;
      case PacketEvent::Kind::kPacket:
        if (!no_ack_) out_("+");
        handle(e.payload);
        break;
    }
  }
}

void Session::handle(const std::string& p) {
  const std::string reply = dispatch(p);
  // Resuming packets answer later, with the stop reply.
  if (reply == "\x01") return;
  send_packet(reply);
  if (p == "QStartNoAckMode") no_ack_ = true;
}

/// One packet's reply; "\x01" when the reply comes later (the guest runs).
std::string Session::dispatch(const std::string& p) {
  if (p.empty()) return "";
  const std::string_view args = std::string_view(p).substr(1);
  switch (p[0]) {
    case '?': return stop_reply();
    case 'c': return resume(false, args);
    case 's': return resume(true, args);
    // With a signal: Kestrel has no signals to deliver; the address, if any, follows ';'.
    case 'C': case 'S': {
      const size_t semi = args.find(';');
      return resume(p[0] == 'S', semi == std::string_view::npos ? "" : args.substr(semi + 1));
    }
    case 'D':
      detach_requested_ = true;
      return "OK";
    case 'k':
      m_.request_quit();
      return "\x01";
    case 'g': return read_registers();
    case 'G': return write_registers(args);
    case 'p': return read_register(args);
    case 'P': return write_register(args);
    case 'm': return read_memory(args);
    case 'M': return write_memory(args, false);
    case 'X': return write_memory(args, true);
    case 'Z': return breakpoint(p, true);
    case 'z': return breakpoint(p, false);
    case 'H': case 'T': return "OK";  // one thread: any thread id is it
    case 'q': case 'Q': return query(p);
    case 'v': return v_packet(p);
    default: return "";
  }
}

std::string Session::query(const std::string& p) {
  if (starts_with(p, "qSupported")) {
    return "PacketSize=" + std::to_string(kMaxPacket) +
           ";qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+";
  }
  if (p == "QStartNoAckMode") return "OK";
  if (starts_with(p, "qXfer:features:read:")) return features(std::string_view(p).substr(20));
  if (p == "qAttached") return "1";
  if (p == "qC") return "QC1";
  if (p == "qfThreadInfo") return "m1";
  if (p == "qsThreadInfo") return "l";
  if (starts_with(p, "qSymbol")) return "OK";
  if (starts_with(p, "qRcmd,")) return monitor(std::string_view(p).substr(6));
  if (starts_with(p, "qThreadExtraInfo")) return to_hex(std::string_view("CPU 0"));
  return "";
}

std::string Session::v_packet(const std::string& p) {
  if (p == "vCont?") return "vCont;c;C;s;S";
  if (p == "vMustReplyEmpty") return "";
  if (p == "vKill" || starts_with(p, "vKill;")) {
    m_.request_quit();
    return "OK";
  }
  if (!starts_with(p, "vCont;")) return "";
  // One CPU: the first action decides (gdb sends e.g. "vCont;s:1;c").
  const char action = p.size() > 6 ? p[6] : '?';
  if (action == 'c' || action == 'C') return resume(false, "");
  if (action == 's' || action == 'S') return resume(true, "");
  if (action == 't') {  // stop: already stopped unless running
    if (running_) {
      stop_now();
      signal_ = 0;
      return stop_reply();
    }
    return "OK";
  }
  return "E01";
}

std::string Session::stop_reply() {
  char sig[4];
  static constexpr char kHex[] = "0123456789abcdef";
  sig[0] = kHex[signal_ >> 4];
  sig[1] = kHex[signal_ & 15];
  sig[2] = 0;
  std::string r = "T";
  r += sig;
  r += "thread:01;";
  if (hit_) {
    static constexpr std::string_view kKind[3] = {"watch", "rwatch", "awatch"};
    char buf[17];
    snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(hit_->addr));
    r += std::string(kKind[hit_->type - '2']) + ":" + buf + ";";
  } else if (signal_ == 5 && bps_.stopped) {
    const uint64_t pc = linear_pc(m_.cpu());
    if (std::find(sw_bps_.begin(), sw_bps_.end(), pc) != sw_bps_.end()) r += "swbreak:;";
    else if (std::find(hw_bps_.begin(), hw_bps_.end(), pc) != hw_bps_.end()) r += "hwbreak:;";
  }
  return r;
}

void Session::arm_skip() {
  bps_.skip_armed = true;
  bps_.skip_linear = linear_pc(m_.cpu());
}

std::string Session::resume(bool step, std::string_view addr) {
  if (!addr.empty()) {
    if (const auto a = parse_hex_number(addr)) {
      const uint64_t v = *a;
      const std::vector<uint8_t> bytes = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16),
                                          uint8_t(v >> 24), uint8_t(v >> 32), uint8_t(v >> 40),
                                          uint8_t(v >> 48), uint8_t(v >> 56)};
      const unsigned pc_reg = layout_.long_mode() ? 16 : 8;
      layout_.write(m_.cpu(), pc_reg, std::span(bytes).first(layout_.long_mode() ? 8 : 4));
    }
  }
  held_ = false;
  hit_.reset();
  bps_.stopped = false;
  signal_ = 5;
  arm_skip();
  if (step) {
    m_.step();
    bps_.skip_armed = false;
    // A step that hit a watchpoint reports it; one that only landed on a
    // breakpoint does not (the instruction there has not run).
    if (!hit_) bps_.stopped = false;
    m_.pause();
    return stop_reply();
  }
  running_ = true;
  m_.resume();
  return "\x01";
}

void Session::stop_now() {
  m_.pause();
  running_ = false;
}

void Session::poll_running() {
  if (m_.resets() != resets_seen_) {
    // A reset replaced CpuState: the host breakpoints' dbg_exec bit goes with it.
    resets_seen_ = m_.resets();
    cpu::refresh_host_breakpoints(m_.cpu());
  }
  if (running_ && bps_.stopped) debug_stopped();
}

void Session::debug_stopped() {
  if (!running_) return;
  stop_now();
  signal_ = 5;
  send_packet(stop_reply());
}

void Session::exited(unsigned status) {
  std::string reply = "W";
  reply += to_hex(std::span<const uint8_t>(std::vector<uint8_t>{uint8_t(status)}));
  send_packet(reply);
  running_ = false;
}

void Session::watch_hit(const mmu::WatchHit& hit) {
  for (const Watchpoint& w : watches_) {
    if (w.id != hit.id) continue;
    if (!hit_) hit_ = Hit{w.type, std::max(hit.linear, w.addr)};
    bps_.stopped = true;
    m_.cpu().s.pending |= cpu::kPendingStop;
    return;
  }
}

}  // namespace kestrel::frontend::gdbstub
