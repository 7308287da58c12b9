// SPDX-License-Identifier: MIT
// The kestrel program: parse the command line, load the firmware, build the
// machine, run it, and turn how the guest stopped into an exit status. Every
// failure leaves as one "kestrel: error: <what>: <why>" line and status 1.
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "frontend/chardev.h"
#include "frontend/host_part.h"
#include "frontend/options.h"
#include "jit/engine.h"
#include "machine/engines.h"
#include "machine/direct_boot.h"
#include "machine/machine.h"

namespace kestrel::frontend {
namespace {

constexpr int kFailure = 1;

int fail(const Error& e) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", e.message().c_str());
  return kFailure;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

/// Reads the firmware image, refusing more than the machine can map without
/// reading further (the path may name an endless device).
std::optional<Error> read_firmware(const std::string& path, std::vector<uint8_t>& image) {
  const std::string what = "-bios " + path;
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Error{what, std::strerror(errno)};
  image.resize(machine::kMaxFirmwareSize + 1);
  const size_t n = std::fread(image.data(), 1, image.size(), f.get());
  if (std::ferror(f.get())) return Error{what, std::strerror(errno)};
  image.resize(n);
  if (auto why = machine::firmware_size_problem(n)) return Error{what, *why};
  return std::nullopt;
}

/// The host ends of COM1-COM4, in the order of the -serial options. They
/// are made before the machine, as QEMU does, so a file that cannot be
/// created is reported before the guest runs; the machine only borrows them.
static_assert(kMaxSerialPorts == machine::kSerialPorts);
using SerialBackends = std::array<std::unique_ptr<devices::CharBackend>, kMaxSerialPorts>;

std::optional<Error> open_serial(const Options& o, SerialBackends& backends) {
  const std::array<SerialSpec, kMaxSerialPorts> ports = o.serial_ports();
  for (unsigned i = 0; i < kMaxSerialPorts; ++i) {
    const SerialSpec& port = ports[i];
    switch (port.kind) {
      case SerialBackend::kNone:
        break;  // the UART is there, with nothing on the other end
      case SerialBackend::kStdio:
        backends[i] = std::make_unique<StdioBackend>(port.escape_keys);
        break;
      case SerialBackend::kFile: {
        std::string why;
        backends[i] = FileBackend::open(port.path, why);
        if (!backends[i]) return Error{"-serial " + port.arg, why};
        break;
      }
    }
  }
  return std::nullopt;
}

std::string where(const machine::RunResult& r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04X:%04llX", unsigned(r.cs),
                static_cast<unsigned long long>(r.ip));
  return buf;
}

int report(const machine::RunResult& r) {
  std::fflush(stdout);
  switch (r.outcome) {
    case machine::Outcome::kGuestExit:
      return devices::DebugExit::exit_status(r.exit_value);
    case machine::Outcome::kShutdown:
      std::fprintf(stderr, "kestrel: guest shut down (triple fault); -no-reboot: exiting\n");
      return 0;
    case machine::Outcome::kReset:
      std::fprintf(stderr, "kestrel: guest reset the machine; -no-reboot: exiting\n");
      return 0;
    case machine::Outcome::kPowerOff:
      return 0;  // ACPI S5: the guest powered the machine off
    case machine::Outcome::kQuit:
      return 0;  // the monitor's quit, Ctrl-A X, the window closed
    case machine::Outcome::kHalted:
      break;
  }
  return fail(Error{"guest halted",
                    "HLT at " + where(r) +
                        (r.interrupts_enabled
                             ? " with no timer armed and no input connected: nothing can wake the CPU"
                             : " with interrupts disabled: nothing can wake the CPU")});
}

void print_stats(const machine::Machine& m) {
  const machine::Machine::Stats& st = m.stats();
  const double seconds = double(st.busy_ns) / 1e9;
  std::fflush(stdout);
  std::fprintf(stderr,
               "kestrel: stats: %llu instructions in %.3f s of engine time: %.1f MIPS, %llu slices\n",
               static_cast<unsigned long long>(st.instructions), seconds,
               seconds > 0 ? double(st.instructions) / seconds / 1e6 : 0.0,
               static_cast<unsigned long long>(st.slices));
}

/// The JIT's counters (-accel jit): how much ran translated and how often
/// an indirect exit found its block without the dispatcher.
void print_jit_stats(machine::Machine& m) {
  const auto* jit = dynamic_cast<const jit::JitEngine*>(&m.engine());
  if (!jit) return;
  const jit::JitEngine::Stats& s = jit->stats();
  const auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(stderr,
               "kestrel: stats: jit: %llu blocks compiled, %llu invalidated, %llu run interpreted "
               "before, %llu entered from the dispatcher (%llu found in the jump cache, %llu "
               "filled in it, %llu of them global), %llu links, %llu instructions interpreted, "
               "%llu indirect exits chained (%llu by the inline probe), %llu code cache flushes\n",
               n(s.blocks_compiled), n(s.blocks_invalidated), n(s.cold_runs), n(s.blocks_run),
               n(s.jump_cache_hits), n(s.jump_cache_fills), n(s.jump_cache_global), n(s.links),
               n(s.interp_steps), n(s.chained_indirect), n(s.chained_inline), n(s.cache_flushes));
}

int run(const Options& o) {
  if (o.kernel.empty() && !o.initrd.empty()) return fail(Error{"-initrd", "needs -kernel"});
  if (o.kernel.empty() && !o.append.empty()) return fail(Error{"-append", "needs -kernel"});
  machine::MachineConfig config;
  if (!o.bios.empty()) {
    if (auto e = read_firmware(o.bios, config.firmware)) return fail(*e);
  }
  config.kernel = o.kernel;
  config.initrd = o.initrd;
  config.append = o.append;
  SerialBackends serial;
  if (auto e = open_serial(o, serial)) return fail(*e);
  for (unsigned i = 0; i < kMaxSerialPorts; ++i) config.serial[i] = serial[i].get();
  config.ram_bytes = o.ram_bytes;
  config.cpu_model = o.cpu;
  config.no_reboot = o.no_reboot;
  config.accel = o.accel.value_or(machine::default_accel());
  if (o.icount_shift) {
    config.clock.mode = machine::ClockMode::kInstructions;
    config.clock.icount_shift = *o.icount_shift;
  }
  // The firmware part comes first: it decides between -bios, -kernel and
  // the default SeaBIOS; the UI part last, as it runs the machine.
  std::unique_ptr<UiPart> ui = make_ui_part();
  std::vector<std::unique_ptr<HostPart>> parts;
  parts.push_back(make_firmware_part());
  parts.push_back(make_storage_part());
  parts.push_back(make_video_part());
  parts.push_back(make_net_part());
  parts.push_back(make_debug_part());
  for (auto& p : parts) {
    if (auto e = p->configure(o, config)) return fail(*e);
  }
  if (auto e = ui->configure(o, config)) return fail(*e);
  if (config.firmware.empty() && config.kernel.empty()) {
    return fail(Error{"no firmware",
                      "give a ROM image with -bios FILE or a kernel with -kernel FILE"});
  }
  std::unique_ptr<machine::Machine> m;
  try {
    m = std::make_unique<machine::Machine>(config);
  } catch (const std::bad_alloc&) {
    return fail(Error{"-m", "cannot allocate " + std::to_string(o.ram_bytes >> 20) +
                                " MiB of guest RAM"});
  } catch (const machine::BootError& e) {
    return fail(Error{e.subject(), e.reason()});
  }
  for (auto& p : parts) {
    if (auto e = p->attach(*m)) return fail(*e);
  }
  if (auto e = ui->attach(*m)) return fail(*e);
  machine::RunResult result;
  try {
    result = ui->run(*m);
  } catch (const QuitRequest&) {
    result = machine::RunResult{machine::Outcome::kQuit};  // Ctrl-A X, as QEMU's quit
  }
  for (auto& p : parts) p->finish(*m, result);
  ui->finish(*m, result);
  if (o.stats) {
    print_stats(*m);
    print_jit_stats(*m);
  }
  return report(result);
}

int main_impl(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const ParseResult parsed = parse_options(args);
  if (parsed.error) return fail(*parsed.error);
  switch (parsed.options.action) {
    case Action::kHelp:
      std::fputs(help_text().c_str(), stdout);
      return 0;
    case Action::kVersion:
      std::fputs(version_text().c_str(), stdout);
      return 0;
    case Action::kListCpus:
      std::fputs(cpu_list_text().c_str(), stdout);
      return 0;
    case Action::kRun:
      break;
  }
  return run(parsed.options);
}

}  // namespace
}  // namespace kestrel::frontend

int main(int argc, char** argv) {
  // A guest can never abort the host: whatever escapes still ends as one line.
  try {
    return kestrel::frontend::main_impl(argc, argv);
  } catch (const std::exception& e) {
    return kestrel::frontend::fail({"internal error", e.what()});
  }
}
