// SPDX-License-Identifier: MIT
// The 82540EM's registers, EEPROM, PHY, interrupts and receive path. The
// section numbers cite Intel's "PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual" (rev. 4.0); transmit is in
// e1000_tx.cpp.
#include "devices/e1000.h"

#include <algorithm>

namespace kestrel::devices {
namespace {

constexpr PciId kE1000Id{0x8086, 0x100e, 0x020000, 0x03, false};

// CTRL (§13.4.1)
constexpr uint32_t kCtrlFd = 1u << 0, kCtrlAsde = 1u << 5, kCtrlSlu = 1u << 6,
                   kCtrlSpeed1000 = 2u << 8, kCtrlRst = 1u << 26, kCtrlPhyRst = 1u << 31;
// STATUS (§13.4.2): full duplex, link up, 1000 Mb/s, auto-detected 1000.
constexpr uint32_t kStatusFd = 1u << 0, kStatusLu = 1u << 1, kStatusSpeed1000 = 2u << 6,
                   kStatusAsdv1000 = 2u << 8;
// EECD (§13.4.3)
constexpr uint32_t kEecdSk = 1u << 0, kEecdCs = 1u << 1, kEecdDi = 1u << 2, kEecdDo = 1u << 3,
                   kEecdFwe = 3u << 4, kEecdReq = 1u << 6, kEecdGnt = 1u << 7,
                   kEecdPres = 1u << 8;
constexpr uint32_t kEerdStart = 1u << 0, kEerdDone = 1u << 4;
// MDIC (§13.4.7)
constexpr uint32_t kMdicReady = 1u << 28, kMdicIntEnable = 1u << 29, kMdicError = 1u << 30;
constexpr unsigned kPhyAddress = 1;
// RCTL (§13.4.22)
constexpr uint32_t kRctlEn = 1u << 1, kRctlUpe = 1u << 3, kRctlMpe = 1u << 4,
                   kRctlLpe = 1u << 5, kRctlBam = 1u << 15, kRctlBsex = 1u << 25,
                   kRctlSecrc = 1u << 26;
constexpr uint32_t kRahAv = 1u << 31;
// Receive descriptor status (§3.2.3): done, end of packet, ignore checksum.
constexpr uint8_t kRxDd = 1u << 0, kRxEop = 1u << 1, kRxIxsm = 1u << 2;
constexpr uint8_t kRxErrRxe = 1u << 7;

// PHY registers (IEEE 802.3 clause 22; the 82540EM's PHY is an M88E1011).
enum PhyReg : unsigned {
  kPhyCtrl = 0, kPhyStatus = 1, kPhyId1 = 2, kPhyId2 = 3, kPhyAnar = 4, kPhyLpa = 5,
  kPhy1000Ctrl = 9, kPhy1000Status = 10, kPhyExtStatus = 15, kPhySpecCtrl = 16,
  kPhySpecStatus = 17,
};
constexpr uint16_t kBmcrReset = 1u << 15, kBmcrRestartAn = 1u << 9;
constexpr uint16_t kBmsrLink = 1u << 2, kBmsrAnComplete = 1u << 5;

constexpr unsigned kMaxFrame = 16384;  ///< the largest receive buffer (BSEX)
constexpr unsigned kMinFrame = 60;     ///< Ethernet minimum without the FCS
constexpr unsigned kFcsBytes = 4;

constexpr Nanos kDelayUnit = 1024;  ///< RDTR/RADV/TIDV/TADV count 1.024 us
constexpr Nanos kItrUnit = 256;     ///< ITR counts 256 ns (§13.4.18)

}  // namespace

E1000::E1000(mmu::Mmu& mem, Scheduler& clock, const std::array<uint8_t, 6>& mac,
             NetBackend* backend)
    : PciFunction(kE1000Id), mem_(mem), clock_(clock), backend_(backend),
      regs_(kMmioSize / 4) {
  init_config(kPciSubsystemVendor, 4, 0x001e8086u);
  init_config(kPciStatus, 2, 0x0200);  // DEVSEL# medium
  define_mem_bar(0, kMmioSize, *this);
  define_io_bar(1, kIoSize, *this);
  set_interrupt_pin(1);
  build_eeprom(mac);
  itr_timer_ = clock_.add_timer([this] { update_irq(); });
  rx_delay_timer_ = clock_.add_timer([this] { delay_timer_fired(true); });
  rx_abs_timer_ = clock_.add_timer([this] { delay_timer_fired(true); });
  tx_delay_timer_ = clock_.add_timer([this] { delay_timer_fired(false); });
  tx_abs_timer_ = clock_.add_timer([this] { delay_timer_fired(false); });
  if (backend_) backend_->attach(*this);
  reset_registers();
}

// EEPROM image (§5.6): the MAC in words 0-2, the PCI IDs, and word 3Fh
// chosen so that words 0-3Fh sum to 0xBABA, which drivers check.
void E1000::build_eeprom(const std::array<uint8_t, 6>& mac) {
  eeprom_.fill(0);
  for (unsigned i = 0; i < 3; ++i) eeprom_[i] = uint16_t(mac[2 * i] | mac[2 * i + 1] << 8);
  eeprom_[0x0a] = 0x6403;  // init control 1: load subsystem IDs, 32-bit PCI
  eeprom_[0x0b] = 0x001e;  // subsystem ID
  eeprom_[0x0c] = 0x8086;  // subsystem vendor
  eeprom_[0x0d] = 0x100e;  // device ID
  eeprom_[0x0e] = 0x8086;  // vendor ID
  uint16_t sum = 0;
  for (unsigned i = 0; i < kEepromWords - 1; ++i) sum = uint16_t(sum + eeprom_[i]);
  eeprom_[kEepromWords - 1] = uint16_t(0xbaba - sum);
}

void E1000::reset() { pci_reset(); }

void E1000::pci_reset() {
  PciFunction::pci_reset();
  reset_registers();
}

// A software reset (CTRL.RST, §14.9) reloads the registers, the receive
// address from the EEPROM and the PHY; PCI configuration stays.
void E1000::reset_registers() {
  std::fill(regs_.begin(), regs_.end(), 0);
  reg(kE1000Ctrl) = kCtrlFd | kCtrlAsde | kCtrlSlu | kCtrlSpeed1000;
  reg(kE1000Pba) = 0x30;  // 48 KiB receive, 16 KiB transmit packet buffer
  reg(kE1000Ral) = uint32_t(eeprom_[0] | eeprom_[1] << 16);
  reg(kE1000Rah) = eeprom_[2] | kRahAv;
  phy_.fill(0);
  phy_[kPhyCtrl] = 0x1140;  // auto-negotiation on, full duplex, 1000 Mb/s
  phy_[kPhyStatus] = uint16_t(0x7949 | (link_up() ? kBmsrLink | kBmsrAnComplete : 0));
  phy_[kPhyId1] = 0x0141;  // Marvell M88E1011 (Linux matches the ID)
  phy_[kPhyId2] = 0x0c20;
  phy_[kPhyAnar] = 0x01e1;
  phy_[kPhyLpa] = link_up() ? 0x45e1 : 0;
  phy_[kPhy1000Ctrl] = 0x0e00;
  phy_[kPhy1000Status] = link_up() ? 0x3c00 : 0;
  phy_[kPhyExtStatus] = 0x3000;
  phy_[kPhySpecCtrl] = 0x0068;
  // M88 PHY specific status: 1000 Mb/s, full duplex, resolved, link.
  phy_[kPhySpecStatus] = link_up() ? 0xac00 : 0;
  ee_ = Eeprom{};
  io_addr_ = 0;
  ctx_ = TxContext{};
  pkt_.data.clear();
  pkt_ = TxPacket{std::move(pkt_.data)};
  for (auto t : {itr_timer_, rx_delay_timer_, rx_abs_timer_, tx_delay_timer_, tx_abs_timer_}) {
    clock_.disarm(t);
  }
  rx_abs_armed_ = tx_abs_armed_ = false;
  throttle_until_ = 0;
  irq_ = false;
  set_intx(false);
}

// ---- register access -------------------------------------------------------

uint64_t E1000::mmio_read(uint64_t offset, unsigned size) {
  const unsigned shift = unsigned(offset & 3) * 8;
  const uint64_t v = read_reg(uint32_t(offset & ~uint64_t{3})) >> shift;
  return size >= 4 ? v : v & ((uint64_t{1} << (8 * size)) - 1);
}

void E1000::mmio_write(uint64_t offset, uint64_t value, unsigned size) {
  const uint32_t aligned = uint32_t(offset & ~uint64_t{3});
  uint32_t v = uint32_t(value);
  if (size < 4) {  // merge a narrow write into the stored register
    const unsigned shift = unsigned(offset & 3) * 8;
    const uint32_t mask = ((1u << (8 * size)) - 1) << shift;
    v = (reg(aligned) & ~mask) | ((v << shift) & mask);
  }
  write_reg(aligned, v);
}

// BAR1 (§13.2): IOADDR selects a register, IODATA reads or writes it.
uint32_t E1000::io_read(uint16_t port, unsigned size) {
  const uint64_t base = bar_mapped(1);
  if (base == kUnmapped) return open_bus(size);
  const unsigned off = unsigned(port - base);
  uint32_t v = 0;
  if (off < 4) v = io_addr_;
  else if (off < 8) v = io_addr_ < kMmioSize ? read_reg(io_addr_ & ~3u) : 0;
  else return open_bus(size);
  v >>= 8 * (off & 3);
  return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void E1000::io_write(uint16_t port, uint32_t value, unsigned size) {
  const uint64_t base = bar_mapped(1);
  if (base == kUnmapped) return;
  const unsigned off = unsigned(port - base);
  if (off < 4 && size == 4) io_addr_ = value;
  else if (off >= 4 && off < 8 && size == 4 && io_addr_ < kMmioSize) write_reg(io_addr_ & ~3u, value);
}

uint32_t E1000::read_reg(uint32_t offset) {
  switch (offset) {
    case kE1000Icr: {  // read to clear (§13.4.17)
      const uint32_t v = reg(kE1000Icr);
      reg(kE1000Icr) = 0;
      update_irq();
      return v;
    }
    case kE1000Status:
      return kStatusFd | kStatusSpeed1000 | kStatusAsdv1000 | (link_up() ? kStatusLu : 0);
    case kE1000Eecd: return read_eecd();
    case kE1000Ics:
    case kE1000Imc: return 0;  // write-only
    default: break;
  }
  if (offset >= kE1000StatsFirst && offset <= kE1000StatsLast) {  // clear on read (§13.7)
    const uint32_t v = reg(offset);
    reg(offset) = 0;
    return v;
  }
  return reg(offset);
}

void E1000::write_reg(uint32_t offset, uint32_t value) {
  switch (offset) {
    case kE1000Ctrl:
      if (value & kCtrlRst) {
        reset_registers();
        return;
      }
      if (value & kCtrlPhyRst) phy_[kPhyCtrl] &= uint16_t(~kBmcrReset);
      reg(offset) = value & ~(kCtrlRst | kCtrlPhyRst);
      return;
    case kE1000Status: return;
    case kE1000Eecd: write_eecd(value); return;
    case kE1000Eerd: write_eerd(value); return;
    case kE1000Mdic: write_mdic(value); return;
    case kE1000Icr: reg(offset) &= ~value; update_irq(); return;
    case kE1000Ics: raise(value); return;
    case kE1000Ims: reg(kE1000Ims) |= value; update_irq(); return;
    case kE1000Imc: reg(kE1000Ims) &= ~value; update_irq(); return;
    case kE1000Rdlen:
    case kE1000Tdlen: reg(offset) = value & 0x000fff80; return;  // 128-byte multiples
    case kE1000Rdh:
    case kE1000Tdh: reg(offset) = value & 0xffff; return;
    case kE1000Rctl:
    case kE1000Rdt:
      reg(offset) = offset == kE1000Rdt ? value & 0xffff : value;
      if (backend_ && can_receive()) backend_->peer_ready();
      return;
    case kE1000Tctl: reg(offset) = value; process_tx(); return;
    case kE1000Tdt: reg(offset) = value & 0xffff; process_tx(); return;
    default: reg(offset) = value; return;
  }
}

// ---- EEPROM (Microwire, §5.6) and PHY (MDIC, §13.4.7) ----------------------

uint32_t E1000::read_eecd() const {
  uint32_t v = (reg(kE1000Eecd) & (kEecdSk | kEecdCs | kEecdDi | kEecdFwe | kEecdReq)) |
               kEecdPres;  // 64-word EEPROM (EECD.SIZE clear)
  if (v & kEecdReq) v |= kEecdGnt;
  bool out = true;  // DO idles high
  if (ee_.reading) {
    out = false;  // the dummy zero before D15
    if (ee_.out_bit >= 0) {
      const unsigned word = (ee_.address + unsigned(ee_.out_bit) / 16) % kEepromWords;
      out = (eeprom_[word] >> (15 - unsigned(ee_.out_bit) % 16)) & 1;
    }
  }
  return out ? v | kEecdDo : v;
}

// The driver clocks a start bit, the 2-bit opcode and 6 address bits in on
// DI, sampled on SK's rising edge, then clocks data out on DO, MSB first.
// Dropping CS ends the command. Only READ (110b) is implemented; the EEPROM
// is read-only to the guest.
void E1000::write_eecd(uint32_t value) {
  const uint32_t prev = reg(kE1000Eecd);
  reg(kE1000Eecd) = value & (kEecdSk | kEecdCs | kEecdDi | kEecdFwe | kEecdReq);
  if (!(value & kEecdCs)) {
    ee_ = Eeprom{};
    return;
  }
  if (!(value & kEecdSk) || (prev & kEecdSk)) return;  // not a rising edge
  if (ee_.reading) {
    ++ee_.out_bit;
    return;
  }
  const unsigned bit = (value & kEecdDi) ? 1 : 0;
  if (ee_.bits_in == 0 && bit == 0) return;  // waiting for the start bit
  ee_.in = ee_.in << 1 | bit;
  if (++ee_.bits_in == 9) {
    if ((ee_.in >> 6) == 0b110) {
      ee_.reading = true;
      ee_.address = ee_.in & 0x3f;
      ee_.out_bit = -1;
    } else {
      ee_.bits_in = 0;
      ee_.in = 0;
    }
  }
}

void E1000::write_eerd(uint32_t value) {
  if (!(value & kEerdStart)) {
    reg(kE1000Eerd) = value;
    return;
  }
  const unsigned address = (value >> 8) & 0xff;
  const uint16_t data = address < kEepromWords ? eeprom_[address] : 0;
  reg(kE1000Eerd) = uint32_t(data) << 16 | address << 8 | kEerdDone;
}

void E1000::write_mdic(uint32_t value) {
  const unsigned phy = (value >> 21) & 31, r = (value >> 16) & 31, op = (value >> 26) & 3;
  uint32_t result = value & ~(kMdicReady | kMdicError);
  if (phy != kPhyAddress || (op != 1 && op != 2)) {
    result |= kMdicError;
  } else if (op == 2) {
    result = (result & ~0xffffu) | phy_[r];
  } else if (r == kPhyCtrl) {
    // Reset and restart-negotiation self-clear; negotiation completes at once.
    phy_[r] = uint16_t(value & ~uint32_t(kBmcrReset | kBmcrRestartAn));
    if (value & (kBmcrReset | kBmcrRestartAn)) phy_[kPhyStatus] |= link_up() ? kBmsrAnComplete : 0;
  } else if (r != kPhyStatus && r != kPhyId1 && r != kPhyId2 && r != kPhyLpa &&
             r != kPhy1000Status && r != kPhySpecStatus) {
    phy_[r] = uint16_t(value);
  }
  reg(kE1000Mdic) = result | kMdicReady;
  if (value & kMdicIntEnable) raise(kE1000IntMdac);
}

// ---- interrupts (§13.4.17-21) ----------------------------------------------

void E1000::raise(uint32_t causes) {
  reg(kE1000Icr) |= causes;
  update_irq();
}

// INTx follows ICR & IMS, but a new assertion waits until the ITR interval
// since the previous one has passed (§13.4.18 interrupt throttling).
void E1000::update_irq() {
  const bool want = (reg(kE1000Icr) & reg(kE1000Ims)) != 0;
  if (!want || irq_) {
    if (!want && irq_) {
      irq_ = false;
      set_intx(false);
    }
    return;
  }
  const Nanos now = clock_.now();
  if (now < throttle_until_) {
    clock_.arm(itr_timer_, throttle_until_);
    return;
  }
  irq_ = true;
  set_intx(true);
  throttle_until_ = now + Nanos(reg(kE1000Itr) & 0xffff) * kItrUnit;
}

// Packet timers (§3.2.7, §3.4): the delay timer restarts with each packet,
// the absolute timer does not; whichever expires first raises the cause.
void E1000::start_delay(bool rx, uint32_t delay_reg, uint32_t abs_reg) {
  const Nanos delay = Nanos(reg(delay_reg) & 0xffff) * kDelayUnit;
  if (delay == 0) {
    raise(rx ? kE1000IntRxt0 : kE1000IntTxdw);
    return;
  }
  const Nanos now = clock_.now();
  clock_.arm(rx ? rx_delay_timer_ : tx_delay_timer_, now + delay);
  bool& abs_armed = rx ? rx_abs_armed_ : tx_abs_armed_;
  const Nanos abs = Nanos(reg(abs_reg) & 0xffff) * kDelayUnit;
  if (abs != 0 && !abs_armed) {
    clock_.arm(rx ? rx_abs_timer_ : tx_abs_timer_, now + abs);
    abs_armed = true;
  }
}

void E1000::delay_timer_fired(bool rx) {
  clock_.disarm(rx ? rx_delay_timer_ : tx_delay_timer_);
  clock_.disarm(rx ? rx_abs_timer_ : tx_abs_timer_);
  (rx ? rx_abs_armed_ : tx_abs_armed_) = false;
  raise(rx ? kE1000IntRxt0 : kE1000IntTxdw);
}

// ---- DMA -------------------------------------------------------------------

bool E1000::dma_ok(uint64_t pa, uint64_t len) const {
  if (!(command() & kPciCmdMaster)) return false;
  if (len == 0) return true;
  if (pa + len < pa) return false;
  const uint64_t low = mem_.low_ram();
  if (pa + len <= low) return true;
  const uint64_t high = mem_.ram_size() - low;
  return pa >= mmu::Mmu::kHighRamBase && pa - mmu::Mmu::kHighRamBase <= high &&
         len <= high - (pa - mmu::Mmu::kHighRamBase);
}

bool E1000::dma_read(uint64_t pa, std::span<uint8_t> out) {
  if (!dma_ok(pa, out.size())) return false;
  mem_.copy_from_phys(pa, out);
  return true;
}

bool E1000::dma_write(uint64_t pa, std::span<const uint8_t> in) {
  if (!dma_ok(pa, in.size())) return false;
  mem_.load_phys(pa, in);
  return true;
}

// ---- receive (§3.2) ----------------------------------------------------------

unsigned E1000::rx_buffer_size() const {
  const unsigned bsize = (reg(kE1000Rctl) >> 16) & 3;
  if (reg(kE1000Rctl) & kRctlBsex) return bsize == 0 ? 2048 : 32768u >> bsize;
  return 2048u >> bsize;
}

unsigned E1000::rx_free() const {
  const unsigned n = rx_ring_size(), h = reg(kE1000Rdh), t = reg(kE1000Rdt);
  if (n == 0 || h >= n || t >= n) return 0;
  return (t + n - h) % n;
}

bool E1000::can_receive() const {
  if (!link_up() || !(reg(kE1000Rctl) & kRctlEn) || !(command() & kPciCmdMaster)) return false;
  const unsigned need = (reg(kE1000Rctl) & kRctlLpe) ? kMaxFrame : 1518 + kFcsBytes;
  return uint64_t(rx_free()) * rx_buffer_size() >= need;
}

// Destination filter (§3.2.1): exact matches in RAL/RAH, the multicast
// table hashed by RCTL.MO (§13.5.1), broadcast, and promiscuous modes.
bool E1000::accept(std::span<const uint8_t> frame) const {
  const uint32_t rctl = reg(kE1000Rctl);
  const uint8_t* d = frame.data();
  if (d[0] & 1) {
    if (std::all_of(d, d + 6, [](uint8_t b) { return b == 0xff; })) {
      return (rctl & (kRctlBam | kRctlMpe)) != 0;
    }
    if (rctl & kRctlMpe) return true;
    const unsigned mo = (rctl >> 12) & 3;
    const unsigned hash = ((d[4] >> (4 - mo)) | (unsigned(d[5]) << (4 + mo))) & 0xfff;
    return (reg(kE1000Mta + 4 * (hash >> 5)) >> (hash & 31)) & 1;
  }
  if (rctl & kRctlUpe) return true;
  const uint32_t lo = uint32_t(d[0] | d[1] << 8 | d[2] << 16 | uint32_t(d[3]) << 24);
  const uint32_t hi = uint32_t(d[4] | d[5] << 8);
  for (unsigned i = 0; i < 16; ++i) {
    const uint32_t rah = reg(kE1000Rah + 8 * i);
    if ((rah & kRahAv) && reg(kE1000Ral + 8 * i) == lo && (rah & 0xffff) == hi) return true;
  }
  return false;
}

void E1000::receive(std::span<const uint8_t> frame) {
  if (frame.size() < 14 || frame.size() > kMaxFrame - kFcsBytes || !can_receive()) {
    if (frame.size() >= 14 && link_up() && (reg(kE1000Rctl) & kRctlEn)) raise(kE1000IntRxo);
    return;
  }
  if (!(reg(kE1000Rctl) & kRctlLpe) && frame.size() > 1518) return;  // oversize
  if (!accept(frame)) return;
  // Pad to the minimum; the FCS is stored (as zeros) unless RCTL.SECRC.
  std::array<uint8_t, kMaxFrame> buf{};
  std::copy(frame.begin(), frame.end(), buf.begin());
  size_t len = std::max<size_t>(frame.size(), kMinFrame);
  if (!(reg(kE1000Rctl) & kRctlSecrc)) len += kFcsBytes;
  const unsigned n = rx_ring_size(), bsize = rx_buffer_size();
  const uint64_t base = (uint64_t(reg(kE1000Rdbah)) << 32 | reg(kE1000Rdbal)) & ~uint64_t{15};
  unsigned h = reg(kE1000Rdh);
  for (size_t done = 0; done < len;) {
    std::array<uint8_t, 16> desc{};
    const uint64_t da = base + uint64_t(h) * 16;
    if (!dma_read(da, desc)) break;  // ring outside RAM: the packet is lost
    uint64_t addr = 0;
    for (int i = 7; i >= 0; --i) addr = addr << 8 | desc[i];
    const size_t chunk = std::min<size_t>(bsize, len - done);
    const bool ok = dma_write(addr, std::span<const uint8_t>(buf.data() + done, chunk));
    done += chunk;
    desc[8] = uint8_t(chunk), desc[9] = uint8_t(chunk >> 8);
    desc[10] = desc[11] = 0;  // packet checksum: not computed
    desc[12] = uint8_t(kRxDd | kRxIxsm | (done == len ? kRxEop : 0));
    desc[13] = ok ? 0 : kRxErrRxe;
    desc[14] = desc[15] = 0;
    dma_write(da + 8, std::span<const uint8_t>(desc.data() + 8, 8));
    h = (h + 1) % n;
  }
  reg(kE1000Rdh) = h;
  ++reg(kE1000Gprc), ++reg(kE1000Tpr);
  reg(kE1000Gorcl) += uint32_t(len);
  // Free descriptors at or below the RDMTS fraction (1/2, 1/4, 1/8) of the ring.
  const unsigned rdmts = (reg(kE1000Rctl) >> 8) & 3;
  if (rdmts < 3 && rx_free() <= (n >> (rdmts + 1))) raise(kE1000IntRxdmt0);
  start_delay(true, kE1000Rdtr, kE1000Radv);
}

}  // namespace kestrel::devices
