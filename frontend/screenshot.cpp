// SPDX-License-Identifier: MIT
// Screenshots as PNG through libpng's simplified API (png_image).
#include "frontend/screenshot.h"

#include <png.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kestrel::frontend {

std::optional<std::string> write_png(const devices::Frame& frame, const std::string& path) {
  if (frame.width == 0 || frame.height == 0 ||
      frame.pixels.size() != size_t(frame.width) * frame.height) {
    return "there is no screen to write (no display adapter, or it shows nothing yet)";
  }
  std::vector<uint8_t> rgb(size_t(frame.width) * frame.height * 3);
  for (size_t i = 0; i < frame.pixels.size(); ++i) {
    const uint32_t p = frame.pixels[i];
    rgb[3 * i] = uint8_t(p >> 16);
    rgb[3 * i + 1] = uint8_t(p >> 8);
    rgb[3 * i + 2] = uint8_t(p);
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = frame.width;
  image.height = frame.height;
  image.format = PNG_FORMAT_RGB;
  errno = 0;
  if (!png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), 0, nullptr)) {
    const std::string why = errno != 0 ? std::strerror(errno) : image.message;
    png_image_free(&image);
    return why;
  }
  return std::nullopt;
}

}  // namespace kestrel::frontend
