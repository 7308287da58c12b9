// SPDX-License-Identifier: MIT
// The command line: QEMU-style options parsed into Options, and every way
// they can be wrong as an Error ("kestrel: error: <what>: <why>"). Parsing
// touches no files; main.cpp opens them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cpu/model.h"

namespace kestrel::frontend {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kDefaultRamBytes = 128 * kMiB;
inline constexpr uint64_t kMinRamBytes = kMiB;
inline constexpr uint64_t kMaxRamBytes = uint64_t{1} << 40;

enum class Action : uint8_t { kRun, kHelp, kVersion, kListCpus };
enum class SerialBackend : uint8_t { kNone, kStdio, kFile };

struct Options {
  Action action = Action::kRun;
  uint64_t ram_bytes = kDefaultRamBytes;
  std::string bios;  ///< firmware image path; empty when -bios was not given
  const cpu::CpuModel* cpu = &cpu::default_cpu_model();
  bool nographic = false;
  /// -serial as given; without it, stdio under -nographic and none otherwise (as QEMU).
  std::optional<SerialBackend> serial;
  std::string serial_path;  ///< for SerialBackend::kFile
  bool no_reboot = false;

  SerialBackend effective_serial() const {
    return serial.value_or(nographic ? SerialBackend::kStdio : SerialBackend::kNone);
  }
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

std::string help_text();
std::string version_text();
std::string cpu_list_text();

}  // namespace kestrel::frontend
