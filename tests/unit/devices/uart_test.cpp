// SPDX-License-Identifier: MIT
// The 16550A at register level: divisor latch, FIFOs and trigger levels,
// interrupt identification and priorities, THRE timing, loopback, the
// character timeout, and the probe sequence of Linux's 8250 driver.
#include "devices/uart.h"

#include "tests/unit/devices/manual_clock.h"

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace kestrel::devices {
namespace {

using namespace uart;

using test::ManualClock;

class FakeBackend final : public CharBackend {
 public:
  void write(uint8_t byte) override { out += char(byte); }
  std::optional<uint8_t> read() override {
    if (in.empty()) return std::nullopt;
    const uint8_t b = uint8_t(in.front());
    in.pop_front();
    return b;
  }
  std::string out;
  std::deque<char> in;
};

class Pin final : public IrqSink {
 public:
  void set_irq(unsigned, bool l) override { level = l; }
  bool level = false;
};

struct Rig {
  explicit Rig(Uart16550::TxTiming tx = Uart16550::TxTiming::kLine) : uart(clock, &host, tx) {
    uart.irq.connect(pin, 4);
  }
  ManualClock clock;
  FakeBackend host;
  Pin pin;
  Uart16550 uart;

  uint8_t in(unsigned reg) { return uint8_t(uart.io_read(uint16_t(kCom1Port + reg), 1)); }
  void out(unsigned reg, uint8_t v) { uart.io_write(uint16_t(kCom1Port + reg), v, 1); }
  void feed(const std::string& s) { host.in.insert(host.in.end(), s.begin(), s.end()); }
  Nanos chars(unsigned n) const { return n * uart.char_time(); }
};

TEST_CASE("uart: power-on registers") {
  Rig r;
  CHECK(r.in(kIer) == 0);
  CHECK(r.in(kIir) == kIirNone);
  CHECK(r.in(kLcr) == 0);
  CHECK(r.in(kMcr) == 0);
  CHECK(r.in(kLsr) == (kLsrThre | kLsrTemt));
  // DCD, DSR and CTS asserted by the host side, no deltas.
  CHECK(r.in(kMsr) == (kMsrDcd | kMsrDsr | kMsrCts));
  CHECK_FALSE(r.pin.level);
}

TEST_CASE("uart: divisor latch behind DLAB sets the character time") {
  Rig r;
  r.out(kLcr, kLcrDlab | 0x03);
  r.out(kDll, 12);
  r.out(kDlm, 0);
  CHECK(r.in(kDll) == 12);
  CHECK(r.in(kDlm) == 0);
  r.out(kLcr, 0x03);                    // 8N1: 10 bits at 9600 baud
  CHECK(r.uart.char_time() == 1'041'666);
  r.out(kIer, 0x05);                    // IER, not DLM, without DLAB
  CHECK(r.in(kIer) == 0x05);
  r.out(kLcr, kLcrDlab | 0x03);
  CHECK(r.in(kDlm) == 0);
  r.out(kDll, 1);
  r.out(kLcr, 0x03);
  CHECK(r.uart.char_time() == 86'805);  // 115200 baud
  r.out(kLcr, 0x0f);                    // 8 data, parity, 2 stop: 12 bits
  CHECK(r.uart.char_time() == 104'166);
  r.out(kLcr, 0x04);                    // 5 data, 1.5 stop: 7.5 bits
  CHECK(r.uart.char_time() == 65'104);
}

TEST_CASE("uart: IER keeps only bits 3:0 and the scratch register holds a byte") {
  Rig r;
  r.out(kIer, 0xff);
  CHECK(r.in(kIer) == 0x0f);
  r.out(kScr, 0xa5);
  CHECK(r.in(kScr) == 0xa5);
  r.out(kScr, 0x5a);
  CHECK(r.in(kScr) == 0x5a);
}

TEST_CASE("uart: THR goes to the host at once and THRE returns after a character time") {
  Rig r;
  r.out(kThr, 'A');
  CHECK(r.host.out == "A");
  CHECK((r.in(kLsr) & (kLsrThre | kLsrTemt)) == 0);
  r.clock.advance(r.chars(1) - 1);
  CHECK((r.in(kLsr) & kLsrThre) == 0);
  r.clock.advance(1);
  CHECK((r.in(kLsr) & (kLsrThre | kLsrTemt)) == (kLsrThre | kLsrTemt));
}

TEST_CASE("uart: THRE interrupt, acknowledged by reading IIR, re-armed by IER or THR") {
  Rig r;
  r.out(kMcr, kMcrOut2);
  r.out(kIer, kIerThre);  // THR already empty: the interrupt is requested at once
  CHECK(r.pin.level);
  CHECK(r.in(kIir) == kIirThre);
  CHECK_FALSE(r.pin.level);
  CHECK(r.in(kIir) == kIirNone);
  // Turning the enable off and on again re-requests it (Linux's THRE test).
  r.out(kIer, 0);
  r.out(kIer, kIerThre);
  CHECK(r.in(kIir) == kIirThre);
  // A write clears it until the character has gone out.
  r.out(kThr, 'x');
  CHECK(r.in(kIir) == kIirNone);
  CHECK_FALSE(r.pin.level);
  r.clock.advance(r.chars(1));
  CHECK(r.pin.level);
  CHECK(r.in(kIir) == kIirThre);
  CHECK_FALSE(r.pin.level);
}

TEST_CASE("uart: OUT2 gates the IRQ line, not IIR") {
  Rig r;
  r.out(kIer, kIerThre);
  CHECK_FALSE(r.pin.level);
  r.out(kMcr, kMcrOut2);
  CHECK(r.pin.level);
  r.out(kMcr, 0);
  CHECK_FALSE(r.pin.level);
  CHECK(r.in(kIir) == kIirThre);
}

TEST_CASE("uart: FIFO enable shows in IIR bits 7:6 and the TX FIFO takes 16 bytes") {
  Rig r;
  r.out(kFcr, kFcrEnable);
  CHECK((r.in(kIir) & 0xc0) == kIirFifoEnabled);
  for (int i = 0; i < 16; ++i) r.out(kThr, uint8_t('a' + i));
  CHECK(r.host.out == "abcdefghijklmnop");
  r.clock.advance(r.chars(15));
  CHECK((r.in(kLsr) & kLsrThre) == 0);
  r.clock.advance(r.chars(1));
  CHECK((r.in(kLsr) & kLsrThre) != 0);
  r.out(kFcr, 0);
  CHECK((r.in(kIir) & 0xc0) == 0);
}

TEST_CASE("uart: poll_input fills the RX FIFO without overrunning it") {
  Rig r;
  r.out(kLcr, 0x03);  // 8N1: the receiver listens
  r.feed("0123456789abcdefXYZ");
  r.uart.poll_input();  // no FIFO: RBR holds one byte
  CHECK(r.host.in.size() == 18);
  CHECK(r.in(kRbr) == '0');
  r.out(kFcr, kFcrEnable);
  r.uart.poll_input();
  CHECK(r.host.in.size() == 2);
  CHECK((r.in(kLsr) & kLsrOverrun) == 0);
  std::string got;
  while (r.in(kLsr) & kLsrDataReady) got += char(r.in(kRbr));
  CHECK(got == "123456789abcdefX");
  CHECK(r.uart.poll_input());  // it says a byte came in
  got.clear();
  while (r.in(kLsr) & kLsrDataReady) got += char(r.in(kRbr));
  CHECK(got == "YZ");
  CHECK(!r.uart.poll_input());  // and that none did
}

TEST_CASE("uart: host bytes wait in the backend until the guest sets the line format") {
  Rig r;
  r.feed("ab");
  CHECK(!r.uart.poll_input());
  CHECK((r.in(kLsr) & kLsrDataReady) == 0);
  CHECK(r.host.in.size() == 2);
  r.out(kLcr, 0x03);
  r.uart.poll_input();
  CHECK(r.in(kRbr) == 'a');
  r.uart.reset();  // deaf again until the next LCR write
  r.uart.poll_input();
  CHECK(r.host.in.size() == 1);
}

TEST_CASE("uart: received-data interrupt at the FIFO trigger level") {
  const struct {
    uint8_t fcr;
    unsigned level;
  } kLevels[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
  for (const auto& t : kLevels) {
    CAPTURE(t.level);
    Rig r;
    r.out(kLcr, 0x03);  // 8N1: the receiver listens
    r.out(kMcr, kMcrOut2);
    r.out(kFcr, t.fcr);
    r.out(kIer, kIerRxData);
    r.feed(std::string(t.level - 1, 'x'));
    r.uart.poll_input();
    CHECK((r.in(kIir) & 0x0f) == kIirNone);
    CHECK_FALSE(r.pin.level);
    r.feed("y");
    r.uart.poll_input();
    CHECK((r.in(kIir) & 0x0f) == kIirRxData);
    CHECK(r.pin.level);
    r.in(kRbr);  // below the level again
    CHECK((r.in(kIir) & 0x0f) == kIirNone);
  }
}

TEST_CASE("uart: character timeout below the trigger level") {
  Rig r;
  r.out(kLcr, 0x03);  // 8N1: the receiver listens
  r.out(kMcr, kMcrOut2);
  r.out(kFcr, 0x81);  // trigger at 8
  r.out(kIer, kIerRxData);
  r.feed("abc");
  r.uart.poll_input();
  r.clock.advance(r.chars(4) - 1);
  CHECK((r.in(kIir) & 0x0f) == kIirNone);
  r.clock.advance(1);
  CHECK((r.in(kIir) & 0x0f) == kIirTimeout);
  CHECK(r.pin.level);
  CHECK(r.in(kRbr) == 'a');  // reading clears it and restarts the count
  CHECK((r.in(kIir) & 0x0f) == kIirNone);
  CHECK_FALSE(r.pin.level);
  r.clock.advance(r.chars(4));
  CHECK((r.in(kIir) & 0x0f) == kIirTimeout);
  r.in(kRbr);
  r.in(kRbr);
  r.clock.advance(r.chars(8));  // empty FIFO: no timeout
  CHECK((r.in(kIir) & 0x0f) == kIirNone);
}

TEST_CASE("uart: loopback wires MCR to MSR and TX to RX, away from the host") {
  Rig r;
  r.out(kLcr, 0x03);  // 8N1: the receiver listens
  // Linux's presence test: LOOP | OUT2 | RTS must read back DCD | CTS.
  r.out(kMcr, kMcrLoop | kMcrOut2 | kMcrRts);
  CHECK((r.in(kMsr) & 0xf0) == (kMsrDcd | kMsrCts));
  r.out(kMcr, kMcrLoop | kMcrDtr | kMcrOut1);
  CHECK((r.in(kMsr) & 0xf0) == (kMsrDsr | kMsrRi));
  r.feed("h");
  r.out(kThr, 'L');
  CHECK(r.host.out.empty());
  r.uart.poll_input();  // the receiver does not listen to the line in loopback
  CHECK((r.in(kLsr) & kLsrDataReady) == 0);
  r.clock.advance(r.chars(1));
  CHECK((r.in(kLsr) & kLsrDataReady) != 0);
  CHECK(r.in(kRbr) == 'L');
  CHECK(r.host.in.size() == 1);
}

TEST_CASE("uart: loopback holds the IRQ line off (OUT2 pin forced inactive)") {
  Rig r;
  r.out(kIer, kIerThre);
  r.out(kMcr, kMcrLoop | kMcrOut2);
  CHECK(r.in(kIir) == kIirThre);
  r.out(kIer, 0);
  r.out(kIer, kIerThre);
  CHECK_FALSE(r.pin.level);
  r.out(kMcr, kMcrOut2);
  CHECK(r.pin.level);
}

TEST_CASE("uart: modem-status deltas interrupt and clear on MSR read") {
  Rig r;
  r.out(kMcr, kMcrLoop);
  r.in(kMsr);  // entering loopback dropped DCD, DSR and CTS
  r.out(kIer, kIerModemStatus);
  CHECK(r.in(kIir) == kIirNone);
  r.out(kMcr, kMcrLoop | kMcrRts | kMcrOut1);
  r.out(kMcr, kMcrLoop | kMcrRts);  // RI falls: trailing edge
  CHECK(r.in(kIir) == kIirModemStatus);
  CHECK(r.in(kMsr) == (kMsrCts | kMsrDcts | kMsrTeri));
  CHECK(r.in(kIir) == kIirNone);
  CHECK(r.in(kMsr) == kMsrCts);
}

TEST_CASE("uart: overrun is a line-status interrupt above all others") {
  Rig r;
  r.out(kLcr, 0x03);
  r.out(kMcr, kMcrLoop);
  r.in(kMsr);
  r.out(kIer, 0x0f);
  CHECK(r.in(kIir) == kIirThre);     // THR was empty when the enable went on
  r.out(kMcr, kMcrLoop | kMcrRts);  // a modem-status change pending too
  CHECK(r.in(kIir) == kIirModemStatus);
  r.out(kThr, '1');
  r.clock.advance(r.chars(1));
  r.out(kThr, '2');  // RBR still holds '1': overrun
  r.clock.advance(r.chars(1));
  // THRE, received data, modem status and the overrun are all pending.
  CHECK(r.in(kIir) == kIirLineStatus);
  const uint8_t lsr = r.in(kLsr);
  CHECK((lsr & (kLsrOverrun | kLsrDataReady)) == (kLsrOverrun | kLsrDataReady));
  CHECK((r.in(kLsr) & kLsrOverrun) == 0);  // reading LSR cleared it
  CHECK(r.in(kIir) == kIirRxData);
  CHECK(r.in(kRbr) == '2');                // without FIFO the new byte won
  CHECK(r.in(kIir) == kIirThre);
  CHECK(r.in(kIir) == kIirModemStatus);
  r.in(kMsr);
  CHECK(r.in(kIir) == kIirNone);
}

TEST_CASE("uart: FCR clears the FIFOs and ignores other bits without FCR0") {
  Rig r;
  r.out(kLcr, 0x03);  // 8N1: the receiver listens
  r.out(kFcr, kFcrEnable);
  r.feed("abcd");
  r.uart.poll_input();
  r.out(kFcr, kFcrEnable | kFcrClearRx);
  CHECK((r.in(kLsr) & kLsrDataReady) == 0);
  r.feed("ef");
  r.uart.poll_input();
  r.out(kFcr, kFcrClearRx);  // FCR0 = 0: FIFO off, which also empties it
  CHECK((r.in(kLsr) & kLsrDataReady) == 0);
  CHECK((r.in(kIir) & 0xc0) == 0);
}

TEST_CASE("uart: Linux 8250 probe sees a 16550A") {
  Rig r;
  // autoconfig(): IER read-back, then the FIFO test through IIR bits 7:6.
  r.out(kLcr, 0xbf);
  r.out(kFcr, 0);  // EFR on later chips, FCR here
  r.out(kLcr, 0);
  r.out(kFcr, kFcrEnable);
  CHECK((r.in(kIir) >> 6) == 3);
  // autoconfig_16550a(): no EFR behind LCR 0x80 or 0xBF (IIR reads non-zero).
  r.out(kLcr, 0x80);
  CHECK(r.in(kIir) != 0);
  r.out(kLcr, 0xbf);
  CHECK(r.in(kIir) != 0);
  // Not a 16750: IIR bit 5 never follows FCR bit 5, with or without DLAB.
  r.out(kLcr, 0);
  r.out(kFcr, kFcrEnable | 0x20);
  CHECK((r.in(kIir) & 0xe0) == 0xc0);
  r.out(kLcr, 0x80);
  r.out(kFcr, kFcrEnable | 0x20);
  CHECK((r.in(kIir) & 0xe0) == 0xc0);
  // Not an XScale: IER bit 6 does not stick.
  r.out(kLcr, 0);
  r.out(kIer, 0x40);
  CHECK((r.in(kIer) & 0x40) == 0);
}

TEST_CASE("uart: a 16-bit access is two byte accesses on consecutive registers") {
  Rig r;
  r.out(kLcr, kLcrDlab);
  r.uart.io_write(kCom1Port, 0x0180, 2);
  CHECK(r.uart.io_read(kCom1Port, 2) == 0x0180);
  CHECK(r.uart.io_read(kCom1Port + 7, 2) == 0xff00);
}

TEST_CASE("uart: reset empties the FIFOs and cancels the transmitter") {
  Rig r;
  r.out(kLcr, 0x03);  // 8N1: the receiver listens
  r.out(kFcr, kFcrEnable);
  r.out(kThr, 'a');
  r.feed("z");
  r.uart.poll_input();
  r.uart.reset();
  CHECK(r.in(kLsr) == (kLsrThre | kLsrTemt));
  r.clock.advance(r.chars(2));
  CHECK(r.in(kLsr) == (kLsrThre | kLsrTemt));
  CHECK(r.in(kIir) == kIirNone);
}

TEST_CASE("uart: an instant transmitter has THR empty again when the write returns") {
  Rig r(Uart16550::TxTiming::kInstant);
  r.out(kLcr, 0x03);  // 8N1 at the reset divisor
  r.out(kFcr, kFcrEnable);
  r.out(kMcr, kMcrOut2);
  r.out(kIer, kIerThre);
  CHECK(r.in(kIir) == (kIirThre | kIirFifoEnabled));
  // More than a FIFO's worth with no time passing: nothing is lost, and
  // every write requests the THRE interrupt again.
  for (char c : std::string("0123456789abcdefghij")) {
    r.out(kThr, uint8_t(c));
    CHECK((r.in(kLsr) & (kLsrThre | kLsrTemt)) == (kLsrThre | kLsrTemt));
    CHECK(r.pin.level);
  }
  CHECK(r.host.out == "0123456789abcdefghij");
  CHECK(r.in(kIir) == (kIirThre | kIirFifoEnabled));
  CHECK_FALSE(r.pin.level);
}

TEST_CASE("uart: an instant transmitter in loopback receives the byte at once") {
  Rig r(Uart16550::TxTiming::kInstant);
  r.out(kLcr, 0x03);
  r.out(kMcr, kMcrLoop);
  r.out(kThr, 'L');
  CHECK(r.host.out.empty());
  CHECK((r.in(kLsr) & kLsrDataReady) != 0);
  CHECK(r.in(kRbr) == 'L');
}

}  // namespace
}  // namespace kestrel::devices
