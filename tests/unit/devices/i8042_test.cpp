// SPDX-License-Identifier: MIT
// The 8042 at register level: controller commands and the command byte,
// keyboard and mouse replies, scan code translation, the interrupt lines,
// and the output port's A20 and reset lines; plus ports 0x92, 0x80, 0xF0.
#include "devices/i8042.h"

#include <doctest/doctest.h>

#include <vector>

#include "devices/system_ports.h"
#include "tests/unit/devices/manual_clock.h"

namespace kestrel::devices {
namespace {

struct Fixture {
  I8042 kbc;
  test::PinRecorder pic;
  std::vector<bool> a20;
  unsigned resets = 0;
  Fixture() {
    kbc.kbd_irq.connect(pic, 1);
    kbc.mouse_irq.connect(pic, 12);
    kbc.on_a20 = [this](bool on) { a20.push_back(on); };
    kbc.on_reset = [this] { ++resets; };
    kbc.reset();
  }
  void cmd(uint8_t v) { kbc.io_write(0x64, v, 1); }
  void data(uint8_t v) { kbc.io_write(0x60, v, 1); }
  uint8_t status() { return uint8_t(kbc.io_read(0x64, 1)); }
  uint8_t read() { return uint8_t(kbc.io_read(0x60, 1)); }
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (status() & 0x01) out.push_back(read());
    return out;
  }
};

using Bytes = std::vector<uint8_t>;

TEST_CASE("self-test and interface tests answer; the system flag is set") {
  Fixture f;
  CHECK((f.status() & 0x04) == 0);
  f.cmd(0xaa);
  CHECK((f.status() & 0x01) != 0);
  CHECK(f.read() == 0x55);
  CHECK((f.status() & 0x04) != 0);
  f.cmd(0xab);
  f.cmd(0xa9);
  CHECK(f.drain() == Bytes{0x00, 0x00});
  CHECK((f.status() & 0x08) != 0);  // the last write was a command
}

TEST_CASE("the command byte reads and writes through 0x20 and 0x60") {
  Fixture f;
  f.cmd(0x20);
  CHECK(f.read() == 0x61);  // translation, mouse off, keyboard interrupt
  f.cmd(0x60);
  f.data(0x47);
  f.cmd(0x20);
  CHECK(f.read() == 0x47);
  CHECK(f.kbc.command_byte() == 0x47);
  f.cmd(0xad);
  CHECK((f.kbc.command_byte() & 0x10) != 0);
  f.cmd(0xae);
  f.cmd(0xa8);
  CHECK((f.kbc.command_byte() & 0x30) == 0);
}

TEST_CASE("keyboard reset, identify, echo, LEDs and typematic reply as a PS/2 keyboard") {
  Fixture f;
  f.data(0xff);
  CHECK(f.drain() == Bytes{0xfa, 0xaa});
  f.data(0xf2);
  CHECK(f.drain() == Bytes{0xfa, 0xab, 0x41});  // translated ID
  f.cmd(0x60), f.data(0x01);                     // translation off
  f.data(0xf2);
  CHECK(f.drain() == Bytes{0xfa, 0xab, 0x83});
  f.data(0xee);
  CHECK(f.drain() == Bytes{0xee});
  f.data(0xed), f.data(0x05);
  CHECK(f.drain() == Bytes{0xfa, 0xfa});
  CHECK(f.kbc.keyboard_leds() == 0x05);
  f.data(0xf3), f.data(0x20);
  f.data(0xf0), f.data(0x00);
  CHECK(f.drain() == Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0x02});
  f.data(0x42);
  CHECK(f.drain() == Bytes{0xfe});  // unknown command: resend
}

TEST_CASE("key input is translated to set 1 when the command byte asks") {
  Fixture f;
  const uint8_t make_a[] = {0x1c}, break_a[] = {0xf0, 0x1c};
  const uint8_t make_up[] = {0xe0, 0x75}, break_up[] = {0xe0, 0xf0, 0x75};
  f.kbc.key(make_a);
  f.kbc.key(break_a);
  f.kbc.key(make_up);
  f.kbc.key(break_up);
  CHECK(f.drain() == Bytes{0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8});
  f.cmd(0x60), f.data(0x01);
  f.kbc.key(break_a);
  CHECK(f.drain() == Bytes{0xf0, 0x1c});
  f.data(0xf5);  // disable scanning: keys are dropped
  f.drain();
  f.kbc.key(make_a);
  CHECK(f.drain().empty());
}

TEST_CASE("IRQ 1 rises for each keyboard byte when enabled in the command byte") {
  Fixture f;
  const uint8_t keys[] = {0x1c, 0x32};
  f.kbc.key(keys);
  CHECK(f.pic.level(1));
  f.read();
  CHECK(f.pic.rises_on(1) == 2);  // a fresh edge for the second byte
  f.read();
  CHECK(!f.pic.level(1));
  f.cmd(0x60), f.data(0x60);  // keyboard interrupt off
  f.kbc.key(keys);
  CHECK(!f.pic.level(1));
}

TEST_CASE("the PS/2 mouse: reset, ID, stream mode packets on IRQ 12") {
  Fixture f;
  f.cmd(0x60), f.data(0x03);  // both interrupts, both ports on, no translation
  f.cmd(0xd4), f.data(0xff);
  CHECK((f.status() & 0x20) != 0);  // mouse data in the buffer
  CHECK(f.pic.level(12));
  CHECK(f.drain() == Bytes{0xfa, 0xaa, 0x00});
  f.cmd(0xd4), f.data(0xf2);
  CHECK(f.drain() == Bytes{0xfa, 0x00});
  f.kbc.mouse_motion(5, -3, 0x01);
  CHECK(f.drain().empty());  // reporting not enabled yet
  f.cmd(0xd4), f.data(0xf4);
  CHECK(f.drain() == Bytes{0xfa});
  f.kbc.mouse_motion(5, -3, 0x01);
  CHECK(f.drain() == Bytes{0x29, 0x05, 0xfd});
  f.cmd(0xd4), f.data(0xf3);
  f.cmd(0xd4), f.data(40);
  f.cmd(0xd4), f.data(0xe9);
  CHECK(f.drain() == Bytes{0xfa, 0xfa, 0xfa, 0x21, 0x02, 40});
}

TEST_CASE("the output port drives A20; 0xFE and a cleared bit 0 reset the CPU") {
  Fixture f;
  CHECK(f.kbc.a20());
  f.cmd(0xd0);
  CHECK(f.read() == 0xcf);
  f.cmd(0xd1), f.data(0xcd);  // A20 off
  CHECK(f.a20 == std::vector<bool>{false});
  CHECK(!f.kbc.a20());
  f.cmd(0xdf);  // A20 on
  CHECK(f.a20 == std::vector<bool>{false, true});
  CHECK(f.resets == 0);
  f.cmd(0xfe);
  CHECK(f.resets == 1);
  f.cmd(0xff);  // pulses nothing
  CHECK(f.resets == 1);
  f.cmd(0xd1), f.data(0xce);  // bit 0 low: reset
  CHECK(f.resets == 2);
}

TEST_CASE("0xD2 and 0xD3 put bytes in the buffer as if from the devices") {
  Fixture f;
  f.cmd(0xd2), f.data(0x99);
  CHECK((f.status() & 0x20) == 0);
  CHECK(f.read() == 0x99);
  f.cmd(0xd3), f.data(0x77);
  CHECK((f.status() & 0x20) != 0);
  CHECK(f.read() == 0x77);
}

TEST_CASE("port 0x92 gates A20 and resets on a rising bit 0; 0x80 keeps the POST code") {
  SystemPorts p;
  test::PinRecorder pic;
  p.fpu_irq.connect(pic, 13);
  std::vector<bool> a20;
  unsigned resets = 0;
  p.on_a20 = [&](bool on) { a20.push_back(on); };
  p.on_reset = [&] { ++resets; };
  p.reset();
  CHECK(p.io_read(0x92, 1) == 0);
  p.io_write(0x92, 0x02, 1);
  CHECK(a20 == std::vector<bool>{true});
  CHECK(p.io_read(0x92, 1) == 0x02);
  p.io_write(0x92, 0x03, 1);
  CHECK(resets == 1);
  p.io_write(0x92, 0x03, 1);
  CHECK(resets == 1);
  p.io_write(0x80, 0x42, 1);
  CHECK(p.post_code() == 0x42);
  CHECK(p.io_read(0x80, 1) == 0xff);
  p.raise_fpu_error();
  CHECK(pic.level(13));
  p.io_write(0xf0, 0, 1);
  CHECK(!pic.level(13));
}

}  // namespace
}  // namespace kestrel::devices
