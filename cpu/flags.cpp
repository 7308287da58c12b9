// SPDX-License-Identifier: MIT
// Decoding the lazy-flags canonical form (cpu/flags.h) into EFLAGS bits.
#include "cpu/flags.h"

namespace kestrel::cpu {
namespace {

struct Operands {
  uint64_t a, b, r, mask, sign;
};

uint32_t common(uint64_t r, uint64_t mask, uint64_t sign) {
  uint32_t f = 0;
  if ((r & mask) == 0) f |= kZf;
  if (r & sign) f |= kSf;
  if (parity_even(r)) f |= kPf;
  return f;
}

uint32_t add_flags(const Operands& o, bool carry_in) {
  uint32_t f = common(o.r, o.mask, o.sign);
  const uint64_t r = o.r & o.mask;
  if (carry_in ? r <= (o.b & o.mask) : r < (o.b & o.mask)) f |= kCf;
  if ((o.a ^ o.b ^ o.r) & 0x10) f |= kAf;
  if ((~(o.a ^ o.b) & (o.a ^ o.r)) & o.sign) f |= kOf;
  return f;
}

uint32_t sub_flags(const Operands& o, bool borrow_in) {
  uint32_t f = common(o.r, o.mask, o.sign);
  const uint64_t a = o.a & o.mask, b = o.b & o.mask;
  if (borrow_in ? a <= b : a < b) f |= kCf;
  if ((o.a ^ o.b ^ o.r) & 0x10) f |= kAf;
  if (((o.a ^ o.b) & (o.a ^ o.r)) & o.sign) f |= kOf;
  return f;
}

}  // namespace

uint32_t arith_flags(const CpuState& s) {
  const unsigned lg = s.cc_op & 3;
  const auto op = CcOp(s.cc_op >> 2);
  const uint64_t mask = size_mask(lg);
  const uint64_t sign = uint64_t{1} << ((8u << lg) - 1);
  const uint64_t r = s.cc_dst, src = s.cc_src;
  switch (op) {
    case CcOp::kEflags:
      return uint32_t(s.rflags) & kArithFlags;
    case CcOp::kAdd:
      return add_flags({r - src, src, r, mask, sign}, false);
    case CcOp::kAdc:
      return add_flags({r - src - s.cc_src2, src, r, mask, sign}, s.cc_src2 != 0);
    case CcOp::kSub:
      return sub_flags({r + src, src, r, mask, sign}, false);
    case CcOp::kSbb:
      return sub_flags({r + src + s.cc_src2, src, r, mask, sign}, s.cc_src2 != 0);
    case CcOp::kLogic:
      return common(r, mask, sign);
    case CcOp::kInc: {
      uint32_t f = common(r, mask, sign) | (src ? uint32_t{kCf} : 0u);
      if ((r & 0xf) == 0) f |= kAf;
      if ((r & mask) == sign) f |= kOf;
      return f;
    }
    case CcOp::kDec: {
      uint32_t f = common(r, mask, sign) | (src ? uint32_t{kCf} : 0u);
      if ((r & 0xf) == 0xf) f |= kAf;
      if ((r & mask) == sign - 1) f |= kOf;
      return f;
    }
    case CcOp::kCfOf:
      return common(r, mask, sign) | (src & 1 ? uint32_t{kCf} : 0u) | (src & 2 ? uint32_t{kOf} : 0u);
  }
  return 0;
}

bool carry_flag_slow(const CpuState& s) {
  const unsigned lg = s.cc_op & 3;
  const uint64_t mask = size_mask(lg);
  const uint64_t r = s.cc_dst & mask, b = s.cc_src & mask;
  switch (CcOp(s.cc_op >> 2)) {
    case CcOp::kEflags: return s.rflags & kCf;
    case CcOp::kAdc: return s.cc_src2 ? r <= b : r < b;
    case CcOp::kSbb: {
      const uint64_t a = (s.cc_dst + s.cc_src + s.cc_src2) & mask;
      return s.cc_src2 ? a <= b : a < b;
    }
    case CcOp::kAdd:
    case CcOp::kSub:
    case CcOp::kLogic: return common_carry(s);
    case CcOp::kInc:
    case CcOp::kDec: return s.cc_src != 0;
    case CcOp::kCfOf: return s.cc_src & 1;
  }
  return false;
}

bool test_cc_slow(const CpuState& s, unsigned cc) {
  const uint32_t f = arith_flags(s);
  bool r;
  switch (cc >> 1) {
    case 0: r = f & kOf; break;
    case 1: r = f & kCf; break;
    case 2: r = f & kZf; break;
    case 3: r = f & (kCf | kZf); break;
    case 4: r = f & kSf; break;
    case 5: r = f & kPf; break;
    case 6: r = bool(f & kSf) != bool(f & kOf); break;
    default: r = (f & kZf) || bool(f & kSf) != bool(f & kOf); break;
  }
  return r != bool(cc & 1);
}

}  // namespace kestrel::cpu
