// SPDX-License-Identifier: MIT
// The CPU model table behind -cpu.
#include "cpu/model.h"

#include <array>
#include <initializer_list>

namespace kestrel::cpu {
namespace {

using namespace isa;

constexpr uint64_t bits(std::initializer_list<Feature> fs) {
  uint64_t v = 0;
  for (Feature f : fs) v |= uint64_t{1} << f;
  return v;
}

constexpr uint64_t k8086 = bits({f8086});
constexpr uint64_t k286 = k8086 | bits({f186, f286});
constexpr uint64_t k386 = k286 | bits({f386});
constexpr uint64_t kMax = k386 | bits({f486, fPentium, fP6, fCmov, fCx8, fTsc, fMsr, fSysenter,
                                          fX87, fMmx, fFxsr, fSse, fSse2, fSse3, fSsse3,
                                          fSse41, fSse42, fPopcnt, fLzcnt, fMovbe, fPclmul,
                                          fAes, fCx16, fXsave, fClflush, fLm, fSyscall,
                                          fRdtscp, fNx, fPse, fPae, fPge, fPse36});

constexpr std::array kModels = {
    // 40 physical address bits (1 TiB). The signature is family 6, model
    // 0Fh, stepping 1: the family of the first Intel 64 Core (Merom).
    // Software learns the features from the CPUID bits; the signature only
    // keys errata, and this one names none Kestrel would have to imitate.
    CpuModel{"max", "every feature Kestrel implements (default)", kMax, 0, 15, 40,
             "GenuineIntel", 0x000006f1},
    CpuModel{"8086", "Intel 8086: 20-bit bus, no #UD, undocumented aliases", k8086 | bits({fOnly8086}),
             kQuirkUnmaskedShift | kQuirkPushSpNew | kQuirkDivFaultNextIp | kQuirkFlagsHighSet |
                 kQuirkRepIdivNegate | kQuirkNoUd | kQuirkSegWrap | kQuirkIdivMinFaults |
                 kQuirkMul8086Flags | kQuirkLockAnywhere,
             0, 20, "", 0},
    CpuModel{"80286", "Intel 80286: 24-bit bus, real mode", k286, kQuirkFlagsHighClearReal | kQuirkLockAnywhere, 10, 24,
             "", 0},
    CpuModel{"80386", "Intel 80386: 32-bit", k386, 0, 15, 32, "", 0x00000308},
};

}  // namespace

std::span<const CpuModel> cpu_models() { return kModels; }

const CpuModel* find_cpu_model(std::string_view name) {
  for (const CpuModel& m : kModels) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const CpuModel& default_cpu_model() { return kModels[0]; }

}  // namespace kestrel::cpu
