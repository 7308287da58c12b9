// SPDX-License-Identifier: MIT
// The net part of a run's host side (frontend/host_part.h): starts one
// user-mode stack per -netdev, wraps it in a pcap tap when asked, matches
// NICs to netdevs, and keeps the backends alive while the machine runs.
#include <algorithm>
#include <map>

#include "frontend/host_part.h"
#include "machine/net_user.h"
#include "machine/pcap.h"

namespace kestrel::frontend {
namespace {

class NetPart final : public HostPart {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig& config) override {
    if (auto e = check(o.net)) return e;
    for (const NetdevSpec& d : o.net.netdevs) {
      const bool used = std::any_of(o.net.nics.begin(), o.net.nics.end(),
                                    [&](const NicSpec& n) { return n.netdev == d.id; });
      if (!used) continue;  // QEMU warns and leaves it unconnected; nothing to run
      std::string error;
      std::unique_ptr<machine::UserNet> user = machine::UserNet::create(d.user, error);
      if (!user) return Error{d.option, error};
      devices::NetBackend* backend = user.get();
      config.net.services.push_back(user.get());
      users_.push_back(std::move(user));
      std::vector<std::string> files;
      if (!d.dump.empty()) files.push_back(d.dump);
      for (const DumpSpec& f : o.net.dumps) {
        if (f.netdev == d.id) files.push_back(f.file);
      }
      for (const std::string& file : files) {
        std::unique_ptr<machine::PcapTap> tap = machine::PcapTap::create(file, backend, error);
        if (!tap) return Error{file, error};
        backend = tap.get();
        taps_.push_back(std::move(tap));
      }
      backends_[d.id] = backend;
    }
    for (size_t i = 0; i < o.net.nics.size(); ++i) {
      const NicSpec& n = o.net.nics[i];
      machine::NicConfig nic;
      nic.model = n.model == NicSpec::Model::kE1000 ? machine::NicConfig::Model::kE1000
                                                    : machine::NicConfig::Model::kVirtio;
      if (n.mac) nic.mac = *n.mac;
      else nic.mac[5] = uint8_t(nic.mac[5] + i);  // as QEMU: 52:54:00:12:34:56, :57, ...
      nic.backend = backends_.at(n.netdev);
      config.net.nics.push_back(nic);
    }
    return std::nullopt;
  }

 private:
  /// Every NIC names an existing netdev, and no netdev has two NICs.
  static std::optional<Error> check(const NetOptions& net) {
    std::map<std::string, const NicSpec*> owner;
    for (const NicSpec& n : net.nics) {
      const bool exists = std::any_of(net.netdevs.begin(), net.netdevs.end(),
                                      [&](const NetdevSpec& d) { return d.id == n.netdev; });
      if (!exists) return Error{n.option, "netdev '" + n.netdev + "' does not exist"};
      if (auto [it, fresh] = owner.emplace(n.netdev, &n); !fresh) {
        return Error{n.option, "netdev '" + n.netdev + "' is already used by " + it->second->option};
      }
    }
    for (const DumpSpec& d : net.dumps) {
      const bool exists = std::any_of(net.netdevs.begin(), net.netdevs.end(),
                                      [&](const NetdevSpec& n) { return n.id == d.netdev; });
      if (!exists) return Error{d.option, "netdev '" + d.netdev + "' does not exist"};
    }
    return std::nullopt;
  }

  // Backends live as long as the part, which outlives the machine.
  std::vector<std::unique_ptr<machine::UserNet>> users_;
  std::vector<std::unique_ptr<machine::PcapTap>> taps_;
  std::map<std::string, devices::NetBackend*> backends_;
};

}  // namespace

std::unique_ptr<HostPart> make_net_part() { return std::make_unique<NetPart>(); }

}  // namespace kestrel::frontend
