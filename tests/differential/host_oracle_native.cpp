// SPDX-License-Identifier: MIT
// The native runner of the host-oracle test (host_oracle_native.h): the
// child's memory layout, its generated prologue/epilogue, its signal
// handler, and the parent's request/response protocol over two pipes.
#include "tests/differential/host_oracle_native.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "cpu/isa/isa.h"

namespace kestrel::differential::oracle {

/// One case in, one result out.
struct Slot {
  uint32_t code_len = 0;
  uint8_t code[kSeqMax];
  RegState in;
  RegState out;
  int32_t vector = -1;
  uint8_t data_in[kDataSize];
  uint8_t data_out[kDataSize];
};

/// Memory shared by the parent and its child.
struct NativeRunner::Shared {
  Slot slot[kBatch];
};

namespace {

/// The child's control page at kCtlBase: what the prologue loads, what the
/// epilogue and the signal handler store, and the way back into C.
struct Ctl {
  RegState in;
  RegState out;
  uint64_t host_rsp = 0;
  uint32_t default_mxcsr = 0x1f80;
  int32_t vector = -1;
  sigjmp_buf env;
};

constexpr uint64_t kEpilogue = kStubBase + 0x800;
constexpr size_t kSeqMapped = kSeqMax + kPage;  // room for the jump to the epilogue

Ctl& ctl() { return *reinterpret_cast<Ctl*>(kCtlBase); }

constexpr uint32_t at(size_t field_offset) { return uint32_t(kCtlBase + field_offset); }
constexpr uint32_t in_at(size_t f) { return at(offsetof(Ctl, in) + f); }
constexpr uint32_t out_at(size_t f) { return at(offsetof(Ctl, out) + f); }

/// Machine code with [disp32] absolute operands (every address is below 2 GiB).
struct Asm {
  uint8_t* p;
  void b(std::initializer_list<uint8_t> bytes) {
    for (uint8_t x : bytes) *p++ = x;
  }
  void d32(uint32_t v) {
    std::memcpy(p, &v, 4);
    p += 4;
  }
  /// opcode bytes, then ModRM reg field `reg` with a [disp32] operand.
  void abs_op(uint8_t rex, std::initializer_list<uint8_t> op, unsigned reg, uint32_t addr,
              uint8_t legacy = 0) {
    if (legacy) b({legacy});
    if (rex | (reg & 8 ? 4 : 0)) b({uint8_t(0x40 | rex | (reg & 8 ? 4 : 0))});
    b(op);
    b({uint8_t(((reg & 7) << 3) | 4), 0x25});
    d32(addr);
  }
};

void emit_prologue(uint8_t* code) {
  Asm a{code};
  a.b({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});  // push rbx..r15
  a.abs_op(8, {0x89}, 4, at(offsetof(Ctl, host_rsp)));                 // mov [host_rsp], rsp
  a.abs_op(0, {0x0f, 0xae}, 2, in_at(offsetof(RegState, mxcsr)));      // ldmxcsr
  for (unsigned x = 0; x < 16; ++x)                                     // movdqu xmmN, [in.xmm]
    a.abs_op(0, {0x0f, 0x6f}, x, in_at(offsetof(RegState, xmm) + 16 * x), 0xf3);
  a.abs_op(0, {0xff}, 6, in_at(offsetof(RegState, rflags)));            // push qword [rflags]
  a.b({0x9d});                                                          // popfq
  for (unsigned r = 0; r < 16; ++r) {
    if (r == 4) continue;
    a.abs_op(8, {0x8b}, r, in_at(8 * r));                               // mov rN, [in.gpr]
  }
  a.abs_op(8, {0x8b}, 4, in_at(8 * 4));                                 // mov rsp, [in.rsp]
  a.b({0xe9});                                                          // jmp kSeqBase
  a.d32(uint32_t(kSeqBase - (uint64_t(reinterpret_cast<uintptr_t>(a.p)) + 4)));
}

void emit_epilogue(uint8_t* code) {
  Asm a{code};
  for (unsigned r = 0; r < 16; ++r) a.abs_op(8, {0x89}, r, out_at(8 * r));  // mov [out.gpr], rN
  a.abs_op(8, {0x8b}, 4, at(offsetof(Ctl, host_rsp)));                     // mov rsp, [host_rsp]
  a.b({0x9c});                                                             // pushfq
  a.abs_op(0, {0x8f}, 0, out_at(offsetof(RegState, rflags)));             // pop qword [rflags]
  a.abs_op(0, {0x0f, 0xae}, 3, out_at(offsetof(RegState, mxcsr)));        // stmxcsr
  for (unsigned x = 0; x < 16; ++x)                                        // movdqu [out.xmm], xmmN
    a.abs_op(0, {0x0f, 0x7f}, x, out_at(offsetof(RegState, xmm) + 16 * x), 0xf3);
  a.abs_op(0, {0x0f, 0xae}, 2, at(offsetof(Ctl, default_mxcsr)));         // ldmxcsr default
  a.b({0x68, 0x02, 0x02, 0x00, 0x00, 0x9d});                               // push 202h; popfq
  a.b({0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3});  // pop r15..rbx; ret
}

/// An exception in the sequence: its vector and the state it interrupted.
void on_fault(int sig, siginfo_t*, void* uc_void) {
  auto* uc = static_cast<ucontext_t*>(uc_void);
  const greg_t* g = uc->uc_mcontext.gregs;
  const uint64_t rip = uint64_t(g[REG_RIP]);
  if (rip < kSeqBase || rip >= kSeqBase + kSeqMapped) {
    // Not the code under test: die with the signal, the parent reports it.
    signal(sig, SIG_DFL);
    return;
  }
  static constexpr int kRegs[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                    REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                    REG_R12, REG_R13, REG_R14, REG_R15};
  Ctl& c = ctl();
  for (unsigned r = 0; r < 16; ++r) c.out.gpr[r] = uint64_t(g[kRegs[r]]);
  c.out.rip = rip;
  c.out.rflags = uint64_t(g[REG_EFL]);
  c.out.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
  std::memcpy(c.out.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof c.out.xmm);
  c.vector = int32_t(g[REG_TRAPNO]);
  siglongjmp(c.env, 1);
}

void* map_fixed(uint64_t addr, size_t size, int prot) {
  void* p = mmap(reinterpret_cast<void*>(addr), size, prot,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  return p == reinterpret_cast<void*>(addr) ? p : nullptr;
}

bool child_setup() {
  if (!map_fixed(kCtlBase, kPage * 2, PROT_READ | PROT_WRITE) ||
      !map_fixed(kDataBase, kDataSize, PROT_READ | PROT_WRITE) ||
      !map_fixed(kStubBase, kPage, PROT_READ | PROT_WRITE | PROT_EXEC) ||
      !map_fixed(kSeqBase, kSeqMapped, PROT_READ | PROT_WRITE | PROT_EXEC))
    return false;
  new (&ctl()) Ctl{};
  emit_prologue(reinterpret_cast<uint8_t*>(kStubBase));
  emit_epilogue(reinterpret_cast<uint8_t*>(kEpilogue));
  static constexpr size_t kAltSize = 64 * 1024;
  stack_t ss{};
  ss.ss_sp = mmap(nullptr, kAltSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_size = kAltSize;
  if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, nullptr) != 0) return false;
  struct sigaction sa{};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigaction(sig, &sa, nullptr);
  return true;
}

/// One case in the child: copy in, run, copy out.
void run_in_child(Slot& sh) {
  Ctl& c = ctl();
  auto* seq = reinterpret_cast<uint8_t*>(kSeqBase);
  std::memcpy(seq, sh.code, sh.code_len);
  uint8_t* j = seq + sh.code_len;
  j[0] = 0xe9;  // jmp epilogue
  const uint32_t rel = uint32_t(kEpilogue - (kSeqBase + sh.code_len + 5));
  std::memcpy(j + 1, &rel, 4);
  std::memcpy(reinterpret_cast<void*>(kDataBase), sh.data_in, kDataSize);
  c.in = sh.in;
  c.vector = -1;
  if (sigsetjmp(c.env, 1) == 0) {
    reinterpret_cast<void (*)()>(kStubBase)();
    c.out.rip = kSeqBase + sh.code_len;
    sh.vector = -1;
  } else {
    _mm_setcsr(0x1f80);
    asm volatile("pushq $0x202; popfq" ::: "cc", "memory");
    sh.vector = c.vector;
  }
  sh.out = c.out;
  std::memcpy(sh.data_out, reinterpret_cast<const void*>(kDataBase), kDataSize);
}
}  // namespace

NativeRunner::NativeRunner() {
  void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap of the shared block failed");
  shared_ = new (p) Shared{};
}

NativeRunner::~NativeRunner() {
  stop();
  munmap(shared_, sizeof(Shared));
}

void NativeRunner::spawn() {
  int req[2], resp[2];
  if (pipe(req) != 0 || pipe(resp) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    close(req[1]);
    close(resp[0]);
    if (!child_setup()) _exit(3);
    uint8_t n;
    while (read(req[0], &n, 1) == 1) {
      for (unsigned i = 0; i < n && i < kBatch; ++i) run_in_child(shared_->slot[i]);
      if (write(resp[1], &n, 1) != 1) break;
    }
    _exit(0);
  }
  close(req[0]);
  close(resp[1]);
  req_ = req[1];
  resp_ = resp[0];
}

void NativeRunner::stop() {
  if (pid_ <= 0) return;
  close(req_);
  close(resp_);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::vector<Result> NativeRunner::run(const std::vector<Case>& cases, int timeout_ms) {
  std::vector<Result> results(cases.size());
  const unsigned n = unsigned(std::min<size_t>(cases.size(), kBatch));
  results.resize(n);
  for (unsigned i = 0; i < n; ++i) {
    Slot& sl = shared_->slot[i];
    sl.code_len = uint32_t(std::min<size_t>(cases[i].code.size(), kSeqMax));
    if (cases[i].code.size() > kSeqMax) results[i].error = "sequence too long";
    std::memcpy(sl.code, cases[i].code.data(), sl.code_len);
    sl.in = cases[i].in;
    std::memcpy(sl.data_in, cases[i].data.data(), kDataSize);
  }
  if (pid_ <= 0) spawn();
  const uint8_t cmd = uint8_t(n);
  pollfd pfd{resp_, POLLIN, 0};
  uint8_t ack = 0;
  if (write(req_, &cmd, 1) != 1 || poll(&pfd, 1, timeout_ms) != 1 || read(resp_, &ack, 1) != 1) {
    int status = 0;
    const bool dead = waitpid(pid_, &status, WNOHANG) == pid_;
    const std::string why = !dead ? "timeout"
                            : WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                                  : "child exited " + std::to_string(WEXITSTATUS(status));
    if (dead) pid_ = -1;
    stop();
    for (Result& r : results) r.error = why;
    return results;
  }
  for (unsigned i = 0; i < n; ++i) {
    const Slot& sl = shared_->slot[i];
    results[i].out = sl.out;
    results[i].vector = sl.vector;
    std::memcpy(results[i].data.data(), sl.data_out, kDataSize);
  }
  return results;
}

bool host_has(unsigned feature) {
  using namespace cpu::isa;
  unsigned a, b, c, d;
  auto leaf = [&](unsigned l, unsigned sub = 0) {
    a = b = c = d = 0;
    return __get_cpuid_count(l, sub, &a, &b, &c, &d);
  };
  switch (Feature(feature)) {
    case f8086: case f186: case f286: case f386: case f486: case fPentium: case fP6:
    case fX87: case fCmov: case fMmx: case fSse: case fSse2: case fCx8: case fFxsr:
    case fTsc: case fMsr: case fLm: case fSyscall: case fClflush:
      return true;
    case fSse3: return leaf(1) && (c & 1u);
    case fPclmul: return leaf(1) && (c & (1u << 1));
    case fSsse3: return leaf(1) && (c & (1u << 9));
    case fCx16: return leaf(1) && (c & (1u << 13));
    case fSse41: return leaf(1) && (c & (1u << 19));
    case fSse42: return leaf(1) && (c & (1u << 20));
    case fMovbe: return leaf(1) && (c & (1u << 22));
    case fPopcnt: return leaf(1) && (c & (1u << 23));
    case fAes: return leaf(1) && (c & (1u << 25));
    case fXsave: return leaf(1) && (c & (1u << 26));
    case fRdrand: return leaf(1) && (c & (1u << 30));
    case fBmi1: return leaf(7) && (b & (1u << 3));
    case fBmi2: return leaf(7) && (b & (1u << 8));
    case fAdx: return leaf(7) && (b & (1u << 19));
    case fSha: return leaf(7) && (b & (1u << 29));
    case fLzcnt: return leaf(0x80000001) && (c & (1u << 5));
    case fPrfchw: return leaf(0x80000001) && (c & (1u << 8));
    case fRdtscp: return leaf(0x80000001) && (d & (1u << 27));
    default: return false;
  }
}

}  // namespace kestrel::differential::oracle
#endif
