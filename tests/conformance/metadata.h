// SPDX-License-Identifier: MIT
// The upstream per-opcode metadata (status and undefined-flag mask, README
// §4) and the 80286 revocation list. Parsing only; the runner decides what
// to do with a status.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace kestrel::conformance {

struct OpcodeInfo {
  std::string status = "normal";
  uint16_t flags_mask = 0xffff;  ///< AND into expected and actual FLAGS
  bool known = false;            ///< false: the opcode is missing from the metadata
};

class Metadata {
 public:
  /// Parses metadata.json text; nullopt and `err` on malformed input.
  static std::optional<Metadata> parse(std::string_view json_text, std::string& err);
  static std::optional<Metadata> load(const std::string& path, std::string& err);

  /// The entry for a vector file named `stem` ("F6.6", "8F", ...). Files of
  /// a group opcode that hold every `reg` value (80286 8F, C6) take the reg
  /// from the test's instruction bytes.
  OpcodeInfo lookup(std::string_view stem, std::span<const uint8_t> insn_bytes) const;

 private:
  struct Entry {
    OpcodeInfo info;
    bool grouped = false;
    std::array<OpcodeInfo, 8> reg{};
  };
  std::map<std::string, Entry, std::less<>> opcodes_;
};

/// The ModRM reg field of the instruction in `bytes` (after 8086/286
/// prefixes), or nullopt when the bytes end first.
std::optional<unsigned> modrm_reg(std::span<const uint8_t> bytes);

/// Hashes (lower-case hex) listed in a revocation_list.txt; '#' starts a comment.
std::set<std::string, std::less<>> parse_revocation_list(std::string_view text);

}  // namespace kestrel::conformance
