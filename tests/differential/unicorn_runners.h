// SPDX-License-Identifier: MIT
// The two sides of the Kestrel vs Unicorn differential test: each loads a
// Sequence into flat 32-bit protected mode at CPL 0, runs it to its final
// HLT or its first exception, and reports the architectural outcome.
#pragma once

#include <unicorn/unicorn.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "tests/differential/unicorn_gen.h"

namespace kestrel::differential {

/// What a run left behind. On an exception the state is the one the
/// faulting instruction started from (faults commit nothing), with
/// `vector` set.
struct Outcome {
  uint32_t gpr[8] = {};
  uint32_t eip = 0;
  uint32_t eflags = 0;
  int vector = -1;
  std::array<uint8_t, kWinSize> window{};
  std::string error;  ///< the engine failed to run the sequence at all
};

/// What the comparison must ignore, from the instructions Kestrel ran.
struct Undefined {
  uint16_t flags = 0;  ///< arithmetic flags left undefined
  uint32_t insns = 0;  ///< instructions executed
  std::vector<uint32_t> bytes;  ///< window addresses whose contents are undefined
  bool rep_count0 = false;      ///< a REP string instruction ran with a count of 0
  bool loopcc_exit0 = false;    ///< LOOPE/LOOPNE fell through because the count hit 0
};

class KestrelSide {
 public:
  KestrelSide();
  Outcome run(const Sequence& seq, uint32_t cr0, Undefined& undef);

 private:
  void load_tables();
  void set_state(const Sequence& seq, uint32_t cr0);
  void interrupted_state(Outcome& out);

  mmu::Mmu mem_;
  cpu::OpenBus bus_;
  cpu::Cpu cpu_;
  cpu::Interpreter interp_;
};

class UnicornSide {
 public:
  UnicornSide();
  ~UnicornSide();
  UnicornSide(const UnicornSide&) = delete;
  UnicornSide& operator=(const UnicornSide&) = delete;
  Outcome run(const Sequence& seq);
  uint32_t cr0() const { return cr0_; }

 private:
  uc_engine* uc_ = nullptr;
  uc_hook intr_hook_ = 0;
  uc_context* fresh_ = nullptr;
  int vector_ = -1;
  uint32_t cr0_ = 0;
  void open();
  void close();
  static void on_interrupt(uc_engine* uc, uint32_t intno, void* self);
};

/// The descriptor-table images both sides load.
std::vector<uint8_t> gdt_image();
std::vector<uint8_t> idt_image();

}  // namespace kestrel::differential
