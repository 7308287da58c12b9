// SPDX-License-Identifier: MIT
// The user-interface part of a run's host side (frontend/host_part.h).
#include "frontend/host_part.h"

namespace kestrel::frontend {
namespace {

class NoUi final : public UiPart {
 public:
  machine::RunResult run(machine::Machine& m) override { return m.run(); }
};

}  // namespace

std::unique_ptr<UiPart> make_ui_part() { return std::make_unique<NoUi>(); }

}  // namespace kestrel::frontend
