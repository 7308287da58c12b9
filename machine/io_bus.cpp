// SPDX-License-Identifier: MIT
// Port dispatch through the flat handler table.
#include "machine/io_bus.h"

#include <stdexcept>
#include <string>

namespace kestrel::machine {
namespace {

uint32_t size_mask(unsigned size) { return devices::open_bus(size); }

void check_range(uint16_t first, unsigned count) {
  if (count == 0 || first + count > kPortCount) {
    throw std::logic_error("I/O port range " + std::to_string(first) + "+" +
                           std::to_string(count) + " is outside the port space");
  }
}

}  // namespace

IoBus::IoBus() : table_(new devices::Device*[kPortCount]()) {}

void IoBus::claim(uint16_t first, unsigned count, devices::Device& device) {
  check_range(first, count);
  for (unsigned p = first; p < first + count; ++p) {
    if (table_[p]) {
      throw std::logic_error("I/O port " + std::to_string(p) + " is claimed twice");
    }
  }
  for (unsigned p = first; p < first + count; ++p) table_[p] = &device;
}

void IoBus::release(uint16_t first, unsigned count) {
  check_range(first, count);
  for (unsigned p = first; p < first + count; ++p) table_[p] = nullptr;
}

uint32_t IoBus::in(uint16_t port, unsigned size) {
  devices::Device* d = table_[port];
  if (!d) return size_mask(size);
  return d->io_read(port, size) & size_mask(size);
}

void IoBus::out(uint16_t port, uint32_t value, unsigned size) {
  if (devices::Device* d = table_[port]) d->io_write(port, value & size_mask(size), size);
}

}  // namespace kestrel::machine
