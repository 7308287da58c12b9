// SPDX-License-Identifier: MIT
// The firmware options on the command line: -boot in QEMU's forms, -L,
// -debugcon and -firmware-log, and the one-line errors for the rest.
#include <doctest/doctest.h>

#include <vector>

#include "frontend/options.h"

namespace kestrel::frontend {
namespace {

ParseResult parse(std::initializer_list<std::string_view> words) {
  const std::vector<std::string_view> args(words);
  return parse_options(args);
}

std::string error(std::initializer_list<std::string_view> words) {
  const ParseResult r = parse(words);
  return r.error ? r.error->message() : "";
}

TEST_CASE("-boot takes a bare order and order=, menu=, reboot-timeout=") {
  const FirmwareOptions none = parse({}).options.firmware;
  CHECK(none.boot_order.empty());
  CHECK(!none.boot_menu);
  CHECK(none.reboot_timeout_ms == -1);
  CHECK(parse({"-boot", "dc"}).options.firmware.boot_order == "dc");
  const FirmwareOptions f =
      parse({"-boot", "order=ncd,menu=on,reboot-timeout=500"}).options.firmware;
  CHECK(f.boot_order == "ncd");
  CHECK(f.boot_menu);
  CHECK(f.reboot_timeout_ms == 500);
  CHECK(parse({"-boot", "reboot-timeout=-1"}).options.firmware.reboot_timeout_ms == -1);
  CHECK(!parse({"-boot", "menu=off"}).options.firmware.boot_menu);
}

TEST_CASE("-boot refuses what it cannot use, in one line") {
  CHECK(error({"-boot", "x"}) ==
        "kestrel: error: -boot x: invalid boot device 'x' (use a, b: floppy; c: disk; "
        "d: CD-ROM; n-p: network)");
  CHECK(error({"-boot", "cc"}) == "kestrel: error: -boot cc: boot device 'c' was given twice");
  CHECK(error({"-boot", "order="}) ==
        "kestrel: error: -boot order=: empty boot order (use letters such as c, d or n)");
  CHECK(error({"-boot", "menu=maybe"}) == "kestrel: error: -boot menu=maybe: menu must be on or off");
  CHECK(error({"-boot", "reboot-timeout=70000"}) ==
        "kestrel: error: -boot reboot-timeout=70000: reboot-timeout must be -1 (never) or "
        "0-65535 milliseconds");
  CHECK(error({"-boot", "splash=x"}) ==
        "kestrel: error: -boot splash=x: unknown item 'splash' (use order=, menu=, "
        "reboot-timeout=)");
  CHECK(error({"-boot", "order=c,"}).empty());  // a trailing comma is harmless
}

TEST_CASE("-debugcon, -firmware-log and -L") {
  const FirmwareOptions f = parse({"-debugcon", "file:/tmp/e9.log", "-firmware-log", "fw.log",
                                   "-L", "/opt/fw"})
                                .options.firmware;
  CHECK(f.debugcon.kind == DebugPortSpec::kFile);
  CHECK(f.debugcon.path == "/tmp/e9.log");
  CHECK(f.firmware_log.kind == DebugPortSpec::kFile);
  CHECK(f.firmware_log.path == "fw.log");
  CHECK(f.firmware_dir == "/opt/fw");
  CHECK(parse({"-debugcon", "none"}).options.firmware.debugcon.kind == DebugPortSpec::kNone);
  CHECK(parse({"-firmware-log", "stdio"}).options.firmware.firmware_log.kind ==
        DebugPortSpec::kStdio);
  CHECK(error({"-debugcon", "vc"}) ==
        "kestrel: error: -debugcon vc: expected stdio, file:PATH or none");
  CHECK(error({"-firmware-log", "file:"}) ==
        "kestrel: error: -firmware-log file:: file: needs a path (file:PATH)");
  CHECK(error({"-L", ""}) == "kestrel: error: -L : empty directory name");
}

}  // namespace
}  // namespace kestrel::frontend
