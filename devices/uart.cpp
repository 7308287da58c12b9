// SPDX-License-Identifier: MIT
// The 16550A register file and its two FIFOs. Register behaviour follows the
// National Semiconductor PC16550D data sheet; where it leaves a choice open,
// the comment says which one was made and why.
#include "devices/uart.h"

namespace kestrel::devices {

using namespace uart;

namespace {

constexpr uint8_t kLsrErrors = kLsrOverrun | kLsrParity | kLsrFraming | kLsrBreak;
constexpr uint16_t kLoopedBack = 0x100;
/// The data sheet's character timeout: four character times without a
/// byte entering or leaving a non-empty receive FIFO.
constexpr unsigned kTimeoutChars = 4;

}  // namespace

bool UartFifo::push(uint8_t byte) {
  if (count_ == kFifoSize) return false;
  bytes_[(head_ + count_++) % kFifoSize] = byte;
  return true;
}

uint8_t UartFifo::pop() {
  const uint8_t byte = bytes_[head_];
  head_ = (head_ + 1) % kFifoSize;
  --count_;
  return byte;
}

Uart16550::Uart16550(Scheduler& clock, CharBackend* backend, TxTiming tx_timing)
    : clock_(clock),
      backend_(backend),
      tx_timer_(clock.add_timer([this] { transmit_done(); })),
      tx_timing_(tx_timing),
      rx_timeout_timer_(clock.add_timer([this] { rx_timeout_expired(); })) {
  reset();
}

void Uart16550::reset() {
  clock_.disarm(tx_timer_);
  clock_.disarm(rx_timeout_timer_);
  rx_.clear();
  tx_head_ = tx_count_ = 0;
  // The master reset leaves the divisor latch undefined; divisor 1
  // (115200 baud) keeps output from an unprogrammed port fast.
  divisor_ = 1;
  ier_ = fcr_ = lcr_ = mcr_ = msr_delta_ = scr_ = last_rx_ = 0;
  lsr_ = kLsrThre | kLsrTemt;
  thr_pending_ = timeout_pending_ = listening_ = false;
  update_irq();
}

Nanos Uart16550::char_time() const {
  const unsigned data_bits = 5 + (lcr_ & 3);
  const unsigned parity = (lcr_ >> 3) & 1;
  // Two stop bits, or one and a half with 5-bit characters (LCR bit 2).
  const unsigned stop_halves = (lcr_ & 4) ? (data_bits == 5 ? 3 : 4) : 2;
  const uint64_t half_bits = 2 * (1 + data_bits + parity) + stop_halves;
  // Divisor 0 is undefined on the chip; it is taken as 65536, the count a
  // 16-bit down-counter reloaded with 0 would run.
  const uint64_t divisor = divisor_ ? divisor_ : 0x10000;
  return half_bits * divisor * 1'000'000'000 / (2 * kBaudBase);
}

uint32_t Uart16550::io_read(uint16_t port, unsigned size) {
  // The UART has an 8-bit data bus: a wider access is split into byte
  // cycles on consecutive registers, the bytes past the last one floating.
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned reg = (port & 7) + i;
    const uint32_t byte = reg < kUartPortCount ? read_register(reg) : 0xff;
    value |= byte << (8 * i);
  }
  return value;
}

void Uart16550::io_write(uint16_t port, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const unsigned reg = (port & 7) + i;
    if (reg < kUartPortCount) write_register(reg, uint8_t(value >> (8 * i)));
  }
}

uint8_t Uart16550::read_register(unsigned reg) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (reg) {
    case kRbr: return dlab ? uint8_t(divisor_) : read_rbr();
    case kIer: return dlab ? uint8_t(divisor_ >> 8) : ier_;
    case kIir: return read_iir();
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: return read_lsr();
    case kMsr: return read_msr();
    default: return scr_;
  }
}

void Uart16550::write_register(unsigned reg, uint8_t value) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (reg) {
    case kThr:
      if (dlab) {
        divisor_ = uint16_t((divisor_ & 0xff00) | value);
      } else {
        write_thr(value);
      }
      break;
    case kIer:
      if (dlab) {
        divisor_ = uint16_t((divisor_ & 0x00ff) | (value << 8));
      } else {
        write_ier(value);
      }
      break;
    case kFcr: write_fcr(value); break;
    case kLcr:
      lcr_ = value;
      listening_ = true;
      break;
    case kMcr: write_mcr(value); break;
    case kLsr: break;  // LSR is read-only (writing it is a factory test mode)
    case kMsr: break;  // MSR is read-only
    default: scr_ = value; break;
  }
}

uint8_t Uart16550::read_rbr() {
  if (!rx_.empty()) last_rx_ = rx_.pop();
  if (rx_.empty()) lsr_ &= uint8_t(~kLsrDataReady);
  timeout_pending_ = false;
  restart_rx_timeout();
  update_irq();
  return last_rx_;
}

uint8_t Uart16550::read_iir() {
  const uint8_t id = interrupt_id();
  // Reading IIR while it reports THRE is what acknowledges that interrupt.
  if (id == kIirThre) {
    thr_pending_ = false;
    update_irq();
  }
  return uint8_t(id | (fifo_enabled() ? kIirFifoEnabled : 0));
}

uint8_t Uart16550::read_lsr() {
  const uint8_t value = lsr_;
  lsr_ &= uint8_t(~(kLsrErrors | kLsrFifoError));
  if (value & kLsrErrors) update_irq();
  return value;
}

uint8_t Uart16550::read_msr() {
  const uint8_t value = uint8_t(modem_inputs() | msr_delta_);
  if (msr_delta_) {
    msr_delta_ = 0;
    update_irq();
  }
  return value;
}

void Uart16550::write_thr(uint8_t value) {
  // The host sees the byte at once. With TxTiming::kLine the guest sees the
  // line busy for a character time, so drivers that wait for THRE or its
  // interrupt pace themselves as on hardware; with kInstant the character
  // has gone out (or, in loopback, come back in) when the write returns.
  uint16_t entry = value;
  if (loopback()) {
    entry |= kLoopedBack;
  } else if (backend_) {
    backend_->write(value);
  }
  if (tx_timing_ == TxTiming::kInstant) {
    if (entry & kLoopedBack) receive(value);
    lsr_ |= kLsrThre | kLsrTemt;
    thr_pending_ = true;
    update_irq();
    return;
  }
  // Writing a full FIFO (or a full holding register) loses the byte.
  if (tx_count_ < fifo_capacity()) tx_[(tx_head_ + tx_count_++) % kFifoSize] = entry;
  lsr_ &= uint8_t(~(kLsrThre | kLsrTemt));
  thr_pending_ = false;
  if (tx_count_ == 1) clock_.arm(tx_timer_, clock_.now() + char_time());
  update_irq();
}

void Uart16550::transmit_done() {
  if (tx_count_ == 0) return;
  const uint16_t entry = tx_[tx_head_];
  tx_head_ = (tx_head_ + 1) % kFifoSize;
  --tx_count_;
  if (entry & kLoopedBack) receive(uint8_t(entry));
  if (tx_count_ > 0) {
    clock_.arm(tx_timer_, clock_.now() + char_time());
  } else {
    lsr_ |= kLsrThre | kLsrTemt;
    thr_pending_ = true;
  }
  update_irq();
}

void Uart16550::write_ier(uint8_t value) {
  const uint8_t old = ier_;
  ier_ = value & 0x0f;  // bits 7:4 are always 0 (Linux probes this)
  // Enabling the THRE interrupt while THR is empty requests it at once:
  // the 8250 driver's start-up test expects a real 16550 to do so.
  if ((ier_ & kIerThre) && !(old & kIerThre) && (lsr_ & kLsrThre)) thr_pending_ = true;
  update_irq();
}

void Uart16550::write_fcr(uint8_t value) {
  // FCR0 must be 1 for the other bits to take effect; changing FCR0 clears
  // both FIFOs (data sheet, FCR description).
  const bool was_enabled = fifo_enabled();
  if (!(value & kFcrEnable)) {
    fcr_ = 0;
  } else {
    fcr_ = value & 0xc9;  // enable, DMA mode, receiver trigger
  }
  const bool toggled = was_enabled != fifo_enabled();
  if (toggled || (value & kFcrEnable && value & kFcrClearRx)) {
    rx_.clear();
    lsr_ &= uint8_t(~(kLsrDataReady | kLsrFifoError));
    timeout_pending_ = false;
    clock_.disarm(rx_timeout_timer_);
  }
  if (toggled || (value & kFcrEnable && value & kFcrClearTx)) {
    // The character on the line (the head) keeps going; the rest is dropped.
    tx_count_ = tx_count_ ? 1 : 0;
  }
  update_irq();
}

void Uart16550::write_mcr(uint8_t value) {
  const uint8_t before = modem_inputs();
  mcr_ = value & 0x1f;
  const uint8_t after = modem_inputs();
  const uint8_t changed = before ^ after;
  if (changed & kMsrCts) msr_delta_ |= kMsrDcts;
  if (changed & kMsrDsr) msr_delta_ |= kMsrDdsr;
  if (changed & kMsrDcd) msr_delta_ |= kMsrDdcd;
  if ((before & kMsrRi) && !(after & kMsrRi)) msr_delta_ |= kMsrTeri;
  update_irq();
}

uint8_t Uart16550::modem_inputs() const {
  if (!loopback()) return kMsrDcd | kMsrDsr | kMsrCts;
  uint8_t in = 0;
  if (mcr_ & kMcrRts) in |= kMsrCts;
  if (mcr_ & kMcrDtr) in |= kMsrDsr;
  if (mcr_ & kMcrOut1) in |= kMsrRi;
  if (mcr_ & kMcrOut2) in |= kMsrDcd;
  return in;
}

unsigned Uart16550::rx_trigger() const {
  if (!fifo_enabled()) return 1;
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[fcr_ >> 6];
}

uint8_t Uart16550::interrupt_id() const {
  // Priorities from the data sheet's IIR table, highest first.
  if ((ier_ & kIerLineStatus) && (lsr_ & kLsrErrors)) return kIirLineStatus;
  if (ier_ & kIerRxData) {
    if (timeout_pending_) return kIirTimeout;
    if (rx_.size() >= rx_trigger()) return kIirRxData;
  }
  if ((ier_ & kIerThre) && thr_pending_) return kIirThre;
  if ((ier_ & kIerModemStatus) && msr_delta_) return kIirModemStatus;
  return kIirNone;
}

void Uart16550::update_irq() {
  // On a PC the INTR pin reaches the bus through a buffer enabled by OUT2;
  // in loopback the OUT2 pin is forced inactive, so the IRQ is off even
  // though IIR still reports interrupts (PC16550D, loopback description).
  const bool gate = (mcr_ & kMcrOut2) && !loopback();
  irq.set(gate && interrupt_id() != kIirNone);
}

void Uart16550::receive(uint8_t byte) {
  if (rx_.size() < fifo_capacity()) {
    rx_.push(byte);
  } else {
    // Overrun: with the FIFO the character in the shift register is lost;
    // without it the new character overwrites RBR.
    lsr_ |= kLsrOverrun;
    if (!fifo_enabled()) {
      rx_.clear();
      rx_.push(byte);
    }
  }
  lsr_ |= kLsrDataReady;
  restart_rx_timeout();
  update_irq();
}

void Uart16550::restart_rx_timeout() {
  if (fifo_enabled() && !rx_.empty()) {
    clock_.arm(rx_timeout_timer_, clock_.now() + kTimeoutChars * char_time());
  } else {
    clock_.disarm(rx_timeout_timer_);
  }
}

void Uart16550::rx_timeout_expired() {
  if (!fifo_enabled() || rx_.empty()) return;
  timeout_pending_ = true;
  update_irq();
}

bool Uart16550::poll_input() {
  if (!backend_) return false;
  backend_->poll();
  // In loopback the receiver listens to the transmitter, not the line.
  if (loopback() || !listening_) return false;
  bool got = false;
  while (rx_.size() < fifo_capacity()) {
    const std::optional<uint8_t> byte = backend_->read();
    if (!byte) break;
    receive(*byte);
    got = true;
  }
  return got;
}

}  // namespace kestrel::devices
