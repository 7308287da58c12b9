// SPDX-License-Identifier: MIT
// The 0xE9 debug console and the isa-debug-exit port.
#include "devices/debug_ports.h"

namespace kestrel::devices {

uint32_t DebugConsole::io_read(uint16_t, unsigned) { return kDebugConsolePort; }

void DebugConsole::io_write(uint16_t, uint32_t value, unsigned) {
  // The port is one byte wide: of a wider write (which QEMU splits across
  // 0xE9, 0xEA...) only the low byte is the console's.
  const int c = int(value & 0xff);
  std::fputc(c, out_);
  // A guest that prints a line and then spins should still be seen.
  if (c == '\n') std::fflush(out_);
}

void DebugExit::io_write(uint16_t, uint32_t value, unsigned size) {
  const uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
  on_exit_(value & mask);
}

}  // namespace kestrel::devices
