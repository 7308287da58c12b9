// SPDX-License-Identifier: MIT
// What a display adapter (VGA with the Bochs VBE extensions) offers the
// rest of the program: the screen as pixels, and in text modes the
// characters, for the window, screenshots, the monitor and tests. The
// adapter renders on the machine thread; machine/display_link.h hands the
// frames to the frontend's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::devices {

/// One screen: width x height pixels, row after row, each 0x00RRGGBB.
struct Frame {
  unsigned width = 0;
  unsigned height = 0;
  std::vector<uint32_t> pixels;
};

class DisplaySource {
 public:
  virtual ~DisplaySource() = default;
  /// Renders the screen into `out` when anything visible changed since the
  /// last call (memory, registers, the palette, the cursor blink) or when
  /// `force` is set; returns whether `out` was written.
  virtual bool render(Frame& out, bool force) = 0;
  /// The characters of the text screen, one string per row (code page 437
  /// bytes as they are in memory); empty in graphics modes.
  virtual std::vector<std::string> text_rows() const = 0;
};

}  // namespace kestrel::devices
