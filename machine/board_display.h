// SPDX-License-Identifier: MIT
// The board's display part. The VGA adapter with the Bochs VBE extensions (PCI 00:02.0) and the link that hands its frames to the frontend.
#pragma once

namespace kestrel::machine {

/// Everything of the section, owned together; the Board keeps one.
class Display {
 public:
  Display() = default;
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;
};

}  // namespace kestrel::machine
