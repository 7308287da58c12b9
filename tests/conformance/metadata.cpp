// SPDX-License-Identifier: MIT
// metadata.json lookup (README §4: key "XX", group opcodes under reg "0".."7")
// and the revocation list format.
#include "tests/conformance/metadata.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <sstream>

namespace kestrel::conformance {
namespace {

using nlohmann::json;

OpcodeInfo read_info(const json& j) {
  OpcodeInfo info;
  info.known = true;
  if (auto it = j.find("status"); it != j.end() && it->is_string()) info.status = *it;
  if (auto it = j.find("flags-mask"); it != j.end() && it->is_number_unsigned()) {
    info.flags_mask = uint16_t(it->get<uint64_t>());
  }
  return info;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = char(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

}  // namespace

std::optional<Metadata> Metadata::parse(std::string_view json_text, std::string& err) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    err = "metadata is not a JSON object";
    return std::nullopt;
  }
  auto ops = doc.find("opcodes");
  if (ops == doc.end() || !ops->is_object()) {
    err = "metadata has no \"opcodes\" object";
    return std::nullopt;
  }
  Metadata md;
  for (const auto& [key, val] : ops->items()) {
    if (!val.is_object()) continue;
    Entry e;
    e.info = read_info(val);
    if (auto r = val.find("reg"); r != val.end() && r->is_object()) {
      e.grouped = true;
      for (const auto& [rk, rv] : r->items()) {
        if (rk.size() == 1 && rk[0] >= '0' && rk[0] <= '7' && rv.is_object()) {
          e.reg[rk[0] - '0'] = read_info(rv);
        }
      }
    }
    md.opcodes_[upper(key)] = std::move(e);
  }
  return md;
}

std::optional<Metadata> Metadata::load(const std::string& path, std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto md = parse(ss.str(), err);
  if (!md) err = path + ": " + err;
  return md;
}

OpcodeInfo Metadata::lookup(std::string_view stem, std::span<const uint8_t> insn_bytes) const {
  const size_t dot = stem.find('.');
  auto it = opcodes_.find(upper(stem.substr(0, dot)));
  if (it == opcodes_.end()) return {};
  const Entry& e = it->second;
  if (!e.grouped) return e.info;
  std::optional<unsigned> reg;
  if (dot != std::string_view::npos && dot + 1 < stem.size()) {
    const char c = stem[dot + 1];
    if (c >= '0' && c <= '7') reg = unsigned(c - '0');
  } else {
    reg = modrm_reg(insn_bytes);
  }
  return reg ? e.reg[*reg] : e.info;
}

std::optional<unsigned> modrm_reg(std::span<const uint8_t> bytes) {
  size_t i = 0;
  // Segment overrides, LOCK, REPNE, REP: the only prefixes of the 8086/286.
  while (i < bytes.size() && (bytes[i] == 0x26 || bytes[i] == 0x2e || bytes[i] == 0x36 ||
                              bytes[i] == 0x3e || bytes[i] == 0xf0 || bytes[i] == 0xf2 ||
                              bytes[i] == 0xf3)) {
    ++i;
  }
  if (i + 1 >= bytes.size()) return std::nullopt;
  return unsigned(bytes[i + 1] >> 3 & 7);
}

std::set<std::string, std::less<>> parse_revocation_list(std::string_view text) {
  std::set<std::string, std::less<>> hashes;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::string h;
    for (char c : line) {
      if (!std::isspace(static_cast<unsigned char>(c))) {
        h += char(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    if (!h.empty()) hashes.insert(h);
  }
  return hashes;
}

}  // namespace kestrel::conformance
