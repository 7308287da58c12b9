// SPDX-License-Identifier: MIT
// String-instruction handlers, called directly: direction, REP/REPE/REPNE,
// address sizes, segment overrides, port strings, yielding to a pending
// interrupt between iterations, and the state left by a fault mid-way.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"

namespace kestrel::cpu {
namespace {

/// Port 0x60 reads a counter starting at 0x41; every write is recorded.
class TestPorts final : public PortIo {
 public:
  uint32_t in(uint16_t port, unsigned size) override {
    reads.push_back(port);
    return size == 1 ? next++ : 0xbeef;
  }
  void out(uint16_t port, uint32_t value, unsigned) override {
    written.push_back({port, value});
  }
  struct Write {
    uint16_t port;
    uint32_t value;
  };
  uint8_t next = 0x41;
  std::vector<uint16_t> reads;
  std::vector<Write> written;
};

struct Fixture {
  explicit Fixture(const char* model = "max")
      : mem(1 << 20, find_cpu_model(model)->phys_addr_bits),
        cpu(*find_cpu_model(model), mem, ports) {
    cpu.reset();
    for (uint8_t seg : {kCs, kDs, kEs, kSs}) cpu.load_real_segment(seg, 0);
    cpu.load_real_segment(kEs, 0x2000);
    cpu.insn_rip = 0x100;
    cpu.s.rip = 0x102;
  }
  void put(uint32_t pa, std::vector<uint8_t> bytes) { mem.load_phys(pa, bytes); }
  uint8_t byte(uint32_t pa) { return uint8_t(mem.read_phys(pa, 1)); }
  uint64_t& reg(unsigned r) { return cpu.s.gpr[r]; }

  mmu::Mmu mem;
  TestPorts ports;
  Cpu cpu;
};

DecodedInsn insn(uint8_t rep = kRepNone, unsigned osize = 2, unsigned asize = 2) {
  DecodedInsn i;
  i.rep = rep;
  i.osize = uint8_t(osize);
  i.asize = uint8_t(asize);
  return i;
}

TEST_CASE("REP MOVSB forward and backward") {
  Fixture f;
  f.put(0x300, {1, 2, 3, 4});
  f.reg(kRsi) = 0x300;
  f.reg(kRdi) = 0x10;
  f.reg(kRcx) = 4;
  exec::MOVSB_Yb_Xb(f.cpu, insn(kRepE));
  CHECK(f.byte(0x20010) == 1);
  CHECK(f.byte(0x20013) == 4);
  CHECK(f.reg(kRsi) == 0x304);
  CHECK(f.reg(kRdi) == 0x14);
  CHECK(f.reg(kRcx) == 0);
  CHECK(f.cpu.s.rip == 0x102);

  f.cpu.s.rflags |= kDf;
  f.reg(kRsi) = 0x303;
  f.reg(kRdi) = 0x33;
  f.reg(kRcx) = 2;
  exec::MOVSB_Yb_Xb(f.cpu, insn(kRepNE));  // F2 repeats MOVS like F3
  CHECK(f.byte(0x20033) == 4);
  CHECK(f.byte(0x20032) == 3);
  CHECK(f.reg(kRsi) == 0x301);
  CHECK(f.reg(kRcx) == 0);
}

TEST_CASE("REP with CX = 0 does nothing; no prefix runs once and keeps CX") {
  Fixture f;
  f.reg(kRdi) = 0x40;
  f.reg(kRax) = 0x77;
  exec::STOSB_Yb_AL(f.cpu, insn(kRepE));
  CHECK(f.reg(kRdi) == 0x40);
  CHECK(f.byte(0x20040) == 0);
  f.reg(kRcx) = 5;
  exec::STOSB_Yb_AL(f.cpu, insn());
  CHECK(f.byte(0x20040) == 0x77);
  CHECK(f.reg(kRdi) == 0x41);
  CHECK(f.reg(kRcx) == 5);
}

TEST_CASE("SI and DI wrap at 16 bits; the source segment can be overridden") {
  Fixture f;
  f.cpu.load_real_segment(kFs, 0x3000);
  f.put(0x3ffff, {0xaa});
  f.put(0x30000, {0xbb});
  f.reg(kRsi) = 0x1ffff;  // upper half of ESI is not part of a 16-bit address
  f.reg(kRcx) = 2;
  DecodedInsn i = insn(kRepE);
  i.seg = kFs;
  exec::LODSB_AL_Xb(f.cpu, i);
  CHECK(uint8_t(f.reg(kRax)) == 0xbb);
  CHECK(f.reg(kRsi) == 0x10001);
}

TEST_CASE("REP STOSW with a 32-bit address size uses EDI and ECX") {
  Fixture f;
  f.cpu.load_real_segment(kEs, 0);
  f.reg(kRdi) = 0x10000;
  f.reg(kRcx) = 0x10002;  // CX alone would be 2
  f.reg(kRax) = 0x1234;
  f.cpu.s.seg[kEs].limit = 0xfffff;
  exec::STOSW_Yv_rAX(f.cpu, insn(kRepE, 2, 4));
  CHECK(f.reg(kRcx) == 0);
  CHECK(f.reg(kRdi) == 0x10000 + 2 * 0x10002);
  CHECK(f.mem.read_phys(0x30002, 2) == 0x1234);
}

TEST_CASE("REPE CMPSB stops at the first difference with its flags") {
  Fixture f;
  f.put(0x300, {1, 2, 3, 9});
  f.put(0x20010, {1, 2, 5, 9});
  f.reg(kRsi) = 0x300;
  f.reg(kRdi) = 0x10;
  f.reg(kRcx) = 4;
  exec::CMPSB_Xb_Yb(f.cpu, insn(kRepE));
  CHECK(f.reg(kRcx) == 1);
  CHECK(f.reg(kRsi) == 0x303);
  const uint32_t fl = arith_flags(f.cpu.s);
  CHECK((fl & kZf) == 0);
  CHECK((fl & kCf) != 0);  // 3 - 5 borrows
  CHECK((fl & kSf) != 0);
}

TEST_CASE("REPNE SCASW finds the word") {
  Fixture f;
  f.put(0x20000, {0x11, 0x11, 0x22, 0x22, 0x33, 0x33});
  f.reg(kRax) = 0x2222;
  f.reg(kRcx) = 10;
  exec::SCASW_rAX_Yv(f.cpu, insn(kRepNE));
  CHECK(f.reg(kRdi) == 4);
  CHECK(f.reg(kRcx) == 8);
  CHECK((arith_flags(f.cpu.s) & kZf) != 0);
}

TEST_CASE("a pending interrupt with IF set stops REP between iterations") {
  Fixture f;
  f.reg(kRcx) = 10;
  f.cpu.s.pending = kPendingIrq;
  exec::STOSB_Yb_AL(f.cpu, insn(kRepE));  // IF clear: runs to the end
  CHECK(f.reg(kRcx) == 0);
  CHECK(f.cpu.s.rip == 0x102);
  f.reg(kRcx) = 10;
  f.reg(kRdi) = 0;
  f.cpu.s.rflags |= kIf;
  exec::STOSB_Yb_AL(f.cpu, insn(kRepE));
  CHECK(f.reg(kRcx) == 9);
  CHECK(f.reg(kRdi) == 1);
  CHECK(f.cpu.s.rip == 0x100);  // resumes at the instruction after the event
}

template <class F> uint8_t fault_vector(F&& f) {
  try {
    f();
  } catch (const GuestFault& g) {
    return g.vector;
  }
  return 0xff;
}

TEST_CASE("a fault mid-way leaves the registers of the iterations done") {
  Fixture f;
  f.reg(kRdi) = 0xfffb;  // words at FFFB and FFFD fit; the one at FFFF does not
  f.reg(kRcx) = 4;
  CHECK(fault_vector([&] { exec::STOSW_Yv_rAX(f.cpu, insn(kRepE)); }) == kVecGp);
  CHECK(f.reg(kRdi) == 0xffff);
  CHECK(f.reg(kRcx) == 2);
}

TEST_CASE("80286: a faulting string access finds rSI/rDI and CX already stepped") {
  // As measured on an 80286: CX counts down when an iteration starts, each
  // index steps with its access, and a faulting write counts CX down again.
  Fixture f("80286");
  f.reg(kRsi) = 0x100;
  f.reg(kRdi) = 0xfffb;
  f.reg(kRcx) = 4;
  CHECK(fault_vector([&] { exec::MOVSW_Yv_Xv(f.cpu, insn(kRepE)); }) == kVecGp);
  CHECK(f.reg(kRsi) == 0x106);
  CHECK(f.reg(kRdi) == 0x0001);
  CHECK(f.reg(kRcx) == 0);

  f.reg(kRsi) = 0xffff;
  f.reg(kRdi) = 0x200;
  f.reg(kRcx) = 7;
  f.cpu.s.rflags |= kDf;
  CHECK(fault_vector([&] { exec::MOVSW_Yv_Xv(f.cpu, insn(kRepE)); }) == kVecGp);
  CHECK(f.reg(kRsi) == 0xfffd);
  CHECK(f.reg(kRdi) == 0x200);
  CHECK(f.reg(kRcx) == 6);

  f.reg(kRsi) = 0xffff;  // without REP, CX stays
  CHECK(fault_vector([&] { exec::LODSW_rAX_Xv(f.cpu, insn()); }) == kVecGp);
  CHECK(f.reg(kRsi) == 0xfffd);
  CHECK(f.reg(kRcx) == 6);
}

TEST_CASE("INSB and OUTSW go through the port interface") {
  Fixture f;
  f.reg(kRdx) = 0x60;
  f.reg(kRcx) = 3;
  exec::INSB_Yb_DX(f.cpu, insn(kRepE));
  CHECK(f.byte(0x20000) == 0x41);
  CHECK(f.byte(0x20002) == 0x43);
  CHECK(f.reg(kRdi) == 3);
  f.put(0x500, {0x34, 0x12});
  f.reg(kRsi) = 0x500;
  exec::OUTSW_DX_Xz(f.cpu, insn());
  REQUIRE(f.ports.written.size() == 1);
  CHECK(f.ports.written[0].port == 0x60);
  CHECK(f.ports.written[0].value == 0x1234);
  CHECK(f.reg(kRsi) == 0x502);
}

TEST_CASE("IN and OUT, immediate and DX ports") {
  Fixture f;
  f.reg(kRax) = 0xffffffff;
  exec::IN_AL_Ib(f.cpu, [] { DecodedInsn i; i.imm = 0x60; return i; }());
  CHECK(f.reg(kRax) == 0xffffff41);
  f.reg(kRdx) = 0x1f0;
  exec::IN_eAX_DX(f.cpu, insn());
  CHECK(f.reg(kRax) == 0xffffbeef);
  CHECK(f.ports.reads.back() == 0x1f0);
  exec::OUT_DX_AL(f.cpu, insn());
  CHECK(f.ports.written.back().value == 0xef);
  exec::OUT_DX_eAX(f.cpu, insn(kRepNone, 4));
  CHECK(f.ports.written.back().value == 0xffffbeef);
}

TEST_CASE("port access above IOPL faults in protected mode") {
  Fixture f;
  f.cpu.s.cr[0] |= 1;
  f.cpu.s.cpl = 3;
  DecodedInsn i = insn(kRepE);
  f.reg(kRcx) = 2;
  CHECK(fault_vector([&] { exec::IN_AL_DX(f.cpu, i); }) == kVecGp);
  CHECK(fault_vector([&] { exec::OUTSB_DX_Xb(f.cpu, i); }) == kVecGp);
  CHECK(f.reg(kRcx) == 2);
  CHECK(f.ports.reads.empty());
  f.cpu.s.rflags |= kIopl;
  exec::IN_AL_DX(f.cpu, i);
  CHECK(f.ports.reads.size() == 1);
}

}  // namespace
}  // namespace kestrel::cpu
