// SPDX-License-Identifier: MIT
// The schema of the instruction table: operand specs in Intel SDM appendix-A
// notation, features, flag sets and attributes, and the Form enum and row
// array generated from cpu/isa/instructions.inc. The decoder, interpreter
// dispatch, disassembler and tests all read kRows; nothing else lists opcodes.
#pragma once

#include <array>
#include <span>
#include <cstdint>
#include <string_view>

namespace kestrel::cpu::isa {

/// Opcode maps.
enum class Map : uint8_t { kPrimary, k0F, k0F38, k0F3A };

/// Addressing method (SDM vol. 2 appendix A.2.1), plus the fixed operands.
enum class Am : uint8_t {
  kNone,
  kA,     ///< far pointer in the instruction (Ap)
  kC,     ///< control register in ModRM.reg
  kD,     ///< debug register in ModRM.reg
  kE,     ///< ModRM r/m: GPR or memory
  kG,     ///< ModRM reg: GPR
  kI,     ///< immediate
  kJ,     ///< relative offset
  kM,     ///< ModRM r/m: memory only
  kN,     ///< ModRM r/m: MMX register
  kO,     ///< moffs: absolute offset in the instruction
  kP,     ///< ModRM reg: MMX register
  kQ,     ///< ModRM r/m: MMX register or memory
  kR,     ///< ModRM r/m: GPR only
  kS,     ///< ModRM reg: segment register
  kU,     ///< ModRM r/m: XMM register
  kV,     ///< ModRM reg: XMM register
  kW,     ///< ModRM r/m: XMM register or memory
  kX,     ///< memory at DS:rSI (segment overridable)
  kY,     ///< memory at ES:rDI
  kZ,     ///< GPR in the low three opcode bits (+ REX.B)
  kReg,   ///< a fixed GPR (AL, rAX, DX...)
  kSreg,  ///< a fixed segment register (PUSH ES...)
  kOne,   ///< the constant 1 (shift by one)
  kSt0,   ///< x87 ST(0)
  kSti,   ///< x87 ST(i) from ModRM.rm
};

/// Operand type (SDM vol. 2 appendix A.2.2).
enum class Ot : uint8_t {
  kNone, kA, kB, kC, kD, kDq, kP, kPd, kPi, kPs, kQ, kQq, kS, kSd, kSs,
  kSi, kV, kW, kX, kY, kZ,
  kT,    ///< 80-bit x87 extended / BCD
  kE,    ///< x87 environment / state image (FLDENV, FSAVE...)
};

struct Operand {
  Am am = Am::kNone;
  Ot ot = Ot::kNone;
  uint8_t reg = 0;  ///< for kReg / kSreg
  constexpr bool operator==(const Operand&) const = default;
};

/// Operand tokens as they appear in the table.
namespace op {
#define KESTREL_OPERAND(name, am, ot) inline constexpr Operand name{Am::am, Ot::ot, 0};
#include "cpu/isa/operands.inc"
#undef KESTREL_OPERAND
inline constexpr Operand _{};
inline constexpr Operand One{Am::kOne, Ot::kB, 0};
inline constexpr Operand ST0{Am::kSt0, Ot::kT, 0};
inline constexpr Operand STi{Am::kSti, Ot::kT, 0};
inline constexpr Operand AL{Am::kReg, Ot::kB, 0};
inline constexpr Operand CL{Am::kReg, Ot::kB, 1};
inline constexpr Operand AH{Am::kReg, Ot::kB, 4};
inline constexpr Operand AX{Am::kReg, Ot::kW, 0};
inline constexpr Operand DX{Am::kReg, Ot::kW, 2};
inline constexpr Operand eAX{Am::kReg, Ot::kZ, 0};  ///< AX or EAX
inline constexpr Operand rAX{Am::kReg, Ot::kV, 0};  ///< AX, EAX or RAX
inline constexpr Operand ES{Am::kSreg, Ot::kW, 0};
inline constexpr Operand CS{Am::kSreg, Ot::kW, 1};
inline constexpr Operand SS{Am::kSreg, Ot::kW, 2};
inline constexpr Operand DS{Am::kSreg, Ot::kW, 3};
inline constexpr Operand FS{Am::kSreg, Ot::kW, 4};
inline constexpr Operand GS{Am::kSreg, Ot::kW, 5};
}  // namespace op

/// What the ModRM byte must look like for a row to match.
struct ModrmSpec {
  bool present = false;
  int8_t reg = -1;  ///< required ModRM.reg, or -1
  int8_t mod = -1;  ///< -1 any, 0 memory (mod != 3), 3 register (mod == 3)
  int8_t rm = -1;   ///< required ModRM.rm (with mod == 3), or -1
  constexpr bool matches(uint8_t modrm) const {
    const int m = modrm >> 6, r = (modrm >> 3) & 7, b = modrm & 7;
    if (reg >= 0 && r != reg) return false;
    if (mod == 0 && m == 3) return false;
    if (mod == 3 && m != 3) return false;
    return rm < 0 || b == rm;
  }
};

/// ModRM constraint tokens for the table.
namespace rm {
inline constexpr ModrmSpec none{};
inline constexpr ModrmSpec any{true};
inline constexpr ModrmSpec mem{true, -1, 0};
inline constexpr ModrmSpec reg{true, -1, 3};
constexpr ModrmSpec grp(int r) { return {true, int8_t(r), -1}; }
constexpr ModrmSpec grp_mem(int r) { return {true, int8_t(r), 0}; }
constexpr ModrmSpec grp_reg(int r) { return {true, int8_t(r), 3}; }
/// One exact ModRM byte (always a register form), e.g. 0F 01 D0.
constexpr ModrmSpec exact(int b) {
  return {true, int8_t((b >> 3) & 7), 3, int8_t(b & 7)};
}
}  // namespace rm

/// Mandatory prefix of a row (SSE-style encodings).
enum class Pfx : uint8_t {
  kAny,   ///< no mandatory prefix; 66/F2/F3 keep their usual meaning
  kNone,  ///< none of 66, F2, F3 present (NP in the SDM)
  k66, kF3, kF2,
};
namespace pfx {
inline constexpr Pfx xx = Pfx::kAny, np = Pfx::kNone, p66 = Pfx::k66,
                     pF3 = Pfx::kF3, pF2 = Pfx::kF2;
}

/// CPU generations and CPUID features. A CPU model (cpu/model.h) holds the
/// set it supports; a row is decoded only on a model that has its feature.
enum Feature : uint8_t {
  f8086, f186, f286, f386, f486, fPentium, fP6,
  fOnly8086,  ///< behaviour of the 8086/8088 only (aliases, POP CS...)
  fX87, fCmov, fMmx, fSse, fSse2, fSse3, fSsse3, fSse41, fSse42,
  fPopcnt, fLzcnt, fMovbe, fPclmul, fAes, fCx8, fCx16, fFxsr, fXsave,
  fSysenter, fSyscall, fRdtscp, fTsc, fMsr, fClflush, fLm, fBmi1, fBmi2,
  fMonitor, fRdrand, fRdseed, fAdx, fFsgsbase, fInvpcid, fSmap,
  fVmx, fSmx, fSgx, fRtm, fSha, fXsaveopt, fXsavec, fXsaves, fClwb,
  fClflushopt, fPrfchw,
  fPse, fPae, fPge, fPse36, fNx,  ///< paging extensions (mmu/paging.cpp)
  kFeatureCount
};
static_assert(kFeatureCount <= 64, "CpuModel::features is a 64-bit set");

/// Mode and operand-size attributes of a row.
enum ModeBits : uint16_t {
  m_all = 0,
  i64 = 1u << 0,   ///< invalid in 64-bit mode
  o64 = 1u << 1,   ///< valid only in 64-bit mode
  d64 = 1u << 2,   ///< default operand size 64 in 64-bit mode
  f64 = 1u << 3,   ///< operand size forced to 64 in 64-bit mode
  pm = 1u << 4,    ///< #UD in real and virtual-8086 mode
  nov86 = 1u << 5, ///< #UD in virtual-8086 mode only
  w1 = 1u << 6,    ///< matches only with REX.W (CMPXCHG16B)
};

/// Instruction attributes.
enum Attr : uint16_t {
  a_none = 0,
  a_lock = 1u << 0,    ///< LOCK allowed (with a memory destination)
  a_rep = 1u << 1,     ///< REP/REPE/REPNE meaningful (string instructions)
  a_branch = 1u << 2,  ///< may change rIP other than falling through
  a_priv = 1u << 3,    ///< CPL 0 only (checked by the handler)
  a_serial = 1u << 4,  ///< serializing: ends a decoded block
  a_stop = 1u << 5,    ///< ends a decoded block (HLT, mode or CS changes)
  a_prefix = 1u << 6,  ///< a prefix byte, not an instruction
};

/// EFLAGS bit sets for the table's read / written / undefined columns.
namespace fl {
inline constexpr uint16_t _ = 0;
inline constexpr uint16_t C = 1, P = 4, A = 16, Z = 64, S = 128, T = 256,
                          I = 512, D = 1024, O = 2048;
inline constexpr uint16_t OSZAPC = O | S | Z | A | P | C;
inline constexpr uint16_t OSZAP = O | S | Z | A | P;
inline constexpr uint16_t SZAPC = S | Z | A | P | C;
inline constexpr uint16_t SZP = S | Z | P;
inline constexpr uint16_t OC = O | C;
inline constexpr uint16_t OSZPC = O | S | Z | P | C;
inline constexpr uint16_t OSZ = O | S | Z;
inline constexpr uint16_t OSZC = O | S | Z | C;
inline constexpr uint16_t SZAP = S | Z | A | P;
inline constexpr uint16_t OSAPC = O | S | A | P | C;
inline constexpr uint16_t OA = O | A;
inline constexpr uint16_t ZC = Z | C;
inline constexpr uint16_t SZC = S | Z | C;
inline constexpr uint16_t OSZAC = O | S | Z | A | C;
inline constexpr uint16_t SZPC = S | Z | P | C;
inline constexpr uint16_t SZAPCT = SZAPC | T;
inline constexpr uint16_t ALL = OSZAPC | T | I | D;
}  // namespace fl

/// One encoding form.
struct Row {
  std::string_view form;
  std::string_view mnemonic;
  Map map;
  uint8_t opcode;
  ModrmSpec modrm;
  Pfx prefix;
  std::array<Operand, 3> ops;
  Feature feature;
  uint16_t modes;
  uint16_t flags_read;
  uint16_t flags_written;
  uint16_t flags_undefined;
  uint16_t attrs;
  bool executable;  ///< false: decoded, executes as #UD until implemented
};

/// Every form, in table order.
enum class Form : uint16_t {
#define INSN(form, ...) form,
#define DECODE_ONLY(form, ...) form,
#include "cpu/isa/instructions.inc"
#undef INSN
#undef DECODE_ONLY
  kCount,
  kInvalid = kCount,  ///< the decoder's result for an invalid encoding (#UD)
};
inline constexpr size_t kFormCount = size_t(Form::kCount);

namespace detail {
using namespace op;
using namespace rm;
using namespace pfx;
using enum Map;
using fl::C;
using fl::D;
using fl::I;
using fl::O;
using fl::T;
using fl::Z;
using fl::A;
using fl::P;
using fl::S;
using fl::OSZAPC;
using fl::OSZAP;
using fl::SZAPC;
using fl::SZP;
using fl::OC;
using fl::OSZPC;
using fl::OSZ;
using fl::OSZC;
using fl::SZAP;
using fl::OSAPC;
using fl::OA;
using fl::ZC;
using fl::SZC;
using fl::OSZAC;
using fl::SZPC;
using fl::SZAPCT;
using fl::ALL;
inline constexpr Row kRowsArray[] = {
#define KESTREL_ROW(exec, form, mn, map, opc, modrm, pfx, o1, o2, o3, feat, modes, rd, wr, undef, attrs) \
  Row{#form, mn, map, opc, modrm, pfx, {o1, o2, o3}, feat, uint16_t(modes), rd, wr, undef, uint16_t(attrs), exec},
#define INSN(...) KESTREL_ROW(true, __VA_ARGS__)
#define DECODE_ONLY(...) KESTREL_ROW(false, __VA_ARGS__)
#include "cpu/isa/instructions.inc"
#undef INSN
#undef DECODE_ONLY
#undef KESTREL_ROW
};
}  // namespace detail

inline constexpr std::span<const Row> kRows{detail::kRowsArray};
static_assert(std::size(detail::kRowsArray) == kFormCount);

constexpr const Row& row(Form f) { return detail::kRowsArray[size_t(f)]; }

}  // namespace kestrel::cpu::isa
