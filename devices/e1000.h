// SPDX-License-Identifier: MIT
// The Intel 82540EM gigabit Ethernet controller (8086:100E, QEMU's `e1000`):
// its PCI function, register file (MMIO BAR0 and the IOADDR/IODATA window of
// BAR1), Microwire EEPROM, PHY, interrupt throttling, and the legacy receive
// and transmit descriptor rings; e1000_tx.cpp owns transmit offloads (checksum
// insertion, TCP segmentation). The host end of the wire is a NetBackend.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "devices/device.h"
#include "devices/net.h"
#include "devices/pci.h"
#include "devices/scheduler.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

/// Register offsets in BAR0 (PCI/PCI-X Family of GbE Controllers SDM §13).
enum E1000Reg : uint32_t {
  kE1000Ctrl = 0x0000, kE1000Status = 0x0008, kE1000Eecd = 0x0010, kE1000Eerd = 0x0014,
  kE1000Mdic = 0x0020, kE1000Icr = 0x00c0, kE1000Itr = 0x00c4, kE1000Ics = 0x00c8,
  kE1000Ims = 0x00d0, kE1000Imc = 0x00d8, kE1000Rctl = 0x0100, kE1000Tctl = 0x0400,
  kE1000Pba = 0x1000, kE1000Rdbal = 0x2800, kE1000Rdbah = 0x2804, kE1000Rdlen = 0x2808,
  kE1000Rdh = 0x2810, kE1000Rdt = 0x2818, kE1000Rdtr = 0x2820, kE1000Radv = 0x282c,
  kE1000Tdbal = 0x3800, kE1000Tdbah = 0x3804, kE1000Tdlen = 0x3808, kE1000Tdh = 0x3810,
  kE1000Tdt = 0x3818, kE1000Tidv = 0x3820, kE1000Tadv = 0x382c, kE1000StatsFirst = 0x4000,
  kE1000Gprc = 0x4074, kE1000Gptc = 0x4080, kE1000Gorcl = 0x4088, kE1000Gotcl = 0x4090,
  kE1000Tpr = 0x40d0, kE1000Tpt = 0x40d4, kE1000StatsLast = 0x40fc, kE1000Mta = 0x5200,
  kE1000Ral = 0x5400, kE1000Rah = 0x5404,
};

/// Interrupt causes (ICR/IMS/IMC/ICS bits).
enum E1000Int : uint32_t {
  kE1000IntTxdw = 1u << 0, kE1000IntTxqe = 1u << 1, kE1000IntLsc = 1u << 2,
  kE1000IntRxdmt0 = 1u << 4, kE1000IntRxo = 1u << 6, kE1000IntRxt0 = 1u << 7,
  kE1000IntMdac = 1u << 9,
};

class E1000 final : public Device, public PciFunction, public mmu::MmioHandler, public NetPeer {
 public:
  static constexpr uint64_t kMmioSize = 0x20000;
  static constexpr unsigned kIoSize = 0x40;
  static constexpr unsigned kEepromWords = 64;
  /// `backend` may be null: the link is down and transmitted frames vanish.
  E1000(mmu::Mmu& mem, Scheduler& clock, const std::array<uint8_t, 6>& mac,
        NetBackend* backend);

  // Device: power-on; I/O BAR1 (IOADDR at +0, IODATA at +4).
  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  // PciFunction
  void pci_reset() override;
  // mmu::MmioHandler: BAR0.
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override;
  // NetPeer
  bool can_receive() const override;
  void receive(std::span<const uint8_t> frame) override;

  /// The register at `offset` without read side effects (tests, monitor).
  uint32_t peek(uint32_t offset) const { return reg(offset); }
  const std::array<uint16_t, kEepromWords>& eeprom() const { return eeprom_; }

 private:
  /// The transmit context a context descriptor loads (SDM §3.3.6).
  struct TxContext {
    uint8_t ipcss = 0, ipcso = 0, tucss = 0, tucso = 0;
    uint16_t ipcse = 0, tucse = 0;
    uint32_t paylen = 0;
    uint8_t tucmd = 0, hdrlen = 0;
    uint16_t mss = 0;
  };
  /// The packet being gathered from data descriptors until EOP.
  struct TxPacket {
    std::vector<uint8_t> data;
    bool started = false, tse = false, overflow = false;
    uint8_t popts = 0;
    bool legacy_ic = false;
    uint8_t css = 0, cso = 0;
  };
  struct Eeprom {  ///< Microwire shift state (EECD bit-banging)
    uint32_t in = 0;
    unsigned bits_in = 0;
    int out_bit = -1;
    unsigned address = 0;
    bool reading = false;
    uint32_t last = 0;
  };

  uint32_t& reg(uint32_t offset) { return regs_[(offset & (kMmioSize - 1)) >> 2]; }
  uint32_t reg(uint32_t offset) const { return regs_[(offset & (kMmioSize - 1)) >> 2]; }
  uint32_t read_reg(uint32_t offset);
  void write_reg(uint32_t offset, uint32_t value);
  void reset_registers();
  void build_eeprom(const std::array<uint8_t, 6>& mac);
  bool link_up() const { return backend_ != nullptr; }

  // EEPROM and PHY (e1000.cpp)
  void write_eecd(uint32_t value);
  uint32_t read_eecd() const;
  void write_eerd(uint32_t value);
  void write_mdic(uint32_t value);

  // Interrupts
  void raise(uint32_t causes);
  void update_irq();
  void delay_timer_fired(bool rx);
  void start_delay(bool rx, uint32_t delay_reg, uint32_t abs_reg);

  // DMA: only whole ranges of guest RAM, only while bus mastering is on.
  bool dma_ok(uint64_t pa, uint64_t len) const;
  bool dma_read(uint64_t pa, std::span<uint8_t> out);
  bool dma_write(uint64_t pa, std::span<const uint8_t> in);

  // Receive
  bool accept(std::span<const uint8_t> frame) const;
  unsigned rx_ring_size() const { return reg(kE1000Rdlen) / 16; }
  unsigned rx_buffer_size() const;
  unsigned rx_free() const;

  // Transmit (e1000_tx.cpp)
  unsigned tx_ring_size() const { return reg(kE1000Tdlen) / 16; }
  void process_tx();
  bool tx_descriptor(const std::array<uint8_t, 16>& d);
  void load_context(const std::array<uint8_t, 16>& d);
  void finish_packet();
  void send_frame(std::span<uint8_t> frame, bool ip_sum, bool l4_sum, bool tso_fix);
  void segment_tso();
  void transmit(std::span<const uint8_t> frame);

  mmu::Mmu& mem_;
  Scheduler& clock_;
  NetBackend* backend_;
  std::vector<uint32_t> regs_;
  std::array<uint16_t, kEepromWords> eeprom_{};
  std::array<uint16_t, 32> phy_{};
  Eeprom ee_;
  uint32_t io_addr_ = 0;
  TxContext ctx_;
  TxPacket pkt_;
  bool irq_ = false;
  Nanos throttle_until_ = 0;
  Scheduler::TimerId itr_timer_, rx_delay_timer_, rx_abs_timer_, tx_delay_timer_, tx_abs_timer_;
  bool rx_abs_armed_ = false, tx_abs_armed_ = false;
  bool in_tx_ = false;
};

}  // namespace kestrel::devices
