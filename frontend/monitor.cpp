// SPDX-License-Identifier: MIT
// The monitor's commands (frontend/monitor.h): control of the run (stop,
// cont, system_reset, quit), sendkey, screendump and help; everything
// else goes to the shared inspection commands.
#include "frontend/monitor.h"

#include <vector>

#include "devices/i8042.h"
#include "frontend/debug_commands.h"
#include "frontend/keycodes.h"

namespace kestrel::frontend {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string error(const std::string& what) { return "error: " + what + "\n"; }

constexpr std::string_view kHelp =
    "cont|c                 resume the guest\n"
    "help|?                 this list\n"
    "info registers         the CPU's registers\n"
    "info mtree             the physical memory map\n"
    "info pci               the PCI functions\n"
    "info tlb               the page mappings of the current page tables\n"
    "info status            whether the guest runs or is stopped\n"
    "quit|q                 end the run\n"
    "screendump FILE        write the guest's screen to FILE as a PNG\n"
    "sendkey KEYS           press and release keys, e.g. sendkey ctrl-alt-delete\n"
    "stop                   stop the guest\n"
    "system_reset           reset the machine\n"
    "x/FMT ADDR             memory at virtual ADDR; FMT is [count][xduoci][bhwg]\n"
    "xp/FMT ADDR            memory at physical ADDR\n";

}  // namespace

std::string MonitorCommands::help_text() { return std::string(kHelp); }

std::string MonitorCommands::run(std::string_view line) {
  line = trim(line);
  if (line.empty()) return "";
  const size_t end = std::min(line.find_first_of(" \t"), line.size());
  const std::string_view cmd = line.substr(0, end);
  const std::string_view args = trim(line.substr(end));
  const bool bare = args.empty();
  if ((cmd == "help" || cmd == "?") && bare) return help_text();
  if ((cmd == "cont" || cmd == "c") && bare) {
    m_.resume();
    return "";
  }
  if (cmd == "stop" && bare) {
    m_.pause();
    return "";
  }
  if ((cmd == "quit" || cmd == "q") && bare) {
    m_.request_quit();
    return "";
  }
  if (cmd == "system_reset" && bare) {
    m_.system_reset();
    return "";
  }
  if (cmd == "info" && args == "status") {
    return m_.paused() ? "VM status: paused\n" : "VM status: running\n";
  }
  if (cmd == "sendkey") return sendkey(args);
  if (cmd == "screendump") return screendump(args);
  static constexpr std::string_view kBare[] = {"help", "?", "cont", "c", "stop", "quit", "q",
                                               "system_reset"};
  for (std::string_view b : kBare) {
    if (cmd == b) return error(std::string(cmd) + " takes no arguments");
  }
  return run_debug_command(m_, line);
}

std::string MonitorCommands::sendkey(std::string_view args) {
  // QEMU takes an optional hold time; keys reach the 8042 at once here.
  const std::string_view combo = args.substr(0, args.find_first_of(" \t"));
  std::vector<PcKey> keys;
  if (auto why = parse_key_combo(combo, keys)) return error("sendkey: " + *why);
  // One call per key, as a keyboard sends them: presses in order, then
  // releases in reverse.
  const auto feed = [&](const PcKey& k, bool down) {
    const std::vector<uint8_t> bytes = key_bytes(k, down);
    if (hooks_.key) hooks_.key(bytes);
    else m_.board().i8042().key(bytes);
  };
  for (const PcKey& k : keys) feed(k, true);
  for (auto k = keys.rbegin(); k != keys.rend(); ++k) feed(*k, false);
  return "";
}

std::string MonitorCommands::screendump(std::string_view args) {
  if (args.empty()) return error("screendump needs a file name");
  if (!hooks_.screendump) return error("screendump: this machine has no display");
  if (auto why = hooks_.screendump(std::string(args))) return error("screendump: " + *why);
  return "";
}

}  // namespace kestrel::frontend
