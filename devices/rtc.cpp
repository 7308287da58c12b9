// SPDX-License-Identifier: MIT
// The MC146818: the time of day kept as whole seconds plus the virtual time
// at which the current second began, brought up to date whenever a register
// is touched or a timer fires. Reference: Motorola MC146818A data sheet.
#include "devices/rtc.h"

#include <algorithm>

namespace kestrel::devices {
namespace {

constexpr Nanos kSecond = 1'000'000'000;
/// UIP is set this long before each update: 244 us of warning plus the
/// 1984 us the update takes (data sheet, "Update Cycle"); the registers
/// change at the end of the window.
constexpr Nanos kUipWindow = 244'000 + 1'984'000;
/// After the divider leaves reset the first update comes 500 ms later.
constexpr Nanos kFirstUpdateDelay = 500'000'000;
constexpr int64_t kSecondsPerDay = 86400;
/// Alarm passes checked after a long gap (a host pause): one day covers
/// every alarm setting.
constexpr int64_t kMaxAlarmScan = kSecondsPerDay;

constexpr uint8_t kAUip = 0x80, kADividerMask = 0x70, kADividerReset = 0x60;
constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBSqwe = 0x08,
                  kBBinary = 0x04, kB24h = 0x02;
constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
constexpr uint8_t kDValid = 0x80;
constexpr uint8_t kAlarmDontCare = 0xc0;

struct Civil {
  int64_t year;
  unsigned month, day;
};

/// Days since 1970-01-01 of a proleptic Gregorian date (the era arithmetic
/// of the civil calendar: 400-year eras of 146097 days, March-based years).
int64_t days_from_civil(Civil c) {
  const int64_t y = c.year - (c.month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = c.month > 2 ? c.month - 3 : c.month + 9;
  const int64_t doy = (153 * mp + 2) / 5 + c.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const unsigned day = unsigned(doy - (153 * mp + 2) / 5 + 1);
  const unsigned month = unsigned(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month, day};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

Rtc::Rtc(Scheduler& clock)
    : clock_(clock),
      periodic_timer_(clock.add_timer([this] { on_periodic(); })),
      update_timer_(clock.add_timer([this] { on_update(); })) {
  // What a BIOS leaves: 32.768 kHz divider, 1024 Hz rate, 24-hour BCD.
  ram_[kCmosRegA] = 0x26;
  ram_[kCmosRegB] = kB24h;
  ram_[kCmosRegD] = kDValid;
  set_time(0);
  reset();
}

void Rtc::reset() {
  // The RESET pin (data sheet, "RESET"): interrupt enables and flags clear.
  ram_[kCmosRegB] &= ~(kBPie | kBAie | kBUie | kBSqwe);
  ram_[kCmosRegC] = 0;
  index_ = 0;
  nmi_masked_ = false;
  update_irq();
  schedule();
}

bool Rtc::running() const {
  return (ram_[kCmosRegA] & kADividerReset) != kADividerReset && !(ram_[kCmosRegB] & kBSet);
}

void Rtc::set_time(int64_t unix_seconds) {
  seconds_ = unix_seconds;
  second_start_ = clock_.now();
  store_time(seconds_);
  schedule();
}

int64_t Rtc::time() const {
  if (!running()) return seconds_;
  return seconds_ + int64_t((clock_.now() - second_start_) / kSecond);
}

uint8_t Rtc::encode(unsigned value) const {
  if (ram_[kCmosRegB] & kBBinary) return uint8_t(value);
  return uint8_t((value / 10) << 4 | value % 10);
}

unsigned Rtc::decode(uint8_t v) const {
  if (ram_[kCmosRegB] & kBBinary) return v;
  return (v >> 4) * 10 + (v & 0xf);
}

uint8_t Rtc::encode_hours(unsigned hours) const {
  if (ram_[kCmosRegB] & kB24h) return encode(hours);
  const unsigned h12 = hours % 12 == 0 ? 12 : hours % 12;
  return uint8_t(encode(h12) | (hours >= 12 ? 0x80 : 0));
}

unsigned Rtc::decode_hours(uint8_t v) const {
  if (ram_[kCmosRegB] & kB24h) return decode(v);
  return decode(v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

void Rtc::store_time(int64_t t) {
  const int64_t days = floor_div(t, kSecondsPerDay);
  const int64_t secs = t - days * kSecondsPerDay;
  const Civil c = civil_from_days(days);
  ram_[kCmosSeconds] = encode(unsigned(secs % 60));
  ram_[kCmosMinutes] = encode(unsigned(secs / 60 % 60));
  ram_[kCmosHours] = encode_hours(unsigned(secs / 3600));
  ram_[kCmosWeekday] = encode(unsigned((days % 7 + 11) % 7 + 1));  // 1970-01-01: Thursday; Sunday = 1
  ram_[kCmosDay] = encode(c.day);
  ram_[kCmosMonth] = encode(c.month);
  ram_[kCmosYear] = encode(unsigned(c.year % 100));
  ram_[kCmosCentury] = encode(unsigned(c.year / 100 % 100));
}

int64_t Rtc::load_time() const {
  const int64_t year = int64_t(decode(ram_[kCmosCentury])) * 100 + decode(ram_[kCmosYear]);
  const unsigned month = decode(ram_[kCmosMonth]), day = decode(ram_[kCmosDay]);
  const int64_t days = days_from_civil({year, month ? month : 1, day ? day : 1});
  return days * kSecondsPerDay + int64_t(decode_hours(ram_[kCmosHours])) * 3600 +
         int64_t(decode(ram_[kCmosMinutes])) * 60 + decode(ram_[kCmosSeconds]);
}

bool Rtc::alarm_matches(int64_t t) const {
  const int64_t secs = t - floor_div(t, kSecondsPerDay) * kSecondsPerDay;
  auto match = [](uint8_t alarm, uint8_t now) {
    return (alarm & kAlarmDontCare) == kAlarmDontCare || alarm == now;
  };
  return match(ram_[kCmosSecondsAlarm], encode(unsigned(secs % 60))) &&
         match(ram_[kCmosMinutesAlarm], encode(unsigned(secs / 60 % 60))) &&
         match(ram_[kCmosHoursAlarm], encode_hours(unsigned(secs / 3600)));
}

void Rtc::advance() {
  if (!running()) return;
  const Nanos now = clock_.now();
  if (now < second_start_ + kSecond) return;
  const uint64_t k = (now - second_start_) / kSecond;
  const int64_t first = seconds_ + 1;
  seconds_ += int64_t(k);
  second_start_ += k * kSecond;
  store_time(seconds_);
  uint8_t flags = kCUf;
  for (int64_t t = std::max(first, seconds_ - kMaxAlarmScan + 1); t <= seconds_; ++t) {
    if (alarm_matches(t)) {
      flags |= kCAf;
      break;
    }
  }
  raise_flags(flags);
}

void Rtc::raise_flags(uint8_t flags) {
  ram_[kCmosRegC] |= flags;
  update_irq();
}

void Rtc::update_irq() {
  const uint8_t b = ram_[kCmosRegB];
  uint8_t& c = ram_[kCmosRegC];
  const uint8_t enabled = ((b & kBPie) ? kCPf : 0) | ((b & kBAie) ? kCAf : 0) | ((b & kBUie) ? kCUf : 0);
  if (c & enabled) c |= kCIrqf;
  else c &= ~kCIrqf;
  irq.set(c & kCIrqf);
}

Nanos Rtc::period() const {
  unsigned rs = ram_[kCmosRegA] & 0x0f;
  if (rs == 0) return 0;
  if (rs <= 2) rs += 7;  // 256 and 128 Hz, as rates 8 and 9
  // 32768 Hz divided by 2^(rs - 1).
  return Nanos((uint64_t{1} << (rs - 1)) * kSecond / 32768);
}

void Rtc::schedule() {
  const bool run = running();
  if (run && (ram_[kCmosRegB] & (kBUie | kBAie))) {
    clock_.arm(update_timer_, second_start_ + kSecond);
  } else {
    clock_.disarm(update_timer_);
  }
  const Nanos p = period();
  if ((ram_[kCmosRegA] & kADividerReset) != kADividerReset && p && (ram_[kCmosRegB] & kBPie)) {
    const Nanos now = clock_.now();
    if (periodic_next_ <= now || periodic_next_ > now + p) periodic_next_ = now + p;
    clock_.arm(periodic_timer_, periodic_next_);
  } else {
    clock_.disarm(periodic_timer_);
  }
}

void Rtc::on_update() {
  advance();
  schedule();
}

void Rtc::on_periodic() {
  raise_flags(kCPf);
  const Nanos p = period(), now = clock_.now();
  // A late timer catches up with one interrupt, not a burst.
  periodic_next_ += p;
  if (periodic_next_ <= now) periodic_next_ = now + p;
  schedule();
}

uint8_t Rtc::read_register(uint8_t index) {
  advance();
  switch (index) {
    case kCmosRegA: {
      uint8_t a = ram_[kCmosRegA] & ~kAUip;
      if (running() && clock_.now() - second_start_ >= kSecond - kUipWindow) a |= kAUip;
      return a;
    }
    case kCmosRegC: {
      uint8_t c = ram_[kCmosRegC];
      const Nanos now = clock_.now(), p = period();
      // With the periodic interrupt off PF still sets each period.
      if (!(ram_[kCmosRegB] & kBPie) && p && now - last_c_read_ >= p) c |= kCPf;
      last_c_read_ = now;
      ram_[kCmosRegC] = 0;
      update_irq();
      return c;
    }
    case kCmosRegD:
      return kDValid;
    default:
      return ram_[index];
  }
}

void Rtc::write_register(uint8_t index, uint8_t v) {
  advance();
  switch (index) {
    case kCmosRegA: {
      const bool was_reset = (ram_[kCmosRegA] & kADividerReset) == kADividerReset;
      ram_[kCmosRegA] = v & ~kAUip;
      const bool is_reset = (v & kADividerReset) == kADividerReset;
      if (was_reset && !is_reset) second_start_ = clock_.now() - (kSecond - kFirstUpdateDelay);
      break;
    }
    case kCmosRegB: {
      const bool was_set = ram_[kCmosRegB] & kBSet;
      // SET stops updates; UIE is cleared with it (data sheet, register B).
      if (v & kBSet) v &= ~kBUie;
      ram_[kCmosRegB] = v;
      if (was_set && !(v & kBSet)) {
        seconds_ = load_time();
        second_start_ = clock_.now();
      }
      update_irq();
      break;
    }
    case kCmosRegC: case kCmosRegD:
      break;  // read-only
    default:
      ram_[index] = v;
      if (index <= kCmosYear || index == kCmosCentury) {
        // A time written while the clock runs takes effect at once, within
        // the current second.
        if (running()) seconds_ = load_time();
      }
      break;
  }
  schedule();
}

uint32_t Rtc::io_read(uint16_t port, unsigned size) {
  if (port == kRtcPort) return open_bus(size);  // the index port is write-only
  return read_register(index_);
}

void Rtc::io_write(uint16_t port, uint32_t value, unsigned) {
  if (port == kRtcPort) {
    index_ = uint8_t(value) & 0x7f;
    nmi_masked_ = value & 0x80;
    return;
  }
  write_register(index_, uint8_t(value));
}

}  // namespace kestrel::devices
