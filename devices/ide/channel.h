// SPDX-License-Identifier: MIT
// One IDE channel: the task-file registers two drives share, the PIO data
// port and its DRQ blocks, the bus-master DMA engine of the channel, the
// ATA command set of a hard disk and the ATAPI packet commands of a CD-ROM.
// The PCI function and the port decoding are piix_ide.*; the media are
// BlockBackends the board hands in.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devices/block.h"
#include "devices/device.h"
#include "devices/ide/ata_defs.h"
#include "devices/irq.h"
#include "mmu/mmu.h"

namespace kestrel::devices::ide {

/// One of the two drives of a channel.
struct Drive {
  enum class Kind : uint8_t { kNone, kDisk, kCdrom };
  Kind kind = Kind::kNone;
  BlockBackend* medium = nullptr;  ///< nullptr: a CD-ROM drive with no disc
  std::string serial;
  uint8_t status = 0;
  // Disks: capacity and the CHS translation (ACS §7.16, IDENTIFY words 1-6, 54-58).
  uint64_t sectors = 0;
  uint16_t cylinders = 0, heads = 0, spt = 0;
  uint16_t cur_cylinders = 0, cur_heads = 0, cur_spt = 0;
  uint8_t multiple = 0;       ///< SET MULTIPLE: sectors per DRQ block, 0 = off
  uint8_t xfer_mode = 0;      ///< SET FEATURES 03h: the selected transfer mode
  bool write_cache = true;
  // CD-ROMs: the pending sense data and the tray (MMC-3).
  uint8_t sense_key = 0, asc = 0, ascq = 0;
  bool unit_attention = false;  ///< a medium change not yet reported
  bool media_event = false;     ///< GET EVENT STATUS: "new media" not yet reported
  bool tray_open = false;
  bool locked = false;          ///< PREVENT ALLOW MEDIUM REMOVAL
  bool present() const { return kind != Kind::kNone; }
  bool has_medium() const { return medium != nullptr && !tray_open; }
};

class Channel {
 public:
  /// `index` 0 is the primary channel, 1 the secondary (serial numbers).
  Channel(mmu::Mmu& mem, unsigned index);

  /// Puts a drive on the channel (unit 0 master, 1 slave). Disk geometry
  /// follows from the medium's size.
  void attach(unsigned unit, Drive::Kind kind, BlockBackend* medium);
  const Drive& drive(unsigned unit) const { return drives_.at(unit & 1); }
  /// Power-on / hardware reset of the channel and both drives.
  void reset();
  /// A CD-ROM gets a new disc (nullptr: none): a unit attention follows.
  void change_medium(unsigned unit, BlockBackend* medium);

  /// The command block (offsets 0-7 from 0x1F0/0x170); the data port takes
  /// 1, 2 or 4 bytes at a time, the other registers one byte.
  uint32_t read_command_block(unsigned reg, unsigned size);
  void write_command_block(unsigned reg, uint32_t value, unsigned size);
  /// The control block (0x3F6/0x376): alternate status and device control.
  uint8_t read_alt_status() const;
  void write_control(uint8_t value);
  /// The channel's 8 bus-master bytes in BAR4.
  uint32_t read_bm(unsigned reg, unsigned size) const;
  void write_bm(unsigned reg, uint32_t value, unsigned size);

  /// INTRQ, gated by nIEN; the board routes it to IRQ 14 or 15.
  IrqLine irq;

 private:
  enum class Phase : uint8_t { kIdle, kPioIn, kPioOut, kPacket, kDmaIn, kDmaOut };
  /// The data of one command: a range of the medium, or the reply buffer.
  struct Transfer {
    bool from_medium = false;
    bool atapi = false;
    uint64_t offset = 0;  ///< next byte on the medium or in reply_
    uint64_t left = 0;    ///< bytes still to move
    unsigned block = 0;   ///< bytes per DRQ block
  };

  Drive& cur() { return drives_[selected_]; }
  bool channel_empty() const { return !drives_[0].present() && !drives_[1].present(); }
  void set_signature(Drive& d);
  void soft_reset();
  void execute(uint8_t command);

  // Interrupts and completion (channel.cpp).
  void raise_irq();
  void update_irq();
  void complete(uint8_t status = kStDrdy | kStDsc, bool interrupt = true);
  void abort_command(uint8_t error = kErAbrt);

  // The PIO data port (channel.cpp).
  uint32_t read_data(unsigned size);
  void write_data(uint32_t value, unsigned size);
  void start_pio(Phase phase, const Transfer& t);
  void next_block();
  void block_done();
  void finish_transfer();

  // ATA disks (ata_commands.cpp, identify.cpp).
  void execute_ata(uint8_t command);
  bool ata_address(bool lba48, uint64_t& lba, uint64_t& count);
  void ata_rw(uint8_t command, bool lba48, bool write, bool dma, bool multiple);
  void ata_verify(bool lba48);
  void ata_set_features();
  void ata_set_multiple();
  void ata_init_params();
  void ata_flush();
  std::array<uint16_t, 256> identify_disk(const Drive& d) const;
  std::array<uint16_t, 256> identify_cdrom(const Drive& d) const;
  void send_identify(const std::array<uint16_t, 256>& words);
  void device_diagnostic();

  // ATAPI (atapi.cpp, atapi_replies.cpp).
  void packet_command();
  void execute_packet();
  bool check_ready(const std::array<uint8_t, 12>& cdb);
  void atapi_error(uint8_t key, uint8_t asc, uint8_t ascq = 0);
  void atapi_done();
  void atapi_reply(std::vector<uint8_t> reply, unsigned alloc);
  void atapi_read(uint64_t lba, uint64_t blocks);
  void atapi_data_in(const Transfer& t);
  void atapi_start_stop(const std::array<uint8_t, 12>& cdb);
  std::vector<uint8_t> request_sense();
  std::vector<uint8_t> inquiry() const;
  std::vector<uint8_t> read_capacity() const;
  bool read_toc(const std::array<uint8_t, 12>& cdb, std::vector<uint8_t>& out) const;
  bool mode_sense(const std::array<uint8_t, 12>& cdb, std::vector<uint8_t>& out) const;
  std::vector<uint8_t> get_configuration(const std::array<uint8_t, 12>& cdb) const;
  bool event_status(const std::array<uint8_t, 12>& cdb, std::vector<uint8_t>& out);
  std::vector<uint8_t> mechanism_status() const;

  // Bus-master DMA (bmdma.cpp).
  void run_dma();
  bool ram_range(uint64_t pa, uint64_t len) const;
  bool dma_chunk(uint64_t pa, uint32_t len);
  void dma_finished(bool ok, bool prd_left);

  mmu::Mmu& mem_;
  unsigned index_;
  std::array<Drive, 2> drives_{};
  unsigned selected_ = 0;
  // Task file (ACS §6): written values latch in both drives; `hob_` keeps
  // the previous byte of each for LBA48.
  uint8_t feature_ = 0, nsect_ = 0, lbal_ = 0, lbam_ = 0, lbah_ = 0;
  uint8_t hob_feature_ = 0, hob_nsect_ = 0, hob_lbal_ = 0, hob_lbam_ = 0, hob_lbah_ = 0;
  uint8_t device_ = 0, error_ = 0, control_ = 0;
  bool irq_pending_ = false;
  // The data phase.
  Phase phase_ = Phase::kIdle;
  Transfer xfer_{};
  bool xfer_write_ = false;
  bool first_block_ = false;
  std::vector<uint8_t> buf_;    ///< the current DRQ block or the packet
  size_t pos_ = 0;
  std::vector<uint8_t> reply_;  ///< ATAPI: the reply of a non-read command
  bool packet_dma_ = false;     ///< ATAPI: the PACKET's data phase is DMA
  unsigned byte_limit_ = 0;     ///< ATAPI: bytes per PIO DRQ block
  // Bus master.
  uint8_t bm_command_ = 0, bm_status_ = 0;
  uint32_t bm_prd_ = 0;
  std::vector<uint8_t> dma_buf_;
  bool dma_medium_error_ = false;  ///< the last DMA failed on the medium, not the table
};

}  // namespace kestrel::devices::ide
