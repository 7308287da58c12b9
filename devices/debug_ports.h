// SPDX-License-Identifier: MIT
// Test-friendly ports: the Bochs-compatible 0xE9 debug console and QEMU's
// isa-debug-exit. Where the bytes go and how the process ends is decided by
// whoever constructs them (machine/), not here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>

#include "devices/device.h"

namespace kestrel::devices {

inline constexpr uint16_t kDebugConsolePort = 0xe9;
inline constexpr uint16_t kDebugExitPort = 0xf4;

/// Port 0xE9: every byte written goes to `out`. A read returns 0xE9 so a
/// guest can detect the port (Bochs' port_e9_hack, QEMU's debugcon readback).
class DebugConsole final : public Device {
 public:
  explicit DebugConsole(std::FILE* out) : out_(out) {}

  void reset() override {}
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

 private:
  std::FILE* out_;
};

/// Port 0xF4: a write of `v` (any width) asks to end emulation with process
/// exit status (v << 1) | 1, as QEMU's isa-debug-exit does. The device only
/// reports the request; the owner stops the machine.
class DebugExit final : public Device {
 public:
  using ExitRequest = std::function<void(uint32_t value)>;
  explicit DebugExit(ExitRequest on_exit) : on_exit_(std::move(on_exit)) {}

  void reset() override {}
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// The process exit status QEMU gives for a write of `value`.
  static int exit_status(uint32_t value) { return int(((value << 1) | 1) & 0xff); }

 private:
  ExitRequest on_exit_;
};

}  // namespace kestrel::devices
