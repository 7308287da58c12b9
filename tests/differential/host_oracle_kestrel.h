// SPDX-License-Identifier: MIT
// The Kestrel side of the host-oracle test: the interpreter's handlers in
// 64-bit user mode (CPL 3, flat segments, 4-level paging that maps the
// data and code pages at the host's addresses), one instruction at a time,
// with the undefined flags of exactly the executed instructions tracked.
#pragma once

#include "cpu/cpu.h"
#include "mmu/mmu.h"
#include "tests/differential/host_oracle.h"

namespace kestrel::differential::oracle {

class KestrelRunner {
 public:
  KestrelRunner();
  Result run(const Case& c);

 private:
  void map_page(uint64_t linear, uint64_t phys);
  void set_state(const RegState& in);

  mmu::Mmu mem_;
  cpu::OpenBus bus_;
  cpu::Cpu cpu_;
  uint64_t next_table_;
};

}  // namespace kestrel::differential::oracle
