// SPDX-License-Identifier: MIT
// The host x87 oracle (tests/differential/x87_host.h).
#include "tests/differential/x87_host.h"

#if defined(__x86_64__)
#include <sys/mman.h>

#include <cstring>
#include <initializer_list>
#include <stdexcept>

namespace kestrel::differential {
namespace {

constexpr size_t kPage = 4096;

/// The block the stub reads and writes through RBP.
struct Frame {
  uint8_t image[112];  ///< FNSAVE output (108 bytes used)
  uint64_t rflags_out; // 0x70
  uint64_t rax_out;    // 0x78
  uint64_t rax_in;     // 0x80
  uint64_t rflags_in;  // 0x88
};
static_assert(offsetof(Frame, rflags_out) == 0x70 && offsetof(Frame, rflags_in) == 0x88);

/// The stub under construction.
struct Code {
  uint8_t bytes[256];
  size_t size = 0;
  void emit(std::initializer_list<uint8_t> list) {
    for (uint8_t b : list) bytes[size++] = b;
  }
};

}  // namespace

HostX87::HostX87() {
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap of the host stub failed");
  page_ = static_cast<uint8_t*>(p);
}

HostX87::~HostX87() { munmap(page_, kPage); }

HostRun HostX87::run(const FsaveImage& in, const uint8_t* insn, size_t len, void* data, uint64_t rax,
                     uint64_t rflags) {
  Code c;
  c.emit({0x53, 0x55});                                // push rbx; push rbp
  c.emit({0x48, 0x83, 0xec, 0x08});                    // sub rsp, 8
  c.emit({0x0f, 0xae, 0x1c, 0x24});                    // stmxcsr [rsp]
  c.emit({0x48, 0x89, 0xd3});                          // mov rbx, rdx
  c.emit({0x48, 0x89, 0xf5});                          // mov rbp, rsi
  c.emit({0xdd, 0x27});                                // frstor [rdi]
  c.emit({0x48, 0x8b, 0x85, 0x80, 0, 0, 0});           // mov rax, [rbp+0x80]
  c.emit({0xff, 0xb5, 0x88, 0, 0, 0});                 // push qword [rbp+0x88]
  c.emit({0x9d});                                      // popfq
  for (size_t i = 0; i < len; ++i) c.bytes[c.size++] = insn[i];
  c.emit({0x9c});                                      // pushfq
  c.emit({0x8f, 0x85, 0x70, 0, 0, 0});                 // pop qword [rbp+0x70]
  c.emit({0x48, 0x89, 0x85, 0x78, 0, 0, 0});           // mov [rbp+0x78], rax
  c.emit({0xdd, 0x75, 0x00});                          // fnsave [rbp]
  c.emit({0x0f, 0xae, 0x14, 0x24});                    // ldmxcsr [rsp]
  c.emit({0x48, 0x83, 0xc4, 0x08});                    // add rsp, 8
  c.emit({0x5d, 0x5b, 0xc3});                          // pop rbp; pop rbx; ret
  std::memcpy(page_, c.bytes, c.size);
  Frame f{};
  f.rax_in = rax;
  f.rflags_in = rflags;
  using Stub = void (*)(const void*, void*, void*);
  reinterpret_cast<Stub>(page_)(in.b, &f, data);
  HostRun r;
  std::memcpy(r.after.b, f.image, sizeof r.after.b);
  r.rflags = f.rflags_out;
  r.rax = f.rax_out;
  return r;
}

}  // namespace kestrel::differential
#endif
