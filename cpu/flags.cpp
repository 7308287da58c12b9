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

bool carry_flag(const CpuState& s) {
  const unsigned lg = s.cc_op & 3;
  const uint64_t mask = size_mask(lg);
  const uint64_t r = s.cc_dst & mask, b = s.cc_src & mask;
  switch (CcOp(s.cc_op >> 2)) {
    case CcOp::kEflags: return s.rflags & kCf;
    case CcOp::kAdd: return r < b;
    case CcOp::kAdc: return s.cc_src2 ? r <= b : r < b;
    case CcOp::kSub: return ((s.cc_dst + s.cc_src) & mask) < b;
    case CcOp::kSbb: {
      const uint64_t a = (s.cc_dst + s.cc_src + s.cc_src2) & mask;
      return s.cc_src2 ? a <= b : a < b;
    }
    case CcOp::kLogic: return false;
    case CcOp::kInc:
    case CcOp::kDec: return s.cc_src != 0;
    case CcOp::kCfOf: return s.cc_src & 1;
  }
  return false;
}

namespace {

/// test_cc's general case: decode all six flags.
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

/// Whether a recorded SUB/CMP result is "less" (SF != OF) when compared
/// as signed numbers: the operands a = dst + src and b = src, sign-extended.
bool sub_less(const CpuState& s, unsigned lg) {
  const unsigned shift = 64 - (8u << lg);
  const int64_t a = int64_t((s.cc_dst + s.cc_src) << shift);
  const int64_t b = int64_t(s.cc_src << shift);
  return a < b;
}

}  // namespace

// ZF, SF and PF come straight from the result in every lazy form, CF from
// carry_flag; OF-based conditions have shortcuts for SUB/CMP and the
// logical operations (OF = 0), the forms compares and TEST leave.
bool test_cc(const CpuState& s, unsigned cc) {
  const auto op = CcOp(s.cc_op >> 2);
  if (op == CcOp::kEflags) return test_cc_slow(s, cc);
  const unsigned lg = s.cc_op & 3;
  const uint64_t r = s.cc_dst & size_mask(lg);
  const bool sf = (r >> ((8u << lg) - 1)) & 1;
  bool v;
  switch (cc >> 1) {
    case 1: v = carry_flag(s); break;
    case 2: v = r == 0; break;
    case 3: v = r == 0 || carry_flag(s); break;
    case 4: v = sf; break;
    case 5: v = parity_even(r); break;
    case 6:
    case 7:
      if (op == CcOp::kSub) {
        v = sub_less(s, lg) || (cc >> 1 == 7 && r == 0);
      } else if (op == CcOp::kLogic) {
        v = sf || (cc >> 1 == 7 && r == 0);
      } else {
        return test_cc_slow(s, cc);
      }
      break;
    default:
      if (op != CcOp::kLogic) return test_cc_slow(s, cc);
      v = false;
      break;
  }
  return v != bool(cc & 1);
}

}  // namespace kestrel::cpu
