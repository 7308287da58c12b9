// SPDX-License-Identifier: MIT
// Framing and encodings of the GDB remote serial protocol (packet.h).
// GDB manual, "Remote Protocol" §E.1 (overview: framing, escapes, acks)
// and §E.10 ("Interrupts": the 0x03 byte).
#include "frontend/gdbstub/packet.h"

namespace kestrel::frontend::gdbstub {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::vector<PacketEvent> PacketParser::feed(std::span<const uint8_t> bytes) {
  std::vector<PacketEvent> out;
  for (const uint8_t b : bytes) {
    const char c = char(b);
    if (c == '$') {  // a new packet, even in the middle of a broken one
      state_ = State::kPayload;
      payload_.clear();
      too_long_ = false;
      sum_ = 0;
      continue;
    }
    switch (state_) {
      case State::kIdle:
        if (b == 0x03) out.push_back({PacketEvent::Kind::kInterrupt, {}});
        break;
      case State::kPayload:
        if (c == '#') {
          state_ = State::kSum1;
          break;
        }
        sum_ = uint8_t(sum_ + b);
        if (payload_.size() < kMaxPacket) payload_.push_back(c);
        else too_long_ = true;
        break;
      case State::kSum1:
      case State::kSum2: {
        const int d = hex_digit(c);
        if (d < 0) {  // not a checksum: the packet is garbage
          state_ = State::kIdle;
          out.push_back({PacketEvent::Kind::kBadChecksum, {}});
          break;
        }
        if (state_ == State::kSum1) {
          got_sum_ = uint8_t(d << 4);
          state_ = State::kSum2;
          break;
        }
        got_sum_ = uint8_t(got_sum_ | d);
        state_ = State::kIdle;
        if (too_long_) out.push_back({PacketEvent::Kind::kTooLong, {}});
        else if (got_sum_ != sum_) out.push_back({PacketEvent::Kind::kBadChecksum, {}});
        else out.push_back({PacketEvent::Kind::kPacket, std::move(payload_)});
        payload_.clear();
        break;
      }
    }
  }
  return out;
}

void PacketParser::reset() {
  state_ = State::kIdle;
  payload_.clear();
  too_long_ = false;
}

std::string frame_packet(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  uint8_t sum = 0;
  auto put = [&](char c) {
    out.push_back(c);
    sum = uint8_t(sum + uint8_t(c));
  };
  for (const char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      put('}');
      put(char(c ^ 0x20));
    } else {
      put(c);
    }
  }
  out.push_back('#');
  out.push_back(kHex[sum >> 4]);
  out.push_back(kHex[sum & 15]);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string to_hex(std::string_view text) {
  return to_hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = uint8_t(hi << 4 | lo);
  }
  return out;
}

std::optional<uint64_t> parse_hex_number(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (const char c : hex) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | unsigned(d);
  }
  return v;
}

std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data) {
  std::vector<uint8_t> out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '}') {
      out.push_back(uint8_t(data[i]));
      continue;
    }
    if (++i == data.size()) return std::nullopt;
    out.push_back(uint8_t(data[i] ^ 0x20));
  }
  return out;
}

}  // namespace kestrel::frontend::gdbstub
