// SPDX-License-Identifier: MIT
// Decoder corner cases: prefix rules and the length limit, operand and
// address size in the three code sizes, 16/32/64-bit ModRM and SIB forms,
// immediates and moffs, LOCK, the 90 family, the 8086 aliases, mandatory
// prefixes and truncated input.
#include "cpu/decode.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "cpu/model.h"

namespace kestrel::cpu {
namespace {

using isa::Form;

CpuModel all_features_model() {
  CpuModel m = default_cpu_model();
  m.features = 0;
  for (unsigned f = 0; f < isa::kFeatureCount; ++f) {
    if (f != isa::fOnly8086) m.features |= uint64_t{1} << f;
  }
  return m;
}

const CpuModel kAll = all_features_model();

struct Result {
  DecodeStatus status;
  DecodedInsn insn;
  Form form() const { return insn.form; }
  unsigned len() const { return insn.len; }
};

Result decode_bytes(std::vector<uint8_t> bytes, CodeSize code, const CpuModel& model = kAll,
                    bool protected_mode = true) {
  DecodeContext ctx;
  ctx.code = code;
  ctx.protected_mode = protected_mode;
  ctx.model = &model;
  Result r;
  r.status = decode(bytes, ctx, r.insn);
  return r;
}

Result d16(std::vector<uint8_t> b) { return decode_bytes(std::move(b), CodeSize::k16); }
Result d32(std::vector<uint8_t> b) { return decode_bytes(std::move(b), CodeSize::k32); }
Result d64(std::vector<uint8_t> b) { return decode_bytes(std::move(b), CodeSize::k64); }

const CpuModel& model(const char* name) { return *find_cpu_model(name); }

TEST_CASE("decode: prefixes stack up to the 15-byte limit") {
  std::vector<uint8_t> b(14, 0x66);
  b.push_back(0x90);
  Result r = d32(b);
  CHECK(r.status == DecodeStatus::kOk);
  CHECK(r.form() == Form::NOP);
  CHECK(r.len() == 15);
  b.insert(b.begin(), 0x2e);  // 16 bytes
  CHECK(d32(b).status == DecodeStatus::kTooLong);
  // The limit counts immediates too: 11 prefixes + B8 imm32 = 16 bytes.
  std::vector<uint8_t> mov(11, 0x3e);
  mov.insert(mov.end(), {0xb8, 1, 2, 3, 4});
  CHECK(d32(mov).status == DecodeStatus::kTooLong);
  mov.erase(mov.begin());
  CHECK(d32(mov).status == DecodeStatus::kOk);
  // The 80286 stops at 10 bytes.
  std::vector<uint8_t> b286(10, 0x26);
  b286.push_back(0x90);
  CHECK(decode_bytes(b286, CodeSize::k16, model("80286")).status == DecodeStatus::kTooLong);
}

TEST_CASE("decode: REX counts only as the last prefix") {
  Result r = d64({0x48, 0x89, 0xc0});  // mov rax, rax
  CHECK(r.insn.osize == 8);
  CHECK(r.insn.rex == 0x48);
  r = d64({0x48, 0x66, 0x89, 0xc0});  // REX before 66 is ignored: mov ax, ax
  CHECK(r.status == DecodeStatus::kOk);
  CHECK(r.insn.osize == 2);
  CHECK(r.insn.rex == 0);
  CHECK(r.len() == 4);
  r = d64({0x66, 0x48, 0x89, 0xc0});  // REX.W beats 66
  CHECK(r.insn.osize == 8);
  r = d64({0x41, 0x49, 0x89, 0xc0});  // the last REX wins
  CHECK(r.insn.rex == 0x49);
  CHECK(r.insn.rm == 8);
  CHECK(r.insn.osize == 8);
  // In 32-bit code 40-4F are INC/DEC.
  CHECK(d32({0x48}).form() == Form::DEC_Zv);
}

TEST_CASE("decode: 66 and 67 in the three code sizes") {
  struct Case {
    CodeSize code;
    std::vector<uint8_t> bytes;
    unsigned osize, asize;
  };
  const Case cases[] = {
      {CodeSize::k16, {0x8b, 0x00}, 2, 2},
      {CodeSize::k16, {0x66, 0x8b, 0x00}, 4, 2},
      {CodeSize::k16, {0x67, 0x8b, 0x00}, 2, 4},
      {CodeSize::k32, {0x8b, 0x00}, 4, 4},
      {CodeSize::k32, {0x66, 0x8b, 0x00}, 2, 4},
      {CodeSize::k32, {0x67, 0x8b, 0x00}, 4, 2},
      {CodeSize::k64, {0x8b, 0x00}, 4, 8},
      {CodeSize::k64, {0x66, 0x8b, 0x00}, 2, 8},
      {CodeSize::k64, {0x67, 0x8b, 0x00}, 4, 4},
      {CodeSize::k64, {0x66, 0x67, 0x48, 0x8b, 0x00}, 8, 4},
  };
  for (const Case& c : cases) {
    const Result r = decode_bytes(c.bytes, c.code);
    INFO("code ", int(c.code), " len ", c.bytes.size());
    CHECK(r.status == DecodeStatus::kOk);
    CHECK(r.insn.osize == c.osize);
    CHECK(r.insn.asize == c.asize);
  }
  // Iz follows the operand size; 64-bit keeps 4 bytes (sign-extended).
  CHECK(d16({0x05, 1, 2}).len() == 3);
  CHECK(d16({0x66, 0x05, 1, 2, 3, 4}).len() == 6);
  CHECK(d32({0x66, 0x05, 1, 2}).len() == 4);
  CHECK(d64({0x48, 0x05, 1, 2, 3, 0x84}).len() == 6);
  CHECK(d64({0x48, 0x05, 1, 2, 3, 0x84}).insn.imm == 0xffffffff84030201ull);
  // Iv with REX.W is the one 8-byte immediate.
  CHECK(d64({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}).len() == 10);
  // d64 and f64 in 64-bit mode.
  CHECK(d64({0x50}).insn.osize == 8);
  CHECK(d64({0x66, 0x50}).insn.osize == 2);
  CHECK(d64({0x66, 0xe8, 1, 2, 3, 4}).len() == 6);  // Intel ignores 66 on CALL rel32
  CHECK(d16({0xe8, 1, 2}).len() == 3);
}

TEST_CASE("decode: 16-bit ModRM forms") {
  Result r = d16({0x8b, 0x46, 0x10});  // mov ax, [bp+10h]
  CHECK(r.insn.base == kRbp);
  CHECK(r.insn.index == kNoReg);
  CHECK(r.insn.seg == kSs);
  CHECK(r.insn.disp == 0x10);
  r = d16({0x8b, 0x06, 0x34, 0x12});  // mov ax, [1234h]: mod 00 rm 110 is disp16
  CHECK(r.len() == 4);
  CHECK(r.insn.base == kNoReg);
  CHECK(r.insn.seg == kDs);
  CHECK(r.insn.disp == 0x1234);
  r = d16({0x8b, 0x02});  // [bp+si]
  CHECK(r.insn.base == kRbp);
  CHECK(r.insn.index == kRsi);
  CHECK(r.insn.seg == kSs);
  r = d16({0x8b, 0x81, 0xfe, 0xff});  // [bx+di-2]
  CHECK(r.insn.base == kRbx);
  CHECK(r.insn.index == kRdi);
  CHECK(r.insn.disp == -2);
  r = d16({0x26, 0x8b, 0x46, 0x00});  // an override beats the SS default
  CHECK(r.insn.seg == kEs);
  CHECK(d16({0x8b, 0x46}).status == DecodeStatus::kNeedMore);
}

TEST_CASE("decode: 32- and 64-bit SIB and RIP-relative forms") {
  Result r = d32({0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12});  // SIB: no base, no index
  CHECK(r.len() == 7);
  CHECK(r.insn.base == kNoReg);
  CHECK(r.insn.index == kNoReg);
  CHECK(r.insn.disp == 0x12345678);
  r = d64({0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12});  // absolute, not RIP-relative
  CHECK(r.insn.base == kNoReg);
  r = d64({0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff});  // RIP-relative
  CHECK(r.insn.base == kRipReg);
  CHECK(r.insn.disp == -16);
  r = d32({0x8b, 0x05, 0, 0, 0, 0});  // disp32 in 32-bit code
  CHECK(r.insn.base == kNoReg);
  r = d32({0x8b, 0x44, 0x8d, 0x08});  // [ebp+ecx*4+8]: SS default
  CHECK(r.insn.base == kRbp);
  CHECK(r.insn.index == kRcx);
  CHECK(r.insn.scale == 2);
  CHECK(r.insn.seg == kSs);
  r = d64({0x43, 0x8b, 0x04, 0xe4});  // REX.X+B: [r12+r12*8]; index 100 with REX.X is r12
  CHECK(r.insn.base == 12);
  CHECK(r.insn.index == 12);
  r = d64({0x8b, 0x04, 0x24});  // [rsp]: index 100 is none
  CHECK(r.insn.index == kNoReg);
  CHECK(r.insn.seg == kSs);
  r = d64({0x26, 0x8b, 0x00});  // ES override ignored in 64-bit mode
  CHECK(r.insn.seg == kDs);
  CHECK(d64({0x64, 0x8b, 0x00}).insn.seg == kFs);
}

TEST_CASE("decode: moffs follows the address size") {
  CHECK(d16({0xa1, 1, 2}).len() == 3);
  CHECK(d16({0x67, 0xa1, 1, 2, 3, 4}).len() == 6);
  CHECK(d32({0xa1, 1, 2, 3, 4}).len() == 5);
  CHECK(d32({0x67, 0xa1, 1, 2}).len() == 4);
  const Result r = d64({0xa1, 1, 2, 3, 4, 5, 6, 7, 0x88});
  CHECK(r.len() == 9);
  CHECK(r.insn.imm == 0x8807060504030201ull);  // moffs is not sign-extended
  CHECK(d64({0x67, 0xa1, 1, 2, 3, 4}).len() == 6);
}

TEST_CASE("decode: far pointers and ENTER") {
  Result r = d16({0xea, 0x34, 0x12, 0x00, 0xf0});
  CHECK(r.len() == 5);
  CHECK(r.insn.imm == 0x1234);
  CHECK(r.insn.imm2 == 0xf000);
  CHECK(d32({0xea, 1, 2, 3, 4, 5, 6}).len() == 7);
  CHECK(d64({0xea, 1, 2, 3, 4, 5, 6}).status == DecodeStatus::kInvalid);
  r = d16({0xc8, 0x10, 0x00, 0x02});
  CHECK(r.insn.imm == 0x10);
  CHECK(r.insn.imm2 == 2);
}

TEST_CASE("decode: LOCK needs a lockable instruction with a memory destination") {
  CHECK(d32({0xf0, 0x01, 0x00}).status == DecodeStatus::kOk);  // lock add [eax], eax
  CHECK(d32({0xf0, 0x01, 0x00}).insn.lock);
  CHECK(d32({0xf0, 0x01, 0xc0}).status == DecodeStatus::kInvalid);           // register destination
  CHECK(d32({0xf0, 0x90}).status == DecodeStatus::kInvalid);                 // not lockable
  CHECK(d32({0xf0, 0x39, 0x00}).status == DecodeStatus::kInvalid);           // CMP never locks
  CHECK(d32({0xf0, 0x0f, 0xc7, 0x08}).status == DecodeStatus::kOk);          // cmpxchg8b
  CHECK(d32({0xf0, 0x0f, 0xba, 0x28, 1}).status == DecodeStatus::kOk);       // bts [eax], 1
  CHECK(d32({0xf0, 0x0f, 0xba, 0x20, 1}).status == DecodeStatus::kInvalid);  // bt
  CHECK(d32({0xf0, 0x0f, 0x20, 0xc0}).status == DecodeStatus::kInvalid);     // mov eax, cr0
  // The 8086 and 80286 take LOCK before anything.
  CHECK(decode_bytes({0xf0, 0x90}, CodeSize::k16, model("8086")).status == DecodeStatus::kOk);
}

TEST_CASE("decode: 90 is NOP, F3 90 PAUSE, REX.B 90 XCHG r8") {
  CHECK(d32({0x90}).form() == Form::NOP);
  CHECK(d32({0xf3, 0x90}).form() == Form::PAUSE);
  CHECK(d64({0x48, 0x90}).form() == Form::NOP);
  const Result r = d64({0x41, 0x90});
  CHECK(r.form() == Form::XCHG_Zv_rAX);
  CHECK(r.insn.reg == 8);
  CHECK(d32({0x91}).form() == Form::XCHG_Zv_rAX);
  CHECK(d64({0xf3, 0x41, 0x90}).form() == Form::XCHG_Zv_rAX);
}

TEST_CASE("decode: 8086 opcode aliases") {
  const CpuModel& m = model("8086");
  auto d = [&](std::vector<uint8_t> b) {
    return decode_bytes(std::move(b), CodeSize::k16, m, false);
  };
  CHECK(d({0x0f}).form() == Form::POP_CS);
  CHECK(d({0x0f}).len() == 1);
  CHECK(d({0x60, 0x10}).form() == Form::JO_Jb_8086);
  CHECK(d({0x6f, 0x10}).form() == Form::JG_Jb_8086);
  CHECK(d({0xc0, 0x04, 0x00}).form() == Form::RET_Iw_8086);
  CHECK(d({0xc0, 0x04, 0x00}).len() == 3);
  CHECK(d({0xc1}).form() == Form::RET_8086);
  CHECK(d({0xc8, 0x04, 0x00}).form() == Form::RETF_Iw_8086);
  CHECK(d({0xc9}).form() == Form::RETF_8086);
  CHECK(d({0xd0, 0xf0}).form() == Form::SETMO_Eb_1);
  CHECK(d({0xd8, 0x00}).form() == Form::ESC_8086);
  // 66, 67, 64 and 65 are not prefixes on the 8086.
  CHECK(d({0x66, 0x10}).form() == Form::JBE_Jb_8086);
  // The same bytes on later models.
  CHECK(d16({0x60}).form() == Form::PUSHA);
  CHECK(d16({0xc0, 0xe0, 4}).form() == Form::SHL_Eb_Ib);
  CHECK(d16({0xc8, 4, 0, 0}).form() == Form::ENTER_Iw_Ib);
}

TEST_CASE("decode: mode restrictions") {
  for (uint8_t op : {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61,
                     0xce, 0xd4, 0xd5, 0xd6}) {
    INFO("opcode ", int(op));
    CHECK(d64({op, 0, 0}).status == DecodeStatus::kInvalid);
    CHECK(d32({op, 0, 0}).status == DecodeStatus::kOk);
  }
  CHECK(d64({0x82, 0xc0, 1}).status == DecodeStatus::kInvalid);
  CHECK(d64({0xc4, 0x00}).status == DecodeStatus::kInvalid);  // LES; VEX is not modelled
  CHECK(d32({0xc4, 0x00}).form() == Form::LES_Gz_Mp);
  CHECK(d32({0xc4, 0xc0}).status == DecodeStatus::kInvalid);  // LES needs memory
  CHECK(d32({0x63, 0xc0}).form() == Form::ARPL_Ew_Gw);
  CHECK(d64({0x63, 0xc0}).form() == Form::MOVSXD_Gv_Ed);
  // SYSCALL/SYSRET/SWAPGS: 64-bit mode only (Intel).
  CHECK(d64({0x0f, 0x05}).form() == Form::SYSCALL);
  CHECK(d32({0x0f, 0x05}).status == DecodeStatus::kInvalid);
  CHECK(d16({0x0f, 0x07}).status == DecodeStatus::kInvalid);
  CHECK(d64({0x0f, 0x01, 0xf8}).form() == Form::SWAPGS);
  CHECK(d32({0x0f, 0x01, 0xf8}).status == DecodeStatus::kInvalid);
  // Protected-mode-only forms in real mode.
  CHECK(decode_bytes({0x0f, 0x00, 0xc0}, CodeSize::k16, kAll, false).status ==
        DecodeStatus::kInvalid);
  CHECK(decode_bytes({0x0f, 0x00, 0xc0}, CodeSize::k16, kAll, true).form() == Form::SLDT_Ev);
}

TEST_CASE("decode: segment-register and control-register forms") {
  CHECK(d32({0x8c, 0xe0}).status == DecodeStatus::kOk);       // mov eax, fs
  CHECK(d32({0x8c, 0xf0}).status == DecodeStatus::kInvalid);  // Sreg 6
  CHECK(d32({0x8e, 0x38}).status == DecodeStatus::kInvalid);  // Sreg 7
  const Result s = d64({0x44, 0x8c, 0xd8});                   // REX.R ignored: mov eax, ds
  CHECK(s.status == DecodeStatus::kOk);
  CHECK(s.insn.reg == kDs);
  // MOV CR/DR ignore ModRM.mod: no displacement follows.
  const Result c = d32({0x0f, 0x20, 0x80, 0xff});
  CHECK(c.status == DecodeStatus::kOk);
  CHECK(c.len() == 3);
  CHECK(c.insn.mod == 3);
  CHECK(c.insn.rm == 0);
  CHECK(d64({0x44, 0x0f, 0x22, 0xc0}).insn.reg == 8);  // mov cr8, rax
  // REX.R/REX.B do not reach MMX registers; they do reach XMM registers.
  const Result m = d64({0x45, 0x0f, 0xfc, 0xc1});  // paddb mm0, mm1
  CHECK(m.insn.reg == 0);
  CHECK(m.insn.rm == 1);
  const Result x = d64({0x66, 0x45, 0x0f, 0xfc, 0xc1});  // paddb xmm8, xmm9
  CHECK(x.insn.reg == 8);
  CHECK(x.insn.rm == 9);
  CHECK(d64({0x44, 0x0f, 0x6e, 0xc0}).insn.reg == 0);  // movd mm0, eax
  CHECK(d64({0x41, 0x0f, 0x6e, 0xc0}).insn.rm == 8);   // movd mm0, r8d
}

TEST_CASE("decode: mandatory prefixes and the 0F 38 / 0F 3A maps") {
  CHECK(d32({0x0f, 0x58, 0xc1}).form() == Form::ADDPS_Vps_Wps);
  CHECK(d32({0x66, 0x0f, 0x58, 0xc1}).form() == Form::ADDPD_Vpd_Wpd);
  CHECK(d32({0xf3, 0x0f, 0x58, 0xc1}).form() == Form::ADDSS_Vss_Wss);
  CHECK(d32({0xf2, 0x0f, 0x58, 0xc1}).form() == Form::ADDSD_Vsd_Wsd);
  CHECK(d32({0x66, 0xf2, 0x0f, 0x58, 0xc1}).form() == Form::ADDSD_Vsd_Wsd);  // F2 beats 66
  CHECK(d32({0xf2, 0xf3, 0x0f, 0x58, 0xc1}).form() == Form::ADDSS_Vss_Wss);  // the last of F2/F3
  CHECK(d32({0xf3, 0x0f, 0x54, 0xc1}).status == DecodeStatus::kInvalid);     // no ANDPS F3 form
  CHECK(d32({0x66, 0x0f, 0x77}).status == DecodeStatus::kInvalid);           // EMMS is NP
  CHECK(d32({0x0f, 0xfc, 0xc1}).form() == Form::PADDB_Pq_Qq);
  CHECK(d32({0x66, 0x0f, 0xfc, 0xc1}).form() == Form::PADDB_Vx_Wx);
  // A mandatory 66 is not an operand-size prefix; with F3 it still is.
  CHECK(d32({0x66, 0x0f, 0x6e, 0xc0}).insn.osize == 4);
  const Result p = d32({0x66, 0xf3, 0x0f, 0xb8, 0xc1});
  CHECK(p.form() == Form::POPCNT_Gv_Ev);
  CHECK(p.insn.osize == 2);
  CHECK(p.insn.rep == kRepNone);
  CHECK(d32({0x66, 0x0f, 0x3a, 0x0f, 0xc1, 8}).form() == Form::PALIGNR_Vx_Wx_Ib);
  CHECK(d32({0x66, 0x0f, 0x3a, 0x0f, 0xc1, 8}).len() == 6);
  CHECK(d32({0x0f, 0x3a, 0x0f, 0xc1, 8}).form() == Form::PALIGNR_Pq_Qq_Ib);
  CHECK(d32({0x0f, 0x38, 0x00, 0xc1}).form() == Form::PSHUFB_Pq_Qq);
  CHECK(d32({0xf2, 0x0f, 0x38, 0xf1, 0xc1}).form() == Form::CRC32_Gy_Ev);
  CHECK(d32({0x66, 0xf2, 0x0f, 0x38, 0xf1, 0xc1}).insn.osize == 2);
  CHECK(d32({0x0f, 0x38, 0xf0, 0x00}).form() == Form::MOVBE_Gy_My);
  CHECK(d32({0x0f, 0x38, 0xf0, 0xc0}).status == DecodeStatus::kInvalid);  // MOVBE is memory only
  CHECK(d32({0x66, 0x0f, 0x71, 0xd0, 3}).form() == Form::PSRLW_Ux_Ib);
  CHECK(d32({0x66, 0x0f, 0x71, 0xd0, 3}).len() == 5);
  CHECK(d32({0x66, 0x0f, 0x71, 0x10, 3}).status == DecodeStatus::kInvalid);  // register only
}

TEST_CASE("decode: exact-ModRM, x87 and decode-only rows") {
  CHECK(d32({0x0f, 0x01, 0xd0}).form() == Form::XGETBV);
  CHECK(d32({0x0f, 0x01, 0xf9}).form() == Form::RDTSCP);
  CHECK(d32({0x0f, 0x01, 0xc8}).form() == Form::MONITOR);
  CHECK(d32({0x0f, 0x01, 0xd2}).status == DecodeStatus::kInvalid);
  CHECK(d32({0x0f, 0x01, 0x10}).form() == Form::LGDT_Ms);
  CHECK(d32({0xd9, 0xe0}).form() == Form::FCHS);
  CHECK(d32({0xd9, 0xe2}).status == DecodeStatus::kInvalid);
  CHECK(d32({0xd8, 0xc3}).form() == Form::FADD_ST0_STi);
  CHECK(d32({0xdc, 0xeb}).form() == Form::FSUB_STi_ST0);
  CHECK(d32({0xdd, 0x38}).form() == Form::FNSTSW_Mw);
  CHECK(d32({0xdf, 0xe0}).form() == Form::FNSTSW_AX);
  CHECK(d32({0xdb, 0x28}).form() == Form::FLD_Mt);
  const Result r = d32({0x0f, 0x01, 0xcf});
  CHECK(r.status == DecodeStatus::kOk);
  CHECK(r.form() == Form::ENCLS);
  CHECK(!r.insn.row().executable);
  CHECK(d32({0x0f, 0xae, 0xe8}).form() == Form::LFENCE);
  CHECK(d32({0x0f, 0xc7, 0xf0}).form() == Form::RDRAND_Rv);
  CHECK(d64({0x0f, 0xc7, 0x08}).form() == Form::CMPXCHG8B_Mq);
  CHECK(d64({0x48, 0x0f, 0xc7, 0x08}).form() == Form::CMPXCHG16B_Mdq);
  CHECK(d64({0xf3, 0x48, 0x0f, 0xae, 0xc0}).form() == Form::RDFSBASE_Ry);
  CHECK(d32({0xc7, 0xf8, 1, 2, 3, 4}).form() == Form::XBEGIN_Jz);
  CHECK(d32({0x0f, 0xb9, 0xc0}).len() == 3);  // UD1 has a ModRM byte
  // Hint NOPs take any ModRM.
  CHECK(d32({0x0f, 0x1f, 0x44, 0x00, 0x00}).len() == 5);
  CHECK(d32({0x0f, 0x1e, 0xfa}).status == DecodeStatus::kOk);
  // Rows the model lacks are invalid: x87 on the 80386 model (no FPU).
  CHECK(decode_bytes({0xd9, 0xe0}, CodeSize::k32, model("80386")).status == DecodeStatus::kInvalid);
}

TEST_CASE("decode: truncated input asks for more bytes") {
  CHECK(d32({}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x66}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x0f}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x0f, 0x38}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x8b}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x8b, 0x04}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x8b, 0x80, 1, 2, 3}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0xb8, 1, 2, 3}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0x66, 0x0f, 0x3a, 0x0f, 0xc1}).status == DecodeStatus::kNeedMore);
  CHECK(d32({0xb8, 1, 2, 3, 4}).status == DecodeStatus::kOk);
}

}  // namespace
}  // namespace kestrel::cpu
