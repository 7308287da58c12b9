// SPDX-License-Identifier: MIT
// The board's display part. The VGA adapter with the Bochs VBE extensions
// (PCI 00:02.0), the refresh timer that renders it about 60 times a second
// of virtual time when something changed, and the link that hands its
// frames to the frontend.
#pragma once

#include <memory>
#include <vector>

#include "devices/device.h"
#include "devices/display.h"
#include "devices/pci.h"
#include "devices/scheduler.h"
#include "machine/display_config.h"
#include "machine/display_link.h"

namespace kestrel::devices {
class Vga;
class VgaPci;
}  // namespace kestrel::devices

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one. As a
/// Device it only restarts the refresh timer at reset.
class Display final : public devices::Device {
 public:
  Display(const DisplayConfig& config, devices::Scheduler& scheduler, devices::PciBus& bus);
  ~Display() override;
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;

  void reset() override;
  /// Frames for the frontend's thread.
  DisplayLink& link() { return link_; }
  /// The adapter's screen; with -vga none a source that never renders.
  devices::DisplaySource& source();
  /// Machine thread: renders the screen now into `out` (the monitor's
  /// screendump, screenshots); false with -vga none.
  bool render_now(devices::Frame& out);
  /// A window shows the frames: the refresh and blink timers run (only
  /// then, so a headless machine arms no display timer).
  void set_live(bool live);
  /// The adapter, or nullptr with -vga none.
  devices::Vga* vga() { return vga_.get(); }
  devices::VgaPci* vga_pci() { return pci_.get(); }

 private:
  void refresh();

  devices::Scheduler& scheduler_;
  devices::Scheduler::TimerId refresh_timer_;
  std::unique_ptr<devices::Vga> vga_;
  std::unique_ptr<devices::VgaPci> pci_;
  std::unique_ptr<devices::DisplaySource> none_;
  std::vector<uint8_t> text_font_;
  devices::Frame frame_;
  DisplayLink link_;
  bool live_ = false;
};

}  // namespace kestrel::machine
