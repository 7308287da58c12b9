// SPDX-License-Identifier: MIT
// The option parser: sizes, models, serial backends and every error it
// reports. tests/frontend/cli_test.py checks the same contract end to end.
#include "frontend/options.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace kestrel::frontend {
namespace {

ParseResult parse(std::initializer_list<std::string_view> words) {
  const std::vector<std::string_view> args(words);
  return parse_options(args);
}

std::string error_of(std::initializer_list<std::string_view> words) {
  const ParseResult r = parse(words);
  REQUIRE(r.error.has_value());
  return r.error->message();
}

uint64_t size_of(std::string_view text) {
  uint64_t bytes = 0;
  const auto why = parse_ram_size(text, bytes);
  REQUIRE_MESSAGE(!why, *why);
  return bytes;
}

std::string size_problem(std::string_view text) {
  uint64_t bytes = 12345;
  const auto why = parse_ram_size(text, bytes);
  REQUIRE(why.has_value());
  CHECK(bytes == 12345);  // untouched on error
  return *why;
}

TEST_CASE("no arguments give the defaults") {
  const ParseResult r = parse({});
  REQUIRE(!r.error);
  CHECK(r.options.action == Action::kRun);
  CHECK(r.options.ram_bytes == 128 * kMiB);
  CHECK(r.options.bios.empty());
  CHECK(r.options.cpu == &cpu::default_cpu_model());
  CHECK(!r.options.no_reboot);
  CHECK(!r.options.nographic);
  CHECK(r.options.serial_ports()[0].kind == SerialBackend::kNone);
}

TEST_CASE("RAM sizes: a bare number is MiB, suffixes K M G T") {
  CHECK(size_of("64") == 64 * kMiB);
  CHECK(size_of("64M") == 64 * kMiB);
  CHECK(size_of("64m") == 64 * kMiB);
  CHECK(size_of("2048K") == 2 * kMiB);
  CHECK(size_of("1G") == 1024 * kMiB);
  CHECK(size_of("1g") == 1024 * kMiB);
  CHECK(size_of("1T") == kMaxRamBytes);
  CHECK(size_of("1") == kMinRamBytes);
  CHECK(size_of("size=256M") == 256 * kMiB);
}

TEST_CASE("RAM sizes: garbage, zero, too small and too large are refused") {
  const std::string not_a_size = size_problem("lots");
  CHECK(not_a_size.starts_with("not a size"));
  for (std::string_view bad : {"", "M", "64X", "64MB", "1.5G", "-1", "+1", " 64", "0x40", "size="}) {
    CAPTURE(bad);
    CHECK(size_problem(bad) == not_a_size);
  }
  CHECK(size_problem("0") == "RAM size must be at least 1M");
  CHECK(size_problem("1023K") == "RAM size must be at least 1M");
  CHECK(size_problem("1025G") == "RAM size must be at most 1T");
  CHECK(size_problem("2T") == "RAM size must be at most 1T");
  CHECK(size_problem("18446744073709551615") == "RAM size must be at most 1T");
  CHECK(size_problem("99999999999999999999999") == "RAM size must be at most 1T");
}

TEST_CASE("every option is parsed, with one dash or two") {
  const ParseResult r = parse({"-m", "64", "--bios", "rom.bin", "-cpu", "80286", "-nographic",
                               "-serial", "file:/tmp/out.txt", "--no-reboot"});
  REQUIRE(!r.error);
  CHECK(r.options.ram_bytes == 64 * kMiB);
  CHECK(r.options.bios == "rom.bin");
  CHECK(r.options.cpu == cpu::find_cpu_model("80286"));
  CHECK(r.options.nographic);
  CHECK(r.options.serial_ports()[0].kind == SerialBackend::kFile);
  CHECK(r.options.serial_ports()[0].path == "/tmp/out.txt");
  CHECK(r.options.no_reboot);
}

TEST_CASE("the last of a repeated option wins") {
  const ParseResult r = parse({"-m", "64", "-m", "32", "-cpu", "8086", "-cpu", "80386"});
  REQUIRE(!r.error);
  CHECK(r.options.ram_bytes == 32 * kMiB);
  CHECK(r.options.cpu->name == "80386");
}

TEST_CASE("serial backends") {
  using enum SerialBackend;
  const auto com1 = [](std::initializer_list<std::string_view> words) {
    return parse(words).options.serial_ports()[0];
  };
  CHECK(com1({"-nographic"}).kind == kStdio);
  CHECK(com1({"-nographic"}).escape_keys);  // QEMU's mon:stdio
  CHECK(com1({"-serial", "stdio"}).kind == kStdio);
  CHECK(!com1({"-serial", "stdio"}).escape_keys);
  CHECK(com1({"-serial", "mon:stdio"}).escape_keys);
  CHECK(com1({"-nographic", "-serial", "none"}).kind == kNone);
  CHECK(com1({"-serial", "null"}).kind == kNone);
  CHECK(error_of({"-serial", "tcp::4444"}) ==
        "kestrel: error: -serial tcp::4444: unsupported serial backend (use stdio, mon:stdio, "
        "file:PATH, null or none)");
  CHECK(error_of({"-serial", "file:"}) == "kestrel: error: -serial file:: file: needs a path (file:PATH)");
}

TEST_CASE("-serial options fill COM1 to COM4 in order") {
  const ParseResult r =
      parse({"-nographic", "-serial", "null", "-serial", "file:b", "-serial", "stdio"});
  REQUIRE(!r.error);
  const auto ports = r.options.serial_ports();
  CHECK(ports[0].kind == SerialBackend::kNone);  // -serial replaces -nographic's default
  CHECK(ports[1].kind == SerialBackend::kFile);
  CHECK(ports[1].path == "b");
  CHECK(ports[2].kind == SerialBackend::kStdio);
  CHECK(ports[3].kind == SerialBackend::kNone);
  CHECK(error_of({"-serial", "null", "-serial", "null", "-serial", "null", "-serial", "null",
                  "-serial", "null"}) ==
        "kestrel: error: -serial null: too many serial ports (COM1-COM4 at most)");
  CHECK(error_of({"-serial", "stdio", "-serial", "mon:stdio"}) ==
        "kestrel: error: -serial mon:stdio: stdio is already used by another serial port");
}

TEST_CASE("informational actions stop the parse") {
  CHECK(parse({"--help"}).options.action == Action::kHelp);
  CHECK(parse({"-h", "-frobnicate"}).options.action == Action::kHelp);
  CHECK(!parse({"-h", "-frobnicate"}).error);
  CHECK(parse({"-version"}).options.action == Action::kVersion);
  CHECK(parse({"-cpu", "help"}).options.action == Action::kListCpus);
}

TEST_CASE("errors name the input and the reason on one line") {
  CHECK(error_of({"-frobnicate"}) == "kestrel: error: -frobnicate: unknown option (see kestrel --help)");
  CHECK(error_of({"-"}) ==
        "kestrel: error: -: unknown option (see kestrel --help)");
  CHECK(error_of({"---m", "64"}) ==
        "kestrel: error: ---m: unknown option (see kestrel --help)");
  CHECK(error_of({"-hda", ""}) == "kestrel: error: -hda : missing file name");
  CHECK(error_of({"-m"}) == "kestrel: error: -m: missing argument SIZE");
  CHECK(error_of({"-nographic", "-bios"}) == "kestrel: error: -bios: missing argument FILE");
  CHECK(error_of({"-cpu", "pentium9"}) ==
        "kestrel: error: -cpu pentium9: unknown CPU model (-cpu help lists them)");
  CHECK(error_of({"-m", "0"}) == "kestrel: error: -m 0: RAM size must be at least 1M");
  for (std::string_view bad : {"-frobnicate", "-m", "-cpu", "-bios", "-serial"}) {
    CAPTURE(bad);
    CHECK(error_of({"-m", "64", bad}).find('\n') == std::string::npos);
  }
}

TEST_CASE("help, version and the model list say what they should") {
  const std::string help = help_text();
  for (std::string_view opt : {"-m SIZE", "-bios FILE", "-cpu NAME", "-nographic", "-serial DEV",
                               "-no-reboot", "--help", "--version", "0xE9", "0xF4"}) {
    CAPTURE(opt);
    CHECK(help.find(opt) != std::string::npos);
  }
  CHECK(version_text().starts_with("kestrel "));
  const std::string list = cpu_list_text();
  for (const cpu::CpuModel& m : cpu::cpu_models()) {
    CHECK(list.find("  " + std::string(m.name) + " ") != std::string::npos);
  }
}

}  // namespace
}  // namespace kestrel::frontend
