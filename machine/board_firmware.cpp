// SPDX-License-Identifier: MIT
// Wiring of the board's firmware section (machine/board_firmware.h).
#include "machine/board_firmware.h"

#include "machine/board.h"

namespace kestrel::machine {

void Board::wire_firmware() { firmware_ = std::make_unique<Firmware>(); }

}  // namespace kestrel::machine
