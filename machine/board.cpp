// SPDX-License-Identifier: MIT
// Wiring the PC board: each section creates its devices, routes their ports
// and memory windows, and connects their interrupt lines. Parts too large
// for this file keep their wiring in a file of their own (board_pci.cpp...)
// called from their section here.
#include "machine/board.h"

#include <algorithm>
#include <ctime>

#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/system_ports.h"
#include "devices/uart.h"
#include "machine/board_display.h"
#include "machine/board_firmware.h"
#include "machine/board_net.h"
#include "machine/board_pci.h"
#include "machine/board_storage.h"
#include "machine/direct_boot.h"

namespace kestrel::machine {
namespace {

constexpr uint16_t kComPorts[kSerialPorts] = {devices::kCom1Port, devices::kCom2Port,
                                              devices::kCom3Port, devices::kCom4Port};
/// COM1/COM3 on IRQ 4, COM2/COM4 on IRQ 3, as every PC BIOS sets them.
constexpr unsigned kComIrqs[kSerialPorts] = {4, 3, 4, 3};
constexpr unsigned kIrqPit = 0, kIrqKeyboard = 1, kIrqRtc = 8, kIrqMouse = 12, kIrqFpu = 13;
/// RAM below 4 GiB ends here on QEMU's 'pc' machine; the rest goes above 4 GiB.
constexpr uint64_t kLowRamLimit = 0xe0000000;
/// The time of day an -icount run starts from: 2024-01-01 00:00:00 UTC.
constexpr int64_t kDeterministicEpoch = 1704067200;

void set_cmos16(devices::Rtc& rtc, uint8_t lo, uint64_t value) {
  rtc.set_cmos(lo, uint8_t(value));
  rtc.set_cmos(lo + 1u, uint8_t(value >> 8));
}

/// The CMOS bytes a BIOS and Linux read for the memory size and equipment
/// (the layout QEMU's pc_cmos_init gives them).
void fill_cmos(devices::Rtc& rtc, uint64_t ram_bytes) {
  const uint64_t below4g = std::min(ram_bytes, kLowRamLimit);
  const uint64_t above4g = ram_bytes - below4g;
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;
  set_cmos16(rtc, devices::kCmosBaseMemLo, 640);
  const uint64_t ext_kib = below4g > kMiB ? std::min<uint64_t>((below4g - kMiB) / kKiB, 0xffff) : 0;
  set_cmos16(rtc, devices::kCmosExtMemLo, ext_kib);
  set_cmos16(rtc, devices::kCmosExtMem2Lo, ext_kib);
  const uint64_t above16m = below4g > 16 * kMiB
                                ? std::min<uint64_t>((below4g - 16 * kMiB) / (64 * kKiB), 0xffff)
                                : 0;
  set_cmos16(rtc, devices::kCmosMem16MLo, above16m);
  const uint64_t high = above4g / (64 * kKiB);
  rtc.set_cmos(devices::kCmosHighMemLo, uint8_t(high));
  rtc.set_cmos(devices::kCmosHighMemMid, uint8_t(high >> 8));
  rtc.set_cmos(devices::kCmosHighMemHi, uint8_t(high >> 16));
  // Equipment: math coprocessor (bit 1) and PS/2 mouse (bit 2), no floppy.
  rtc.set_cmos(devices::kCmosEquipment, 0x06);
  rtc.set_cmos(0x5f, 0);  // processors - 1, read by SeaBIOS
}

}  // namespace

Board::Board(const MachineConfig& config, const BoardLinks& links)
    : config_(config), links_(links) {
  wire_isa();
  wire_pci_apic();
  wire_display();
  wire_storage();
  wire_network();
  wire_acpi_firmware();
  wire_firmware();
}

Board::~Board() = default;

void Board::attach(devices::Device& d, std::initializer_list<std::pair<uint16_t, unsigned>> ports) {
  for (const auto& [first, count] : ports) links_.io.claim(first, count, d);
  devices_.push_back(&d);
}

void Board::reset() {
  for (devices::Device* d : devices_) d->reset();
  after_reset_isa();
  after_reset_firmware();
}

void Board::poll_input() {
  const auto now = std::chrono::steady_clock::now();
  if (serial_flowing_ || now >= next_serial_poll_) {
    serial_flowing_ = false;
    for (auto& u : uarts_) {
      if (u && u->poll_input()) serial_flowing_ = true;
    }
    next_serial_poll_ = now + kSerialPollPeriod;
  }
  poll_network();
}

void Board::raise_ferr() { system_ports_->raise_fpu_error(); }

uint8_t Board::post_code() const { return system_ports_->post_code(); }

// ---- ISA -------------------------------------------------------------------

void Board::wire_isa() {
  pic_ = std::make_unique<devices::Pic>();
  attach(*pic_, {{devices::kPicMasterPort, 2}, {devices::kPicSlavePort, 2}, {devices::kElcrPort, 2}});
  pic_->intr.connect(links_.cpu_pins, kCpuIntr);
  interrupt_source_ = pic_.get();

  pit_ = std::make_unique<devices::Pit>(links_.clock);
  attach(*pit_, {{devices::kPitPort, 4}, {devices::kPortB, 1}});

  rtc_ = std::make_unique<devices::Rtc>(links_.clock);
  attach(*rtc_, {{devices::kRtcPort, 2}});
  const int64_t now = config_.rtc_time ? *config_.rtc_time
                      : links_.clock.deterministic() ? kDeterministicEpoch
                                                     : int64_t(std::time(nullptr));
  rtc_->set_time(now);
  fill_cmos(*rtc_, config_.ram_bytes);

  i8042_ = std::make_unique<devices::I8042>();
  attach(*i8042_, {{devices::kI8042DataPort, 1}, {devices::kI8042CommandPort, 1}});
  i8042_->on_a20 = [this](bool) { update_a20(); };
  i8042_->on_reset = links_.request_reset;

  system_ports_ = std::make_unique<devices::SystemPorts>();
  attach(*system_ports_, {{devices::kSystemControlPortA, 1},
                          {devices::kPostPort, 1},
                          {devices::kFpuErrorPort, 1}});
  system_ports_->on_a20 = [this](bool) { update_a20(); };
  system_ports_->on_reset = links_.request_reset;

  for (unsigned i = 0; i < kSerialPorts; ++i) {
    uarts_[i] = std::make_unique<devices::Uart16550>(links_.clock, config_.serial[i],
                                                     devices::Uart16550::TxTiming::kInstant);
    attach(*uarts_[i], {{kComPorts[i], devices::kUartPortCount}});
  }
}

void Board::connect_isa_irqs(devices::IrqSink& isa) {
  pit_->irq0.connect(isa, kIrqPit);
  rtc_->irq.connect(isa, kIrqRtc);
  i8042_->kbd_irq.connect(isa, kIrqKeyboard);
  i8042_->mouse_irq.connect(isa, kIrqMouse);
  system_ports_->fpu_irq.connect(isa, kIrqFpu);
  for (unsigned i = 0; i < kSerialPorts; ++i) uarts_[i]->irq.connect(isa, kComIrqs[i]);
}

/// The A20 gate is open when either the 8042's output port or port 0x92
/// opens it (they are ORed on the board, as on every AT-compatible).
void Board::update_a20() { links_.mmu.set_a20(i8042_->a20() || system_ports_->a20()); }

void Board::after_reset_isa() { update_a20(); }

// ---- PCI and APIC ------------------------------------------------------------

// wire_pci_apic() is in board_pci.cpp.

// ---- ACPI and firmware tables ------------------------------------------------

// wire_acpi_firmware() and after_reset_firmware() are in board_acpi.cpp.

}  // namespace kestrel::machine
