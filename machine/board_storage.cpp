// SPDX-License-Identifier: MIT
// Wiring of the board's storage section (machine/board_storage.h).
#include "machine/board_storage.h"

#include "machine/board.h"

namespace kestrel::machine {

void Board::wire_storage() { storage_ = std::make_unique<Storage>(); }

}  // namespace kestrel::machine
