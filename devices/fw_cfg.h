// SPDX-License-Identifier: MIT
// QEMU's firmware configuration device (fw_cfg) as the x86 'pc' machine has
// it: a 16-bit selector at 0x510, a byte-wide data port at 0x511 and the DMA
// address register at 0x514-0x51B. It serves items by key and named files
// (with a directory at key 0x19); what the items hold is the board's choice.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "devices/device.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

inline constexpr uint16_t kFwCfgSelectorPort = 0x510;
inline constexpr uint16_t kFwCfgDataPort = 0x511;
inline constexpr uint16_t kFwCfgDmaPort = 0x514;  ///< high dword; the low at 0x518
inline constexpr unsigned kFwCfgPortCount = 12;   ///< 0x510-0x51B

/// Item keys (QEMU's docs/specs/fw_cfg.rst and include/standard-headers/linux/qemu_fw_cfg.h).
enum FwCfgKey : uint16_t {
  kFwCfgSignature = 0x00,  ///< "QEMU"
  kFwCfgId = 0x01,         ///< feature bits: 1 traditional interface, 2 DMA
  kFwCfgUuid = 0x02,
  kFwCfgRamSize = 0x03,    ///< 64-bit
  kFwCfgNographic = 0x04,
  kFwCfgNbCpus = 0x05,     ///< 16-bit
  kFwCfgBootMenu = 0x0e,   ///< 16-bit: 1 shows the boot menu
  kFwCfgMaxCpus = 0x0f,    ///< 16-bit
  kFwCfgFileDir = 0x19,
  kFwCfgFileFirst = 0x20,  ///< the first key add_file hands out
  kFwCfgArchLocal = 0x8000,
  kFwCfgE820Table = 0x8003,  ///< legacy reservations table (count + entries)
};

/// Feature bits of kFwCfgId.
enum FwCfgFeature : uint32_t { kFwCfgTraditional = 1, kFwCfgDma = 2 };

/// DMA control bits (FWCfgDmaAccess.control, big-endian in guest memory).
enum FwCfgDmaControl : uint32_t {
  kFwCfgDmaError = 1, kFwCfgDmaRead = 2, kFwCfgDmaSkip = 4, kFwCfgDmaSelect = 8,
  kFwCfgDmaWrite = 16,
};

/// The longest file name, NUL included (the directory entry's name field).
inline constexpr size_t kFwCfgMaxName = 56;

class FwCfg final : public Device {
 public:
  /// DMA reaches guest RAM through `memory`.
  explicit FwCfg(mmu::Mmu& memory);

  /// Sets item `key` (replacing what it held). The write-channel bit (0x4000)
  /// is not part of a key.
  void set_item(uint16_t key, std::vector<uint8_t> data);
  void set_u16(uint16_t key, uint16_t v);
  void set_u32(uint16_t key, uint32_t v);
  void set_u64(uint16_t key, uint64_t v);
  /// Adds (or replaces) the file `name` and returns its key. Names longer
  /// than kFwCfgMaxName - 1 bytes are a wiring bug (std::invalid_argument).
  uint16_t add_file(std::string_view name, std::vector<uint8_t> data);
  /// The item at `key`, or nullptr.
  const std::vector<uint8_t>* item(uint16_t key) const;
  /// The key of file `name`, or 0 when there is none.
  uint16_t file_key(std::string_view name) const;

  /// Selector back to the signature, data offset 0, DMA address cleared.
  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  /// Transfers that were refused (descriptor or buffer outside RAM, writes).
  uint64_t dma_errors() const { return dma_errors_; }

 private:
  void select(uint16_t key);
  uint8_t next_byte();
  void dma_register_write(unsigned offset, uint32_t value, unsigned size);
  void run_dma(uint64_t descriptor);
  /// Runs one decoded transfer; false when it fails (error bit).
  bool dma_transfer(uint32_t control, uint32_t length, uint64_t address);
  bool dma_read(uint32_t length, uint64_t address);
  void advance(uint64_t length);
  /// [pa, pa + length) lies wholly in guest RAM.
  bool in_ram(uint64_t pa, uint64_t length) const;
  void rebuild_directory();

  mmu::Mmu& memory_;
  std::map<uint16_t, std::vector<uint8_t>> items_;
  std::map<std::string, uint16_t, std::less<>> files_;
  uint16_t next_file_key_ = kFwCfgFileFirst;
  uint16_t selected_ = kFwCfgSignature;
  uint64_t offset_ = 0;  ///< data offset in the selected item
  std::array<uint8_t, 8> dma_address_{};  ///< big-endian, as the guest wrote it
  uint64_t dma_errors_ = 0;
};

}  // namespace kestrel::devices
