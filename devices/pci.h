// SPDX-License-Identifier: MIT
// The PCI bus model every PCI device plugs into: a function's 256-byte
// configuration space with per-bit write masks, BARs that map and unmap
// their regions as the guest moves them and enables decoding, the INTx pin
// and the capability list; and bus 0, which finds functions by device and
// function number and drives the four PIRQ lines. The configuration
// mechanism is the host bridge's (pci_host.*); the machine supplies the
// address spaces BARs land in.
#pragma once

#include <array>
#include <cstdint>

#include "devices/device.h"
#include "devices/irq.h"
#include "mmu/mmu.h"

namespace kestrel::devices {

/// Standard configuration-header offsets (PCI Local Bus 3.0 §6.1).
enum PciReg : uint8_t {
  kPciVendorId = 0x00, kPciDeviceId = 0x02, kPciCommand = 0x04, kPciStatus = 0x06,
  kPciRevision = 0x08, kPciClassProg = 0x09, kPciCacheLine = 0x0c, kPciLatency = 0x0d,
  kPciHeaderType = 0x0e, kPciBar0 = 0x10, kPciSubsystemVendor = 0x2c, kPciRomBar = 0x30,
  kPciCapPtr = 0x34, kPciIntLine = 0x3c, kPciIntPin = 0x3d,
};

enum PciCommand : uint16_t {
  kPciCmdIo = 1u << 0, kPciCmdMemory = 1u << 1, kPciCmdMaster = 1u << 2,
  kPciCmdParity = 1u << 6, kPciCmdSerr = 1u << 8, kPciCmdIntxDisable = 1u << 10,
};

enum PciStatus : uint16_t {
  kPciStatusIntx = 1u << 3, kPciStatusCapList = 1u << 4,
};

inline constexpr unsigned kPciBarCount = 6;
inline constexpr unsigned kPciFirstCap = 0x40;

/// Where BARs land: the machine's port-I/O bus and physical memory map. A
/// BAR the guest places over ports another device decodes must not take
/// them: the implementation leaves those ports to their owner.
class PciSpaces {
 public:
  virtual ~PciSpaces() = default;
  virtual void map_io(uint16_t base, unsigned size, Device& device) = 0;
  virtual void unmap_io(uint16_t base, unsigned size, Device& device) = 0;
  virtual void map_mmio(uint64_t base, uint64_t size, mmu::MmioHandler& handler) = 0;
  virtual void unmap_mmio(uint64_t base, mmu::MmioHandler& handler) = 0;
};

/// Identity of a function: the read-only part of its header.
struct PciId {
  uint16_t vendor = 0, device = 0;
  uint32_t class_code = 0;  ///< base class, subclass, programming interface
  uint8_t revision = 0;
  bool multifunction = false;  ///< header type bit 7 (read on function 0)
};

class PciBus;

class PciFunction {
 public:
  explicit PciFunction(const PciId& id);
  virtual ~PciFunction() = default;
  PciFunction(const PciFunction&) = delete;
  PciFunction& operator=(const PciFunction&) = delete;

  /// A configuration access of `size` (1, 2, 4) bytes at `offset`, which
  /// does not cross a dword. Writes honour the write masks, clear the
  /// write-one-to-clear status bits, and remap BARs when decoding changes.
  uint32_t config_read(unsigned offset, unsigned size) const;
  void config_write(unsigned offset, uint32_t value, unsigned size);
  /// PCI reset: the header back to its power-on image, BARs unmapped,
  /// INTx deasserted. Subclasses that override it call it first.
  virtual void pci_reset();

  uint16_t command() const { return uint16_t(config_read(kPciCommand, 2)); }
  /// The address BAR `n` decodes now, or kUnmapped.
  static constexpr uint64_t kUnmapped = ~uint64_t{0};
  uint64_t bar_mapped(unsigned n) const { return bars_[n].mapped; }
  /// The size of BAR `n` (0: not implemented) and whether it is I/O space.
  uint64_t bar_size(unsigned n) const { return bars_[n].size; }
  bool bar_is_io(unsigned n) const { return bars_[n].io; }
  /// Drives the function's INTx# pin (the one set_interrupt_pin chose);
  /// the command register's INTx disable keeps it from the bus.
  void set_intx(bool level);
  uint8_t devfn() const { return devfn_; }

 protected:
  /// I/O BAR `n` of `size` bytes (a power of two >= 4) decoded by `device`.
  void define_io_bar(unsigned n, unsigned size, Device& device);
  /// Memory BAR `n` of `size` bytes (a power of two >= 16); a 64-bit BAR
  /// takes slot n + 1 for its high dword.
  void define_mem_bar(unsigned n, uint64_t size, mmu::MmioHandler& handler,
                      bool is64 = false, bool prefetchable = false);
  /// INTA# = 1 ... INTD# = 4 (0: no interrupt pin).
  void set_interrupt_pin(unsigned pin);
  /// Appends a capability of `length` bytes (ID and next pointer included)
  /// to the list; returns its offset. Its body is read-only until the
  /// subclass opens bits with set_wmask.
  unsigned add_capability(uint8_t id, unsigned length);
  /// Power-on value of register bytes (kept for pci_reset), not masked.
  void init_config(unsigned offset, unsigned size, uint32_t value);
  void set_wmask(unsigned offset, unsigned size, uint32_t mask);
  void set_w1c(unsigned offset, unsigned size, uint32_t mask);
  uint32_t raw(unsigned offset, unsigned size) const;
  /// Told after a configuration write, for the registers of the function's own.
  virtual void config_written(unsigned offset, unsigned size) { (void)offset, (void)size; }

 private:
  friend class PciBus;
  struct Bar {
    uint64_t size = 0;  ///< 0: not implemented
    bool io = false, is64 = false;
    Device* device = nullptr;
    mmu::MmioHandler* handler = nullptr;
    uint64_t mapped = kUnmapped;
  };
  uint64_t bar_address(unsigned n) const;
  void update_bars();
  void map_bar(Bar& bar, uint64_t address);
  void unmap_bar(Bar& bar);
  void update_intx();

  std::array<uint8_t, 256> config_{}, power_on_{}, wmask_{}, w1c_{};
  std::array<Bar, kPciBarCount> bars_{};
  PciBus* bus_ = nullptr;
  uint8_t devfn_ = 0;
  bool intx_ = false;       ///< the pin's level inside the function
  bool intx_out_ = false;   ///< what the bus sees
  unsigned next_cap_ = kPciFirstCap;
  uint8_t last_cap_ = 0;
};

/// Bus 0: up to 32 devices with 8 functions each. INTx of device `slot`
/// pin INTA+i reaches PIRQ (slot + i - 1) & 3, the swizzle QEMU's pc uses,
/// so firmware tables written for it (DSDT _PRT, $PIR) hold here.
class PciBus {
 public:
  explicit PciBus(PciSpaces& spaces) : spaces_(spaces) {}

  /// Plugs `fn` in at `device`.`function`; a taken slot is a wiring bug
  /// (std::logic_error).
  void attach(unsigned device, unsigned function, PciFunction& fn);
  PciFunction* function(unsigned devfn) const { return functions_[devfn & 0xff]; }
  /// A configuration cycle on bus `bus`; absent functions read all ones.
  uint32_t config_read(unsigned bus, unsigned devfn, unsigned offset, unsigned size) const;
  void config_write(unsigned bus, unsigned devfn, unsigned offset, uint32_t value,
                    unsigned size);
  /// PIRQA-D are pins 0-3 of `sink` (the ISA bridge's router).
  void connect_pirq(IrqSink& sink) { pirq_sink_ = &sink; }
  /// pci_reset of every function.
  void reset();
  PciSpaces& spaces() { return spaces_; }

 private:
  friend class PciFunction;
  void intx_changed(uint8_t devfn, unsigned pin, bool level);

  PciSpaces& spaces_;
  std::array<PciFunction*, 256> functions_{};
  std::array<unsigned, 4> pirq_count_{};  ///< functions asserting each PIRQ
  IrqSink* pirq_sink_ = nullptr;
};

}  // namespace kestrel::devices
