// SPDX-License-Identifier: MIT
// The shared inspection commands on a small machine with a ROM: registers,
// x/xp in every format, disassembly in the CPU's mode, the page walk
// through 32-bit page tables, info mtree/pci/tlb, and the error lines.
#include "frontend/debug_commands.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace kestrel::frontend {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

/// F000:0000: mov ax,5678h; mov bx,1234h; mov word [500h],0BEEFh; jmp $.
/// The reset vector jumps there.
std::vector<uint8_t> test_rom() {
  std::vector<uint8_t> image(64 * 1024, 0xf4);
  const std::initializer_list<uint8_t> code = {0xb8, 0x78, 0x56, 0xbb, 0x34, 0x12, 0xc7, 0x06,
                                               0x00, 0x05, 0xef, 0xbe, 0xeb, 0xfe};
  std::copy(code.begin(), code.end(), image.begin());
  const std::initializer_list<uint8_t> reset = {0xea, 0x00, 0x00, 0x00, 0xf0};
  std::copy(reset.begin(), reset.end(), image.begin() + 0xfff0);
  return image;
}

machine::MachineConfig config() {
  machine::MachineConfig c;
  c.ram_bytes = 4 * kMiB;
  c.cpu_model = cpu::find_cpu_model("max");
  c.firmware = test_rom();
  return c;
}

/// The machine after the far jump and the three moves.
struct Fixture {
  machine::Machine m{config()};
  Fixture() {
    for (int i = 0; i < 4; ++i) m.step();
  }
  std::string run(std::string_view line) { return run_debug_command(m, line); }
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("debug commands: info registers shows the state after the moves") {
  Fixture f;
  const std::string r = f.run("info registers");
  CHECK(contains(r, "EAX=00005678 EBX=00001234"));
  CHECK(contains(r, "EIP=0000000c"));
  CHECK(contains(r, "CS =f000 000f0000 0000ffff"));
  CHECK(contains(r, "CR0=60000010"));
}

TEST_CASE("debug commands: xp reads physical memory in each format and size") {
  Fixture f;
  CHECK(f.run("xp/1xh 0x500") == "0000000000000500: 0xbeef\n");
  CHECK(f.run("xp/3xb 0xf0000") == "00000000000f0000: 0xb8 0x78 0x56\n");
  CHECK(f.run("xp/1dh 0x500") == "0000000000000500: -16657\n");
  CHECK(f.run("xp/1uh 0x500") == "0000000000000500: 48879\n");
  CHECK(f.run("xp/2c 0xf0001") == "00000000000f0001: 'x' 'V'\n");
  CHECK(f.run("xp/g 0x500") == "0000000000000500: 0x000000000000beef\n");
  // Four words per line.
  const std::string five = f.run("xp/5xw 0x500");
  CHECK(std::count(five.begin(), five.end(), '\n') == 2);
  CHECK(contains(five, "0000000000000510: 0x00000000\n"));
}

TEST_CASE("debug commands: x/i disassembles in 16-bit mode at $pc and at an address") {
  Fixture f;
  const std::string code = f.run("x/4i 0xf0000");
  CHECK(contains(code, "0x00000000000f0000:  b87856"));
  CHECK(contains(code, "mov ax, 0x5678"));
  CHECK(contains(code, "mov bx, 0x1234"));
  CHECK(contains(code, "mov word ptr [0x500], 0xbeef"));
  CHECK(contains(code, "jmp"));
  const std::string pc = f.run("x/1i $pc");
  CHECK(contains(pc, "0x00000000000f000c:  ebfe"));
  CHECK(f.run("x/1xb $pc+1") == "00000000000f000d: 0xfe\n");
}

TEST_CASE("debug commands: x/i follows the CPU into 32- and 64-bit code") {
  Fixture f;
  // mov rbx, rax as 64-bit code; in 32-bit code 48 is DEC EAX.
  f.m.memory().write_phys(0x1000, 0xc38948, 4);
  cpu::CpuState& s = f.m.cpu().s;
  s.cr[0] |= 1;
  s.seg[cpu::kCs].attr |= cpu::kAttrDb;
  CHECK(contains(f.run("xp/1i 0x1000"), "dec eax"));
  s.efer |= 1u << 10;  // LMA
  s.seg[cpu::kCs].attr = uint16_t((s.seg[cpu::kCs].attr & ~cpu::kAttrDb) | cpu::kAttrL);
  CHECK(contains(f.run("xp/1i 0x1000"), "mov rbx, rax"));
  CHECK(contains(f.run("info registers"), "RAX=0000000000005678 RBX=0000000000001234"));
}

TEST_CASE("debug commands: x walks 32-bit page tables without touching them") {
  Fixture f;
  mmu::Mmu& mem = f.m.memory();
  // Page directory at 64 KiB; its entry 1 (4 MiB up) points to a table at
  // 68 KiB whose entry 0 maps the first physical page.
  mem.write_phys(0x10000 + 4, 0x11000 | 3, 4);
  mem.write_phys(0x11000, 0x0 | 3, 4);
  REQUIRE(f.m.cpu().load_paging(0x80000011, 0x10000, 0, 0, true));
  CHECK(f.run("x/1xh 0x400500") == "0000000000400500: 0xbeef\n");
  CHECK(mem.read_phys(0x11000, 4) == 3);  // no accessed bit set by the debugger
  CHECK(contains(f.run("x/1xh 0x800000"), "error: cannot access memory at 0x800000"));
  CHECK(f.run("xp/1xh 0x500") == "0000000000000500: 0xbeef\n");
  const std::string tlb = f.run("info tlb");
  CHECK(contains(tlb, "0000000000400000: 0000000000000000 4K   ------W"));
}

TEST_CASE("debug commands: info mtree, info pci and info tlb with paging off") {
  Fixture f;
  const std::string mtree = f.run("info mtree");
  CHECK(contains(mtree, "0000000000000000-00000000003fffff (prio 0, ram): ram"));
  CHECK(contains(mtree, "00000000ffff0000-00000000ffffffff (prio 1, rom): rom"));
  CHECK(contains(mtree, "(prio 1, i/o): mmio"));
  const std::string pci = f.run("info pci");
  CHECK(contains(pci, "Bus  0, device   0, function 0:\n    Host bridge: PCI device 8086:1237"));
  CHECK(contains(pci, "ISA bridge: PCI device 8086:7000"));
  CHECK(contains(f.run("info tlb"), "paging is off"));
}

TEST_CASE("debug commands: malformed commands give one error line") {
  Fixture f;
  for (std::string_view bad : {"x/4z 0", "xp", "xp/1x", "xp/1x zz", "x/0x 0", "x/100001x 0",
                               "x/99999g 0", "info", "info foo", "info pci extra", "frobnicate",
                               "xp 0x", "x/4i $nosuchreg", "xp 99999999999999999999999"}) {
    const std::string out = f.run(bad);
    CAPTURE(bad);
    CHECK(out.rfind("error: ", 0) == 0);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
  CHECK(f.run("") == "");
}

}  // namespace
}  // namespace kestrel::frontend
