// SPDX-License-Identifier: MIT
// FPATAN, F2XM1, FYL2X and FYL2XP1: their special-operand tables (SDM 2)
// and the general case through cpu/x87/series.h, rounded once.
#include <bit>

#include "cpu/x87/series.h"
#include "cpu/x87/transcendental.h"

namespace kestrel::cpu::x87 {
namespace {

Float80 signed_wide(const Wide& w, bool sign, Env& env) {
  Wide v = w;
  v.sign = sign;
  return round_wide(v, env);
}

/// FPATAN when either operand is a zero or an infinity (SDM 2 FPATAN,
/// table 3-29).
Float80 atan_special(Operand y, Operand x, Env& env) {
  const Class cy = classify(y.v), cx = classify(x.v);
  const bool sy = y.v.sign(), sx = x.v.sign();
  if (cy == Class::kZero) return sx ? signed_wide(kWidePi, sy, env) : zero80(sy);
  if (cy == Class::kInfinity) {
    if (cx == Class::kInfinity) return signed_wide(sx ? kWide3Pi4 : kWidePi4, sy, env);
    return signed_wide(kWidePi2, sy, env);
  }
  if (cx == Class::kZero) return signed_wide(kWidePi2, sy, env);
  // x infinite, y finite.
  return sx ? signed_wide(kWidePi, sy, env) : zero80(sy);
}

/// a / b is a dyadic rational (b's odd part divides a).
bool exact_quotient(uint64_t a, uint64_t b) {
  return a % (b >> std::countr_zero(b)) == 0;
}

bool zero_or_inf(Class c) { return c == Class::kZero || c == Class::kInfinity; }

}  // namespace

Float80 fpatan(Operand y, Operand x, Env& env) {
  Float80 out;
  if (special_operands(y.v, x.v, env, out)) return out;
  if (y.denormal || x.denormal) env.flags |= kDe;
  if (env.aborts()) return y.v;
  if (zero_or_inf(classify(y.v)) || zero_or_inf(classify(x.v))) return atan_special(y, x, env);
  Wide q = to_wide(y.v) / to_wide(x.v);
  q.sign = false;
  if (x.v.sign()) return signed_wide(kWidePi - atan_wide(q), y.v.sign(), env);
  Wide a = atan_wide(q);
  a.sign = y.v.sign();
  // For small q, atan q rounds like q - q^3/3: just under an exact quotient.
  const bool exact = a.exp < -32 && exact_quotient(unpack(y.v).sig, unpack(x.v).sig);
  return round_wide(a, env, exact ? Tail::kBelow : Tail::kAbove);
}

Float80 f2xm1(Operand x, Env& env) {
  Float80 out;
  if (special_operand(x.v, env, out)) return out;
  const Class c = classify(x.v);
  if (c == Class::kZero) return x.v;
  if (c == Class::kInfinity) return x.v.sign() ? make80(true, kBias, kIntBit) : x.v;
  if (x.denormal) env.flags |= kDe;
  if (env.aborts()) return x.v;
  const Unpacked u = unpack(x.v);
  // 2^1 - 1 and 2^-1 - 1 are exact, yet the hardware reports them inexact
  // like every other F2XM1 result.
  if (u.sig == kIntBit && u.exp == 0) {
    env.flags |= kPe;
    return u.sign ? make80(true, kBias - 1, kIntBit) : kOne80;
  }
  return round_wide(exp2m1_wide(to_wide(x.v)), env);
}

Float80 fyl2x(Operand y, Operand x, Env& env) {
  Float80 out;
  if (special_operands(x.v, y.v, env, out)) return out;
  const Class cx = classify(x.v), cy = classify(y.v);
  const bool x_one = x.v == kOne80;
  // log2 of a negative number, 0 × log2 0, 0 × log2 inf, inf × log2 1.
  if ((x.v.sign() && cx != Class::kZero) || (cx == Class::kZero && cy == Class::kZero) ||
      (cx == Class::kInfinity && cy == Class::kZero) || (x_one && cy == Class::kInfinity)) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (cx == Class::kZero && cy != Class::kInfinity) {
    env.flags |= kZe;
    return inf80(!y.v.sign());
  }
  if (x.denormal || y.denormal) env.flags |= kDe;
  if (env.aborts()) return y.v;
  // The sign of log2 x: negative below 1.
  const bool log_neg = cx == Class::kZero || (cx != Class::kInfinity && unpack(x.v).exp < 0);
  if (cx == Class::kZero || cx == Class::kInfinity || cy == Class::kInfinity) {
    return inf80(y.v.sign() != log_neg);
  }
  if (cy == Class::kZero || x_one) return zero80(y.v.sign() != (log_neg && !x_one));
  bool exact;
  const Wide l = log2_wide(x.v, exact);
  if (!exact) return round_wide(to_wide(y.v) * l, env);
  // y × an integer: rounded exactly, but reported inexact as hardware does,
  // and so a tiny result underflows.
  const Float80 r = round_wide(to_wide(y.v) * l, env, Tail::kExact);
  env.flags |= kPe;
  if (r.exp() == 0 && r.mant != 0) env.flags |= kUe;
  return r;
}

Float80 fyl2xp1(Operand y, Operand x, Env& env) {
  Float80 out;
  if (special_operands(x.v, y.v, env, out)) return out;
  const Class cx = classify(x.v), cy = classify(y.v);
  const Wide wx = cx == Class::kInfinity ? Wide{} : to_wide(x.v);
  const bool below = x.v.sign() && cx != Class::kZero &&
                     (cx == Class::kInfinity || less_magnitude(kWideOne, wx));
  const bool minus_one = x.v == make80(true, kBias, kIntBit);
  if (below || (cx == Class::kZero && cy == Class::kInfinity) ||
      (cx == Class::kInfinity && cy == Class::kZero) || (minus_one && cy == Class::kZero)) {
    env.flags |= kIe;
    return kIndefinite;
  }
  if (minus_one && cy != Class::kInfinity) {
    env.flags |= kZe;
    return inf80(!y.v.sign());
  }
  if (x.denormal || y.denormal) env.flags |= kDe;
  if (env.aborts()) return y.v;
  const bool log_neg = x.v.sign();
  if (cx == Class::kInfinity || cy == Class::kInfinity || minus_one) {
    return inf80(y.v.sign() != log_neg);
  }
  if (cx == Class::kZero || cy == Class::kZero) return zero80(y.v.sign() != log_neg);
  return round_wide(to_wide(y.v) * log2p1_wide(wx), env);
}

}  // namespace kestrel::cpu::x87
