// SPDX-License-Identifier: MIT
// Building the machine, mapping its firmware, and the run loop: the CPU runs
// in slices that end at the next timer deadline; between slices the loop
// fires timers, polls host input and delivers interrupts, and a halted CPU
// waits for the next deadline instead of spinning.
#include "machine/machine.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "cpu/interrupts.h"
#include "machine/engines.h"

namespace kestrel::machine {
namespace {

/// Instructions per engine slice at most: long enough to amortise the call,
/// short enough that host input and the stop requests are looked at promptly.
constexpr uint64_t kSliceInsns = 100'000;
/// A halted CPU waiting for host input (no deadline) looks again this often.
constexpr Nanos kIdlePoll = 10'000'000;
constexpr uint8_t kVecNmi = 2;

/// Top of the physical space where the reset vector lives: the 286 fetches
/// its first instruction at FFFFF0 and every later CPU at FFFFFFF0, whatever
/// the width of its bus beyond 32 bits (SDM 3A §9.1.4).
uint64_t reset_window_top(unsigned phys_addr_bits) {
  return phys_addr_bits >= 32 ? uint64_t{1} << 32 : uint64_t{1} << phys_addr_bits;
}

const cpu::CpuModel& model_of(const MachineConfig& config) {
  return config.cpu_model ? *config.cpu_model : cpu::default_cpu_model();
}

bool any_backend(const MachineConfig& config) {
  return std::any_of(config.serial.begin(), config.serial.end(),
                     [](const devices::CharBackend* b) { return b != nullptr; });
}

/// Delivers an external interrupt or NMI at an instruction boundary. The
/// event itself is benign (SDM 3A §6.15, table 6-5): a fault raised while
/// delivering it is delivered next, a fault delivering that one becomes #DF,
/// and a fault delivering #DF is a shutdown.
void deliver_external(cpu::Cpu& cpu, uint8_t vector) {
  cpu.insn_rip = cpu.s.rip;
  try {
    cpu::deliver_event(cpu, vector, cpu::EventKind::kExternal);
    return;
  } catch (const cpu::GuestFault& f) {
    try {
      cpu::deliver_event(cpu, f.vector, cpu::EventKind::kException, f.has_error, f.error);
      return;
    } catch (const cpu::GuestFault&) {
    }
  }
  try {
    cpu::deliver_event(cpu, cpu::kVecDf, cpu::EventKind::kException, true, 0);
  } catch (const cpu::GuestFault&) {
    cpu.s.pending |= cpu::kPendingReset;
  }
}

}  // namespace

std::optional<std::string> firmware_size_problem(uint64_t size) {
  if (size == 0) return "the image is empty";
  if (size > kMaxFirmwareSize) {
    return "the image is " + std::to_string(size) + " bytes; at most 16 MiB fits";
  }
  return std::nullopt;
}

void Machine::CpuPins::set_irq(unsigned pin, bool level) {
  if (pin == kCpuIntr) {
    if (level) s_.pending |= cpu::kPendingIrq;
    else s_.pending &= ~uint32_t{cpu::kPendingIrq};
  } else if (pin == kCpuNmi && level) {
    s_.pending |= cpu::kPendingNmi;
  }
}

Machine::Machine(const MachineConfig& config)
    : no_reboot_(config.no_reboot),
      has_input_(any_backend(config)),
      mmu_(config.ram_bytes, model_of(config).phys_addr_bits),
      cpu_(model_of(config), mmu_, io_),
      engine_(make_engine(config.accel, cpu_)),
      clock_(config.clock, cpu_.s.icount),
      pins_(cpu_.s),
      debug_console_(config.debug_console),
      debug_exit_([this](uint32_t value) { request_exit(value); }) {
  cpu_.time = &clock_;
  io_.claim(devices::kDebugConsolePort, 1, debug_console_);
  io_.claim(devices::kDebugExitPort, 1, debug_exit_);
  devices_ = {&debug_console_, &debug_exit_};
  board_ = std::make_unique<Board>(
      config, BoardLinks{mmu_, io_, clock_, cpu_, pins_, [this] { request_reset(); },
                         [this] { request_power_off(); }});
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
  // The instruction count starts again from zero, but virtual time goes on.
  clock_.sync();
  cpu_.reset();
  clock_.rebase();
  for (devices::Device* d : devices_) d->reset();
  board_->reset();
  engine_->flush();
  exit_value_.reset();
  device_reset_ = false;
  host_reset_ = false;
  ++resets_;
}

void Machine::add_agent(HostAgent& agent) { agents_.push_back(&agent); }

void Machine::remove_agent(HostAgent& agent) {
  agents_.erase(std::remove(agents_.begin(), agents_.end(), &agent), agents_.end());
}

void Machine::pause() {
  paused_ = true;
  cpu_.s.pending |= cpu::kPendingStop;
}

void Machine::resume() { paused_ = false; }

void Machine::request_quit() {
  quit_ = true;
  cpu_.s.pending |= cpu::kPendingStop;
}

void Machine::system_reset() {
  host_reset_ = true;
  cpu_.s.pending |= cpu::kPendingReset;
}

cpu::StopReason Machine::step() {
  // As QEMU's gdbstub does by default, a single step neither delivers a
  // pending interrupt nor lets timers run first: the debugger sees the next
  // instruction of the code it is stepping through.
  if (cpu_.s.halted) return cpu::StopReason::kHalted;
  const uint32_t keep = cpu_.s.pending & (cpu::kPendingIrq | cpu::kPendingNmi);
  cpu_.s.pending &= ~keep;
  const cpu::StopReason why = engine_->step();
  cpu_.s.pending |= keep;
  return why;
}

void Machine::poll_agents() {
  // An agent may remove itself (a debugger detaching) while being polled.
  const std::vector<HostAgent*> agents = agents_;
  for (HostAgent* a : agents) a->poll();
}

void Machine::wait_paused() {
  clock_.pause();
  while (paused_ && !quit_) {
    poll_agents();
    if (!paused_ || quit_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  clock_.resume();
}

void Machine::note_debug_stop() {
  pause();
  const std::vector<HostAgent*> agents = agents_;
  for (HostAgent* a : agents) a->debug_stopped();
}

void Machine::request_exit(uint32_t value) {
  exit_value_ = value;
  cpu_.s.pending |= cpu::kPendingStop;
}

void Machine::request_power_off() {
  power_off_ = true;
  cpu_.s.pending |= cpu::kPendingStop;
}

void Machine::request_reset() {
  device_reset_ = true;
  cpu_.s.pending |= cpu::kPendingReset;
}

RunResult Machine::stopped(Outcome outcome) const {
  RunResult r{outcome};
  r.exit_value = exit_value_.value_or(0);
  r.cs = cpu_.s.seg[cpu::kCs].selector;
  r.ip = cpu_.s.rip;
  r.interrupts_enabled = (cpu_.s.rflags & cpu::kIf) != 0;
  return r;
}

void Machine::service() {
  clock_.sync();
  clock_.run_due();
  board_->poll_input();
  poll_agents();
  cpu::CpuState& s = cpu_.s;
  if (s.pending & cpu::kPendingFerr) {
    s.pending &= ~uint32_t{cpu::kPendingFerr};
    board_->raise_ferr();
  }
  s.pending &= ~uint32_t{cpu::kPendingStop};
  // INTR as the interrupt controller drives it now (its pin callback keeps
  // the bit current inside a slice; this covers a controller swapped in).
  if (board_->interrupt_source().interrupt_pending()) s.pending |= cpu::kPendingIrq;
  else s.pending &= ~uint32_t{cpu::kPendingIrq};
}

void Machine::take_interrupts() {
  cpu::CpuState& s = cpu_.s;
  // The shadow of STI and MOV/POP SS holds off NMI as well (SDM 3A §6.8.3).
  if (s.inhibit_irq & cpu::kInhibitIrq) return;
  if (s.pending & cpu::kPendingNmi) {
    s.pending &= ~uint32_t{cpu::kPendingNmi};
    s.halted = false;
    deliver_external(cpu_, kVecNmi);
    return;
  }
  if (!(s.pending & cpu::kPendingIrq) || !(s.rflags & cpu::kIf)) return;
  devices::InterruptSource& source = board_->interrupt_source();
  const uint8_t vector = source.acknowledge();
  if (!source.interrupt_pending()) s.pending &= ~uint32_t{cpu::kPendingIrq};
  s.halted = false;
  deliver_external(cpu_, vector);
}

bool Machine::idle() {
  // Without IF nothing on this board can wake the CPU (no NMI source).
  if (!(cpu_.s.rflags & cpu::kIf) && !(cpu_.s.pending & cpu::kPendingNmi)) return false;
  const std::optional<Nanos> deadline = clock_.next_deadline();
  if (!deadline && !has_input_) return false;
  Nanos wait = deadline ? clock_.idle_until(*deadline) : kIdlePoll;
  if (wait == 0) return true;
  // Host time (or host input without timers under -icount): sleep in short
  // steps so host input is seen promptly; a ready network socket ends it at once.
  board_->wait_input(std::min(wait, kIdlePoll));
  return true;
}

cpu::StopReason Machine::run_slice() {
  const uint64_t budget = clock_.slice_insns(kSliceInsns);
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t i0 = cpu_.s.icount;
  const cpu::StopReason why = engine_->run(budget);
  const auto dt = std::chrono::steady_clock::now() - t0;
  const uint64_t insns = cpu_.s.icount - i0;
  const Nanos ns = Nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(dt).count());
  // Under -icount host time never reaches the guest: it only feeds -stats.
  if (!clock_.deterministic()) clock_.note_slice(insns, ns);
  stats_.instructions += insns;
  stats_.busy_ns += ns;
  ++stats_.slices;
  return why;
}

RunResult Machine::run() {
  for (;;) {
    service();
    if (quit_) return stopped(Outcome::kQuit);
    if (exit_value_) return stopped(Outcome::kGuestExit);
    if (power_off_) return stopped(Outcome::kPowerOff);
    if (paused_) {
      wait_paused();
      continue;
    }
    if (cpu_.s.pending & cpu::kPendingReset) {
      if (no_reboot_ && !host_reset_) {
        return stopped(device_reset_ ? Outcome::kReset : Outcome::kShutdown);
      }
      reset();
      continue;
    }
    take_interrupts();
    if (cpu_.s.halted) {
      if (idle()) continue;
      // Nothing in the guest can wake it, but a host agent (a debugger, the
      // monitor) still may: keep serving it rather than giving up.
      if (agents_.empty()) return stopped(Outcome::kHalted);
      std::this_thread::sleep_for(std::chrono::nanoseconds(kIdlePoll));
      continue;
    }
    if (run_slice() == cpu::StopReason::kDebug) note_debug_stop();
    if (exit_value_) return stopped(Outcome::kGuestExit);
    if (power_off_) return stopped(Outcome::kPowerOff);
  }
}

}  // namespace kestrel::machine
