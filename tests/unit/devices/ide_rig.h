// SPDX-License-Identifier: MIT
// What the IDE unit tests share: an in-memory medium that can fail on
// demand, an interrupt probe, and a channel with register helpers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "devices/block.h"
#include "devices/ide/channel.h"
#include "devices/irq.h"
#include "mmu/mmu.h"

namespace kestrel::devices::ide::test {

class MemMedium final : public BlockBackend {
 public:
  explicit MemMedium(size_t bytes, bool writable = true) : data(bytes), rw(writable) {
    for (size_t i = 0; i < bytes; ++i) data[i] = uint8_t(i * 7 + i / 512);
  }
  uint64_t size() const override { return data.size(); }
  bool writable() const override { return rw; }
  bool read(uint64_t offset, std::span<uint8_t> out) override {
    if (fail_io || offset + out.size() > data.size()) return false;
    std::copy_n(data.begin() + ptrdiff_t(offset), out.size(), out.begin());
    return true;
  }
  bool write(uint64_t offset, std::span<const uint8_t> in) override {
    if (fail_io || !rw || offset + in.size() > data.size()) return false;
    std::copy(in.begin(), in.end(), data.begin() + ptrdiff_t(offset));
    return true;
  }
  bool flush() override {
    ++flushes;
    return !fail_io;
  }
  std::string name() const override { return "mem"; }

  std::vector<uint8_t> data;
  bool rw;
  bool fail_io = false;
  int flushes = 0;
};

struct IrqProbe final : IrqSink {
  bool level = false;
  int rises = 0;
  void set_irq(unsigned, bool l) override {
    if (l && !level) ++rises;
    level = l;
  }
};

enum Reg : unsigned { kData, kErr, kNsect, kLbal, kLbam, kLbah, kDev, kCmd };

struct Rig {
  explicit Rig(size_t disk_bytes = 4 << 20) : disk(disk_bytes) {
    ch.irq.connect(probe, 14);
  }
  void out(unsigned reg, uint8_t v) { ch.write_command_block(reg, v, 1); }
  uint8_t in(unsigned reg) { return uint8_t(ch.read_command_block(reg, 1)); }
  uint16_t word() { return uint16_t(ch.read_command_block(kData, 2)); }
  void put_word(uint16_t v) { ch.write_command_block(kData, v, 2); }
  std::vector<uint8_t> read_bytes(size_t n) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i < n; i += 2) {
      const uint16_t w = word();
      v.push_back(uint8_t(w)), v.push_back(uint8_t(w >> 8));
    }
    return v;
  }
  /// LBA28 task file and a command for device 0.
  void lba28(uint8_t cmd, uint32_t lba, uint8_t count) {
    out(kNsect, count), out(kLbal, uint8_t(lba)), out(kLbam, uint8_t(lba >> 8));
    out(kLbah, uint8_t(lba >> 16));
    out(kDev, uint8_t(0xe0 | ((lba >> 24) & 0xf)));
    out(kCmd, cmd);
  }
  mmu::Mmu mem{16 << 20, 32};
  Channel ch{mem, 0};
  MemMedium disk;
  IrqProbe probe;
};

}  // namespace kestrel::devices::ide::test
