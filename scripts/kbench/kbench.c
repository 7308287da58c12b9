// SPDX-License-Identifier: MIT
// kbench: the CPU workload scripts/bench runs inside the guest and natively.
// Six kernels, each printing "kbench: begin NAME" and "kbench: end NAME
// CHECKSUM MICROSECONDS" so the host can time them from the outside (the
// guest's clock follows the host's, but the host's view is the one compared)
// and check that every engine computed the same result.
// Usage: kbench [SCALE [KERNEL...]]   (SCALE multiplies every kernel's work,
// default 1; naming kernels runs only those, in the usual order)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

// ---- integer hashing: FNV-1a and a 64-bit mixer over a buffer ----
static uint64_t k_hash(unsigned scale) {
  static uint8_t buf[1 << 16];
  for (unsigned i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)(i * 131u + (i >> 7));
  uint64_t h = 1469598103934665603ull, m = 0;
  for (unsigned r = 0; r < 240 * scale; ++r) {
    for (unsigned i = 0; i < sizeof buf; ++i) h = (h ^ buf[i]) * 1099511628211ull;
    uint64_t x = h + r;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    m += x;
    buf[r & (sizeof buf - 1)] ^= (uint8_t)x;
  }
  return h ^ m;
}

// ---- sieve of Eratosthenes ----
static uint64_t k_sieve(unsigned scale) {
  const unsigned n = 2000000;
  uint8_t* composite = malloc(n + 1);
  uint64_t count = 0;
  for (unsigned r = 0; r < scale; ++r) {
    memset(composite, 0, n + 1);
    count = 0;
    for (unsigned i = 2; i <= n; ++i) {
      if (composite[i]) continue;
      ++count;
      for (uint64_t j = (uint64_t)i * i; j <= n; j += i) composite[j] = 1;
    }
  }
  free(composite);
  return count;
}

// ---- qsort with a comparator ----
static int cmp_u32(const void* a, const void* b) {
  const uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return (x > y) - (x < y);
}

static uint64_t k_qsort(unsigned scale) {
  const unsigned n = 200000;
  uint32_t* v = malloc(n * sizeof *v);
  uint64_t sum = 0;
  uint32_t seed = 12345;
  for (unsigned r = 0; r < scale; ++r) {
    for (unsigned i = 0; i < n; ++i) {
      seed = seed * 1664525u + 1013904223u;
      v[i] = seed;
    }
    qsort(v, n, sizeof *v, cmp_u32);
    for (unsigned i = 0; i < n; i += 997) sum += v[i] * (uint64_t)(i + 1);
  }
  free(v);
  return sum;
}

// ---- memcpy / memset over buffers larger than the caches ----
static uint64_t k_memory(unsigned scale) {
  const size_t n = 8u << 20;
  uint8_t* a = malloc(n);
  uint8_t* b = malloc(n);
  uint64_t sum = 0;
  for (unsigned r = 0; r < 6 * scale; ++r) {
    memset(a, (int)(r & 0xff), n);
    memcpy(b, a, n);
    memcpy(a + 4096, b, n - 4096);
    sum += a[r * 4099 % n] + b[(r * 7919) % n];
  }
  free(a);
  free(b);
  return sum;
}

// ---- a switch-dispatched bytecode interpreter ----
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_DROP, OP_HALT };

static uint64_t run_bytecode(const int32_t* code, int64_t counter) {
  int64_t stack[64];
  int sp = 0;
  uint64_t acc = 0;
  stack[sp++] = counter;
  for (size_t pc = 0;;) {
    switch (code[pc++]) {
      case OP_PUSH: stack[sp++] = code[pc++]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_DEC: stack[sp - 1]--; break;
      case OP_DROP: acc += (uint64_t)stack[--sp]; break;
      case OP_JNZ: { int32_t target = code[pc++]; if (stack[sp - 1]) pc = (size_t)target; break; }
      case OP_HALT: return acc + (uint64_t)stack[sp - 1];
      default: return ~0ull;
    }
  }
}

static uint64_t k_bytecode(unsigned scale) {
  // loop: dup, dup, mul, push 3, add, drop, dec, jnz loop; halt
  static const int32_t code[] = {OP_DUP, OP_DUP, OP_MUL, OP_PUSH, 3, OP_ADD, OP_DROP,
                                 OP_DEC, OP_JNZ, 0, OP_HALT};
  return run_bytecode(code, 1000000ll * scale);
}

// ---- floating point: a small n-body step loop in doubles ----
static uint64_t k_float(unsigned scale) {
  enum { N = 16 };
  double x[N], y[N], z[N], vx[N] = {0}, vy[N] = {0}, vz[N] = {0}, m[N];
  for (int i = 0; i < N; ++i) {
    x[i] = i * 1.5; y[i] = (i % 4) * 0.75 - 1.0; z[i] = (i % 3) * 0.5; m[i] = 1.0 + i * 0.01;
  }
  const double dt = 0.001;
  for (unsigned step = 0; step < 16000 * scale; ++step) {
    for (int i = 0; i < N; ++i) {
      for (int j = i + 1; j < N; ++j) {
        double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
        double d2 = dx * dx + dy * dy + dz * dz + 0.01;
        double inv = 1.0 / (d2 * __builtin_sqrt(d2));
        vx[i] -= dx * m[j] * inv * dt; vy[i] -= dy * m[j] * inv * dt; vz[i] -= dz * m[j] * inv * dt;
        vx[j] += dx * m[i] * inv * dt; vy[j] += dy * m[i] * inv * dt; vz[j] += dz * m[i] * inv * dt;
      }
    }
    for (int i = 0; i < N; ++i) { x[i] += vx[i] * dt; y[i] += vy[i] * dt; z[i] += vz[i] * dt; }
  }
  double e = 0;
  for (int i = 0; i < N; ++i) e += m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]) + x[i];
  return (uint64_t)(e * 1e6);
}

struct Kernel {
  const char* name;
  uint64_t (*run)(unsigned scale);
};

int main(int argc, char** argv) {
  const unsigned scale = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1;
  static const struct Kernel kernels[] = {
      {"hash", k_hash}, {"sieve", k_sieve}, {"qsort", k_qsort},
      {"memory", k_memory}, {"bytecode", k_bytecode}, {"float", k_float},
  };
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
    int wanted = argc <= 2;
    for (int a = 2; a < argc; ++a) wanted |= strcmp(argv[a], kernels[i].name) == 0;
    if (!wanted) continue;
    printf("kbench: begin %s\n", kernels[i].name);
    fflush(stdout);
    const uint64_t t0 = now_us();
    const uint64_t result = kernels[i].run(scale ? scale : 1);
    const uint64_t t1 = now_us();
    printf("kbench: end %s %016llx %llu\n", kernels[i].name, (unsigned long long)result,
           (unsigned long long)(t1 - t0));
    fflush(stdout);
  }
  printf("kbench: done\n");
  return 0;
}
