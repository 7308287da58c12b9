// SPDX-License-Identifier: MIT
// General-register instructions of the SSE4.2 generation: CRC32 (SSE4.2),
// LZCNT and MOVBE (SDM 2). POPCNT is with the bit scans in bits.cpp.
#include <bit>
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/interp/sse4.h"

namespace kestrel::cpu::exec {
namespace {

/// CRC-32C (Castagnoli), reflected: polynomial 11EDC6F41h bit-reversed.
constexpr uint32_t kCrc32cReflected = 0x82f63b78;

/// Folds the `bytes` low bytes of `data`, lowest first, into `crc`, with
/// no initial or final inversion (SDM 2 CRC32, "Operation").
uint32_t crc32c(uint32_t crc, uint64_t data, unsigned bytes) {
  for (unsigned k = 0; k < bytes; ++k) {
    crc ^= uint8_t(data >> (8 * k));
    for (unsigned bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (kCrc32cReflected & (0u - (crc & 1)));
  }
  return crc;
}

/// The destination is 32 bits (64 with REX.W: the result is zero-extended
/// and the upper half of the old value is ignored).
void crc32(Cpu& cpu, const DecodedInsn& insn, uint64_t data, unsigned bytes) {
  write_gpr<uint64_t>(cpu.s, insn.reg, crc32c(uint32_t(cpu.s.gpr[insn.reg]), data, bytes));
}

template <class T> T byte_swap(T v) {
  uint64_t r = 0;
  for (unsigned k = 0; k < sizeof(T); ++k) r = r << 8 | ((uint64_t(v) >> (8 * k)) & 0xff);
  return T(r);
}

template <class T> void movbe_load(Cpu& cpu, const DecodedInsn& insn) {
  write_g<T>(cpu, insn, byte_swap(cpu.read<T>(insn.seg, effective_address(cpu, insn))));
}
template <class T> void movbe_store(Cpu& cpu, const DecodedInsn& insn) {
  cpu.write<T>(insn.seg, effective_address(cpu, insn), byte_swap(read_g<T>(cpu, insn)));
}

/// The operand size of a MOVBE row with 66: the table lists 66 as mandatory
/// so that the decoder does not apply it, but it is an operand-size prefix
/// (SDM 2 MOVBE: 16-bit forms in 32/64-bit code, 32-bit ones in 16-bit code).
unsigned movbe66_size(const DecodedInsn& insn) {
  if (insn.osize == 8) return 8;
  return insn.osize == 2 ? 4 : 2;
}

}  // namespace

void CRC32_Gy_Eb(Cpu& cpu, const DecodedInsn& insn) { crc32(cpu, insn, read_e<uint8_t>(cpu, insn), 1); }

/// The source size follows the operand size (66 selects 16 bits, REX.W 64).
void CRC32_Gy_Ev(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&]<class T>(T) { crc32(cpu, insn, read_e<T>(cpu, insn), sizeof(T)); });
}

/// LZCNT: CF = (source == 0), ZF = (result == 0); OF, SF, AF and PF are
/// undefined and, as on the bit scans, keep their values. On a model
/// without LZCNT, F3 0F BD decodes as BSR (the table lists LZCNT first).
void LZCNT_Gv_Ev(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&]<class T>(T) {
    const T src = read_e<T>(cpu, insn);
    const T count = T(std::countl_zero(src));
    write_g<T>(cpu, insn, count);
    const uint32_t keep = read_flags(cpu.s) & (kOf | kSf | kAf | kPf);
    write_arith_flags(cpu.s, keep | (src == 0 ? kCf : 0u) | (count == 0 ? kZf : 0u));
  });
}

void MOVBE_Gy_My(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&]<class T>(T) { movbe_load<T>(cpu, insn); });
}
void MOVBE_My_Gy(Cpu& cpu, const DecodedInsn& insn) {
  with_osize(insn, [&]<class T>(T) { movbe_store<T>(cpu, insn); });
}
void MOVBE_Gw_Mw(Cpu& cpu, const DecodedInsn& insn) {
  with_size(movbe66_size(insn), [&]<class T>(T) { movbe_load<T>(cpu, insn); });
}
void MOVBE_Mw_Gw(Cpu& cpu, const DecodedInsn& insn) {
  with_size(movbe66_size(insn), [&]<class T>(T) { movbe_store<T>(cpu, insn); });
}

}  // namespace kestrel::cpu::exec
