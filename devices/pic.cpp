// SPDX-License-Identifier: MIT
// The 8259A pair: initialization and operation command words, priority
// resolution with rotation and special mask, the acknowledge cycle with the
// cascade, auto-EOI, poll mode and the ELCR. References: Intel 8259A data
// sheet (order 231468); PIIX/PIIX3 data sheet for the ELCR.
#include "devices/pic.h"

namespace kestrel::devices {
namespace {

/// ELCR bits that exist: IRQ 0, 1, 2, 8 and 13 are always edge-triggered.
constexpr uint8_t kElcrMask[2] = {0xf8, 0xde};
constexpr uint8_t kSpuriousIrq = 7;

unsigned priority(const Pic8259& c, unsigned irq) { return (irq - c.priority_add) & 7; }

/// The input of `bits` with the highest priority, or -1.
int highest(const Pic8259& c, uint8_t bits) {
  if (!bits) return -1;
  for (unsigned p = 0; p < 8; ++p) {
    const unsigned irq = (p + c.priority_add) & 7;
    if (bits & (1u << irq)) return int(irq);
  }
  return -1;
}

uint8_t level_inputs(const Pic8259& c) { return c.level_mode ? 0xff : c.elcr; }

}  // namespace

void Pic::reset() {
  for (Pic8259& c : chips_) {
    const uint8_t lines = c.lines;
    c = Pic8259{};
    c.lines = lines;  // the devices still drive their pins
  }
  update();
}

int Pic::best_request(const Pic8259& c) const {
  const int req = highest(c, c.irr & ~c.imr);
  if (req < 0) return -1;
  uint8_t in_service = c.isr;
  // Special mask mode: a masked level in service does not hold back others.
  if (c.special_mask) in_service &= ~c.imr;
  // Special fully nested mode: the slave may interrupt while one of its
  // requests is in service (data sheet, "Special Fully Nested Mode").
  if (c.special_fully_nested && &c == &chips_[0]) in_service &= ~(1u << kPicCascadeIrq);
  const int cur = highest(c, in_service);
  if (cur >= 0 && priority(c, unsigned(cur)) <= priority(c, unsigned(req))) return -1;
  return req;
}

void Pic::update() {
  Pic8259& m = chips_[0];
  if (!m.single) {
    // The cascade input follows the slave's INT pin as a level: an edge
    // lost while the master's IR2 was being acknowledged would otherwise
    // strand the slave's next request.
    const uint8_t bit = 1u << kPicCascadeIrq;
    if (best_request(chips_[1]) >= 0) m.irr |= bit;
    else m.irr &= ~bit;
  }
  intr.set(best_request(m) >= 0);
}

void Pic::set_input(unsigned index, unsigned irq, bool level) {
  Pic8259& c = chips_[index];
  const uint8_t bit = 1u << irq;
  const bool was = c.lines & bit;
  if (level) c.lines |= bit;
  else c.lines &= ~bit;
  if (level_inputs(c) & bit) {
    if (level) c.irr |= bit;
    else c.irr &= ~bit;
  } else if (level && !was) {
    c.irr |= bit;  // edge: latched on the rising edge, kept until acknowledged
  }
}

void Pic::set_irq(unsigned pin, bool level) {
  if (pin >= 16) return;
  set_input(pin >> 3, pin & 7, level);
  update();
}

bool Pic::interrupt_pending() const { return best_request(chips_[0]) >= 0; }

void Pic::ack_input(unsigned index, unsigned irq) {
  Pic8259& c = chips_[index];
  const uint8_t bit = 1u << irq;
  if (!(level_inputs(c) & bit)) c.irr &= ~bit;
  if (c.auto_eoi) {
    if (c.rotate_on_aeoi) c.priority_add = (irq + 1) & 7;
  } else {
    c.isr |= bit;
  }
}

uint8_t Pic::acknowledge() {
  Pic8259& m = chips_[0];
  const int irq = best_request(m);
  if (irq < 0) {
    // The request went away before INTA: spurious IRQ 7, nothing in service.
    return uint8_t(m.vector_base | kSpuriousIrq);
  }
  uint8_t vector = uint8_t(m.vector_base + irq);
  const bool cascade = irq == int(kPicCascadeIrq) && !m.single;
  if (cascade) {
    Pic8259& s = chips_[1];
    const int sirq = best_request(s);
    // The master still puts IR2 in service; the slave answers IRQ 15.
    vector = sirq < 0 ? uint8_t(s.vector_base | kSpuriousIrq) : uint8_t(s.vector_base + sirq);
    if (sirq >= 0) ack_input(1, unsigned(sirq));
  }
  ack_input(0, unsigned(irq));
  update();
  return vector;
}

uint8_t Pic::read_poll(unsigned index) {
  Pic8259& c = chips_[index];
  c.poll = false;
  const int irq = best_request(c);
  if (irq < 0) return 0;
  ack_input(index, unsigned(irq));
  update();
  return uint8_t(0x80 | irq);
}

uint32_t Pic::io_read(uint16_t port, unsigned size) {
  if ((port & ~1u) == kElcrPort) {
    uint32_t v = chips_[port & 1].elcr;
    if (size >= 2 && !(port & 1)) v |= uint32_t(chips_[1].elcr) << 8;
    return v;
  }
  const unsigned index = port >= kPicSlavePort ? 1 : 0;
  Pic8259& c = chips_[index];
  if (c.poll) return read_poll(index);
  if (port & 1) return c.imr;
  return c.read_isr ? c.isr : c.irr;
}

void Pic::io_write(uint16_t port, uint32_t value, unsigned size) {
  if ((port & ~1u) == kElcrPort) {
    for (unsigned i = port & 1; i < 2 && (i - (port & 1)) < size; ++i) {
      Pic8259& c = chips_[i];
      c.elcr = uint8_t(value >> (8 * (i - (port & 1)))) & kElcrMask[i];
      const uint8_t lvl = level_inputs(c);
      c.irr = uint8_t((c.irr & ~lvl) | (c.lines & lvl));
    }
    update();
    return;
  }
  Pic8259& c = chips_[port >= kPicSlavePort ? 1 : 0];
  const uint8_t v = uint8_t(value);
  if (port & 1) write_data(c, v);
  else write_command(c, v);
  update();
}

void Pic::write_command(Pic8259& c, uint8_t v) {
  if (v & 0x10) {
    // ICW1: start the initialization sequence (data sheet, "Initialization
    // Command Words"): mask, in-service and edge latches cleared, IRR read.
    const uint8_t elcr = c.elcr, lines = c.lines;
    c = Pic8259{};
    c.elcr = elcr;
    c.lines = lines;
    c.icw4_needed = v & 0x01;
    c.single = v & 0x02;
    c.level_mode = v & 0x08;
    const uint8_t lvl = level_inputs(c);
    c.irr = uint8_t(lines & lvl);
    c.init_step = 2;
    return;
  }
  if (v & 0x08) {
    // OCW3.
    if (v & 0x40) c.special_mask = v & 0x20;
    if (v & 0x04) c.poll = true;
    if (v & 0x02) c.read_isr = v & 0x01;
    return;
  }
  write_ocw2(c, v);
}

void Pic::write_ocw2(Pic8259& c, uint8_t v) {
  const unsigned level = v & 7;
  switch (v >> 5) {
    case 0: c.rotate_on_aeoi = false; break;  // clear rotate in auto-EOI mode
    case 4: c.rotate_on_aeoi = true; break;   // set rotate in auto-EOI mode
    case 1:                                   // non-specific EOI
    case 5: {                                 // rotate on non-specific EOI
      const int irq = highest(c, c.isr);
      if (irq < 0) break;
      c.isr &= ~(1u << irq);
      if (v >> 5 == 5) c.priority_add = (irq + 1) & 7;
      break;
    }
    case 3: c.isr &= ~(1u << level); break;  // specific EOI
    case 7:                                  // rotate on specific EOI
      c.isr &= ~(1u << level);
      c.priority_add = (level + 1) & 7;
      break;
    case 6: c.priority_add = (level + 1) & 7; break;  // set priority: `level` lowest
    default: break;                                   // 2: no operation
  }
}

void Pic::write_data(Pic8259& c, uint8_t v) {
  switch (c.init_step) {
    case 2:
      c.vector_base = v & 0xf8;
      c.init_step = !c.single ? 3 : c.icw4_needed ? 4 : 0;
      return;
    case 3:
      c.icw3 = v;
      c.init_step = c.icw4_needed ? 4 : 0;
      return;
    case 4:
      // ICW4: bit 1 AEOI, bit 4 SFNM; 8086 mode (bit 0) and buffered mode
      // change nothing a PC can observe.
      c.auto_eoi = v & 0x02;
      c.special_fully_nested = v & 0x10;
      c.init_step = 0;
      return;
    default:
      c.imr = v;  // OCW1
      return;
  }
}

}  // namespace kestrel::devices
