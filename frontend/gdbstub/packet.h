// SPDX-License-Identifier: MIT
// The GDB remote serial protocol's framing ("$payload#cs", acks, the 0x03
// interrupt byte) and its encodings (hex, binary escapes): a pure unit with
// no sockets and no machine, so it can be tested and fuzzed on its own.
// What the packets mean is session.cpp's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::frontend::gdbstub {

/// The largest payload accepted (advertised as PacketSize in qSupported).
inline constexpr size_t kMaxPacket = 0x4000;

/// What a run of received bytes amounted to.
struct PacketEvent {
  enum class Kind : uint8_t {
    kPacket,       ///< a whole packet with a good checksum: `payload`
    kInterrupt,    ///< a 0x03 byte outside a packet (Ctrl-C)
    kBadChecksum,  ///< a whole packet whose checksum is wrong: ask again
    kTooLong,      ///< a packet longer than kMaxPacket: answered with an error
  };
  Kind kind;
  std::string payload;
};

/// Splits the byte stream from gdb into packets. Acks ('+', '-') and noise
/// between packets are dropped; a '$' inside a packet starts a new one.
class PacketParser {
 public:
  /// Feeds bytes; returns the events they completed, in order.
  std::vector<PacketEvent> feed(std::span<const uint8_t> bytes);
  /// Drops a half-received packet (the connection went away).
  void reset();

 private:
  enum class State : uint8_t { kIdle, kPayload, kSum1, kSum2 };
  State state_ = State::kIdle;
  std::string payload_;
  bool too_long_ = false;
  uint8_t sum_ = 0;      ///< running checksum of the payload
  uint8_t got_sum_ = 0;  ///< the checksum the sender wrote
};

/// "$payload#cs" with the characters the protocol reserves ('$', '#', '}'
/// and '*', which would start run-length encoding) escaped.
std::string frame_packet(std::string_view payload);

/// Value of one hex digit, or -1.
int hex_digit(char c);
/// Lower-case hex of the bytes, two digits each.
std::string to_hex(std::span<const uint8_t> bytes);
std::string to_hex(std::string_view text);
/// Bytes from pairs of hex digits; nothing on an odd length or a bad digit.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
/// A big-endian hex number as gdb writes addresses and lengths (1-16
/// digits); nothing when empty, too long or not hex.
std::optional<uint64_t> parse_hex_number(std::string_view hex);
/// Undoes the '}' escapes of binary data (X packets); nothing when the data
/// ends in a lone '}'.
std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data);

}  // namespace kestrel::frontend::gdbstub
