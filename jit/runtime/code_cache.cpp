// SPDX-License-Identifier: MIT
// The W^X code cache (code_cache.h).
#include "jit/runtime/code_cache.h"

#include <sys/mman.h>

#include <cstring>

namespace kestrel::jit {

namespace {
constexpr uintptr_t kHostPage = 4096;
}

CodeCache::CodeCache(size_t bytes) : size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) base_ = static_cast<uint8_t*>(p);
}

CodeCache::~CodeCache() {
  if (base_) munmap(base_, size_);
}

uint8_t* CodeCache::reserve(size_t size) const {
  const size_t start = (used_ + 15) & ~size_t{15};
  if (start + size > size_) return nullptr;
  return base_ + start;
}

void CodeCache::commit(uint8_t* at, std::span<const uint8_t> bytes) {
  write(at, bytes);
  used_ = size_t(at - base_) + bytes.size();
}

void CodeCache::patch(uint8_t* at, std::span<const uint8_t> bytes) { write(at, bytes); }

void CodeCache::reset(size_t keep) { used_ = keep; }

/// The pages written are made writable (and not executable) only for the copy.
void CodeCache::write(uint8_t* at, std::span<const uint8_t> bytes) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(at) & ~(kHostPage - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(at) + bytes.size() + kHostPage - 1) & ~(kHostPage - 1);
  void* page = reinterpret_cast<void*>(first);
  mprotect(page, last - first, PROT_READ | PROT_WRITE);
  std::memcpy(at, bytes.data(), bytes.size());
  mprotect(page, last - first, PROT_READ | PROT_EXEC);
}

}  // namespace kestrel::jit
