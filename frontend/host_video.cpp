// SPDX-License-Identifier: MIT
// The video part of a run's host side (frontend/host_part.h): -vga, and the
// -screenshot / -screentext captures, taken on the machine thread by a
// HostAgent once their moment of virtual time has come, or at the end.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "frontend/host_part.h"
#include "frontend/screenshot.h"
#include "machine/board_display.h"

namespace kestrel::frontend {
namespace {

constexpr std::string_view kSeabiosDir = "/usr/share/seabios";
constexpr size_t kMaxRom = 256 * 1024;
/// Characters 0 and 1 (blank, smiley) of the IBM VGA 8x16 font: where the
/// font starts inside a VGA BIOS image.
constexpr uint8_t kFontStart[32] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0x7e, 0x81, 0xa5, 0x81, 0x81, 0xbd, 0x99, 0x81, 0x81, 0x7e, 0, 0, 0, 0};

/// A kernel booted with -kernel runs without a BIOS, so nothing loads a
/// font into the adapter: take the 8x16 font of Debian's VGA BIOS image.
/// Empty when the image or its font is not found (the text screen still
/// works, the screenshots show no glyphs).
std::vector<uint8_t> bios_font(const std::string& dir) {
  std::vector<uint8_t> rom(kMaxRom);
  std::FILE* f = std::fopen((dir + "/vgabios-stdvga.bin").c_str(), "rb");
  if (!f) return {};
  rom.resize(std::fread(rom.data(), 1, rom.size(), f));
  std::fclose(f);
  const auto at = std::search(rom.begin(), rom.end(), std::begin(kFontStart), std::end(kFontStart));
  if (rom.end() - at < 4096) return {};
  return std::vector<uint8_t>(at, at + 4096);
}

class VideoPart final : public HostPart, public machine::HostAgent {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig& config) override {
    config.display.vga = o.video.vga;
    // The VGA BIOS the firmware part found goes behind the adapter's ROM
    // BAR, as QEMU's romfile: SeaBIOS then runs it as the PCI device's ROM
    // and tells it its bus address, so it finds the framebuffer BAR (run
    // from fw_cfg's vgaroms/ it would assume 0xE0000000). Taking it from
    // config.fw keeps SeaBIOS from running it a second time from there.
    if (o.video.vga) config.display.vga_rom = std::move(config.fw.vga_bios);
    config.fw.vga_bios.clear();
    if (o.video.vga && !o.kernel.empty()) {
      config.display.text_font = bios_font(o.firmware.firmware_dir.empty()
                                               ? std::string(kSeabiosDir)
                                               : o.firmware.firmware_dir);
    }
    for (const ScreenCapture& c : o.video.captures) {
      if (!o.video.vga) {
        return Error{capture_option(c) + " " + c.arg, "there is no display adapter (-vga none)"};
      }
      // A file that cannot be written is told now, before the guest runs.
      const std::filesystem::path dir = std::filesystem::path(c.path).parent_path();
      std::error_code ec;
      if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
        return Error{capture_option(c) + " " + c.arg, "no directory " + dir.string()};
      }
      pending_.push_back(c);
    }
    return std::nullopt;
  }

  std::optional<Error> attach(machine::Machine& m) override {
    machine_ = &m;
    // Only while captures are due: an agent keeps a halted guest's run going.
    if (!pending_.empty()) m.add_agent(*this);
    return std::nullopt;
  }

  void poll() override {
    const devices::Nanos now = machine_->clock().now();
    bool quit = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->at && *it->at <= now) {
        take(*it);
        quit = quit || it->quit;
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (quit) machine_->request_quit();
  }

  void finish(machine::Machine& m, const machine::RunResult&) override {
    for (const ScreenCapture& c : pending_) take(c);
    pending_.clear();
    m.remove_agent(*this);
  }

 private:
  static std::string capture_option(const ScreenCapture& c) {
    return c.kind == ScreenCapture::kPng ? "-screenshot" : "-screentext";
  }

  void take(const ScreenCapture& c) {
    machine::Display& display = machine_->board().display();
    std::optional<std::string> why;
    if (c.kind == ScreenCapture::kPng) {
      devices::Frame frame;
      display.render_now(frame);
      why = write_png(frame, c.path);
    } else {
      why = write_text(display.source().text_rows(), c.path);
    }
    if (why) {
      std::fprintf(stderr, "kestrel: error: %s %s: %s\n", capture_option(c).c_str(),
                   c.arg.c_str(), why->c_str());
    }
  }

  /// One line per row, code page 437 bytes as in video memory, NULs as
  /// spaces and trailing spaces dropped.
  static std::optional<std::string> write_text(const std::vector<std::string>& rows,
                                               const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return std::string(std::strerror(errno));
    for (std::string row : rows) {
      for (char& ch : row) ch = ch == '\0' ? ' ' : ch;
      row.erase(row.find_last_not_of(' ') + 1);
      row += '\n';
      std::fwrite(row.data(), 1, row.size(), f);
    }
    if (std::fclose(f) != 0) return std::string(std::strerror(errno));
    return std::nullopt;
  }

  machine::Machine* machine_ = nullptr;
  std::vector<ScreenCapture> pending_;
};

}  // namespace

std::unique_ptr<HostPart> make_video_part() { return std::make_unique<VideoPart>(); }

}  // namespace kestrel::frontend
