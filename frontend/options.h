// SPDX-License-Identifier: MIT
// The command line: QEMU-style options parsed into Options, and every way
// they can be wrong as an Error ("kestrel: error: <what>: <why>"). Parsing
// touches no files; main.cpp opens them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/model.h"
#include "frontend/options_debug.h"
#include "frontend/options_firmware.h"
#include "frontend/options_net.h"
#include "frontend/options_storage.h"
#include "frontend/options_ui.h"
#include "frontend/options_video.h"
#include "machine/board.h"

namespace kestrel::frontend {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kDefaultRamBytes = 128 * kMiB;
inline constexpr uint64_t kMinRamBytes = kMiB;
inline constexpr uint64_t kMaxRamBytes = uint64_t{1} << 40;

enum class Action : uint8_t { kRun, kHelp, kVersion, kListCpus };
enum class SerialBackend : uint8_t { kNone, kStdio, kFile };
/// COM1-COM4, as many as QEMU's pc machine takes -serial options for.
inline constexpr unsigned kMaxSerialPorts = 4;

/// One serial port's host end.
struct SerialSpec {
  SerialBackend kind = SerialBackend::kNone;
  std::string path;           ///< for SerialBackend::kFile
  bool escape_keys = false;   ///< kStdio: QEMU's mux (Ctrl-A keys, Ctrl-C to the guest)
  std::string arg;            ///< the -serial argument, for messages
};

struct Options {
  Action action = Action::kRun;
  uint64_t ram_bytes = kDefaultRamBytes;
  std::string bios;  ///< firmware image path; empty when -bios was not given
  const cpu::CpuModel* cpu = &cpu::default_cpu_model();
  bool nographic = false;
  /// The -serial options in order: COM1, COM2, ...
  std::vector<SerialSpec> serial;
  bool no_reboot = false;
  std::string kernel;  ///< -kernel: direct boot of a bzImage or Multiboot kernel
  std::string initrd;  ///< -initrd: the initramfs (Linux) or module (Multiboot)
  std::string append;  ///< -append: the kernel command line
  /// -icount: virtual time from the instruction count, 2^shift ns each.
  std::optional<unsigned> icount_shift;
  /// -stats: print the engine's instruction count and speed at exit.
  bool stats = false;
  /// -accel: the execution engine; nothing: the host's default.
  std::optional<machine::Accel> accel;

  // One part per area, each parsed by its options_<area>.cpp.
  FirmwareOptions firmware;
  StorageOptions storage;
  VideoOptions video;
  UiOptions ui;
  NetOptions net;
  DebugOptions debug;

  /// COM1-COM4's host ends. Without -serial, COM1 is as in QEMU: under
  /// -nographic stdio with the escape keys (QEMU's mon:stdio), else none.
  std::array<SerialSpec, kMaxSerialPorts> serial_ports() const;
};

/// One bad input: printed as "kestrel: error: <what>: <why>".
struct Error {
  std::string what;
  std::string why;
  std::string message() const { return "kestrel: error: " + what + ": " + why; }
};

struct ParseResult {
  Options options;
  std::optional<Error> error;  ///< the first problem found, if any
};

/// Parses the arguments after the program name. As in QEMU, an option may
/// start with one dash or two, and its argument is the next word.
ParseResult parse_options(std::span<const std::string_view> args);

/// Parses a QEMU `-m` size: a whole number with an optional K, M, G or T
/// suffix (no suffix means MiB), optionally written `size=N`. Returns the
/// reason when the text is not a usable RAM size.
std::optional<std::string> parse_ram_size(std::string_view text, uint64_t& bytes);

/// Parses a QEMU `-icount` argument: SHIFT, auto, or shift=SHIFT|auto with
/// an optional sleep=on|off. Returns the reason when it is not usable.
std::optional<std::string> parse_icount(std::string_view text, unsigned& shift);

std::string help_text();
std::string version_text();
std::string cpu_list_text();

}  // namespace kestrel::frontend
