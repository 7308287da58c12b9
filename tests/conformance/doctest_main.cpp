// SPDX-License-Identifier: MIT
// The doctest entry point of the conformance runner's unit tests.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
