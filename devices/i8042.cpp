// SPDX-License-Identifier: MIT
// The 8042 and its two PS/2 devices: the controller's commands and RAM, one
// output buffer fed from a queue that remembers whose byte it is (IRQ 1 or
// IRQ 12), the keyboard's and the mouse's command sets, and the set 2 to
// set 1 translation the controller applies when the command byte asks.
#include "devices/i8042.h"

#include <algorithm>
#include <array>

namespace kestrel::devices {
namespace {

// Status register.
constexpr uint8_t kStOutputFull = 0x01, kStSystem = 0x04, kStCommand = 0x08,
                  kStUnlocked = 0x10, kStAuxData = 0x20;
// Command byte.
constexpr uint8_t kCbKbdInt = 0x01, kCbAuxInt = 0x02, kCbSystem = 0x04, kCbKbdOff = 0x10,
                  kCbAuxOff = 0x20, kCbTranslate = 0x40;
// Output port.
constexpr uint8_t kOpReset = 0x01, kOpA20 = 0x02, kOpKbdFull = 0x10, kOpAuxFull = 0x20;
/// Output port after power-on: reset high, A20 open, clock and data lines high.
constexpr uint8_t kOpPowerOn = 0xcf;
/// The command byte SeaBIOS leaves: translation on, keyboard interrupt,
/// mouse off. A kernel booted directly finds what it would under a BIOS.
constexpr uint8_t kCbPowerOn = kCbTranslate | kCbAuxOff | kCbKbdInt;
// Device replies.
constexpr uint8_t kAck = 0xfa, kResend = 0xfe, kBatOk = 0xaa, kEcho = 0xee;
/// Bytes a device may queue before the controller stops taking host input.
constexpr size_t kQueueLimit = 16;

/// The controller's set 2 to set 1 translation for the make codes of the
/// keys of a 102-key keyboard (IBM PS/2 Technical Reference); prefixes
/// E0/E1 pass unchanged and F0 (break) sets bit 7 of the next code.
constexpr std::array<uint8_t, 0x84> make_translation() {
  std::array<uint8_t, 0x84> t{};
  for (unsigned i = 0; i < t.size(); ++i) t[i] = uint8_t(i);
  constexpr uint8_t pairs[][2] = {
      {0x00, 0xff}, {0x01, 0x43}, {0x02, 0x41}, {0x03, 0x3f}, {0x04, 0x3d}, {0x05, 0x3b},
      {0x06, 0x3c}, {0x07, 0x58}, {0x08, 0x64}, {0x09, 0x44}, {0x0a, 0x42}, {0x0b, 0x40},
      {0x0c, 0x3e}, {0x0d, 0x0f}, {0x0e, 0x29}, {0x0f, 0x59}, {0x11, 0x38}, {0x12, 0x2a},
      {0x14, 0x1d}, {0x15, 0x10}, {0x16, 0x02}, {0x1a, 0x2c}, {0x1b, 0x1f}, {0x1c, 0x1e},
      {0x1d, 0x11}, {0x1e, 0x03}, {0x21, 0x2e}, {0x22, 0x2d}, {0x23, 0x20}, {0x24, 0x12},
      {0x25, 0x05}, {0x26, 0x04}, {0x29, 0x39}, {0x2a, 0x2f}, {0x2b, 0x21}, {0x2c, 0x14},
      {0x2d, 0x13}, {0x2e, 0x06}, {0x31, 0x31}, {0x32, 0x30}, {0x33, 0x23}, {0x34, 0x22},
      {0x35, 0x15}, {0x36, 0x07}, {0x3a, 0x32}, {0x3b, 0x24}, {0x3c, 0x16}, {0x3d, 0x08},
      {0x3e, 0x09}, {0x41, 0x33}, {0x42, 0x25}, {0x43, 0x17}, {0x44, 0x18}, {0x45, 0x0b},
      {0x46, 0x0a}, {0x49, 0x34}, {0x4a, 0x35}, {0x4b, 0x26}, {0x4c, 0x27}, {0x4d, 0x19},
      {0x4e, 0x0c}, {0x52, 0x28}, {0x54, 0x1a}, {0x55, 0x0d}, {0x58, 0x3a}, {0x59, 0x36},
      {0x5a, 0x1c}, {0x5b, 0x1b}, {0x5d, 0x2b}, {0x61, 0x56}, {0x66, 0x0e}, {0x69, 0x4f},
      {0x6b, 0x4b}, {0x6c, 0x47}, {0x70, 0x52}, {0x71, 0x53}, {0x72, 0x50}, {0x73, 0x4c},
      {0x74, 0x4d}, {0x75, 0x48}, {0x76, 0x01}, {0x77, 0x45}, {0x78, 0x57}, {0x79, 0x4e},
      {0x7a, 0x51}, {0x7b, 0x4a}, {0x7c, 0x37}, {0x7d, 0x49}, {0x7e, 0x46}, {0x83, 0x41},
  };
  for (const auto& p : pairs) t[p[0]] = p[1];
  return t;
}

constexpr std::array<uint8_t, 0x84> kSet2ToSet1 = make_translation();

}  // namespace

void I8042::reset() {
  queue_.clear();
  command_byte_ = kCbPowerOn;
  output_port_ = kOpPowerOn;
  status_ = kStUnlocked;
  pending_command_ = 0;
  kbd_enabled_ = true;
  kbd_pending_ = 0;
  leds_ = 0;
  typematic_ = 0x2b;
  scan_set_ = 2;
  break_prefix_ = false;
  mouse_stream_ = false;
  mouse_pending_ = 0;
  mouse_rate_ = 100;
  mouse_resolution_ = 2;
  mouse_scaling21_ = false;
  mouse_remote_ = false;
  mouse_wrap_ = false;
  mouse_buttons_ = 0;
  for (uint8_t& b : ram_) b = 0;
  update_irqs(true);
}

void I8042::push(Source s, uint8_t v) {
  queue_.push_back({v, s});
  // Bytes behind the one in the output buffer raise nothing yet.
  if (queue_.size() == 1) update_irqs(true);
}

void I8042::push_keyboard(uint8_t v) { push(Source::kKeyboard, v); }
void I8042::push_mouse(uint8_t v) { push(Source::kMouse, v); }

void I8042::update_irqs(bool fresh) {
  // A new byte in the output buffer is a fresh edge on its line.
  if (fresh) {
    kbd_irq.lower();
    mouse_irq.lower();
  }
  const bool full = !queue_.empty();
  const bool mouse = full && queue_.front().source == Source::kMouse;
  kbd_irq.set(full && !mouse && (command_byte_ & kCbKbdInt));
  mouse_irq.set(mouse && (command_byte_ & kCbAuxInt));
}

uint32_t I8042::io_read(uint16_t port, unsigned) {
  if (port == kI8042CommandPort) {
    uint8_t st = status_ & (kStCommand | kStUnlocked | kStSystem);
    if (command_byte_ & kCbSystem) st |= kStSystem;
    if (!queue_.empty()) {
      st |= kStOutputFull;
      if (queue_.front().source == Source::kMouse) st |= kStAuxData;
    }
    return st;
  }
  if (queue_.empty()) return 0;  // the buffer keeps its last byte; 0 will do
  const uint8_t v = queue_.front().value;
  queue_.pop_front();
  update_irqs(true);
  return v;
}

void I8042::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = uint8_t(value);
  if (port == kI8042CommandPort) {
    status_ |= kStCommand;
    controller_command(v);
    return;
  }
  status_ &= ~kStCommand;
  if (pending_command_) {
    controller_data(v);
    return;
  }
  keyboard_data(v);
}

void I8042::set_output_port(uint8_t v) {
  const uint8_t old = output_port_;
  output_port_ = v;
  if ((old ^ v) & kOpA20 && on_a20) on_a20(v & kOpA20);
  // The reset line is active low.
  if (!(v & kOpReset) && on_reset) on_reset();
}

void I8042::controller_command(uint8_t cmd) {
  if (cmd >= 0x20 && cmd <= 0x3f) {
    push(Source::kController, cmd == 0x20 ? command_byte_ : ram_[cmd & 0x1f]);
    return;
  }
  if ((cmd >= 0x60 && cmd <= 0x7f) || cmd == 0xd1 || cmd == 0xd2 || cmd == 0xd3 || cmd == 0xd4) {
    pending_command_ = cmd;
    return;
  }
  if (cmd >= 0xf0) {
    // Pulse output port bits 0-3 that are 0 in the command; bit 0 is reset.
    if (!(cmd & 0x01) && on_reset) on_reset();
    return;
  }
  switch (cmd) {
    case 0xa7: command_byte_ |= kCbAuxOff; break;
    case 0xa8: command_byte_ &= ~kCbAuxOff; break;
    case 0xa9: push(Source::kController, 0x00); break;  // mouse interface OK
    case 0xaa:  // self-test passed; the system flag says so
      command_byte_ |= kCbSystem;
      status_ |= kStSystem;
      push(Source::kController, 0x55);
      break;
    case 0xab: push(Source::kController, 0x00); break;  // keyboard interface OK
    case 0xad: command_byte_ |= kCbKbdOff; break;
    case 0xae: command_byte_ &= ~kCbKbdOff; break;
    case 0xc0: push(Source::kController, 0x80); break;  // input port: keyboard not inhibited
    case 0xd0: {
      uint8_t op = output_port_ & ~(kOpKbdFull | kOpAuxFull);
      if (!queue_.empty()) op |= queue_.front().source == Source::kMouse ? kOpAuxFull : kOpKbdFull;
      push(Source::kController, op);
      break;
    }
    case 0xdd: set_output_port(output_port_ & ~kOpA20); break;  // A20 off (HP Vectra)
    case 0xdf: set_output_port(output_port_ | kOpA20); break;   // A20 on
    case 0xe0: push(Source::kController, 0x00); break;          // test inputs
    default: break;  // unknown commands are ignored
  }
}

void I8042::controller_data(uint8_t v) {
  const uint8_t cmd = pending_command_;
  pending_command_ = 0;
  if (cmd >= 0x60 && cmd <= 0x7f) {
    if (cmd == 0x60) {
      command_byte_ = v;
      update_irqs(false);
    } else {
      ram_[cmd & 0x1f] = v;
    }
    return;
  }
  switch (cmd) {
    case 0xd1: set_output_port(v); break;
    case 0xd2: push(Source::kKeyboard, v); break;
    case 0xd3: push(Source::kMouse, v); break;
    case 0xd4: mouse_data(v); break;
    default: break;
  }
}

void I8042::keyboard_data(uint8_t v) {
  if (kbd_pending_) {
    const uint8_t cmd = kbd_pending_;
    kbd_pending_ = 0;
    if (cmd == 0xed) leds_ = v & 7;
    if (cmd == 0xf3) typematic_ = v & 0x7f;
    if (cmd == 0xf0) {
      if (v == 0) {
        push_keyboard(kAck);
        // The set number goes through the translation too (2 reads as 0x41).
        push_keyboard(command_byte_ & kCbTranslate ? translate(scan_set_) : scan_set_);
        return;
      }
      // Only set 2 is produced; sets 1 and 3 are accepted and ignored.
      if (v <= 3) scan_set_ = v;
    }
    push_keyboard(kAck);
    return;
  }
  switch (v) {
    case 0xed: case 0xf0: case 0xf3:
      kbd_pending_ = v;
      push_keyboard(kAck);
      break;
    case 0xee: push_keyboard(kEcho); break;
    case 0xf2:  // identify: MF2 keyboard, AB 83 (AB 41 translated)
      push_keyboard(kAck);
      push_keyboard(0xab);
      push_keyboard(command_byte_ & kCbTranslate ? 0x41 : 0x83);
      break;
    case 0xf4: kbd_enabled_ = true; push_keyboard(kAck); break;
    case 0xf5: kbd_enabled_ = false; typematic_ = 0x2b; push_keyboard(kAck); break;
    case 0xf6: typematic_ = 0x2b; push_keyboard(kAck); break;
    case 0xfe: push_keyboard(kAck); break;
    case 0xff:  // reset: ACK, then the basic assurance test passes
      kbd_enabled_ = true;
      leds_ = 0;
      typematic_ = 0x2b;
      scan_set_ = 2;
      push_keyboard(kAck);
      push_keyboard(kBatOk);
      break;
    default:
      if (v >= 0xf7 && v <= 0xfd) push_keyboard(kAck);  // set-3 key types: accepted
      else push_keyboard(kResend);
      break;
  }
}

uint8_t I8042::translate(uint8_t set2) {
  return set2 < kSet2ToSet1.size() ? kSet2ToSet1[set2] : set2;
}

void I8042::key(std::span<const uint8_t> set2) {
  if (!kbd_enabled_ || (command_byte_ & kCbKbdOff) || queue_.size() >= kQueueLimit) return;
  for (uint8_t b : set2) {
    if (!(command_byte_ & kCbTranslate)) {
      push_keyboard(b);
      continue;
    }
    if (b == 0xf0) {
      break_prefix_ = true;
      continue;
    }
    if (b == 0xe0 || b == 0xe1) {
      push_keyboard(b);
      continue;
    }
    uint8_t t = translate(b);
    if (break_prefix_) t |= 0x80;
    break_prefix_ = false;
    push_keyboard(t);
  }
}

void I8042::mouse_data(uint8_t v) {
  if (mouse_wrap_ && v != 0xec && v != 0xff) {
    push_mouse(v);
    return;
  }
  if (mouse_pending_) {
    const uint8_t cmd = mouse_pending_;
    mouse_pending_ = 0;
    if (cmd == 0xf3) mouse_rate_ = v;
    if (cmd == 0xe8) mouse_resolution_ = v & 3;
    push_mouse(kAck);
    return;
  }
  switch (v) {
    case 0xe6: mouse_scaling21_ = false; push_mouse(kAck); break;
    case 0xe7: mouse_scaling21_ = true; push_mouse(kAck); break;
    case 0xe8: case 0xf3: mouse_pending_ = v; push_mouse(kAck); break;
    case 0xe9: {  // status request
      push_mouse(kAck);
      push_mouse(uint8_t(mouse_remote_ << 6 | mouse_stream_ << 5 | mouse_scaling21_ << 4 |
                         (mouse_buttons_ & 7)));
      push_mouse(mouse_resolution_);
      push_mouse(mouse_rate_);
      break;
    }
    case 0xea: mouse_remote_ = false; push_mouse(kAck); break;
    case 0xeb: push_mouse(kAck); mouse_packet(0, 0); break;
    case 0xec: mouse_wrap_ = false; push_mouse(kAck); break;
    case 0xee: mouse_wrap_ = true; push_mouse(kAck); break;
    case 0xf0: mouse_remote_ = true; push_mouse(kAck); break;
    case 0xf2: push_mouse(kAck); push_mouse(0x00); break;  // ID 0: standard PS/2 mouse
    case 0xf4: mouse_stream_ = true; push_mouse(kAck); break;
    case 0xf5: mouse_stream_ = false; push_mouse(kAck); break;
    case 0xf6:
      mouse_rate_ = 100, mouse_resolution_ = 2, mouse_scaling21_ = false;
      push_mouse(kAck);
      break;
    case 0xff:  // reset: ACK, self-test passed, ID
      mouse_stream_ = mouse_remote_ = mouse_wrap_ = mouse_scaling21_ = false;
      mouse_rate_ = 100, mouse_resolution_ = 2;
      push_mouse(kAck);
      push_mouse(kBatOk);
      push_mouse(0x00);
      break;
    default: push_mouse(kResend); break;
  }
}

void I8042::mouse_packet(int dx, int dy) {
  dx = std::clamp(dx, -256, 255);
  dy = std::clamp(dy, -256, 255);
  push_mouse(uint8_t(0x08 | (mouse_buttons_ & 7) | (dx < 0) << 4 | (dy < 0) << 5));
  push_mouse(uint8_t(dx));
  push_mouse(uint8_t(dy));
}

void I8042::mouse_motion(int dx, int dy, uint8_t buttons) {
  mouse_buttons_ = buttons & 7;
  if (!mouse_stream_ || mouse_remote_ || (command_byte_ & kCbAuxOff)) return;
  if (queue_.size() + 3 > kQueueLimit) return;
  mouse_packet(dx, dy);
}

}  // namespace kestrel::devices
