// SPDX-License-Identifier: MIT
// The code cache: one host mapping, never writable and executable at the
// same time (W^X by mprotect toggling around each write), filled linearly
// and reset whole when full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace kestrel::jit {

class CodeCache {
 public:
  explicit CodeCache(size_t bytes);
  ~CodeCache();
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  bool ok() const { return base_ != nullptr; }
  /// Where the next `size` bytes would go, or nullptr when the cache is full.
  uint8_t* reserve(size_t size) const;
  /// Copies `bytes` to `at` (from reserve) and moves the fill mark past them.
  void commit(uint8_t* at, std::span<const uint8_t> bytes);
  /// Overwrites bytes already placed (patching a jump).
  void patch(uint8_t* at, std::span<const uint8_t> bytes);
  /// Forgets everything after `keep` bytes (the trampoline stays).
  void reset(size_t keep);
  size_t used() const { return used_; }
  uint8_t* base() const { return base_; }

 private:
  void write(uint8_t* at, std::span<const uint8_t> bytes);
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace kestrel::jit
