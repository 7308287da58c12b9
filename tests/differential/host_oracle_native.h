// SPDX-License-Identifier: MIT
// The native side of the host-oracle test: a forked child process that runs
// cases on the host CPU at the fixed addresses of host_oracle.h. Registers
// go in through a small generated prologue and come out through an epilogue
// or, on an exception, the child's signal handler. A child that hangs is
// killed and replaced; nothing the guest code does reaches the test process.
// x86-64 hosts only (the one place host #if is allowed: a test oracle).
#pragma once

#include <sys/types.h>

#include <vector>

#include "tests/differential/host_oracle.h"

namespace kestrel::differential::oracle {

#if defined(__x86_64__)
class NativeRunner {
 public:
  NativeRunner();
  ~NativeRunner();
  NativeRunner(const NativeRunner&) = delete;
  NativeRunner& operator=(const NativeRunner&) = delete;
  /// Up to this many cases go to the child in one round trip.
  static constexpr unsigned kBatch = 32;
  /// Runs the cases in the child; a timeout or a dead child is reported in
  /// Result::error (of every case when the batch held several: the caller
  /// may rerun them one by one) and the next call starts a fresh child.
  std::vector<Result> run(const std::vector<Case>& cases, int timeout_ms);

  struct Shared;

 private:
  void spawn();
  void stop();
  Shared* shared_ = nullptr;
  pid_t pid_ = -1;
  int req_ = -1, resp_ = -1;
};

/// Whether this host CPU has the CPUID feature a row needs.
bool host_has(unsigned feature);
#endif

}  // namespace kestrel::differential::oracle
