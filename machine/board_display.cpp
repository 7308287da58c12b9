// SPDX-License-Identifier: MIT
// Wiring of the board's display section (machine/board_display.h): the VGA
// ports (0x3B0-0x3DF, VBE 0x1CE-0x1D0), its window at 0xA0000 and its PCI
// function at 00:02.0, and the refresh timer.
#include "machine/board_display.h"

#include "devices/vga/vga.h"
#include "devices/vga/vga_pci.h"
#include "machine/board.h"
#include "machine/board_pci.h"

namespace kestrel::machine {
namespace {

/// About 60 frames a second of virtual time.
constexpr devices::Nanos kRefreshPeriod = 1'000'000'000 / 60;
constexpr unsigned kVgaSlot = 2;

/// The screen of a board without an adapter: never anything to show.
class NoDisplay final : public devices::DisplaySource {
 public:
  bool render(devices::Frame&, bool) override { return false; }
  std::vector<std::string> text_rows() const override { return {}; }
};

}  // namespace

Display::Display(const DisplayConfig& config, devices::Scheduler& scheduler, devices::PciBus& bus)
    : scheduler_(scheduler),
      refresh_timer_(scheduler.add_timer([this] { refresh(); })),
      text_font_(config.text_font) {
  if (!config.vga) {
    none_ = std::make_unique<NoDisplay>();
    return;
  }
  vga_ = std::make_unique<devices::Vga>(scheduler, config.vram_mib << 20);
  pci_ = std::make_unique<devices::VgaPci>(*vga_, bus.spaces(), config.vga_rom);
  bus.attach(kVgaSlot, 0, *pci_);
}

Display::~Display() = default;

void Display::reset() {
  if (!vga_) return;
  if (!text_font_.empty()) vga_->load_font(text_font_);  // after the adapter's own reset
  if (live_) scheduler_.arm(refresh_timer_, scheduler_.now() + kRefreshPeriod);
}

void Display::set_live(bool live) {
  live_ = live;
  if (!vga_) return;
  vga_->set_live(live);
  if (live) scheduler_.arm(refresh_timer_, scheduler_.now() + kRefreshPeriod);
  else scheduler_.disarm(refresh_timer_);
}

devices::DisplaySource& Display::source() {
  if (vga_) return *vga_;
  return *none_;
}

bool Display::render_now(devices::Frame& out) {
  if (!vga_) return false;
  const bool changed = vga_->dirty();
  vga_->render(out, true);
  if (changed) {  // the refresh timer will not see this change again
    frame_ = out;
    link_.publish(frame_);
  }
  return true;
}

void Display::refresh() {
  if (vga_->render(frame_, false)) link_.publish(frame_);
  if (live_) scheduler_.arm(refresh_timer_, scheduler_.now() + kRefreshPeriod);
}

void Board::wire_display() {
  display_ = std::make_unique<Display>(config_.display, links_.clock, pci_apic_->bus());
  devices::Vga* vga = display_->vga();
  if (!vga) return;
  attach(*vga, {{devices::kVgaPortFirst, devices::kVgaPortCount},
                {devices::kVbeIndexPort, devices::kVbePortCount}});
  links_.mmu.add_mmio(devices::kVgaWindowBase, devices::kVgaWindowSize, *vga);
  attach(*display_, {});
}

}  // namespace kestrel::machine
