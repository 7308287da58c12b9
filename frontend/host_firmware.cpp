// SPDX-License-Identifier: MIT
// The firmware part of a run's host side (frontend/host_part.h): with
// neither -bios nor -kernel the machine boots Debian's SeaBIOS with the VGA
// BIOS as an option ROM; -bios FILE (read by main.cpp) replaces SeaBIOS;
// -kernel boots without firmware. Also the host ends of the debug ports
// (0xE9, 0x402) and the -boot settings.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "frontend/host_part.h"

namespace kestrel::frontend {
namespace {

/// Where Debian's seabios package installs its images.
constexpr std::string_view kSeabiosDir = "/usr/share/seabios";
constexpr std::string_view kBiosImage = "bios-256k.bin";
constexpr std::string_view kVgaBiosImage = "vgabios-stdvga.bin";

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

/// An option ROM's size byte counts at most 255 blocks of 512 bytes.
constexpr uint64_t kMaxOptionRom = 255 * 512;

/// Reads `path` whole, refusing more than `limit` bytes without reading
/// further (the path may name an endless device); the reason when it
/// cannot.
std::optional<std::string> read_file(const std::string& path, uint64_t limit,
                                     std::vector<uint8_t>& out) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return std::string(std::strerror(errno));
  out.resize(limit + 1);
  const size_t n = std::fread(out.data(), 1, out.size(), f.get());
  if (std::ferror(f.get())) return std::string(std::strerror(errno));
  out.resize(n);
  if (n == 0) return std::string("the image is empty");
  if (n > limit) return "the image is larger than " + std::to_string(limit) + " bytes";
  return std::nullopt;
}

class FirmwarePart final : public HostPart {
 public:
  std::optional<Error> configure(const Options& o, machine::MachineConfig& config) override {
    const FirmwareOptions& fo = o.firmware;
    if (auto e = load_firmware(fo, config)) return e;
    config.fw.boot_order = fo.boot_order;
    config.fw.boot_menu = fo.boot_menu;
    config.fw.reboot_timeout_ms = fo.reboot_timeout_ms;
    config.fw.serial_console = o.nographic || o.ui.display == DisplayKind::kNone;
    if (auto e = open_port("-debugcon", fo.debugcon, stdout, debugcon_, config.debug_console)) {
      return e;
    }
    return open_port("-firmware-log", fo.firmware_log, nullptr, firmware_log_, config.fw.log);
  }

 private:
  std::optional<Error> load_firmware(const FirmwareOptions& fo, machine::MachineConfig& config) {
    if (!config.kernel.empty()) return std::nullopt;  // direct boot, no firmware
    const std::string dir = fo.firmware_dir.empty() ? std::string(kSeabiosDir) : fo.firmware_dir;
    if (config.firmware.empty()) {
      const std::string path = dir + "/" + std::string(kBiosImage);
      if (auto why = read_file(path, machine::kMaxFirmwareSize, config.firmware)) {
        config.firmware.clear();
        return Error{"no firmware", path + ": " + *why +
                                        " (install Debian's seabios package, or give -bios FILE"
                                        " or -kernel FILE)"};
      }
    }
    // The VGA BIOS is optional: without it the firmware has no video
    // services, and its screen goes to the serial console.
    if (read_file(dir + "/" + std::string(kVgaBiosImage), kMaxOptionRom, config.fw.vga_bios)) {
      config.fw.vga_bios.clear();
    }
    return std::nullopt;
  }

  /// The host end of a debug port: `fallback` by default, nullptr for none
  /// (0xE9 then writes to /dev/null, so the port stays detectable).
  static std::optional<Error> open_port(std::string_view option, const DebugPortSpec& spec,
                                        std::FILE* fallback, File& owned, std::FILE*& out) {
    switch (spec.kind) {
      case DebugPortSpec::kDefault: out = fallback; return std::nullopt;
      case DebugPortSpec::kStdio: out = stdout; return std::nullopt;
      case DebugPortSpec::kNone:
        out = nullptr;
        if (!fallback) return std::nullopt;
        owned.reset(std::fopen("/dev/null", "wb"));
        out = owned.get();
        if (!out) return Error{std::string(option) + " " + spec.arg, std::strerror(errno)};
        return std::nullopt;
      case DebugPortSpec::kFile:
        owned.reset(std::fopen(spec.path.c_str(), "wb"));
        if (!owned) return Error{std::string(option) + " " + spec.arg, std::strerror(errno)};
        out = owned.get();
        return std::nullopt;
    }
    return std::nullopt;
  }

  File debugcon_, firmware_log_;
};

}  // namespace

std::unique_ptr<HostPart> make_firmware_part() { return std::make_unique<FirmwarePart>(); }

}  // namespace kestrel::frontend
