// SPDX-License-Identifier: MIT
// Building the minimal machine, mapping its firmware, and the run loop.
#include "machine/machine.h"

#include <algorithm>
#include <string>

#include "cpu/interp/interpreter.h"

namespace kestrel::machine {
namespace {

/// Instructions per engine slice: long enough to amortise the call, short
/// enough that pending requests are looked at promptly.
constexpr uint64_t kSliceInsns = 100'000;

/// Top of the physical space where the reset vector lives: the 286 fetches
/// its first instruction at FFFFF0 and every later CPU at FFFFFFF0, whatever
/// the width of its bus beyond 32 bits (SDM 3A §9.1.4).
uint64_t reset_window_top(unsigned phys_addr_bits) {
  return phys_addr_bits >= 32 ? uint64_t{1} << 32 : uint64_t{1} << phys_addr_bits;
}

const cpu::CpuModel& model_of(const MachineConfig& config) {
  return config.cpu_model ? *config.cpu_model : cpu::default_cpu_model();
}

}  // namespace

std::optional<std::string> firmware_size_problem(uint64_t size) {
  if (size == 0) return "the image is empty";
  if (size > kMaxFirmwareSize) {
    return "the image is " + std::to_string(size) + " bytes; at most 16 MiB fits";
  }
  return std::nullopt;
}

Machine::Machine(const MachineConfig& config)
    : no_reboot_(config.no_reboot),
      mmu_(config.ram_bytes, model_of(config).phys_addr_bits),
      cpu_(model_of(config), mmu_, io_),
      engine_(std::make_unique<cpu::Interpreter>(cpu_)),
      debug_console_(config.debug_console),
      debug_exit_([this](uint32_t value) { request_exit(value); }) {
  io_.claim(devices::kDebugConsolePort, 1, debug_console_);
  io_.claim(devices::kDebugExitPort, 1, debug_exit_);
  devices_ = {&debug_console_, &debug_exit_};
  map_firmware(config.firmware);
  reset();
}

Machine::~Machine() = default;

void Machine::map_firmware(std::span<const uint8_t> image) {
  if (image.empty()) return;
  // Like QEMU's PC: the whole image ends at the top of the reset window,
  // and its last 128 KiB also end at 1 MiB. The 8086's 20-bit bus has only
  // the low copy (its reset vector, FFFF0, is in it).
  const unsigned bits = cpu_.model->phys_addr_bits;
  if (bits > 20) mmu_.add_rom(reset_window_top(bits) - image.size(), image);
  const size_t low = std::min<size_t>(image.size(), kLowFirmwareWindow);
  mmu_.add_rom((uint64_t{1} << 20) - low, image.last(low));
}

void Machine::reset() {
  cpu_.reset();
  for (devices::Device* d : devices_) d->reset();
  engine_->flush();
  exit_value_.reset();
  ++resets_;
}

void Machine::request_exit(uint32_t value) {
  exit_value_ = value;
  cpu_.s.pending |= cpu::kPendingStop;
}

RunResult Machine::stopped(Outcome outcome) const {
  RunResult r{outcome};
  r.exit_value = exit_value_.value_or(0);
  r.cs = cpu_.s.seg[cpu::kCs].selector;
  r.ip = cpu_.s.rip;
  r.interrupts_enabled = (cpu_.s.rflags & cpu::kIf) != 0;
  return r;
}

RunResult Machine::run() {
  for (;;) {
    const cpu::StopReason why = engine_->run(kSliceInsns);
    if (exit_value_) return stopped(Outcome::kGuestExit);
    switch (why) {
      case cpu::StopReason::kBudget:
        break;
      case cpu::StopReason::kPending:
        // Nothing in this machine raises IRQs or NMIs yet; a reset request
        // restarts the guest and the rest is dropped so the loop can go on.
        if (cpu_.s.pending & cpu::kPendingReset) reset();
        cpu_.s.pending = 0;
        break;
      case cpu::StopReason::kHalted:
        // No timer, no interrupt controller: nothing can ever wake the CPU.
        return stopped(Outcome::kHalted);
      case cpu::StopReason::kShutdown:
        if (no_reboot_) return stopped(Outcome::kShutdown);
        reset();
        break;
    }
  }
}

}  // namespace kestrel::machine
