// SPDX-License-Identifier: MIT
// The data side of a gdb session (session.h): registers (g/G/p/P), memory
// (m/M/X) through the guest's current paging or physical addresses,
// breakpoints and watchpoints (Z/z), target descriptions (qXfer) and
// `monitor` commands (qRcmd). GDB manual, "Remote Protocol" §E.2.
#include <algorithm>

#include "frontend/debug_commands.h"
#include "frontend/gdbstub/session.h"

namespace kestrel::frontend::gdbstub {
namespace {

/// "ADDR,LEN" followed by `end` (or the end of the text); the rest after it.
struct AddrLen {
  uint64_t addr, len;
  std::string_view rest;
};

std::optional<AddrLen> parse_addr_len(std::string_view a, char end) {
  const size_t comma = a.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const size_t stop = end ? a.find(end, comma) : a.size();
  if (stop == std::string_view::npos) return std::nullopt;
  const auto addr = parse_hex_number(a.substr(0, comma));
  const auto len = parse_hex_number(a.substr(comma + 1, stop - comma - 1));
  if (!addr || !len) return std::nullopt;
  return AddrLen{*addr, *len, stop < a.size() ? a.substr(stop + 1) : std::string_view{}};
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string Session::read_registers() { return to_hex(layout_.read_all(m_.cpu())); }

std::string Session::write_registers(std::string_view hex) {
  size_t pos = 0;
  const std::span<const RegInfo> regs = layout_.registers();
  for (unsigned n = 0; n < regs.size() && pos < hex.size(); ++n) {
    const size_t len = regs[n].bits / 4;
    if (pos + len > hex.size()) return "E01";
    // 'x' digits mark registers gdb does not have: left as they are.
    if (const auto bytes = from_hex(hex.substr(pos, len))) layout_.write(m_.cpu(), n, *bytes);
    pos += len;
  }
  return "OK";
}

std::string Session::read_register(std::string_view args) {
  const auto n = parse_hex_number(args);
  if (!n || *n >= layout_.registers().size()) return "E01";
  return to_hex(layout_.read(m_.cpu(), unsigned(*n)));
}

std::string Session::write_register(std::string_view args) {
  const size_t eq = args.find('=');
  if (eq == std::string_view::npos) return "E01";
  const auto n = parse_hex_number(args.substr(0, eq));
  const auto bytes = from_hex(args.substr(eq + 1));
  if (!n || !bytes || *n >= layout_.registers().size()) return "E01";
  return layout_.write(m_.cpu(), unsigned(*n), *bytes) ? "OK" : "E01";
}

/// The physical address of guest address `addr` as the session reads it:
/// virtual through the current page tables (no A/D updates, no #PF), or
/// physical after `monitor phys`.
std::optional<uint64_t> Session::to_phys(uint64_t addr) {
  if (physical_) return addr;
  return m_.memory().debug_translate(addr);
}

std::string Session::read_memory(std::string_view args) {
  const auto al = parse_addr_len(args, 0);
  if (!al) return "E01";
  const uint64_t len = std::min<uint64_t>(al->len, kMaxPacket / 2 - 8);
  std::vector<uint8_t> bytes;
  bytes.reserve(len);
  for (uint64_t i = 0; i < len; ++i) {
    const auto pa = to_phys(al->addr + i);
    // Device registers are not read: a read may change the device's state.
    if (!pa || m_.memory().is_mmio(*pa)) break;
    bytes.push_back(uint8_t(m_.memory().read_phys(*pa, 1)));
  }
  // A short reply tells gdb where readable memory ends.
  if (bytes.empty() && len) return "E14";
  return to_hex(bytes);
}

std::string Session::write_memory(std::string_view args, bool binary) {
  const auto al = parse_addr_len(args, ':');
  if (!al) return "E01";
  const auto bytes = binary ? unescape_binary(al->rest) : from_hex(al->rest);
  if (!bytes || bytes->size() != al->len) return "E01";
  // Translate everything first: a write that cannot complete changes nothing.
  std::vector<uint64_t> phys(bytes->size());
  for (size_t i = 0; i < bytes->size(); ++i) {
    const auto pa = to_phys(al->addr + i);
    if (!pa || m_.memory().is_mmio(*pa)) return "E14";
    phys[i] = *pa;
  }
  // write_phys tells the decode caches about code it overwrites.
  for (size_t i = 0; i < bytes->size(); ++i) m_.memory().write_phys(phys[i], (*bytes)[i], 1);
  return "OK";
}

std::string Session::breakpoint(const std::string& p, bool insert) {
  if (p.size() < 3 || p[2] != ',') return "E01";
  const char type = p[1];
  const auto al = parse_addr_len(std::string_view(p).substr(3), ';');
  const auto al2 = al ? al : parse_addr_len(std::string_view(p).substr(3), 0);
  if (!al2) return "E01";
  const uint64_t addr = al2->addr;
  if (type == '0' || type == '1') {
    std::vector<uint64_t>& set = type == '0' ? sw_bps_ : hw_bps_;
    const auto it = std::find(set.begin(), set.end(), addr);
    if (insert) {
      if (it == set.end()) set.push_back(addr);
      cpu::add_host_breakpoint(m_.cpu(), addr);
      return "OK";
    }
    if (it != set.end()) set.erase(it);
    const std::vector<uint64_t>& other = type == '0' ? hw_bps_ : sw_bps_;
    if (std::find(other.begin(), other.end(), addr) == other.end()) {
      cpu::remove_host_breakpoint(m_.cpu(), addr);
    }
    return "OK";
  }
  if (type < '2' || type > '4') return "";
  const uint64_t len = al2->len;
  if (len == 0 || len > 4096) return "E22";
  if (insert) {
    static constexpr mmu::WatchKind kKinds[3] = {mmu::WatchKind::kWrite, mmu::WatchKind::kRead,
                                                 mmu::WatchKind::kAccess};
    if (watches_.size() >= 64) return "E28";
    const mmu::WatchId id = m_.memory().add_watch(addr, len, kKinds[type - '2'], *this, 0);
    watches_.push_back({id, type, addr, len});
    return "OK";
  }
  for (auto it = watches_.begin(); it != watches_.end(); ++it) {
    if (it->type == type && it->addr == addr && it->len == len) {
      m_.memory().remove_watch(it->id);
      watches_.erase(it);
      break;
    }
  }
  return "OK";
}

std::string Session::features(std::string_view args) {
  // "target.xml:OFFSET,LENGTH"; the description is one document.
  const size_t colon = args.find(':');
  if (colon == std::string_view::npos) return "E00";
  if (args.substr(0, colon) != "target.xml") return "E00";
  const auto al = parse_addr_len(args.substr(colon + 1), 0);
  if (!al) return "E00";
  const std::string& xml = layout_.target_xml();
  if (al->addr >= xml.size()) return "l";
  const size_t len = std::min<uint64_t>(al->len, kMaxPacket - 8);
  const std::string chunk = xml.substr(al->addr, len);
  return (al->addr + chunk.size() < xml.size() ? "m" : "l") + chunk;
}

std::string Session::monitor(std::string_view hex) {
  const auto bytes = from_hex(hex);
  if (!bytes) return "E01";
  const std::string line = trim(std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                                 bytes->size()));
  std::string text;
  if (line == "phys") {
    physical_ = true;
    text = "memory accesses use physical addresses\n";
  } else if (line == "virt") {
    physical_ = false;
    text = "memory accesses use virtual addresses (the guest's current page tables)\n";
  } else if (line == "help" || line.empty()) {
    text = "phys, virt: how gdb's addresses are translated\n"
           "info registers, info tlb, x/Ni ADDR, xp ...: as in the Kestrel monitor\n";
  } else {
    text = run_debug_command(m_, line);
  }
  if (text.size() > kMaxPacket / 2 - 8) text.resize(kMaxPacket / 2 - 8);
  return text.empty() ? "OK" : to_hex(std::string_view(text));
}

}  // namespace kestrel::frontend::gdbstub
