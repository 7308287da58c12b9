// SPDX-License-Identifier: MIT
// Wiring of the board's network section (machine/board_net.h): NICs on PCI
// bus 0 and the host services serviced by the run loop.
#include "machine/board_net.h"

#include <ctime>
#include <thread>

#include "devices/e1000.h"
#include "devices/virtio/virtio_net.h"
#include "machine/board.h"
#include "machine/board_pci.h"

namespace kestrel::machine {

void Network::poll() {
  for (NetService* s : services_) s->poll();
}

bool Network::wait(std::chrono::nanoseconds timeout) {
  if (services_.empty()) return false;
  fds_.clear();
  for (NetService* s : services_) s->wait_fds(fds_);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec ts{time_t(secs.count()), long((timeout - secs).count())};
  ::ppoll(fds_.data(), fds_.size(), &ts, nullptr);
  return true;
}

void Board::wire_network() {
  network_ = std::make_unique<Network>(config_.net);
  devices::PciBus& bus = pci_apic().bus();
  unsigned slot = Network::kFirstSlot;
  for (const NicConfig& nic : config_.net.nics) {
    std::unique_ptr<devices::PciFunction> fn;
    devices::Device* dev = nullptr;
    if (nic.model == NicConfig::Model::kE1000) {
      auto e = std::make_unique<devices::E1000>(links_.mmu, links_.clock, nic.mac, nic.backend);
      dev = e.get();
      fn = std::move(e);
    } else {
      auto v = std::make_unique<devices::VirtioNet>(links_.mmu, nic.mac, nic.backend);
      dev = v.get();
      fn = std::move(v);
    }
    bus.attach(slot++, 0, *fn);
    attach(*dev, {});
    network_->add_nic(std::move(fn));
  }
}

void Board::poll_network() { network_->poll(); }

void Board::wait_input(Nanos timeout) {
  const std::chrono::nanoseconds t(timeout);
  if (!network_ || !network_->wait(t)) std::this_thread::sleep_for(t);
}

}  // namespace kestrel::machine
