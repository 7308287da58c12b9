// SPDX-License-Identifier: MIT
// The public add/sub/mul/div/sqrt and conversions of the SSE floating-point
// core on hosts other than x86-64 (cpu/meson.build picks this file there):
// the integer core (soft::) alone. native_x86_64.cpp is the x86-64 host's.
#include "cpu/simd/float.h"

namespace kestrel::cpu::simd {

bool host_mxcsr_default() { return false; }  // no host SSE unit is used here

template <class T> T add(T a, T b, Env& env) { return soft::add<T>(a, b, env); }
template <class T> T sub(T a, T b, Env& env) { return soft::sub<T>(a, b, env); }
template <class T> T mul(T a, T b, Env& env) { return soft::mul<T>(a, b, env); }
template <class T> T div(T a, T b, Env& env) { return soft::div<T>(a, b, env); }
template <class T> T sqrt(T a, Env& env) { return soft::sqrt<T>(a, env); }
F64 widen(F32 a, Env& env) { return soft::widen(a, env); }
F32 narrow(F64 a, Env& env) { return soft::narrow(a, env); }
template <class T> T from_int(int64_t v, Env& env) { return soft::from_int<T>(v, env); }
template <class I, class T> I to_int(T a, bool truncate, Env& env) {
  return soft::to_int<I, T>(a, truncate, env);
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
