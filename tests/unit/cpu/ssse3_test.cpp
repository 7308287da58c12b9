// SPDX-License-Identifier: MIT
// SSSE3 through the interpreter in real mode, XMM and MMX forms: a table
// of one-instruction cases (values checked against the SDM's definitions
// and a hardware run), alignment, and the checks of each register file.
#include <doctest/doctest.h>

#include "tests/unit/cpu/sse_int_fixture.h"

namespace kestrel::cpu {
namespace {

TEST_CASE("SSSE3: PSHUFB, horizontal add/subtract, PMADDUBSW, PMULHRSW, PSIGN, PABS, PALIGNR") {
  check_cases(std::vector<XmmCase>{
    {"pshufb xmm1, xmm2", {0x66, 0x0f, 0x38, 0x00, 0xca},
     {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x8f0e0d0c0b0a0980, 0x0003050701f0e0d0}, {0x000e0d0c0b0a0900, 0x0003050701000000}},
    {"phaddw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x01, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0x111000057fff8000, 0x11107ffe80018000}},
    {"phaddd xmm1, xmm2", {0x66, 0x0f, 0x38, 0x02, 0xca},
     {0x80000000ffffffff, 0x7fffffff00000005}, {0x0000000100000002, 0xfffffffe80000000}, {0x800000047fffffff, 0x7ffffffe00000003}},
    {"phaddsw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x03, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0x1110000580007fff, 0x1110800080017fff}},
    {"phsubw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x05, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0xeca800017fff8002, 0x6420800280017ffe}},
    {"phsubd xmm1, xmm2", {0x66, 0x0f, 0x38, 0x06, 0xca},
     {0x80000000ffffffff, 0x7fffffff00000005}, {0x0000000100000002, 0xfffffffe80000000}, {0x800000067fffffff, 0x8000000200000001}},
    {"phsubsw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x07, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0xeca800017fff8002, 0x800080027fff7ffe}},
    {"pmaddubsw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x04, 0xca},
     {0x80ff7f01ff00fe10, 0x0102030405060708}, {0x807f01ff7f80fff0, 0x7f7f80807f7f8080}, {0x3e81007e7e81fe02, 0x017dfc800575f880}},
    {"pmulhrsw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x0b, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0x8000000000010001, 0x0c4c009e0000fffd}},
    {"psignb xmm1, xmm2", {0x66, 0x0f, 0x38, 0x08, 0xca},
     {0x7f80ff0102030405, 0x00ff807f01fe8081}, {0x0101010101010101, 0xff01ff0180ff7f80}, {0x7f80ff0102030405, 0x00ff807fff02807f}},
    {"psignw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x09, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0x8000ffff7fff0001, 0x12340124fffefffd}},
    {"psignd xmm1, xmm2", {0x66, 0x0f, 0x38, 0x0a, 0xca},
     {0x80000000ffffffff, 0x7fffffff00000005}, {0x0000000100000002, 0xfffffffe80000000}, {0x80000000ffffffff, 0x80000001fffffffb}},
    {"pabsb xmm1, xmm2", {0x66, 0x0f, 0x38, 0x1c, 0xca},
     {0x7f80ff0102030405, 0x00ff807f01fe8081}, {0x0101010101010101, 0xff01ff0180ff7f80}, {0x0101010101010101, 0x0101010180017f80}},
    {"pabsw xmm1, xmm2", {0x66, 0x0f, 0x38, 0x1d, 0xca},
     {0x8000ffff7fff0001, 0x1234fedc00020003}, {0x8000000100017fff, 0x5678ba98fffe8000}, {0x8000000100017fff, 0x5678456800028000}},
    {"pabsd xmm1, xmm2", {0x66, 0x0f, 0x38, 0x1e, 0xca},
     {0x80000000ffffffff, 0x7fffffff00000005}, {0x0000000100000002, 0xfffffffe80000000}, {0x0000000100000002, 0x0000000280000000}},
    {"palignr xmm1, xmm2, 5", {0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x05},
     {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x8f0e0d0c0b0a0980, 0x0003050701f0e0d0}, {0x0701f0e0d08f0e0d, 0x0403020100000305}},
    {"palignr xmm1, xmm2, 17", {0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x11},
     {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x8f0e0d0c0b0a0980, 0x0003050701f0e0d0}, {0x0807060504030201, 0x000f0e0d0c0b0a09}},
    {"palignr xmm1, xmm2, 32", {0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x20},
     {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x8f0e0d0c0b0a0980, 0x0003050701f0e0d0}, {0x0000000000000000, 0x0000000000000000}},
  });
  check_cases(std::vector<MmCase>{
    {"pshufb mm1, mm2", {0x0f, 0x38, 0x00, 0xca},
     0x0706050403020100, 0x8f0e0d0c0b0a0980, 0x0006050403020100},
    {"phaddw mm1, mm2", {0x0f, 0x38, 0x01, 0xca},
     0x8000ffff7fff0001, 0x8000000100017fff, 0x800180007fff8000},
    {"phsubd mm1, mm2", {0x0f, 0x38, 0x06, 0xca},
     0x80000000ffffffff, 0x0000000100000002, 0x000000017fffffff},
    {"phsubsw mm1, mm2", {0x0f, 0x38, 0x07, 0xca},
     0x8000ffff7fff0001, 0x8000000100017fff, 0x7fff7ffe7fff8002},
    {"pmaddubsw mm1, mm2", {0x0f, 0x38, 0x04, 0xca},
     0x80ff7f01ff00fe10, 0x807f01ff7f80fff0, 0x3e81007e7e81fe02},
    {"pmulhrsw mm1, mm2", {0x0f, 0x38, 0x0b, 0xca},
     0x8000ffff7fff0001, 0x8000000100017fff, 0x8000000000010001},
    {"psignb mm1, mm2", {0x0f, 0x38, 0x08, 0xca},
     0x7f80ff0102030405, 0x0101010101010101, 0x7f80ff0102030405},
    {"pabsd mm1, mm2", {0x0f, 0x38, 0x1e, 0xca},
     0x80000000ffffffff, 0x0000000100000002, 0x0000000100000002},
    {"palignr mm1, mm2, 3", {0x0f, 0x3a, 0x0f, 0xca, 0x03},
     0x0706050403020100, 0x8f0e0d0c0b0a0980, 0x0201008f0e0d0c0b},
    {"palignr mm1, mm2, 12", {0x0f, 0x3a, 0x0f, 0xca, 0x0c},
     0x0706050403020100, 0x8f0e0d0c0b0a0980, 0x0000000007060504},
  });
}

TEST_CASE("SSSE3: a 128-bit memory operand must be aligned, a 64-bit one need not be") {
  SseIntFixture f;
  f.poke(0x500, 0x0001020304050607);
  f.poke(0x508, 0x80);
  CHECK(f.run({0x66, 0x0f, 0x38, 0x00, 0x0e, 0x08, 0x05}) == kVecGp);  // pshufb xmm1, [0508h]
  f.set_mm(1, 0x0706050403020100);
  CHECK(f.run({0x0f, 0x38, 0x00, 0x0e, 0x01, 0x05}) == -1);  // pshufb mm1, [0501h]
  CHECK(f.mm(1) == 0x0000010203040506);
}

TEST_CASE("SSSE3: XMM forms need CR4.OSFXSR, MMX forms follow the MMX rules") {
  const std::vector<uint8_t> pabsb_xmm = {0x66, 0x0f, 0x38, 0x1c, 0xca};
  const std::vector<uint8_t> pabsb_mm = {0x0f, 0x38, 0x1c, 0xca};
  SseIntFixture f;
  f.cpu.s.cr[4] = 0;
  CHECK(f.run(pabsb_xmm) == kVecUd);
  CHECK(f.run(pabsb_mm) == -1);
  f.cpu.s.cr[4] = 1u << 9;
  f.cpu.s.cr[0] |= 1u << 2;  // EM
  CHECK(f.run(pabsb_xmm) == kVecUd);
  CHECK(f.run(pabsb_mm) == kVecUd);
  f.cpu.s.cr[0] = 0x12 | (1u << 3);  // TS
  CHECK(f.run(pabsb_xmm) == kVecNm);
  CHECK(f.run(pabsb_mm) == kVecNm);
}

}  // namespace
}  // namespace kestrel::cpu
