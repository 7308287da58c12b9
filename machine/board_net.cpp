// SPDX-License-Identifier: MIT
// Wiring of the board's network section (machine/board_net.h).
#include "machine/board_net.h"

#include "machine/board.h"

namespace kestrel::machine {

void Board::wire_network() { network_ = std::make_unique<Network>(); }

void Board::poll_network() {}

}  // namespace kestrel::machine
