// SPDX-License-Identifier: MIT
// The host-oracle test on a host that is not x86-64: there is no oracle, so
// the test reports a skip (meson's exit code 77).
#include <cstdio>

int main() {
  std::puts("host_oracle: skipped: the host CPU is not x86-64, so it cannot be the oracle");
  return 77;
}
