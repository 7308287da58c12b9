// SPDX-License-Identifier: MIT
// What the CPU tells the MMU about paging, and how the MMU reports a page
// fault back: the paging configuration (CR0/CR3/CR4/EFER bits), the
// privilege of an access, and the fault sink. The walker is in paging.cpp.
#pragma once

#include <cstdint>

namespace kestrel::mmu {

/// Privilege of an access: CPL 0-2 and every implicit system access
/// (descriptor tables, TSS, IDT) are supervisor; CPL 3 is user.
enum class Priv : uint8_t { kSupervisor = 0, kUser = 1 };
inline constexpr unsigned kPrivCount = 2;

enum class Access : uint8_t { kRead, kWrite, kExec };

/// The paging state of the control registers (SDM 3A §4.1).
struct PagingConfig {
  bool enabled = false;  ///< CR0.PG
  bool wp = false;       ///< CR0.WP
  bool pse = false;      ///< CR4.PSE
  bool pae = false;      ///< CR4.PAE
  bool pge = false;      ///< CR4.PGE
  bool nxe = false;      ///< EFER.NXE
  bool lma = false;      ///< EFER.LMA: 4-level paging
  bool la57 = false;     ///< CR4.LA57: 5-level paging when lma is set
  uint64_t cr3 = 0;

  bool operator==(const PagingConfig&) const = default;
  /// The bits whose change drops every TLB entry (all but CR3).
  bool same_mode(const PagingConfig& o) const {
    return enabled == o.enabled && wp == o.wp && pse == o.pse && pae == o.pae &&
           pge == o.pge && nxe == o.nxe && lma == o.lma && la57 == o.la57;
  }
};

/// #PF error-code bits (SDM 3A §4.7).
enum PfError : uint32_t {
  kPfPresent = 1u << 0,  ///< 0: not-present page; 1: protection or reserved bit
  kPfWrite = 1u << 1,
  kPfUser = 1u << 2,     ///< the access was a user-mode (CPL 3) access
  kPfRsvd = 1u << 3,     ///< a reserved bit was set in a paging-structure entry
  kPfFetch = 1u << 4,    ///< instruction fetch (only with NX in PAE/4-level paging)
};

/// Receives page faults from the MMU's slow path. The CPU's implementation
/// sets CR2 and throws its guest-fault type, so the call does not return;
/// if a sink does return, the access is dropped (reads see all ones).
class FaultSink {
 public:
  virtual ~FaultSink() = default;
  virtual void page_fault(uint64_t linear, uint32_t error_code) = 0;
};

}  // namespace kestrel::mmu
