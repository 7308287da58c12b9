// SPDX-License-Identifier: MIT
// Bit instructions: BT BTS BTR BTC (register and immediate offsets), the
// bit scans BSF and BSR, and POPCNT. Flags are written eagerly; the ones the
// SDM leaves undefined keep their previous values.
#include <bit>
#include <cstdint>
#include <type_traits>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

enum class BitOp : uint8_t { kTest, kSet, kReset, kComplement };

template <class T> T apply(BitOp op, T v, T mask) {
  switch (op) {
    case BitOp::kSet: return T(v | mask);
    case BitOp::kReset: return T(v & ~mask);
    case BitOp::kComplement: return T(v ^ mask);
    case BitOp::kTest: break;
  }
  return v;
}

void set_cf(CpuState& s, bool cf) {
  write_arith_flags(s, (arith_flags(s) & ~uint32_t{kCf}) | (cf ? kCf : 0u));
}

/// BTx on E with bit offset `offset`. A register offset on a memory operand
/// is a signed bit index relative to the operand's address, so it can reach
/// any byte within +-2^(n-1) bits (SDM vol. 2 BT, "bit base"); the access
/// is the operand size at the addressed unit. An immediate offset, and any
/// offset on a register, is taken modulo the operand width.
template <class T> void bit_op(Cpu& cpu, const DecodedInsn& i, BitOp op, T offset, bool reg_offset) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const T mask = T(T(1) << (offset & (kBits - 1)));
  if (i.mod == 3) {
    const T v = read_e<T>(cpu, i);
    if (op != BitOp::kTest) write_e<T>(cpu, i, apply(op, v, mask));
    set_cf(cpu.s, v & mask);
    return;
  }
  uint64_t ea = effective_address(cpu, i);
  if (reg_offset) {
    const auto signed_offset = int64_t(std::make_signed_t<T>(offset));
    const int64_t units = signed_offset >> std::countr_zero(kBits);  // floor division
    ea = (ea + uint64_t(units) * sizeof(T)) & addr_mask(i.asize);
  }
  const T v = cpu.read<T>(i.seg, ea);
  if (op != BitOp::kTest) cpu.write<T>(i.seg, ea, apply(op, v, mask));
  set_cf(cpu.s, v & mask);
}

void bt_gv(Cpu& c, const DecodedInsn& i, BitOp op) {
  with_osize(i, [&]<class T>(T) { bit_op<T>(c, i, op, read_g<T>(c, i), true); });
}
void bt_ib(Cpu& c, const DecodedInsn& i, BitOp op) {
  with_osize(i, [&]<class T>(T) { bit_op<T>(c, i, op, T(uint8_t(i.imm)), false); });
}

/// BSF/BSR: ZF = (source == 0). With a zero source the destination is
/// undefined (SDM vol. 2); it is left unchanged, as AMD documents.
template <class T> void bit_scan(Cpu& cpu, const DecodedInsn& i, bool reverse) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const T src = read_e<T>(cpu, i);
  const uint32_t f = arith_flags(cpu.s) & ~uint32_t{kZf};
  if (src == 0) {
    write_arith_flags(cpu.s, f | kZf);
    return;
  }
  const unsigned index = reverse ? kBits - 1 - unsigned(std::countl_zero(src))
                                 : unsigned(std::countr_zero(src));
  write_g<T>(cpu, i, T(index));
  write_arith_flags(cpu.s, f);
}

}  // namespace

void BT_Ev_Gv(Cpu& c, const DecodedInsn& i) { bt_gv(c, i, BitOp::kTest); }
void BTS_Ev_Gv(Cpu& c, const DecodedInsn& i) { bt_gv(c, i, BitOp::kSet); }
void BTR_Ev_Gv(Cpu& c, const DecodedInsn& i) { bt_gv(c, i, BitOp::kReset); }
void BTC_Ev_Gv(Cpu& c, const DecodedInsn& i) { bt_gv(c, i, BitOp::kComplement); }
void BT_Ev_Ib(Cpu& c, const DecodedInsn& i) { bt_ib(c, i, BitOp::kTest); }
void BTS_Ev_Ib(Cpu& c, const DecodedInsn& i) { bt_ib(c, i, BitOp::kSet); }
void BTR_Ev_Ib(Cpu& c, const DecodedInsn& i) { bt_ib(c, i, BitOp::kReset); }
void BTC_Ev_Ib(Cpu& c, const DecodedInsn& i) { bt_ib(c, i, BitOp::kComplement); }

void BSF_Gv_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { bit_scan<T>(c, i, false); });
}
void BSR_Gv_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) { bit_scan<T>(c, i, true); });
}

/// POPCNT: ZF = (source == 0); O, S, A, C, P are cleared (SDM vol. 2).
void POPCNT_Gv_Ev(Cpu& c, const DecodedInsn& i) {
  with_osize(i, [&]<class T>(T) {
    const T src = read_e<T>(c, i);
    write_g<T>(c, i, T(std::popcount(src)));
    write_arith_flags(c.s, src == 0 ? kZf : 0u);
  });
}

}  // namespace kestrel::cpu::exec
