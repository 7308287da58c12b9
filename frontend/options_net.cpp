// SPDX-License-Identifier: MIT
// Parsing of the net options: -netdev user, -device e1000|virtio-net-pci,
// -nic, -object filter-dump. Forward rules and addresses are checked here;
// netdev ids are matched and sockets bound by host_net.cpp.
#include <array>
#include <charconv>

#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

struct KeyValue {
  std::string key, value;
};

/// QEMU's KEY=VALUE,... syntax; ",," is a comma inside a value. A leading
/// word without '=' (the type) comes back with an empty key.
std::vector<KeyValue> split_keys(std::string_view arg) {
  std::vector<KeyValue> out;
  size_t i = 0;
  while (i <= arg.size()) {
    std::string item;
    for (; i < arg.size(); ++i) {
      if (arg[i] != ',') item += arg[i];
      else if (i + 1 < arg.size() && arg[i + 1] == ',') item += ',', ++i;
      else break;
    }
    ++i;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) out.push_back({"", item});
    else out.push_back({item.substr(0, eq), item.substr(eq + 1)});
  }
  return out;
}

Problem parse_mac(std::string_view text, std::array<uint8_t, 6>& mac) {
  const std::string bad = "mac=" + std::string(text) + ": expected six hex bytes like 52:54:00:12:34:56";
  if (text.size() != 17) return bad;
  for (unsigned i = 0; i < 6; ++i) {
    if (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-') return bad;
    unsigned v = 0;
    const char* p = text.data() + 3 * i;
    const auto [end, ec] = std::from_chars(p, p + 2, v, 16);
    if (ec != std::errc() || end != p + 2) return bad;
    mac[i] = uint8_t(v);
  }
  if (mac[0] & 1) return "mac=" + std::string(text) + ": a multicast address cannot be a NIC's";
  return std::nullopt;
}

Problem parse_model(std::string_view name, NicSpec& nic) {
  if (name == "e1000" || name == "e1000-82540em") nic.model = NicSpec::Model::kE1000;
  else if (name == "virtio-net-pci" || name == "virtio-net" || name == "virtio")
    nic.model = NicSpec::Model::kVirtio;
  else return "unknown NIC model '" + std::string(name) + "' (use e1000 or virtio-net-pci)";
  return std::nullopt;
}

/// A key of the user backend; false when it is not one.
bool user_key(NetdevSpec& d, const KeyValue& kv, Problem& why) {
  if (kv.key == "hostfwd") {
    machine::HostForward f;
    if (auto e = machine::parse_hostfwd(kv.value, f)) why = "hostfwd=" + kv.value + ": " + *e;
    else d.user.forwards.push_back(f);
  } else if (kv.key == "net") {
    if (auto e = machine::parse_user_net(kv.value, d.user)) why = "net=" + kv.value + ": " + *e;
  } else if (kv.key == "dump") {
    if (kv.value.empty()) why = "dump= needs a file name";
    d.dump = kv.value;
  } else {
    return false;
  }
  return true;
}

Problem apply_netdev(Options& o, std::string_view arg) {
  const std::vector<KeyValue> kvs = split_keys(arg);
  if (kvs[0].key != "" || kvs[0].value != "user") {
    return "only the 'user' backend is supported (-netdev user,id=ID,...)";
  }
  NetdevSpec d;
  d.option = "-netdev " + std::string(arg);
  for (size_t i = 1; i < kvs.size(); ++i) {
    Problem why;
    if (kvs[i].key == "id") d.id = kvs[i].value;
    else if (!user_key(d, kvs[i], why)) return "unknown key '" + kvs[i].key + "' (use id, hostfwd, net, dump)";
    if (why) return why;
  }
  if (d.id.empty()) return "missing id=";
  for (const NetdevSpec& other : o.net.netdevs) {
    if (other.id == d.id) return "netdev id '" + d.id + "' is used twice";
  }
  o.net.netdevs.push_back(std::move(d));
  return std::nullopt;
}

Problem apply_device(Options& o, std::string_view arg) {
  const std::vector<KeyValue> kvs = split_keys(arg);
  NicSpec nic;
  nic.option = "-device " + std::string(arg);
  if (kvs[0].key != "") return "the first word must be the device model";
  if (Problem why = parse_model(kvs[0].value, nic)) return why;
  for (size_t i = 1; i < kvs.size(); ++i) {
    const KeyValue& kv = kvs[i];
    if (kv.key == "netdev") nic.netdev = kv.value;
    else if (kv.key == "mac") {
      nic.mac.emplace();
      if (Problem why = parse_mac(kv.value, *nic.mac)) return why;
    } else if (kv.key != "id") {
      return "unknown key '" + kv.key + "' (use netdev, mac, id)";
    }
  }
  if (nic.netdev.empty()) return "missing netdev=ID (a -netdev user,id=ID)";
  o.net.nics.push_back(std::move(nic));
  return std::nullopt;
}

// -nic user,model=...: a backend and a NIC in one. -nic none asks for no
// default NIC, which is already the default here.
Problem apply_nic(Options& o, std::string_view arg) {
  const std::vector<KeyValue> kvs = split_keys(arg);
  if (kvs[0].key == "" && kvs[0].value == "none" && kvs.size() == 1) return std::nullopt;
  if (kvs[0].key != "" || kvs[0].value != "user") return "expected -nic user,... or -nic none";
  NetdevSpec d;
  NicSpec nic;
  d.option = nic.option = "-nic " + std::string(arg);
  d.id = "nic" + std::to_string(o.net.nics.size());
  for (size_t i = 1; i < kvs.size(); ++i) {
    const KeyValue& kv = kvs[i];
    Problem why;
    if (kv.key == "model") {
      why = parse_model(kv.value, nic);
    } else if (kv.key == "mac") {
      nic.mac.emplace();
      why = parse_mac(kv.value, *nic.mac);
    } else if (kv.key == "id") {
      d.id = kv.value;
    } else if (!user_key(d, kv, why)) {
      return "unknown key '" + kv.key + "' (use model, mac, id, hostfwd, net, dump)";
    }
    if (why) return why;
  }
  nic.netdev = d.id;
  o.net.netdevs.push_back(std::move(d));
  o.net.nics.push_back(std::move(nic));
  return std::nullopt;
}

Problem apply_object(Options& o, std::string_view arg) {
  const std::vector<KeyValue> kvs = split_keys(arg);
  if (kvs[0].key != "" || kvs[0].value != "filter-dump") {
    return "only filter-dump objects are supported";
  }
  DumpSpec d;
  d.option = "-object " + std::string(arg);
  for (size_t i = 1; i < kvs.size(); ++i) {
    if (kvs[i].key == "netdev") d.netdev = kvs[i].value;
    else if (kvs[i].key == "file") d.file = kvs[i].value;
    else if (kvs[i].key != "id") return "unknown key '" + kvs[i].key + "' (use id, netdev, file)";
  }
  if (d.netdev.empty() || d.file.empty()) return "filter-dump needs netdev=ID and file=PATH";
  o.net.dumps.push_back(std::move(d));
  return std::nullopt;
}

constexpr std::array kNetOptions = {
    OptionSpec{"netdev", "user,id=ID[,hostfwd=RULE][,net=ADDR/N][,dump=FILE]", apply_netdev,
               "user-mode network backend (libslirp: 10.0.2.0/24, gateway\n"
               "10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15); RULE is\n"
               "tcp|udp:[HOSTADDR]:PORT-[GUESTADDR]:PORT (host side on 127.0.0.1\n"
               "unless given); dump=FILE writes a pcap of the link"},
    OptionSpec{"device", "e1000|virtio-net-pci,netdev=ID[,mac=MAC]", apply_device,
               "a NIC connected to -netdev ID (PCI slots 03, 04, ... in order)"},
    OptionSpec{"nic", "user,model=e1000|virtio-net-pci[,...]|none", apply_nic,
               "a NIC and its user backend in one (keys of -netdev and\n"
               "-device); none: no NIC (also the default)"},
    OptionSpec{"object", "filter-dump,id=ID,netdev=ID,file=FILE", apply_object,
               "pcap capture of a netdev's traffic"},
};

}  // namespace

std::span<const OptionSpec> net_options() { return kNetOptions; }

}  // namespace kestrel::frontend
