// SPDX-License-Identifier: MIT
// The 8042 keyboard controller at 0x60/0x64: its command byte and commands,
// a PS/2 keyboard (scan code set 2, translated to set 1 when the command
// byte asks) on IRQ 1, a PS/2 mouse on IRQ 12, and the output port whose
// A20 and reset lines the board wires to the memory bus and the CPU.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>

#include "devices/device.h"
#include "devices/irq.h"

namespace kestrel::devices {

inline constexpr uint16_t kI8042DataPort = 0x60;
inline constexpr uint16_t kI8042CommandPort = 0x64;

class I8042 final : public Device {
 public:
  /// IRQ 1 and IRQ 12: the board connects them.
  IrqLine kbd_irq;
  IrqLine mouse_irq;
  /// Output port bit 1 changed: the A20 gate.
  std::function<void(bool enabled)> on_a20;
  /// Output port bit 0 pulsed low (command 0xFE and friends): reset the CPU.
  std::function<void()> on_reset;

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// Host keyboard input: one key's scan code set 2 bytes (make or break).
  void key(std::span<const uint8_t> set2);
  /// Host mouse input: a relative motion (dy positive upwards, as PS/2
  /// reports it) and the button state (bit 0 left, bit 1 right, bit 2 middle).
  void mouse_motion(int dx, int dy, uint8_t buttons);

  uint8_t command_byte() const { return command_byte_; }
  uint8_t output_port() const { return output_port_; }
  bool a20() const { return output_port_ & 0x02; }
  uint8_t keyboard_leds() const { return leds_; }

 private:
  enum class Source : uint8_t { kController, kKeyboard, kMouse };
  struct Byte {
    uint8_t value;
    Source source;
  };

  void controller_command(uint8_t cmd);
  void controller_data(uint8_t v);
  void keyboard_data(uint8_t v);
  void mouse_data(uint8_t v);
  void push(Source s, uint8_t v);
  void push_keyboard(uint8_t v);
  void push_mouse(uint8_t v);
  void set_output_port(uint8_t v);
  void update_irqs(bool fresh);
  static uint8_t translate(uint8_t set2);
  void mouse_packet(int dx, int dy);

  std::deque<Byte> queue_;
  uint8_t status_ = 0;
  uint8_t command_byte_ = 0;
  uint8_t output_port_ = 0;
  uint8_t pending_command_ = 0;  ///< controller command awaiting its data byte
  bool kbd_enabled_ = true;      ///< keyboard scanning (F4/F5)
  uint8_t kbd_pending_ = 0;      ///< keyboard command awaiting its data byte
  uint8_t leds_ = 0;
  uint8_t typematic_ = 0x2b;
  uint8_t scan_set_ = 2;
  bool break_prefix_ = false;    ///< a set 2 F0 waits for its key (translation)
  // PS/2 mouse.
  bool mouse_stream_ = false;    ///< data reporting enabled
  uint8_t mouse_pending_ = 0;
  uint8_t mouse_rate_ = 100;
  uint8_t mouse_resolution_ = 2;
  bool mouse_scaling21_ = false;
  bool mouse_remote_ = false;
  bool mouse_wrap_ = false;
  uint8_t mouse_buttons_ = 0;
  uint8_t ram_[32] = {};
};

}  // namespace kestrel::devices
