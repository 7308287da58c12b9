// SPDX-License-Identifier: MIT
// The code cache: host memory that is never writable and executable
// through the same mapping (W^X), filled linearly and reset whole when full.
// Where the host allows it, the memory is mapped twice, once executable and
// once writable, so placing and patching code costs no system call;
// otherwise each write toggles the page protection around the copy.
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
  /// The executable view: every address the cache hands out is in it.
  uint8_t* base() const { return base_; }
  /// Whether writes go through a second, writable view (no mprotect).
  bool dual_mapped() const { return writable_ != nullptr; }

 private:
  void write(uint8_t* at, std::span<const uint8_t> bytes);
  /// Maps the pages below `end` (rounded up to a chunk) into both views.
  void populate(size_t end);
  uint8_t* base_ = nullptr;
  uint8_t* writable_ = nullptr;  ///< the same memory, read-write; or nullptr
  size_t size_ = 0;
  size_t used_ = 0;
  size_t populated_ = 0;  ///< bytes mapped into both views ahead of use
};

}  // namespace kestrel::jit
