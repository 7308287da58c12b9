// SPDX-License-Identifier: MIT
// The option table and its parsers. Each option is one row: its name, what
// its argument looks like, and the function that applies it.
#include "frontend/options.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "frontend/version.h"

namespace kestrel::frontend {
namespace {

using Problem = std::optional<std::string>;
using Apply = Problem (*)(Options&, std::string_view arg);

struct OptionSpec {
  std::string_view name;
  std::string_view arg;  ///< what the argument looks like; empty for flags
  Apply apply;
};

Problem apply_ram(Options& o, std::string_view arg) { return parse_ram_size(arg, o.ram_bytes); }

Problem apply_bios(Options& o, std::string_view arg) {
  if (arg.empty()) return "empty file name";
  o.bios = arg;
  return std::nullopt;
}

Problem apply_cpu(Options& o, std::string_view arg) {
  if (arg == "help") {
    o.action = Action::kListCpus;
    return std::nullopt;
  }
  const cpu::CpuModel* m = cpu::find_cpu_model(arg);
  if (!m) return "unknown CPU model (-cpu help lists them)";
  o.cpu = m;
  return std::nullopt;
}

Problem apply_serial(Options& o, std::string_view arg) {
  constexpr std::string_view kFile = "file:";
  if (arg == "stdio") {
    o.serial = SerialBackend::kStdio;
  } else if (arg == "none" || arg == "null") {
    o.serial = SerialBackend::kNone;
  } else if (arg.starts_with(kFile)) {
    if (arg.size() == kFile.size()) return "file: needs a path (file:PATH)";
    o.serial = SerialBackend::kFile;
    o.serial_path = arg.substr(kFile.size());
  } else {
    return "unsupported serial backend (use stdio, none or file:PATH)";
  }
  return std::nullopt;
}

Problem apply_nographic(Options& o, std::string_view) {
  o.nographic = true;
  return std::nullopt;
}

Problem apply_no_reboot(Options& o, std::string_view) {
  o.no_reboot = true;
  return std::nullopt;
}

Problem apply_help(Options& o, std::string_view) {
  o.action = Action::kHelp;
  return std::nullopt;
}

Problem apply_version(Options& o, std::string_view) {
  o.action = Action::kVersion;
  return std::nullopt;
}

constexpr std::array kOptions = {
    OptionSpec{"m", "SIZE", apply_ram},
    OptionSpec{"bios", "FILE", apply_bios},
    OptionSpec{"cpu", "NAME", apply_cpu},
    OptionSpec{"nographic", "", apply_nographic},
    OptionSpec{"serial", "DEV", apply_serial},
    OptionSpec{"no-reboot", "", apply_no_reboot},
    OptionSpec{"h", "", apply_help},
    OptionSpec{"help", "", apply_help},
    OptionSpec{"version", "", apply_version},
};

const OptionSpec* find_option(std::string_view word) {
  if (word.size() < 2 || word[0] != '-') return nullptr;
  const std::string_view name = word.substr(word.starts_with("--") ? 2 : 1);
  for (const OptionSpec& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

/// log2 of the unit a size suffix stands for, or -1.
int suffix_shift(char c) {
  switch (c) {
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    case 't': case 'T': return 40;
    default: return -1;
  }
}

}  // namespace

std::optional<std::string> parse_ram_size(std::string_view text, uint64_t& bytes) {
  const std::string_view kNotASize =
      "not a size (expected a whole number with an optional K, M, G or T suffix, e.g. 512M)";
  if (text.starts_with("size=")) text.remove_prefix(5);
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, value);
  if (p == text.data()) return std::string(kNotASize);
  int shift = 20;  // QEMU: a bare number is in MiB
  if (p != end) {
    shift = suffix_shift(*p);
    if (shift < 0 || p + 1 != end) return std::string(kNotASize);
  }
  if (ec == std::errc::result_out_of_range || value > (kMaxRamBytes >> shift)) {
    return "RAM size must be at most 1T";
  }
  if ((value << shift) < kMinRamBytes) return "RAM size must be at least 1M";
  bytes = value << shift;
  return std::nullopt;
}

ParseResult parse_options(std::span<const std::string_view> args) {
  ParseResult r;
  for (size_t i = 0; i < args.size() && r.options.action == Action::kRun; ++i) {
    const std::string_view word = args[i];
    if (word.empty() || word[0] != '-') {
      r.error = Error{std::string(word), "unexpected argument (disk images are not supported yet)"};
      return r;
    }
    const OptionSpec* spec = find_option(word);
    if (!spec) {
      r.error = Error{std::string(word), "unknown option (see kestrel --help)"};
      return r;
    }
    std::string_view arg;
    if (!spec->arg.empty()) {
      if (i + 1 == args.size()) {
        r.error = Error{std::string(word), "missing argument " + std::string(spec->arg)};
        return r;
      }
      arg = args[++i];
    }
    if (Problem why = spec->apply(r.options, arg)) {
      r.error = Error{std::string(word) + " " + std::string(arg), *why};
      return r;
    }
  }
  return r;
}

std::string help_text() {
  return R"(Usage: kestrel [options]
Kestrel, a full-system x86 PC emulator.

Options:
  -m SIZE         guest RAM: a whole number with an optional K, M, G or T
                  suffix (no suffix means MiB); default 128M, from 1M to 1T
  -bios FILE      firmware ROM image, up to 16 MiB; it ends at the reset
                  vector and its last 128 KiB also fill 0xE0000-0xFFFFF
  -cpu NAME       CPU model (default max); -cpu help lists the models
  -nographic      run without a display window (there is no display yet)
  -serial DEV     serial backend: stdio, none or file:PATH (no UART yet)
  -no-reboot      exit instead of rebooting when the guest shuts down
  -h, --help      print this help and exit
  --version       print the version and exit

Debug ports for guests: bytes written to port 0xE9 go to standard output;
writing V to port 0xF4 ends Kestrel with exit status (V << 1) | 1.
)";
}

std::string version_text() { return "kestrel " + std::string(kVersion) + "\n"; }

std::string cpu_list_text() {
  std::string out = "Available CPU models (-cpu NAME):\n";
  for (const cpu::CpuModel& m : cpu::cpu_models()) {
    std::string name(m.name);
    name.resize(std::max<size_t>(name.size(), 8), ' ');
    out += "  " + name + "  " + std::string(m.description) + "\n";
  }
  return out;
}

}  // namespace kestrel::frontend
