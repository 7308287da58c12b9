// SPDX-License-Identifier: MIT
// The 8254: control words, counter reads and writes with their byte order,
// latch and read-back commands, the six counting modes worked out from the
// virtual clock, the gate of counter 2 and port 0x61. Counter 0 interrupts
// on each rising edge of its OUT (the PIC input is edge-triggered).
#include "devices/pit.h"

namespace kestrel::devices {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
/// Port B bit 4 toggles with each DRAM refresh request, every 15.085 us.
constexpr uint64_t kRefreshNs = 15'085;

uint64_t ticks_at(Nanos ns) {
  return uint64_t((unsigned __int128)ns * kPitHz / kNsPerSecond);
}

/// The first virtual time at which `tick` has been reached.
Nanos ns_at(uint64_t tick) {
  return Nanos(((unsigned __int128)tick * kNsPerSecond + kPitHz - 1) / kPitHz);
}

uint32_t modulus(const PitCounter& c) { return c.bcd ? 10000 : 0x10000; }

uint16_t to_bcd(uint32_t v) {
  return uint16_t((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

uint32_t from_bcd(uint16_t v) {
  return (v & 0xf) + (v >> 4 & 0xf) * 10 + (v >> 8 & 0xf) * 100 + (v >> 12 & 0xf) * 1000;
}

}  // namespace

Pit::Pit(Scheduler& clock) : clock_(clock), timer_(clock.add_timer([this] { on_timer(); })) {
  reset();
}

void Pit::reset() {
  // The 8254's state after power-up is undefined; the counters wait for a
  // control word, and counter 2's gate follows port B (low).
  for (PitCounter& c : counters_) c = PitCounter{};
  counters_[2].gate = false;
  port_b_ = 0;
  clock_.disarm(timer_);
  irq0.lower();
}

uint64_t Pit::tick_now() const { return ticks_at(clock_.now()); }

uint64_t Pit::elapsed(unsigned index) const {
  const PitCounter& c = counters_[index];
  if (c.paused) return c.paused_at;
  if (!c.counting) return 0;
  const uint64_t t = tick_now();
  return t > c.start ? t - c.start : 0;
}

uint16_t Pit::count(unsigned index) const {
  const PitCounter& c = counters_[index];
  const uint32_t n = c.reload;
  const uint32_t mod = modulus(c);
  uint32_t v = n % mod;
  if (c.counting || c.paused) {
    const uint64_t d = elapsed(index);
    switch (c.mode) {
      case 2:
        v = n - uint32_t(d % n);
        break;
      case 3: {
        // Decrements by two; an odd count spends its extra tick high.
        const uint32_t p = uint32_t(d % n), high = (n + 1) / 2, even = n & ~1u;
        v = p < high ? even - 2 * p : even - 2 * (p - high);
        if (v == 0) v = even ? even : 2;
        break;
      }
      default:  // 0, 1, 4, 5: count down through zero and wrap
        v = uint32_t((uint64_t(n) + mod - d % mod) % mod);
        break;
    }
  }
  v %= mod;
  return c.bcd ? to_bcd(v) : uint16_t(v);
}

bool Pit::out(unsigned index) const {
  const PitCounter& c = counters_[index];
  if (!c.counting && !c.paused) return !c.out_low;
  const uint64_t d = elapsed(index), n = c.reload;
  switch (c.mode) {
    case 0: return d >= n;
    case 1: return d >= n;
    case 2: return n < 2 || d % n != n - 1;
    case 3: return d % n < (n + 1) / 2;
    default: return d != n;  // 4, 5: one tick low at terminal count
  }
}

void Pit::schedule_irq0() {
  const PitCounter& c = counters_[0];
  if (!c.counting) {
    clock_.disarm(timer_);
    return;
  }
  const uint64_t d = elapsed(0), n = c.reload;
  uint64_t edge;  // counted ticks at OUT's next rising edge
  switch (c.mode) {
    case 0: case 1:
      if (d >= n) return clock_.disarm(timer_);
      edge = n;
      break;
    case 2: case 3:
      edge = (d / n + 1) * n;
      break;
    default:
      if (d > n) return clock_.disarm(timer_);
      edge = n + 1;
      break;
  }
  clock_.arm(timer_, ns_at(c.start + edge));
}

void Pit::on_timer() {
  // A late timer (a host pause) gives one edge, not the ones it missed.
  irq0.pulse();
  schedule_irq0();
}

void Pit::load(unsigned index, uint32_t value) {
  PitCounter& c = counters_[index];
  uint32_t n = c.bcd ? from_bcd(uint16_t(value)) : value & 0xffff;
  if (n == 0) n = modulus(c);
  c.reload = n;
  c.null_count = false;
  c.paused = false;
  if (c.mode == 1 || c.mode == 5) {
    // Hardware-triggered: counting starts at the gate's next rising edge.
    c.armed = true;
    c.counting = false;
  } else {
    c.armed = true;
    c.start = tick_now();
    c.counting = c.gate || c.mode == 0 || c.mode == 4;
    if (!c.gate && (c.mode == 0 || c.mode == 4)) {
      c.paused = true;
      c.paused_at = 0;
      c.counting = false;
    }
  }
  if (index == 0) schedule_irq0();
}

void Pit::set_gate(unsigned index, bool gate) {
  PitCounter& c = counters_[index];
  if (c.gate == gate) return;
  c.gate = gate;
  if (!c.armed) return;
  switch (c.mode) {
    case 0: case 4:  // the gate pauses counting
      if (!gate && c.counting) {
        c.paused_at = elapsed(index);
        c.paused = true;
        c.counting = false;
      } else if (gate && c.paused) {
        c.start = tick_now() - c.paused_at;
        c.paused = false;
        c.counting = true;
      }
      break;
    case 2: case 3:  // low: stop with OUT high; rising: reload
      c.counting = gate;
      if (gate) c.start = tick_now();
      break;
    default:  // 1, 5: a rising edge (re)triggers
      if (gate) {
        c.start = tick_now();
        c.counting = true;
      }
      break;
  }
  if (index == 0) schedule_irq0();
}

void Pit::latch_count(unsigned index) {
  PitCounter& c = counters_[index];
  if (c.latched) return;  // the first latch holds until read
  c.latch = count(index);
  c.latched = true;
  c.read_msb_next = false;
}

void Pit::latch_status(unsigned index) {
  PitCounter& c = counters_[index];
  if (c.status_latched) return;
  c.status = uint8_t(out(index) << 7 | c.null_count << 6 | c.access << 4 | c.mode << 1 | c.bcd);
  c.status_latched = true;
}

void Pit::write_control(uint8_t v) {
  const unsigned sel = v >> 6;
  if (sel == 3) {
    // Read-back: bit 5 clear latches counts, bit 4 clear latches status.
    for (unsigned i = 0; i < 3; ++i) {
      if (!(v & (2u << i))) continue;
      if (!(v & 0x10)) latch_status(i);
      if (!(v & 0x20)) latch_count(i);
    }
    return;
  }
  const unsigned access = v >> 4 & 3;
  if (access == 0) {
    latch_count(sel);
    return;
  }
  PitCounter& c = counters_[sel];
  const bool gate = c.gate;
  c = PitCounter{};
  c.gate = gate;
  c.access = uint8_t(access);
  c.mode = uint8_t(v >> 1 & 7);
  if (c.mode > 5) c.mode -= 4;  // 6 and 7 are modes 2 and 3
  c.bcd = v & 1;
  c.out_low = c.mode == 0;
  if (sel == 0) schedule_irq0();
}

void Pit::write_counter(unsigned index, uint8_t v) {
  PitCounter& c = counters_[index];
  switch (c.access) {
    case 1: load(index, v); break;
    case 2: load(index, uint32_t(v) << 8); break;
    default:
      if (!c.write_msb_next) {
        c.write_lsb = v;
        c.write_msb_next = true;
        // Mode 0: writing the first byte stops the count (data sheet, mode 0).
        if (c.mode == 0 && c.counting) {
          c.counting = false;
          c.out_low = true;
          if (index == 0) schedule_irq0();
        }
      } else {
        c.write_msb_next = false;
        load(index, c.write_lsb | uint32_t(v) << 8);
      }
      break;
  }
}

uint8_t Pit::read_counter(unsigned index) {
  PitCounter& c = counters_[index];
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  const uint16_t v = c.latched ? c.latch : count(index);
  bool msb = c.access == 2;
  if (c.access == 3) {
    msb = c.read_msb_next;
    c.read_msb_next = !c.read_msb_next;
  }
  if (c.latched && (c.access != 3 || msb)) c.latched = false;
  return msb ? uint8_t(v >> 8) : uint8_t(v);
}

uint8_t Pit::read_port_b() const {
  const bool refresh = (clock_.now() / kRefreshNs) & 1;
  return uint8_t((port_b_ & 0x0f) | refresh << 4 | out(2) << 5);
}

uint32_t Pit::io_read(uint16_t port, unsigned size) {
  if (port == kPortB) return read_port_b();
  const unsigned reg = port - kPitPort;
  if (reg == 3) return open_bus(size);  // the control word is write-only
  return read_counter(reg);
}

void Pit::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = uint8_t(value);
  if (port == kPortB) {
    port_b_ = v & 0x0f;
    set_gate(2, v & 1);
    return;
  }
  const unsigned reg = port - kPitPort;
  if (reg == 3) write_control(v);
  else write_counter(reg, v);
}

}  // namespace kestrel::devices
