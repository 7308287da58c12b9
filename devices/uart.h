// SPDX-License-Identifier: MIT
// The 16550A UART of a PC serial port: registers, 16-byte FIFOs, interrupt
// identification, loopback, modem lines and transmit timing on the virtual
// clock. Which ports and IRQ it gets, and where its bytes go on the host,
// is decided by machine/ and the CharBackend it is given.
#pragma once

#include <array>
#include <cstdint>

#include "devices/char_backend.h"
#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace kestrel::devices {

inline constexpr uint16_t kCom1Port = 0x3f8;
inline constexpr uint16_t kCom2Port = 0x2f8;
inline constexpr uint16_t kCom3Port = 0x3e8;
inline constexpr uint16_t kCom4Port = 0x2e8;
inline constexpr unsigned kUartPortCount = 8;

/// Register numbers (port & 7) and the bits drivers use; names follow the
/// PC16550D data sheet.
namespace uart {
inline constexpr unsigned kRbr = 0, kThr = 0, kDll = 0, kIer = 1, kDlm = 1, kIir = 2,
                          kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;

inline constexpr uint8_t kIerRxData = 0x01, kIerThre = 0x02, kIerLineStatus = 0x04,
                         kIerModemStatus = 0x08;

inline constexpr uint8_t kIirNone = 0x01, kIirModemStatus = 0x00, kIirThre = 0x02,
                         kIirRxData = 0x04, kIirLineStatus = 0x06, kIirTimeout = 0x0c,
                         kIirFifoEnabled = 0xc0;

inline constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;

inline constexpr uint8_t kLcrBreak = 0x40, kLcrDlab = 0x80;

inline constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                         kMcrLoop = 0x10;

inline constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrParity = 0x04,
                         kLsrFraming = 0x08, kLsrBreak = 0x10, kLsrThre = 0x20,
                         kLsrTemt = 0x40, kLsrFifoError = 0x80;

inline constexpr uint8_t kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08,
                         kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;

/// The 1.8432 MHz crystal divided by 16: the baud rate of divisor 1.
inline constexpr uint64_t kBaudBase = 115200;
inline constexpr unsigned kFifoSize = 16;
}  // namespace uart

/// A byte queue of at most uart::kFifoSize entries.
class UartFifo {
 public:
  bool empty() const { return count_ == 0; }
  unsigned size() const { return count_; }
  bool push(uint8_t byte);
  uint8_t pop();
  void clear() { head_ = count_ = 0; }

 private:
  std::array<uint8_t, uart::kFifoSize> bytes_{};
  unsigned head_ = 0;
  unsigned count_ = 0;
};

class Uart16550 final : public Device {
 public:
  /// How long a transmitted character keeps the transmitter busy.
  enum class TxTiming {
    /// No time at all, as QEMU's 16550 does: the byte goes to the host and
    /// THR is empty again before the write returns, so a console at 9600
    /// baud prints as fast as the host takes it. The PC board's choice.
    kInstant,
    /// One character time at the programmed baud rate and frame format,
    /// through the 16-byte FIFO, as on the chip.
    kLine,
  };
  /// `backend` may be nullptr: transmitted bytes vanish, nothing is received.
  Uart16550(Scheduler& clock, CharBackend* backend, TxTiming tx_timing = TxTiming::kLine);
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  /// The interrupt output as a PC wires it: asserted while an enabled
  /// interrupt is pending and MCR OUT2 is set (OUT2 drives the IRQ buffer).
  IrqLine irq;

  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// Moves bytes the host has ready into the receive FIFO while it has
  /// room; the rest stay in the backend. Until the guest has set the line
  /// format (written LCR) after reset, the host's bytes wait too: a real
  /// line would deliver them at an unknown baud rate, as garbage, and a
  /// piped-in command should not vanish into a UART nobody listens to.
  /// The run loop calls it. Returns whether a byte came in.
  bool poll_input();

  /// The time one character takes on the line with the current divisor and
  /// frame format (start bit, data bits, parity, stop bits).
  Nanos char_time() const;

 private:
  uint8_t read_register(unsigned reg);
  void write_register(unsigned reg, uint8_t value);
  uint8_t read_rbr();
  uint8_t read_iir();
  uint8_t read_lsr();
  uint8_t read_msr();
  void write_thr(uint8_t value);
  void write_ier(uint8_t value);
  void write_fcr(uint8_t value);
  void write_mcr(uint8_t value);

  bool fifo_enabled() const { return (fcr_ & uart::kFcrEnable) != 0; }
  bool loopback() const { return (mcr_ & uart::kMcrLoop) != 0; }
  unsigned fifo_capacity() const { return fifo_enabled() ? uart::kFifoSize : 1; }
  unsigned rx_trigger() const;
  /// The modem-status inputs (MSR bits 7:4): the MCR outputs in loopback,
  /// otherwise a cable with carrier, DSR and CTS asserted and no ring.
  uint8_t modem_inputs() const;
  uint8_t interrupt_id() const;
  void update_irq();

  void receive(uint8_t byte);
  void restart_rx_timeout();
  void rx_timeout_expired();
  void transmit_done();

  Scheduler& clock_;
  CharBackend* backend_;
  Scheduler::TimerId tx_timer_;
  TxTiming tx_timing_;
  Scheduler::TimerId rx_timeout_timer_;

  UartFifo rx_;
  /// Bytes waiting to go out, the one on the line first. Each leaves after
  /// one character time; bit 8 marks a byte sent in loopback mode, which
  /// arrives in the receive FIFO when it has been shifted out.
  std::array<uint16_t, uart::kFifoSize> tx_{};
  unsigned tx_head_ = 0;
  unsigned tx_count_ = 0;

  uint16_t divisor_ = 1;
  uint8_t ier_ = 0;
  uint8_t fcr_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t lsr_ = 0;
  uint8_t msr_delta_ = 0;  ///< MSR bits 3:0
  uint8_t scr_ = 0;
  uint8_t last_rx_ = 0;    ///< what RBR reads when the FIFO is empty
  bool thr_pending_ = false;
  bool timeout_pending_ = false;
  bool listening_ = false;  ///< LCR written since reset
};

}  // namespace kestrel::devices
