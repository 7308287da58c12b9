// SPDX-License-Identifier: MIT
// Wiring of the board's display section (machine/board_display.h).
#include "machine/board_display.h"

#include "machine/board.h"

namespace kestrel::machine {

void Board::wire_display() { display_ = std::make_unique<Display>(); }

}  // namespace kestrel::machine
