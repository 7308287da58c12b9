// SPDX-License-Identifier: MIT
// The board's "PCI and APIC" section: building the PCI bus, the APICs and
// the HPET, and the glue between them, the ISA devices and the CPU.
#include "machine/board_pci.h"

#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/system_ports.h"
#include "devices/uart.h"
#include "cpu/msr.h"
#include "machine/acpi_tables.h"
#include "machine/board.h"

namespace kestrel::machine {
namespace {

constexpr unsigned kGsiCount = devices::kIoapicPins;
/// ISA IRQ 0 arrives at IOAPIC pin 2 (MADT interrupt source override).
constexpr unsigned kIrq0Pin = 2;
constexpr unsigned kIrqPit = 0, kIrqRtc = 8;

}  // namespace

// ---- interrupt routing -------------------------------------------------------

IrqRouter::IrqRouter(devices::IrqSink& pic, devices::IrqSink* ioapic)
    : pic_(pic), ioapic_(ioapic) {
  for (unsigned s = 0; s < kSourceCount; ++s) inputs_[s].router = this, inputs_[s].source = s;
  legacy_.router = this;
}

void IrqRouter::Input::set_irq(unsigned pin, bool level) {
  if (pin >= kGsiCount) return;
  uint32_t& bits = router->levels_[source];
  bits = level ? bits | (1u << pin) : bits & ~(1u << pin);
  router->update(pin);
}

void IrqRouter::Legacy::set_irq(unsigned, bool level) {
  router->hpet_legacy_ = level;
  router->update(kIrqPit);
  router->update(kIrqRtc);
}

void IrqRouter::update(unsigned gsi) {
  const uint32_t bit = 1u << gsi;
  uint32_t isa = levels_[kIsa];
  if (hpet_legacy_) isa &= ~(1u << kIrqPit | 1u << kIrqRtc);
  const bool level = ((isa | levels_[kPci] | levels_[kHpet]) & bit) != 0;
  if (level == ((out_ & bit) != 0)) return;
  out_ ^= bit;
  if (gsi < 16) pic_.set_irq(gsi, level);
  if (ioapic_) ioapic_->set_irq(gsi == 0 ? kIrq0Pin : gsi, level);
}

// ---- BAR windows -------------------------------------------------------------

// Port by port, so a BAR over ports another device owns leaves them alone.
void PciWindows::map_io(uint16_t base, unsigned size, devices::Device& device) {
  for (unsigned p = base; p < base + size && p < kPortCount; ++p) {
    if (!io_.owner(uint16_t(p))) io_.claim(uint16_t(p), 1, device);
  }
}

void PciWindows::unmap_io(uint16_t base, unsigned size, devices::Device& device) {
  for (unsigned p = base; p < base + size && p < kPortCount; ++p) {
    if (io_.owner(uint16_t(p)) == &device) io_.release(uint16_t(p), 1);
  }
}

void PciWindows::map_mmio(uint64_t base, uint64_t size, mmu::MmioHandler& handler) {
  mmu_.add_mmio(base, size, handler);
}

void PciWindows::unmap_mmio(uint64_t base, mmu::MmioHandler& handler) {
  mmu_.remove_mmio(base, handler);
}

// ---- the section's devices ---------------------------------------------------

PciApic::PciApic(mmu::Mmu& mmu, IoBus& io, Clock& clock, cpu::Cpu& cpu, const Options& options)
    : mmu_(mmu), clock_(clock), cpu_(cpu), shadow_ram_(options.shadow_ram), windows_(io, mmu),
      bus_(windows_),
      host_(bus_, mmu), piix3_(bus_) {
  if (!options.with_apic) return;
  lapic_ = std::make_unique<devices::Lapic>(clock);
  // The ID the MADT gives the IOAPIC (acpi_tables.h), next to LAPIC ID 0.
  ioapic_ = std::make_unique<devices::Ioapic>(*this, AcpiConfig{}.ioapic_id);
  hpet_ = std::make_unique<devices::Hpet>(clock);
  lapic_->connect_bus(*this);
  mmu.add_mmio(devices::kIoapicDefaultBase, devices::kIoapicSize, *ioapic_);
  mmu.add_mmio(devices::kHpetDefaultBase, devices::kHpetSize, *hpet_);
}

PciApic::~PciApic() = default;

void PciApic::set_router(std::unique_ptr<IrqRouter> r) {
  router_ = std::move(r);
  piix3_.connect_isa(router_->input(IrqRouter::kPci));
  if (!hpet_) return;
  hpet_->connect(router_->input(IrqRouter::kHpet));
  hpet_->legacy.connect(router_->legacy_input(), 0);
}

// The host bridge was reset before (it is attached first), so the PAM
// registers are at their power-on zeros here.
void PciApic::reset() {
  // Without firmware nothing copies a BIOS into shadow RAM: the area is
  // plain RAM, as firmware would leave it, for the direct kernel boot's
  // tables and the kernel's scans of it.
  if (shadow_ram_) host_.shadow_all_ram();
  if (!lapic_) return;
  lapic_->reset();
  ioapic_->reset();
  hpet_->reset();
  apic_base_written(cpu_.s.msr.apic_base);
}

void PciApic::send(const devices::ApicMessage& m) {
  if (lapic_ && lapic_->accepts(m.dest, m.logical)) lapic_->deliver(m);
}

void PciApic::broadcast_eoi(uint8_t vector) {
  if (ioapic_) ioapic_->eoi(vector);
}

uint64_t PciApic::read_cr8() const { return lapic_ ? lapic_->tpr() >> 4 : 0; }

void PciApic::write_cr8(uint64_t value) {
  if (lapic_) lapic_->set_tpr(uint8_t(value << 4));
}

// The APIC page moves with the base; a globally disabled APIC decodes
// nothing, so the addresses fall through to whatever lies beneath.
void PciApic::apic_base_written(uint64_t value) {
  if (!lapic_) return;
  constexpr uint64_t kEnable = 1u << 11;
  const uint64_t base = value & ~uint64_t{0xfff};
  const uint64_t want = value & kEnable ? base : ~uint64_t{0};
  lapic_->set_global_enable(value & kEnable);
  if (want == lapic_window_) return;
  if (lapic_window_ != ~uint64_t{0}) mmu_.remove_mmio(lapic_window_, *lapic_);
  if (want != ~uint64_t{0}) mmu_.add_mmio(want, devices::kLapicSize, *lapic_);
  lapic_window_ = want;
}

uint64_t PciApic::read_tsc_deadline() const { return lapic_ ? lapic_->tsc_deadline() : 0; }

// The TSC follows the virtual clock at cpu::kTscHz (cpu/msr.h), one tick
// a nanosecond, so a TSC distance is a distance in virtual time.
static_assert(cpu::kTscHz == 1'000'000'000);
void PciApic::write_tsc_deadline(uint64_t deadline, uint64_t tsc) {
  if (!lapic_) return;
  const uint64_t ticks = deadline > tsc ? deadline - tsc : 0;
  lapic_->set_tsc_deadline(deadline, clock_.now() + ticks);
}

// ---- Board -------------------------------------------------------------------

void Board::wire_pci_apic() {
  // Boards for CPUs before the 386 keep only the router (PIC alone): no
  // PCI in their day, so the host bridge decodes no ports and PAM stays off.
  const bool with_pci = links_.cpu.model->has(cpu::isa::f386);
  PciApic::Options options;
  options.with_apic = links_.cpu.model->has(cpu::isa::fP6);
  options.shadow_ram = with_pci && config_.firmware.empty();
  pci_apic_ = std::make_unique<PciApic>(links_.mmu, links_.io, links_.clock, links_.cpu, options);
  PciApic& p = *pci_apic_;
  if (with_pci) {
    attach(p.host(), {{devices::kPciHostFirstPort, devices::kPciHostPortCount}});
    attach(p.piix3(), {});
    attach(p, {});
    p.host().on_reset = links_.request_reset;
  }
  p.set_router(std::make_unique<IrqRouter>(*pic_, p.ioapic()));

  // The ISA devices' lines go through the router so the IOAPIC sees them too.
  connect_isa_irqs(p.router().input(IrqRouter::kIsa));

  devices::Lapic* lapic = p.lapic();
  if (!lapic) return;
  // Virtual-wire mode: the PIC's INTR is LINT0, the APIC drives the core.
  pic_->intr.connect(*lapic, 0);
  lapic->set_ext_int(pic_.get());
  lapic->intr.connect(links_.cpu_pins, kCpuIntr);
  lapic->nmi.connect(links_.cpu_pins, kCpuNmi);
  interrupt_source_ = lapic;
  links_.cpu.apic = &p;
}

}  // namespace kestrel::machine
