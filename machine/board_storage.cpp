// SPDX-License-Identifier: MIT
// Wiring of the board's storage section (machine/board_storage.h): the IDE
// function with its legacy ports and ISA IRQs 14/15, the configured drives,
// and one virtio-blk function per if=virtio drive.
#include "machine/board_storage.h"

#include "machine/board.h"
#include "machine/board_pci.h"

namespace kestrel::machine {
namespace {

/// QEMU's pc puts the NICs from slot 3 on; virtio-blk functions follow them.
constexpr unsigned kFirstNicSlot = 3;
constexpr unsigned kLastSlot = 31;

}  // namespace

void Board::wire_storage() {
  namespace ide = devices::ide;
  storage_ = std::make_unique<Storage>();
  PciApic& p = *pci_apic_;
  storage_->ide_ = std::make_unique<ide::PiixIde>(p.bus(), links_.mmu);
  ide::PiixIde& piix = *storage_->ide_;
  attach(piix, {{ide::kPrimaryCommandPort, ide::kCommandPortCount},
                {ide::kPrimaryControlPort, 1},
                {ide::kSecondaryCommandPort, ide::kCommandPortCount},
                {ide::kSecondaryControlPort, 1}});
  devices::IrqSink& isa = p.router().input(IrqRouter::kIsa);
  piix.channel(0).irq.connect(isa, ide::kPrimaryIrq);
  piix.channel(1).irq.connect(isa, ide::kSecondaryIrq);

  unsigned slot = kFirstNicSlot + unsigned(config_.net.nics.size());
  for (const DriveConfig& d : config_.storage.drives) {
    if (d.interface == DriveConfig::Interface::kIde) {
      if (d.index > 3) continue;  // the frontend checked it; a bad config is ignored
      const auto kind = d.media == DriveConfig::Media::kCdrom ? ide::Drive::Kind::kCdrom
                                                               : ide::Drive::Kind::kDisk;
      if (kind == ide::Drive::Kind::kDisk && !d.backend) continue;
      piix.channel(d.index / 2).attach(d.index % 2, kind, d.backend);
      continue;
    }
    if (!d.backend || slot > kLastSlot) continue;
    auto blk = std::make_unique<devices::VirtioBlk>(links_.mmu, *d.backend);
    p.bus().attach(slot++, 0, *blk);
    attach(*blk, {});
    storage_->virtio_.push_back(std::move(blk));
  }
}

}  // namespace kestrel::machine
