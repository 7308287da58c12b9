// SPDX-License-Identifier: MIT
// The W^X code cache (code_cache.h).
#include "jit/runtime/code_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace kestrel::jit {

namespace {
constexpr uintptr_t kHostPage = 4096;
/// How far ahead of the fill mark the dual-mapped cache is populated.
constexpr size_t kPopulateChunk = size_t{2} << 20;
}

/// Two views of one anonymous memory file (memfd): the executable one the
/// code runs from, the writable one the emitter copies into. Without memfd
/// (an old kernel, a sandbox that forbids it) one private mapping whose
/// protection is toggled around every write.
CodeCache::CodeCache(size_t bytes) : size_(bytes) {
#ifdef __linux__
  const int fd = memfd_create("kestrel-jit", MFD_CLOEXEC);
  if (fd >= 0) {
    if (ftruncate(fd, off_t(bytes)) == 0) {
      void* x = mmap(nullptr, bytes, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
      void* w = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (x != MAP_FAILED && w != MAP_FAILED) {
        base_ = static_cast<uint8_t*>(x);
        writable_ = static_cast<uint8_t*>(w);
      } else {
        if (x != MAP_FAILED) munmap(x, bytes);
        if (w != MAP_FAILED) munmap(w, bytes);
      }
    }
    close(fd);  // the mappings keep the memory
  }
#endif
  if (base_) return;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) base_ = static_cast<uint8_t*>(p);
}

CodeCache::~CodeCache() {
  if (base_) munmap(base_, size_);
  if (writable_) munmap(writable_, size_);
}

uint8_t* CodeCache::reserve(size_t size) const {
  const size_t start = (used_ + 15) & ~size_t{15};
  if (start + size > size_) return nullptr;
  return base_ + start;
}

void CodeCache::commit(uint8_t* at, std::span<const uint8_t> bytes) {
  populate(size_t(at - base_) + bytes.size());
  write(at, bytes);
  used_ = size_t(at - base_) + bytes.size();
}

void CodeCache::patch(uint8_t* at, std::span<const uint8_t> bytes) { write(at, bytes); }

void CodeCache::reset(size_t keep) { used_ = keep; }

/// Each page of the memory file would otherwise take two host page faults
/// on first use, one through each view: a boot fills some 32 MiB. One
/// madvise per view and chunk populates them instead (Linux 5.14; where
/// the kernel says no, the pages fault in as before).
void CodeCache::populate(size_t end) {
#if defined(MADV_POPULATE_WRITE) && defined(MADV_POPULATE_READ)
  while (writable_ && populated_ < end && populated_ < size_) {
    const size_t n = std::min(kPopulateChunk, size_ - populated_);
    madvise(writable_ + populated_, n, MADV_POPULATE_WRITE);
    madvise(base_ + populated_, n, MADV_POPULATE_READ);
    populated_ += n;
  }
#else
  (void)end;
#endif
}

/// Through the writable view; or the pages written are made writable (and
/// not executable) only for the copy. An x86 host needs no instruction
/// cache maintenance either way (its caches snoop stores to code).
void CodeCache::write(uint8_t* at, std::span<const uint8_t> bytes) {
  if (writable_) {
    std::memcpy(writable_ + (at - base_), bytes.data(), bytes.size());
    return;
  }
  const uintptr_t first = reinterpret_cast<uintptr_t>(at) & ~(kHostPage - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(at) + bytes.size() + kHostPage - 1) & ~(kHostPage - 1);
  void* page = reinterpret_cast<void*>(first);
  mprotect(page, last - first, PROT_READ | PROT_WRITE);
  std::memcpy(at, bytes.data(), bytes.size());
  mprotect(page, last - first, PROT_READ | PROT_EXEC);
}

}  // namespace kestrel::jit
