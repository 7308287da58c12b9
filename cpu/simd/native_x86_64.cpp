// SPDX-License-Identifier: MIT
// The public add/sub/mul/div/sqrt and conversions of the SSE floating-point
// core on an x86-64 host (cpu/meson.build picks this file there): the host's
// own SSE unit, which is the guest's hardware, runs them as long as the
// guest would see no unmasked exception; every other case takes the
// integer core (soft::). Other hosts build native_soft.cpp instead.
#include <bit>
#include <cstring>
#include <type_traits>

#include "cpu/simd/format.h"

namespace kestrel::cpu::simd {
namespace {

// Each helper below is one asm statement: save the host's MXCSR, load the
// operation's, run the instruction, read the flags it raised and restore
// the host's. The compiler cannot move the instruction out of the window
// or fold it at compile time (GCC ignores FENV_ACCESS), and the host's
// own rounding mode, FTZ and DAZ never leak in. `mxcsr` goes in as the
// control word (flags clear) and comes out with the flags raised.

template <class T> using Host = std::conditional_t<sizeof(T) == 4, float, double>;
template <class T> constexpr bool kSingle = sizeof(T) == 4;

template <class T> T host_add(T a, T b, uint32_t& mxcsr) {
  Host<T> x = std::bit_cast<Host<T>>(a);
  const Host<T> y = std::bit_cast<Host<T>>(b);
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "addss %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "addsd %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  }
  return std::bit_cast<T>(x);
}

template <class T> T host_sub(T a, T b, uint32_t& mxcsr) {
  Host<T> x = std::bit_cast<Host<T>>(a);
  const Host<T> y = std::bit_cast<Host<T>>(b);
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "subss %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "subsd %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  }
  return std::bit_cast<T>(x);
}

template <class T> T host_mul(T a, T b, uint32_t& mxcsr) {
  Host<T> x = std::bit_cast<Host<T>>(a);
  const Host<T> y = std::bit_cast<Host<T>>(b);
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "mulss %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "mulsd %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  }
  return std::bit_cast<T>(x);
}

template <class T> T host_div(T a, T b, uint32_t& mxcsr) {
  Host<T> x = std::bit_cast<Host<T>>(a);
  const Host<T> y = std::bit_cast<Host<T>>(b);
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "divss %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "divsd %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "+x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  }
  return std::bit_cast<T>(x);
}

template <class T> T host_sqrt(T a, uint32_t& mxcsr) {
  const Host<T> y = std::bit_cast<Host<T>>(a);
  Host<T> x;
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "sqrtss %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "sqrtsd %[y], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  }
  return std::bit_cast<T>(x);
}

F64 host_widen(F32 a, uint32_t& mxcsr) {
  const float y = std::bit_cast<float>(a);
  double x;
  uint32_t saved;
  asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
               "cvtss2sd %[y], %[x]\n\t"
               "stmxcsr %[m]\n\tldmxcsr %[s]"
               : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  return std::bit_cast<F64>(x);
}

F32 host_narrow(F64 a, uint32_t& mxcsr) {
  const double y = std::bit_cast<double>(a);
  float x;
  uint32_t saved;
  asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
               "cvtsd2ss %[y], %[x]\n\t"
               "stmxcsr %[m]\n\tldmxcsr %[s]"
               : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
  return std::bit_cast<F32>(x);
}

/// CVTSI2SS/SD with a 64-bit source (the register names the width).
template <class T> T host_from_int(int64_t v, uint32_t& mxcsr) {
  Host<T> x;
  uint32_t saved;
  if constexpr (kSingle<T>) {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "cvtsi2ss %[v], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [v] "r"(v));
  } else {
    asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                 "cvtsi2sd %[v], %[x]\n\t"
                 "stmxcsr %[m]\n\tldmxcsr %[s]"
                 : [x] "=x"(x), [m] "+m"(mxcsr), [s] "=m"(saved) : [v] "r"(v));
  }
  return std::bit_cast<T>(x);
}

/// CVT(T)SS2SI/CVT(T)SD2SI; the destination register's width (I) picks
/// the 32- or 64-bit form.
template <class I, class T> I host_to_int(T a, bool truncate, uint32_t& mxcsr) {
  const Host<T> y = std::bit_cast<Host<T>>(a);
  I r;
  uint32_t saved;
  if constexpr (kSingle<T>) {
    if (truncate) {
      asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                   "cvttss2si %[y], %[r]\n\t"
                   "stmxcsr %[m]\n\tldmxcsr %[s]"
                   : [r] "=r"(r), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
    } else {
      asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                   "cvtss2si %[y], %[r]\n\t"
                   "stmxcsr %[m]\n\tldmxcsr %[s]"
                   : [r] "=r"(r), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
    }
  } else {
    if (truncate) {
      asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                   "cvttsd2si %[y], %[r]\n\t"
                   "stmxcsr %[m]\n\tldmxcsr %[s]"
                   : [r] "=r"(r), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
    } else {
      asm volatile("stmxcsr %[s]\n\tldmxcsr %[m]\n\t"
                   "cvtsd2si %[y], %[r]\n\t"
                   "stmxcsr %[m]\n\tldmxcsr %[s]"
                   : [r] "=r"(r), [m] "+m"(mxcsr), [s] "=m"(saved) : [y] "x"(y));
    }
  }
  return r;
}

/// Whether the host's MXCSR takes DAZ: MXCSR_MASK bit 6 in the FXSAVE
/// image, 0 there meaning the default mask 0xffbf without it (SDM 1
/// §11.6.6). Loading DAZ where it is reserved would fault (#GP).
bool host_has_daz() {
  static const bool kHasDaz = [] {
    alignas(16) unsigned char area[512] = {};
    asm volatile("fxsave %[area]" : [area] "=m"(area));
    uint32_t mask = 0;
    std::memcpy(&mask, area + 28, sizeof mask);
    return ((mask != 0 ? mask : 0xffbf) & kMxcsrDaz) != 0;
  }();
  return kHasDaz;
}

/// The guest's RC, FTZ and DAZ with every exception masked and no flag
/// set: the host then gives the masked response, which is the guest's
/// whenever none of the exceptions it raises is unmasked there.
uint32_t host_control(const Env& env) {
  return uint32_t(kAllExceptions) << kMxcsrMaskShift | uint32_t(env.rc) << kMxcsrRcShift |
         (env.ftz ? kMxcsrFtz : 0) | (env.daz ? kMxcsrDaz : 0);
}

template <class T> bool denormal(T v) {
  return (v & Fmt<T>::kInf) == 0 && (v & Fmt<T>::kFracMask) != 0;
}

/// Runs host(mxcsr) and keeps its result and flags, or returns fallback()
/// when the masked response is not the guest's: a raised flag is unmasked
/// there, or (`rounded` results) the result is an exact denormal, which
/// raises UE only when UE is unmasked (SDM 1 §4.9.1.5; an inexact tiny
/// result raises UE either way, and FTZ's zeros raise UE too).
template <bool kRounded, class Op, class Fallback>
auto run(Env& env, Op host, Fallback fallback) -> decltype(fallback()) {
  if (env.daz && !host_has_daz()) return fallback();
  uint32_t mxcsr = host_control(env);
  const auto r = host(mxcsr);
  const uint8_t raised = uint8_t(mxcsr & kAllExceptions);
  if (raised & ~env.masks) return fallback();
  if constexpr (kRounded) {
    if (!env.masked(kUe) && denormal(r)) return fallback();
  }
  env.flags |= raised;
  return r;
}

/// The common case needs no MXCSR switch at all: the guest rounds to
/// nearest without FTZ or DAZ, PE is masked and already set (so whether
/// this result is inexact changes nothing), and the operands are normal or
/// zero (no IE, DE or ZE can arise from them). Overflow and underflow are
/// then all that is left, and they show in the result (infinite, denormal,
/// or a zero from non-zero factors), which sends the operation the long
/// way. The plain C++ operation runs under the host's MXCSR, which must be
/// the default (round to nearest, all masked, no FTZ/DAZ): checked once.
bool quiet(const Env& env) {
  return env.rc == Rounding::kNearest && !env.ftz && !env.daz && env.masked(kPe) && (env.sticky & kPe) &&
         host_mxcsr_default();
}
template <class T> bool normal_or_zero(T v) {
  const T e = v & Fmt<T>::kInf;
  return e == 0 ? (v & Fmt<T>::kFracMask) == 0 : e != Fmt<T>::kInf;
}
/// A result the quick path may keep: finite and normal, or a zero that is
/// exact (`exact_zero`: a sum, or a product or quotient of a zero). The
/// smallest normal magnitude may be a tiny result rounded up, which raises
/// UE (tininess is detected before rounding), so it goes the long way too.
template <class T> bool plain_result(T r, bool exact_zero) {
  const T e = r & Fmt<T>::kInf;
  if (e == 0) return (r & Fmt<T>::kFracMask) == 0 && exact_zero;
  constexpr T kMinNormal = Fmt<T>::kFracMask + 1;
  return e != Fmt<T>::kInf && (r & (Fmt<T>::kInf | Fmt<T>::kFracMask)) != kMinNormal;
}
enum class Arith : uint8_t { kAdd, kSub, kMul, kDiv };
/// `op` on the host's FPU as the guest would round it, or false.
template <class T> bool quick(Arith op, T a, T b, const Env& env, T& out) {
  if (!quiet(env) || !normal_or_zero(a) || !normal_or_zero(b)) return false;
  const Host<T> x = std::bit_cast<Host<T>>(a), y = std::bit_cast<Host<T>>(b);
  Host<T> r;
  bool exact_zero = true;
  switch (op) {
    case Arith::kAdd: r = x + y; break;
    case Arith::kSub: r = x - y; break;
    case Arith::kMul: r = x * y; exact_zero = x == 0 || y == 0; break;
    case Arith::kDiv:
      if (y == 0) return false;
      r = x / y;
      exact_zero = x == 0;
      break;
  }
  out = std::bit_cast<T>(r);
  return plain_result(out, exact_zero);
}

}  // namespace

bool host_mxcsr_default() {
  static const bool kDefault = [] {
    uint32_t m = 0;
    asm volatile("stmxcsr %[m]" : [m] "=m"(m));
    return (m & ~uint32_t{kAllExceptions}) == 0x1f80;
  }();
  return kDefault;
}

template <class T> T add(T a, T b, Env& env) {
  if (T r; quick(Arith::kAdd, a, b, env, r)) return r;
  return run<true>(env, [&](uint32_t& m) { return host_add(a, b, m); },
                   [&] { return soft::add<T>(a, b, env); });
}
template <class T> T sub(T a, T b, Env& env) {
  if (T r; quick(Arith::kSub, a, b, env, r)) return r;
  return run<true>(env, [&](uint32_t& m) { return host_sub(a, b, m); },
                   [&] { return soft::sub<T>(a, b, env); });
}
template <class T> T mul(T a, T b, Env& env) {
  if (T r; quick(Arith::kMul, a, b, env, r)) return r;
  return run<true>(env, [&](uint32_t& m) { return host_mul(a, b, m); },
                   [&] { return soft::mul<T>(a, b, env); });
}
template <class T> T div(T a, T b, Env& env) {
  if (T r; quick(Arith::kDiv, a, b, env, r)) return r;
  return run<true>(env, [&](uint32_t& m) { return host_div(a, b, m); },
                   [&] { return soft::div<T>(a, b, env); });
}
template <class T> T sqrt(T a, Env& env) {
  // A non-negative normal or zero has a normal or zero root: only PE.
  if (quiet(env) && normal_or_zero(a) && !(a >> (8 * sizeof(T) - 1) && (a << 1) != 0)) {
    const Host<T> x = std::bit_cast<Host<T>>(a);
    if constexpr (kSingle<T>) return std::bit_cast<T>(__builtin_sqrtf(x));
    else return std::bit_cast<T>(__builtin_sqrt(x));
  }
  return run<true>(env, [&](uint32_t& m) { return host_sqrt(a, m); },
                   [&] { return soft::sqrt<T>(a, env); });
}
F64 widen(F32 a, Env& env) {
  return run<true>(env, [&](uint32_t& m) { return host_widen(a, m); },
                   [&] { return soft::widen(a, env); });
}
F32 narrow(F64 a, Env& env) {
  return run<true>(env, [&](uint32_t& m) { return host_narrow(a, m); },
                   [&] { return soft::narrow(a, env); });
}
template <class T> T from_int(int64_t v, Env& env) {
  return run<true>(env, [&](uint32_t& m) { return host_from_int<T>(v, m); },
                   [&] { return soft::from_int<T>(v, env); });
}
template <class I, class T> I to_int(T a, bool truncate, Env& env) {
  return run<false>(env, [&](uint32_t& m) { return host_to_int<I>(a, truncate, m); },
                    [&] { return soft::to_int<I, T>(a, truncate, env); });
}

template F32 add<F32>(F32, F32, Env&);
template F32 sub<F32>(F32, F32, Env&);
template F32 mul<F32>(F32, F32, Env&);
template F32 div<F32>(F32, F32, Env&);
template F32 sqrt<F32>(F32, Env&);
template F64 add<F64>(F64, F64, Env&);
template F64 sub<F64>(F64, F64, Env&);
template F64 mul<F64>(F64, F64, Env&);
template F64 div<F64>(F64, F64, Env&);
template F64 sqrt<F64>(F64, Env&);
template F32 from_int<F32>(int64_t, Env&);
template F64 from_int<F64>(int64_t, Env&);
template int32_t to_int<int32_t, F32>(F32, bool, Env&);
template int64_t to_int<int64_t, F32>(F32, bool, Env&);
template int32_t to_int<int32_t, F64>(F64, bool, Env&);
template int64_t to_int<int64_t, F64>(F64, bool, Env&);

}  // namespace kestrel::cpu::simd
