// SPDX-License-Identifier: MIT
// AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST)
// and PCLMULQDQ, after SDM 2 and Intel's AES-NI white paper. The AES state
// is the 128-bit operand with byte k at row k % 4, column k / 4 (FIPS-197
// §3.4); the S-boxes are derived at compile time from FIPS-197 §5.1.1.
#include <array>
#include <cstdint>

#include "cpu/interp/sse4.h"

namespace kestrel::cpu::exec {
namespace {

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
constexpr uint8_t gf_mul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  for (unsigned i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    a = uint8_t(a << 1 ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return p;
}

constexpr uint8_t rotl8(uint8_t v, unsigned n) { return uint8_t(v << n | v >> (8 - n)); }

/// SubBytes: the multiplicative inverse (a^254; 0 maps to 0), then the
/// affine transform.
constexpr std::array<uint8_t, 256> make_sbox() {
  std::array<uint8_t, 256> box{};
  for (unsigned x = 0; x < 256; ++x) {
    uint8_t inv = 1, base = uint8_t(x);
    for (unsigned e = 254; e; e >>= 1, base = gf_mul(base, base)) {
      if (e & 1) inv = gf_mul(inv, base);
    }
    box[x] = uint8_t(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
  }
  return box;
}
constexpr std::array<uint8_t, 256> kSbox = make_sbox();

constexpr std::array<uint8_t, 256> make_inverse(const std::array<uint8_t, 256>& box) {
  std::array<uint8_t, 256> inv{};
  for (unsigned x = 0; x < 256; ++x) inv[box[x]] = uint8_t(x);
  return inv;
}
constexpr std::array<uint8_t, 256> kInvSbox = make_inverse(kSbox);
static_assert(kSbox[0x00] == 0x63 && kSbox[0x53] == 0xed && kInvSbox[0x63] == 0x00);

/// ShiftRows rotates row r left by r columns; the inverse right by r.
Xmm shift_rows(const Xmm& s, bool inverse) {
  Xmm r;
  for (unsigned row = 0; row < 4; ++row) {
    for (unsigned col = 0; col < 4; ++col) {
      const unsigned from = row + 4 * ((col + row) & 3);
      if (inverse) r.b[from] = s.b[row + 4 * col];
      else r.b[row + 4 * col] = s.b[from];
    }
  }
  return r;
}

Xmm sub_bytes(const Xmm& s, const std::array<uint8_t, 256>& box) {
  Xmm r;
  for (unsigned k = 0; k < 16; ++k) r.b[k] = box[s.b[k]];
  return r;
}

/// Each column times the circulant matrix with first row m (FIPS-197
/// §5.1.3: 2 3 1 1; §5.3.3: E B D 9).
Xmm mix_columns(const Xmm& s, const std::array<uint8_t, 4>& m) {
  Xmm r;
  for (unsigned col = 0; col < 4; ++col) {
    for (unsigned row = 0; row < 4; ++row) {
      uint8_t v = 0;
      for (unsigned k = 0; k < 4; ++k) v ^= gf_mul(m[(k - row) & 3], s.b[4 * col + k]);
      r.b[4 * col + row] = v;
    }
  }
  return r;
}
constexpr std::array<uint8_t, 4> kMix = {2, 3, 1, 1}, kInvMix = {14, 11, 13, 9};

Xmm xor_key(Xmm s, const Xmm& key) {
  for (unsigned k = 0; k < 16; ++k) s.b[k] ^= key.b[k];
  return s;
}

uint32_t sub_word(uint32_t w) {
  uint32_t r = 0;
  for (unsigned k = 0; k < 4; ++k) r |= uint32_t(kSbox[(w >> (8 * k)) & 0xff]) << (8 * k);
  return r;
}

/// Carry-less product of two 64-bit values, as {low, high}.
std::array<uint64_t, 2> clmul(uint64_t a, uint64_t b) {
  uint64_t lo = 0, hi = 0;
  for (unsigned i = 0; i < 64; ++i) {
    if (b >> i & 1) {
      lo ^= a << i;
      if (i) hi ^= a >> (64 - i);
    }
  }
  return {lo, hi};
}

}  // namespace

void AESENC_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& s, const Xmm& key) {
    return xor_key(mix_columns(sub_bytes(shift_rows(s, false), kSbox), kMix), key);
  });
}
void AESENCLAST_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& s, const Xmm& key) {
    return xor_key(sub_bytes(shift_rows(s, false), kSbox), key);
  });
}
void AESDEC_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& s, const Xmm& key) {
    return xor_key(mix_columns(sub_bytes(shift_rows(s, true), kInvSbox), kInvMix), key);
  });
}
void AESDECLAST_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm& s, const Xmm& key) {
    return xor_key(sub_bytes(shift_rows(s, true), kInvSbox), key);
  });
}
void AESIMC_Vdq_Wdq(Cpu& cpu, const DecodedInsn& insn) {
  sse_op(cpu, insn, [](const Xmm&, const Xmm& key) { return mix_columns(key, kInvMix); });
}

/// AESKEYGENASSIST: SubWord of doublewords 1 and 3 of W, each also rotated
/// right by 8 bits and XORed with the round constant imm8.
void AESKEYGENASSIST_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint32_t rcon = imm8(insn);
  sse_op(cpu, insn, [&](const Xmm&, const Xmm& src) {
    Xmm r;
    for (unsigned half = 0; half < 2; ++half) {
      const uint32_t w = sub_word(src.get<uint32_t>(2 * half + 1));
      r.set<uint32_t>(2 * half, w);
      r.set<uint32_t>(2 * half + 1, (w >> 8 | w << 24) ^ rcon);
    }
    return r;
  });
}

/// PCLMULQDQ: quadword imm8[0] of V times quadword imm8[4] of W.
void PCLMULQDQ_Vdq_Wdq_Ib(Cpu& cpu, const DecodedInsn& insn) {
  const uint8_t imm = imm8(insn);
  sse_op(cpu, insn, [&](const Xmm& a, const Xmm& b) {
    const auto [lo, hi] = clmul(a.get<uint64_t>(imm & 1), b.get<uint64_t>(imm >> 4 & 1));
    Xmm r;
    r.set<uint64_t>(0, lo);
    r.set<uint64_t>(1, hi);
    return r;
  });
}

}  // namespace kestrel::cpu::exec
