// SPDX-License-Identifier: MIT
// The entry point of kestrel-unit, the doctest runner of every *_test.cpp
// listed in unit_test_src (tests/meson.build).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
