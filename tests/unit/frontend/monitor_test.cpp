// SPDX-License-Identifier: MIT
// The monitor's commands (stop, cont, quit, system_reset, sendkey,
// screendump, help, the shared inspection commands), the -monitor and
// -display options, and the key table the window and sendkey share.
#include "frontend/monitor.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "frontend/keycodes.h"
#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

machine::MachineConfig config() {
  machine::MachineConfig c;
  c.ram_bytes = uint64_t{2} << 20;
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware.assign(64 * 1024, 0xf4);
  // The reset vector: jmp $ (EB FE), so the CPU spins without halting.
  c.firmware[0xfff0] = 0xeb;
  c.firmware[0xfff1] = 0xfe;
  return c;
}

TEST_CASE("monitor: stop, info status, cont and quit drive the machine") {
  machine::Machine m(config());
  MonitorCommands mon(m, {});
  CHECK(mon.run("info status") == "VM status: running\n");
  CHECK(mon.run("stop") == "");
  CHECK(m.paused());
  CHECK(mon.run("info status") == "VM status: paused\n");
  CHECK(mon.run("  cont  ") == "");
  CHECK_FALSE(m.paused());
  CHECK(mon.run("quit") == "");
  CHECK(m.run().outcome == machine::Outcome::kQuit);
}

TEST_CASE("monitor: system_reset resets the machine at the next boundary") {
  machine::Machine m(config());
  MonitorCommands mon(m, {});
  const uint64_t before = m.resets();
  CHECK(mon.run("system_reset") == "");
  CHECK(mon.run("quit") == "");
  // The loop quits before it resets: the reset is pending in the CPU.
  CHECK((m.cpu().s.pending & cpu::kPendingReset) != 0);
  CHECK(m.resets() == before);
}

TEST_CASE("monitor: sendkey presses in order and releases in reverse") {
  machine::Machine m(config());
  std::vector<std::vector<uint8_t>> sent;
  MonitorHooks hooks;
  hooks.key = [&](std::span<const uint8_t> b) { sent.emplace_back(b.begin(), b.end()); };
  MonitorCommands mon(m, hooks);
  CHECK(mon.run("sendkey ctrl-alt-delete") == "");
  const std::vector<std::vector<uint8_t>> want = {
      {0x14}, {0x11}, {0xe0, 0x71}, {0xe0, 0xf0, 0x71}, {0xf0, 0x11}, {0xf0, 0x14}};
  CHECK(sent == want);
  sent.clear();
  CHECK(mon.run("sendkey a 100") == "");
  CHECK(sent == std::vector<std::vector<uint8_t>>{{0x1c}, {0xf0, 0x1c}});
  CHECK(mon.run("sendkey ctrl-nosuchkey") == "error: sendkey: unknown key 'nosuchkey'\n");
  CHECK(mon.run("sendkey") == "error: sendkey: no key given\n");
}

TEST_CASE("monitor: sendkey without a hook reaches the 8042") {
  machine::Machine m(config());
  MonitorCommands mon(m, {});
  CHECK(mon.run("sendkey a") == "");
  // The 8042 has the translated make code (set 1: 1E) for the guest.
  CHECK((m.io().in(0x64, 1) & 1) == 1);
  CHECK(m.io().in(0x60, 1) == 0x1e);
}

TEST_CASE("monitor: screendump goes to the hook; errors are one line") {
  machine::Machine m(config());
  CHECK(MonitorCommands(m, {}).run("screendump x.png") ==
        "error: screendump: this machine has no display\n");
  std::string asked;
  MonitorHooks hooks;
  hooks.screendump = [&](const std::string& p) -> std::optional<std::string> {
    asked = p;
    return p == "bad.png" ? std::optional<std::string>("cannot create") : std::nullopt;
  };
  MonitorCommands mon(m, hooks);
  CHECK(mon.run("screendump /tmp/a b.png") == "");
  CHECK(asked == "/tmp/a b.png");
  CHECK(mon.run("screendump bad.png") == "error: screendump: cannot create\n");
  CHECK(mon.run("screendump") == "error: screendump needs a file name\n");
}

TEST_CASE("monitor: help, inspection commands and malformed lines") {
  machine::Machine m(config());
  MonitorCommands mon(m, {});
  const std::string help = mon.run("help");
  CHECK(help.find("info registers") != std::string::npos);
  CHECK(help.find("sendkey KEYS") != std::string::npos);
  CHECK(mon.run("xp/2xb 0xffff0") == "00000000000ffff0: 0xeb 0xfe\n");
  CHECK(mon.run("") == "");
  for (std::string_view bad : {"stop now", "cont 1", "quit please", "nonsense", "info nothing",
                               "x/", "sendkey ---", "\x01\x02"}) {
    const std::string out = mon.run(bad);
    CAPTURE(bad);
    CHECK(out.rfind("error: ", 0) == 0);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
}

TEST_CASE("monitor: -monitor arguments") {
  MonitorSpec s;
  CHECK_FALSE(parse_monitor("stdio", s));
  CHECK(s.kind == MonitorSpec::kStdio);
  CHECK_FALSE(parse_monitor("none", s));
  CHECK(s.kind == MonitorSpec::kNone);
  CHECK_FALSE(parse_monitor("tcp::4444,server,nowait", s));
  CHECK(s.kind == MonitorSpec::kTcp);
  CHECK(s.host == "127.0.0.1");
  CHECK(s.port == 4444);
  CHECK_FALSE(s.wait);
  CHECK_FALSE(parse_monitor("tcp:127.0.0.2:55,server=on", s));
  CHECK(s.host == "127.0.0.2");
  CHECK(s.wait);
  CHECK(parse_monitor("tcp::4444", s));  // not a server
  CHECK(parse_monitor("tcp::0,server", s));
  CHECK(parse_monitor("tcp::70000,server", s));
  CHECK(parse_monitor("tcp:4444,server", s));
  CHECK(parse_monitor("tcp::44x,server", s));
  CHECK(parse_monitor("tcp::44,server,bogus", s));
  CHECK(parse_monitor("vc", s));
}

TEST_CASE("keycodes: set 2 bytes of ordinary, extended and special keys") {
  CHECK(key_bytes(*key_from_name("a"), true) == std::vector<uint8_t>{0x1c});
  CHECK(key_bytes(*key_from_name("a"), false) == std::vector<uint8_t>{0xf0, 0x1c});
  CHECK(key_bytes(*key_from_name("up"), false) == std::vector<uint8_t>{0xe0, 0xf0, 0x75});
  CHECK(key_bytes(*key_from_name("pause"), true) ==
        std::vector<uint8_t>{0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77});
  CHECK(key_bytes(*key_from_name("pause"), false).empty());
  CHECK(key_bytes(*key_from_name("print"), true) == std::vector<uint8_t>{0xe0, 0x12, 0xe0, 0x7c});
  CHECK(key_bytes(*key_from_name("enter"), true) == std::vector<uint8_t>{0x5a});
  // HID usages as SDL scancodes give them: 4 is A, 0x58 keypad Enter.
  CHECK(key_from_hid(0x04)->code == 0x1c);
  CHECK(key_from_hid(0x58)->extended);
  CHECK_FALSE(key_from_hid(0x00));
  CHECK_FALSE(key_from_name("nosuch"));
}

}  // namespace
}  // namespace kestrel::frontend
