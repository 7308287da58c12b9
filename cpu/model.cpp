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
// What the interpreter executes today; later work adds SSE and long mode.
constexpr uint64_t kMax = k386 | bits({f486, fPentium, fP6, fCmov, fCx8, fTsc, fMsr, fSysenter,
                                          fX87, fMmx, fFxsr,
                                          fPse, fPae, fPge, fPse36});

constexpr std::array kModels = {
    // 36 physical address bits, as on the P6: PAE and PSE-36 reach 64 GiB.
    CpuModel{"max", "every feature Kestrel implements (default)", kMax, 0, 15, 36,
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
