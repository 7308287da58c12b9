// SPDX-License-Identifier: MIT
// The gdbstub without sockets: packet framing and encodings, endpoints,
// register layouts, and a session against a small machine (breakpoints
// stop before the instruction and are stepped over, watchpoints after the
// write, memory through paging-off translation, bad packets get errors).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cpu/debug.h"
#include "cpu/model.h"
#include "frontend/gdbstub/packet.h"
#include "frontend/gdbstub/server.h"
#include "frontend/gdbstub/session.h"

namespace kestrel::frontend::gdbstub {
namespace {

std::vector<PacketEvent> feed(PacketParser& p, std::string_view s) {
  return p.feed(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

TEST_CASE("gdb packets: framing, checksums, interrupts and escapes") {
  PacketParser p;
  auto ev = feed(p, "+$g#67");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == PacketEvent::Kind::kPacket);
  CHECK(ev[0].payload == "g");
  ev = feed(p, "$g#00");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == PacketEvent::Kind::kBadChecksum);
  ev = feed(p, "\x03");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == PacketEvent::Kind::kInterrupt);
  ev = feed(p, "$" + std::string(kMaxPacket + 1, 'a') + "#00");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == PacketEvent::Kind::kTooLong);
  // Split across reads.
  CHECK(feed(p, "$qC").empty());
  ev = feed(p, "#b4");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].payload == "qC");
  CHECK(frame_packet("OK") == "$OK#9a");
  CHECK(frame_packet("a#b") == "$a}\x03" "b#43");
  CHECK(unescape_binary("a}\x03" "b") == std::vector<uint8_t>{'a', '#', 'b'});
  CHECK(!unescape_binary("ab}"));
  CHECK(parse_hex_number("f0000") == 0xf0000);
  CHECK(!parse_hex_number("12345678123456781"));
  CHECK(!parse_hex_number("xyz"));
  CHECK(!from_hex("abc"));
}

TEST_CASE("gdb endpoints: -gdb tcp::PORT binds loopback, tcp:ADDR:PORT the address") {
  CHECK(parse_endpoint("tcp::1234")->host == "127.0.0.1");
  CHECK(parse_endpoint("tcp::1234")->port == 1234);
  CHECK(parse_endpoint("tcp:0.0.0.0:99")->host == "0.0.0.0");
  CHECK(!parse_endpoint("tcp::"));
  CHECK(!parse_endpoint("tcp::70000"));
  CHECK(!parse_endpoint("tcp::12ab"));
}

TEST_CASE("gdb register layouts: x86-64 and i386 sizes and the description") {
  const RegisterLayout lm(true), pm(false);
  // 16 GPRs, RIP: 8 bytes; EFLAGS and 6 selectors: 4; 8 x 10 x87; 8 x 4
  // x87 control; 16 x 16 XMM + MXCSR; fs/gs_base and 4 bases, 5 CRs, EFER: 8.
  CHECK(lm.total_bytes() == 17 * 8 + 7 * 4 + 80 + 32 + 256 + 4 + 12 * 8);
  CHECK(pm.total_bytes() == 9 * 4 + 7 * 4 + 80 + 32 + 128 + 4 + 12 * 4);
  CHECK(lm.target_xml().find("<architecture>i386:x86-64</architecture>") != std::string::npos);
  CHECK(pm.target_xml().find("<architecture>i386</architecture>") != std::string::npos);
  CHECK(lm.target_xml().find("name=\"cr3\"") != std::string::npos);
}

struct Fixture {
  Fixture() : m(config()), s(m, [this](std::string_view b) { out += b; }, true) { s.connected(); }
  static machine::MachineConfig config() {
    machine::MachineConfig c;
    c.ram_bytes = 2 << 20;
    c.cpu_model = cpu::find_cpu_model("max");
    // F000:0000: MOV AX, 1234h; MOV [0500h], AX; INC BX; JMP $-1
    c.firmware.assign(64 << 10, 0x90);
    const uint8_t code[] = {0x31, 0xc0, 0x8e, 0xd8, 0xb8, 0x34, 0x12, 0xa3, 0x00, 0x05, 0x43, 0xeb, 0xfd};
    std::memcpy(c.firmware.data(), code, sizeof code);
    const uint8_t reset[] = {0xea, 0x00, 0x00, 0x00, 0xf0};
    std::memcpy(&c.firmware[0xfff0], reset, sizeof reset);
    return c;
  }
  /// Sends one packet; returns the reply payload (acks stripped).
  std::string cmd(std::string_view p) {
    out.clear();
    const std::string f = frame_packet(p);
    s.feed(std::span(reinterpret_cast<const uint8_t*>(f.data()), f.size()));
    const size_t d = out.find('$'), h = out.rfind('#');
    if (d == std::string::npos || h == std::string::npos) return out == "+" ? "" : out;
    return out.substr(d + 1, h - d - 1);
  }
  /// Runs the engine as the machine loop would, from a clean pending word.
  cpu::StopReason run() {
    m.cpu().s.pending = 0;
    return m.engine().run(100);
  }
  machine::Machine m;
  std::string out;
  Session s;
};

TEST_CASE("gdb session: queries, registers, memory and bad packets") {
  Fixture f;
  CHECK(f.cmd("qSupported:swbreak+").find("qXfer:features:read+") != std::string::npos);
  CHECK(f.cmd("?").substr(0, 3) == "T05");
  CHECK(f.cmd("qXfer:features:read:target.xml:0,10").substr(0, 6) == "m<?xml");
  CHECK(f.cmd("qXfer:features:read:other.xml:0,10") == "E00");
  CHECK(f.cmd("p10") == "f0ffffff00000000");  // RIP: linear FFFFFFF0 after reset
  CHECK(f.cmd("p999") == "E01");
  CHECK(f.cmd("M600,4:deadbeef") == "OK");
  CHECK(f.cmd("m600,4") == "deadbeef");
  CHECK(f.cmd("X604,2:#A") == "OK");  // framing escapes the #
  CHECK(f.cmd("m604,2") == "2341");
  CHECK(f.cmd("m600") == "E01");
  CHECK(f.cmd("Mzz,1:00") == "E01");
  CHECK(f.cmd("qRcmd,70687973") == to_hex(std::string_view("memory accesses use physical addresses\n")));
  CHECK(f.cmd("vCont?") == "vCont;c;C;s;S");
}

TEST_CASE("gdb session: a breakpoint stops before the instruction; a watchpoint after the write") {
  Fixture f;
  CHECK(f.cmd("s").substr(0, 3) == "T05");  // the reset vector's far jump
  CHECK(f.cmd("p10") == "00000f0000000000");
  // Breakpoint on INC BX (F000A): continue runs until it, before it executes.
  CHECK(f.cmd("Z0,f000a,1") == "OK");
  CHECK(f.m.cpu().host_breakpoints != nullptr);
  CHECK(f.cmd("c").empty());
  CHECK(f.run() == cpu::StopReason::kDebug);
  f.s.debug_stopped();
  CHECK(f.out.find("T05thread:01;swbreak:;") != std::string::npos);
  CHECK(f.m.cpu().s.rip == 0x000a);
  CHECK(f.m.cpu().s.gpr[cpu::kRbx] == 0);
  // Resuming steps over it once: one loop round later it stops again.
  CHECK(f.cmd("c").empty());
  CHECK(f.run() == cpu::StopReason::kDebug);
  CHECK(f.m.cpu().s.gpr[cpu::kRbx] == 1);
  f.s.debug_stopped();
  CHECK(f.cmd("z0,f000a,1") == "OK");
  // A watchpoint on the word MOV [0500h], AX writes: restart from F000:0000.
  f.m.cpu().s.rip = 0;
  CHECK(f.cmd("Z2,500,2") == "OK");
  CHECK(f.cmd("c").empty());
  CHECK(f.run() == cpu::StopReason::kDebug);
  f.s.debug_stopped();
  CHECK(f.out.find("watch:500;") != std::string::npos);
  CHECK(f.m.cpu().s.rip == 0x000a);  // after the MOV
  CHECK(f.cmd("m500,2") == "3412");
  CHECK(f.cmd("z2,500,2") == "OK");
  CHECK(f.m.memory().watches().empty());
}

TEST_CASE("mmu: debug_translate walks without setting accessed bits") {
  Fixture f;
  mmu::Mmu& mem = f.m.memory();
  // 32-bit paging: PD at 0x10000, PT at 0x11000 mapping linear 0x400000 to 0x5000.
  mem.write_phys(0x10000 + 1 * 4, 0x11000 | 3, 4);
  mem.write_phys(0x11000, 0x5000 | 3, 4);
  mmu::PagingConfig cfg;
  cfg.enabled = true;
  cfg.cr3 = 0x10000;
  REQUIRE(mem.set_paging(cfg, true));
  CHECK(mem.debug_translate(0x400123) == 0x5123);
  CHECK(!mem.debug_translate(0x800000));
  CHECK((mem.read_phys(0x10004, 4) & 0x20) == 0);  // PDE.A untouched
  CHECK((mem.read_phys(0x11000, 4) & 0x20) == 0);  // PTE.A untouched
}

}  // namespace
}  // namespace kestrel::frontend::gdbstub
