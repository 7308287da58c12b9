// SPDX-License-Identifier: MIT
// The SSE floating-point core: IEEE binary32 and binary64 values (as their
// bit patterns) under MXCSR control (rounding, FTZ, DAZ, masks), with the
// x86 NaN, denormal and exception rules. The integer arithmetic (soft::)
// gives the same results on every host; x86-64 hosts run the common
// operations natively (native.cpp). The instructions live in cpu/interp/sse_fp_*.
#pragma once

#include <cstdint>

namespace kestrel::cpu::simd {

/// MXCSR exception flags (bits 0-5); the masks are the same bits at 7-12.
enum Exception : uint8_t { kIe = 1, kDe = 2, kZe = 4, kOe = 8, kUe = 16, kPe = 32 };
inline constexpr uint8_t kAllExceptions = 0x3f;
/// Found before the operation and stopping it; the others come from
/// rounding its result (SDM 1 §11.5.3).
inline constexpr uint8_t kPreComputation = kIe | kDe | kZe;
inline constexpr uint8_t kPostComputation = kOe | kUe | kPe;

inline constexpr uint32_t kMxcsrDaz = 1u << 6;
inline constexpr uint32_t kMxcsrFtz = 1u << 15;
inline constexpr unsigned kMxcsrMaskShift = 7;
inline constexpr unsigned kMxcsrRcShift = 13;

/// MXCSR.RC (and the rounding field of ROUNDPS's immediate).
enum class Rounding : uint8_t { kNearest, kDown, kUp, kZero };

/// The environment of one operation: MXCSR controls in, raised flags out.
struct Env {
  Rounding rc = Rounding::kNearest;
  bool ftz = false;       ///< tiny results become zero when UE is masked
  bool daz = false;       ///< denormal operands read as zero, without DE
  uint8_t masks = kAllExceptions;
  uint8_t flags = 0;
  uint8_t sticky = 0;     ///< MXCSR's flags already set before the operation

  static Env from_mxcsr(uint32_t mxcsr) {
    return {Rounding((mxcsr >> kMxcsrRcShift) & 3), (mxcsr & kMxcsrFtz) != 0,
            (mxcsr & kMxcsrDaz) != 0, uint8_t((mxcsr >> kMxcsrMaskShift) & kAllExceptions), 0,
            uint8_t(mxcsr & kAllExceptions)};
  }
  bool masked(uint8_t e) const { return (masks & e) == e; }
};

/// binary32 and binary64 bit patterns.
using F32 = uint32_t;
using F64 = uint64_t;

inline constexpr F32 kDefaultNan32 = 0xffc00000;          ///< the QNaN floating-point indefinite
inline constexpr F64 kDefaultNan64 = 0xfff8000000000000;  ///< the same in binary64

/// Arithmetic (SDM 1 §4.8.3, §11.5). T is F32 or F64. NaN operands give the
/// first operand's NaN if it is one, else the second's, made quiet (SDM 1
/// table 4-7); invalid operations give the default NaN.
template <class T> T add(T a, T b, Env& env);
template <class T> T sub(T a, T b, Env& env);
template <class T> T mul(T a, T b, Env& env);
template <class T> T div(T a, T b, Env& env);
template <class T> T sqrt(T a, Env& env);
/// Whether the host's own SSE unit serves the quick cases of the above:
/// an x86-64 host whose MXCSR (this thread's, read once) is the default,
/// rounding to nearest with every exception masked and no FTZ or DAZ.
bool host_mxcsr_default();
/// MINPS/MAXPS: b when either is a NaN (invalid, even for QNaNs) or both
/// are zeros, else the smaller (larger) of the two. Returns b's bits as they
/// are (an SNaN stays signalling), but a denormal as zero under DAZ.
template <class T> T min(T a, T b, Env& env);
template <class T> T max(T a, T b, Env& env);

/// CMPPS predicates 0-7 (imm8 bits 2:0).
enum class Predicate : uint8_t { kEq, kLt, kLe, kUnord, kNeq, kNlt, kNle, kOrd };
template <class T> bool compare(T a, T b, Predicate p, Env& env);

/// COMISS/UCOMISS: the relation of a to b; `signalling` makes QNaNs invalid.
enum class Order : uint8_t { kLess, kEqual, kGreater, kUnordered };
template <class T> Order compare_ordered(T a, T b, bool signalling, Env& env);

/// binary32 <-> binary64.
F64 widen(F32 a, Env& env);
F32 narrow(F64 a, Env& env);
/// A signed integer to binary32/64, rounded by MXCSR.RC.
template <class T> T from_int(int64_t v, Env& env);
/// To a signed integer of type I (int32_t or int64_t), rounded by MXCSR.RC or
/// truncated. NaNs, infinities and out-of-range values are invalid and
/// give the integer indefinite (the most negative value).
template <class I, class T> I to_int(T a, bool truncate, Env& env);
/// ROUNDPS: to an integral value in the same format, in mode `rc`; with
/// `suppress_inexact` the precision flag is never raised.
template <class T> T round_integral(T a, Rounding rc, bool suppress_inexact, Env& env);

/// The integer-only implementations of the operations above that x86-64
/// hosts run on their own SSE unit (cpu/simd/native.cpp): the reference on
/// every host, and the answer whenever the guest would see an unmasked
/// exception.
namespace soft {
template <class T> T add(T a, T b, Env& env);
template <class T> T sub(T a, T b, Env& env);
template <class T> T mul(T a, T b, Env& env);
template <class T> T div(T a, T b, Env& env);
template <class T> T sqrt(T a, Env& env);
F64 widen(F32 a, Env& env);
F32 narrow(F64 a, Env& env);
template <class T> T from_int(int64_t v, Env& env);
template <class I, class T> I to_int(T a, bool truncate, Env& env);
}  // namespace soft

/// RCPPS and RSQRTPS. Raise no flags and ignore MXCSR: denormal operands
/// read as zero and tiny results are flushed to zero (SDM 2 RCPPS).
/// The value is the exact reciprocal (of the square root) rounded to 13
/// significant bits, relative error at most 2^-13: within the architected
/// 1.5 x 2^-12, but not bit-identical to a particular processor, whose
/// lookup tables are not documented (Intel's and AMD's differ).
F32 reciprocal(F32 a);
F32 reciprocal_sqrt(F32 a);

}  // namespace kestrel::cpu::simd
