// SPDX-License-Identifier: MIT
// The option table and its parsers. Each option is one row: its name, what
// its argument looks like, and the function that applies it.
#include "frontend/options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include "frontend/option_table.h"
#include "frontend/version.h"
#include "machine/clock.h"
#include "machine/engines.h"

namespace kestrel::frontend {
namespace {

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
  if (o.serial.size() == kMaxSerialPorts) return "too many serial ports (COM1-COM4 at most)";
  SerialSpec spec;
  spec.arg = arg;
  if (arg == "stdio" || arg == "mon:stdio") {
    spec.kind = SerialBackend::kStdio;
    // QEMU's mon:stdio multiplexes the console and turns off Ctrl-C's signal.
    spec.escape_keys = arg == "mon:stdio";
    for (const SerialSpec& other : o.serial) {
      if (other.kind == SerialBackend::kStdio) return "stdio is already used by another serial port";
    }
  } else if (arg == "none" || arg == "null") {
    spec.kind = SerialBackend::kNone;
  } else if (arg.starts_with(kFile)) {
    if (arg.size() == kFile.size()) return "file: needs a path (file:PATH)";
    spec.kind = SerialBackend::kFile;
    spec.path = arg.substr(kFile.size());
  } else {
    return "unsupported serial backend (use stdio, mon:stdio, file:PATH, null or none)";
  }
  o.serial.push_back(std::move(spec));
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

Problem apply_icount(Options& o, std::string_view arg) {
  unsigned shift = 0;
  if (Problem why = parse_icount(arg, shift)) return why;
  o.icount_shift = shift;
  return std::nullopt;
}

Problem apply_kernel(Options& o, std::string_view arg) {
  if (arg.empty()) return "empty file name";
  o.kernel = arg;
  return std::nullopt;
}

Problem apply_initrd(Options& o, std::string_view arg) {
  if (arg.empty()) return "empty file name";
  o.initrd = arg;
  return std::nullopt;
}

Problem apply_append(Options& o, std::string_view arg) {
  o.append = arg;
  return std::nullopt;
}

Problem apply_accel(Options& o, std::string_view arg) {
  // QEMU's names for the software engines are accepted as the JIT.
  if (arg == "interp") o.accel = machine::Accel::kInterp;
  else if (arg == "jit" || arg == "tcg") o.accel = machine::Accel::kJit;
  else if (arg == "jit,lockstep=on") o.accel = machine::Accel::kJitLockstep;
  else return "unknown accelerator (use jit or interp)";
  return machine::accel_problem(*o.accel);
}

Problem apply_stats(Options& o, std::string_view) {
  o.stats = true;
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
    OptionSpec{"accel", "NAME", apply_accel},
    OptionSpec{"m", "SIZE", apply_ram},
    OptionSpec{"bios", "FILE", apply_bios},
    OptionSpec{"cpu", "NAME", apply_cpu},
    OptionSpec{"nographic", "", apply_nographic},
    OptionSpec{"serial", "DEV", apply_serial},
    OptionSpec{"no-reboot", "", apply_no_reboot},
    OptionSpec{"icount", "SHIFT", apply_icount},
    OptionSpec{"stats", "", apply_stats},
    OptionSpec{"kernel", "FILE", apply_kernel},
    OptionSpec{"initrd", "FILE", apply_initrd},
    OptionSpec{"append", "CMDLINE", apply_append},
    OptionSpec{"h", "", apply_help},
    OptionSpec{"help", "", apply_help},
    OptionSpec{"version", "", apply_version},
};

using AreaTable = std::span<const OptionSpec> (*)();
constexpr std::array<AreaTable, 6> kAreas = {firmware_options, storage_options, video_options,
                                             ui_options, net_options, debug_options};

const OptionSpec* find_option(std::string_view word) {
  if (word.size() < 2 || word[0] != '-') return nullptr;
  const std::string_view name = word.substr(word.starts_with("--") ? 2 : 1);
  for (const OptionSpec& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  for (AreaTable area : kAreas) {
    for (const OptionSpec& spec : area()) {
      if (spec.name == name) return &spec;
    }
  }
  return nullptr;
}

/// The --help lines of the areas' options, in the layout of the rest.
std::string area_help() {
  constexpr size_t kColumn = 18;  // where the other options' help text starts
  std::string out;
  for (AreaTable area : kAreas) {
    for (const OptionSpec& spec : area()) {
      if (spec.help.empty()) continue;
      const size_t line_start = out.size();
      out.append("  -").append(spec.name);
      if (!spec.arg.empty()) out.append(" ").append(spec.arg);
      if (out.size() - line_start < kColumn) out.append(kColumn - (out.size() - line_start), ' ');
      else out.append("\n").append(kColumn, ' ');
      for (char c : spec.help) {
        out.push_back(c);
        if (c == '\n') out.append(kColumn, ' ');
      }
      out.push_back('\n');
    }
  }
  return out;
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

std::optional<std::string> parse_icount(std::string_view text, unsigned& shift) {
  const std::string kBad =
      "expected SHIFT (0-" + std::to_string(machine::kMaxIcountShift) +
      "), auto, or shift=SHIFT|auto[,sleep=on|off]";
  bool have_shift = false;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.starts_with("sleep=")) {
      // The idle CPU always waits for real time or input; both are accepted.
      if (item != "sleep=on" && item != "sleep=off") return kBad;
      continue;
    }
    if (item.starts_with("shift=")) item.remove_prefix(6);
    if (have_shift || item.empty()) return kBad;
    have_shift = true;
    if (item == "auto") {
      // QEMU adapts the shift to the host's speed; a fixed one keeps runs
      // reproducible.
      shift = machine::kAutoIcountShift;
      continue;
    }
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc{} || p != item.data() + item.size() || v > machine::kMaxIcountShift) {
      return kBad;
    }
    shift = v;
  }
  if (!have_shift) return kBad;
  return std::nullopt;
}

std::array<SerialSpec, kMaxSerialPorts> Options::serial_ports() const {
  std::array<SerialSpec, kMaxSerialPorts> ports;
  if (serial.empty() && nographic) {
    ports[0] = SerialSpec{SerialBackend::kStdio, "", true, "mon:stdio"};
  }
  for (size_t i = 0; i < serial.size() && i < kMaxSerialPorts; ++i) ports[i] = serial[i];
  return ports;
}

ParseResult parse_options(std::span<const std::string_view> args) {
  ParseResult r;
  for (size_t i = 0; i < args.size() && r.options.action == Action::kRun; ++i) {
    const std::string_view word = args[i];
    if (word.empty() || word[0] != '-') {
      if (Problem why = apply_positional(r.options, word)) {
        r.error = Error{std::string(word), *why};
        return r;
      }
      continue;
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
  std::string text = R"(Usage: kestrel [options]
Kestrel, a full-system x86 PC emulator.

Options:
  -m SIZE         guest RAM: a whole number with an optional K, M, G or T
                  suffix (no suffix means MiB); default 128M, from 1M to 1T
  -bios FILE      firmware ROM image, up to 16 MiB; it ends at the reset
                  vector and its last 128 KiB also fill 0xE0000-0xFFFFF
  -cpu NAME       CPU model (default max); -cpu help lists the models
  -kernel FILE    boot a Linux bzImage or a Multiboot kernel directly, with
                  no firmware (as QEMU's -kernel)
  -initrd FILE    initramfs for -kernel (a Multiboot kernel gets it as module 0)
  -append TEXT    the kernel command line
  -nographic      no display window; the serial console is on the terminal
                  (Ctrl-A H lists the escape keys, Ctrl-A X quits)
  -serial DEV     host end of the next serial port, COM1 to COM4: stdio,
                  mon:stdio (stdio with the Ctrl-A keys), file:PATH, null
                  or none; without it -nographic puts COM1 on mon:stdio
  -no-reboot      exit instead of rebooting when the guest shuts down or resets
  -icount SHIFT   deterministic time: each instruction takes 2^SHIFT ns of
                  virtual time (SHIFT 0-10, or auto = 3); the same inputs
                  then give the same run
  -accel NAME     execution engine: jit (the default where the host has a
                  JIT backend) or interp (the interpreter)
  -stats          at exit, print the instructions run and the engine's speed
                  (MIPS over the host time spent running, idle time excluded)
)";
  text += area_help();
  text += R"(  -h, --help      print this help and exit
  --version       print the version and exit

Debug ports for guests: bytes written to port 0xE9 go to standard output;
writing V to port 0xF4 ends Kestrel with exit status (V << 1) | 1.
)";
  return text;
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
