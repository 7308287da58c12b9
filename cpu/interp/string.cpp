// SPDX-License-Identifier: MIT
// String instructions (MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS) with their
// REP/REPE/REPNE forms. A repeated instruction runs its iterations inside one
// handler call and hands control back between iterations when an event is due.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/io.h"
#include "cpu/interp/operands.h"

namespace kestrel::cpu::exec {
namespace {

/// rSI, rDI or rCX as the address size sees it.
uint64_t areg(const Cpu& cpu, const DecodedInsn& insn, unsigned r) {
  return cpu.s.gpr[r] & addr_mask(insn.asize);
}
void set_areg(Cpu& cpu, const DecodedInsn& insn, unsigned r, uint64_t v) {
  with_size(insn.asize, [&](auto t) { write_gpr<decltype(t)>(cpu.s, r, decltype(t)(v)); });
}

/// Moves rSI or rDI one element in the direction DF selects.
void advance(Cpu& cpu, const DecodedInsn& insn, unsigned r, unsigned size) {
  const uint64_t step = cpu.s.rflags & kDf ? uint64_t(0) - size : uint64_t(size);
  set_areg(cpu, insn, r, cpu.s.gpr[r] + step);
}

/// Whether a repeated instruction must stop before its next iteration so the
/// engine can take an event: an interrupt it may deliver now, NMI, reset or
/// stop requests, or a single-step trap, which REP strings raise after every
/// iteration (SDM 3A, "Single-Step Exception Condition"); or a data or I/O
/// breakpoint hit, which traps after its iteration (SDM 3A §17.3.1.2).
bool must_yield(const Cpu& cpu) {
  const uint32_t p = cpu.s.pending;
  if (p & ~uint32_t{kPendingIrq}) return true;
  if ((p & kPendingIrq) && (cpu.s.rflags & kIf)) return true;
  return (cpu.s.rflags & kTf) || cpu.s.dbg_hits;
}

/// The memory accesses of one iteration and the register updates around
/// them. From the 386 on, rSI/rDI/rCX change only once the iteration has
/// succeeded, so a fault leaves them describing the iterations completed.
/// The 80286 microcode (measured: SingleStepTests 80286 A5, 6D, 6F) instead
/// decrements rCX as a repeated iteration starts and steps each index
/// register together with its own access, so a segment-overrun fault finds
/// them already updated; a faulting write decrements rCX once more. (The
/// 8086 takes the same path; its string accesses never fault.)
class Iteration {
 public:
  Iteration(Cpu& cpu, const DecodedInsn& insn, unsigned size)
      : cpu_(cpu), insn_(insn), size_(size), eager_(!cpu.model->has(isa::f386)) {}

  bool eager() const { return eager_; }

  /// Reads the element at seg:rSI or ES:rDI.
  template <class T> T load(uint8_t seg, unsigned reg) {
    return cpu_.read<T>(seg, take(reg));
  }
  /// Calls write_at(offset) for the element at ES:rDI.
  template <class F> void store(F&& write_at) {
    const uint64_t off = take(kRdi);
    if (!eager_) {
      write_at(off);
      return;
    }
    try {
      write_at(off);
    } catch (const GuestFault&) {
      if (insn_.rep != kRepNone) count_down();
      throw;
    }
  }
  void count_down() { set_areg(cpu_, insn_, kRcx, cpu_.s.gpr[kRcx] - 1); }
  /// Steps the index registers the iteration used, where that waits for
  /// the whole iteration.
  void finish() {
    if (used_si_) advance(cpu_, insn_, kRsi, size_);
    if (used_di_) advance(cpu_, insn_, kRdi, size_);
    used_si_ = used_di_ = false;
  }

 private:
  uint64_t take(unsigned reg) {
    const uint64_t off = areg(cpu_, insn_, reg);
    if (eager_) {
      advance(cpu_, insn_, reg, size_);
    } else {
      (reg == kRsi ? used_si_ : used_di_) = true;
    }
    return off;
  }

  Cpu& cpu_;
  const DecodedInsn& insn_;
  unsigned size_;
  bool eager_;
  bool used_si_ = false, used_di_ = false;
};

/// Runs `step` once, or rCX times under a REP prefix. `step` returns false
/// when a REPE/REPNE condition ends the repetition. On yielding, rIP is set
/// back to the instruction so that it resumes after the event; after a
/// fault the engine does the same.
template <class T, class Step> void repeat(Cpu& cpu, const DecodedInsn& insn, Step step) {
  Iteration it(cpu, insn, sizeof(T));
  if (insn.rep == kRepNone) {
    step(it);
    it.finish();
    return;
  }
  for (;;) {
    if (areg(cpu, insn, kRcx) == 0) return;
    if (it.eager()) it.count_down();
    const bool more = step(it);
    it.finish();
    if (!it.eager()) it.count_down();
    if (!more || areg(cpu, insn, kRcx) == 0) return;
    if (must_yield(cpu)) {
      cpu.s.rip = cpu.insn_rip;
      return;
    }
  }
}

// ---- bulk REP MOVS / REP STOS (386 on) ----
// Iterations run a page at a time on host pointers where nothing can make
// one of them differ from the element loop: every element of the run lies
// in the segment, the address-size wrap, rCX and one linear page whose
// software-TLB entry has a fast path for the access (plain RAM: not a code
// page, not watched, not journaled, already accessed and dirty). Anything
// else takes the element path, which fills the TLB or raises the fault
// with the registers of the iterations done.

/// Where a run of string elements may go: its first element's host address
/// and how many elements of it may run in bulk (0: none).
struct Span {
  uint8_t* host = nullptr;
  uint64_t count = 0;
  uint64_t lin = 0;   ///< the first element's linear address
  bool miss = false;  ///< all but the TLB entry allowed a run (see refill)
};

/// Elements of `size` bytes from `first` stepping by ±size that stay in
/// [lo, hi] (inclusive), at most `cap`.
uint64_t fit(uint64_t first, uint64_t lo, uint64_t hi, unsigned size, bool down, uint64_t cap) {
  if (cap == 0 || first < lo || first > hi || hi - first < size - 1) return 0;
  const uint64_t room = down ? (first - lo) / size : (hi - first - (size - 1)) / size;
  return std::min(room, cap - 1) + 1;
}

/// The span of the string operand at seg:off for `cap` elements at most.
Span span(const Cpu& cpu, const DecodedInsn& insn, uint8_t seg, uint64_t off, unsigned size,
          bool down, bool write, uint64_t cap) {
  uint64_t n = fit(off, 0, addr_mask(insn.asize), size, down, cap);
  uint64_t lin;
  if (cpu.long_mode64()) {
    lin = (seg == kFs || seg == kGs ? cpu.s.seg[seg].base : 0) + off;
    // Canonical ranges start and end on page boundaries.
    if (!cpu.canonical(lin)) return {};
  } else {
    const SegmentCache& sc = cpu.s.seg[seg];
    if (!(sc.rights & (write ? kSegWritable : kSegReadable))) return {};
    n = fit(off, sc.lo, sc.limit, size, down, n);
    lin = uint32_t(sc.base + off);
  }
  const uint64_t page = lin & mmu::kPageMask;
  n = fit(lin, page, page + mmu::kPageSize - 1, size, down, n);
  // SDM 3A §6.15: misaligned accesses at CPL 3 may raise #AC.
  if (n == 0 || ((lin & (size - 1)) && cpu.s.cpl == 3 && (cpu.s.cr[0] & (1u << 18)) &&
                 (cpu.s.rflags & kAc))) {
    return {};
  }
  const mmu::TlbEntry& e = cpu.tlb_entry(lin);
  if ((write ? e.write_tag : e.read_tag) != page) return {nullptr, 0, lin, true};
  return {reinterpret_cast<uint8_t*>(lin + e.addend), n, lin, false};
}

/// The span again after translating a page the TLB did not hold, as the
/// element's own access would (a fault is raised the same way, with the
/// registers of the runs done). A source and destination whose pages share
/// a TLB slot evict each other: the source's host address, taken first,
/// stays valid (no guest code runs in between), so they still run in bulk.
Span refill(Cpu& cpu, const DecodedInsn& insn, uint8_t seg, uint64_t off, unsigned size, bool down,
            bool write, uint64_t cap) {
  Span sp = span(cpu, insn, seg, off, size, down, write, cap);
  if (!sp.miss) return sp;
  cpu.mem.translate(sp.lin, write ? mmu::Access::kWrite : mmu::Access::kRead, cpu.priv());
  return span(cpu, insn, seg, off, size, down, write, cap);
}

/// Steps rSI (when `si`), rDI and rCX over `n` iterations done in bulk.
void commit(Cpu& cpu, const DecodedInsn& insn, unsigned size, uint64_t n, bool si) {
  const uint64_t step = (cpu.s.rflags & kDf ? uint64_t(0) - size : uint64_t(size)) * n;
  if (si) set_areg(cpu, insn, kRsi, cpu.s.gpr[kRsi] + step);
  set_areg(cpu, insn, kRdi, cpu.s.gpr[kRdi] + step);
  set_areg(cpu, insn, kRcx, cpu.s.gpr[kRcx] - n);
}

/// Up to a page of REP MOVS iterations; false when none could run in bulk.
template <class T> bool bulk_movs(Cpu& cpu, const DecodedInsn& insn) {
  const bool down = cpu.s.rflags & kDf;
  const Span src = refill(cpu, insn, insn.seg, areg(cpu, insn, kRsi), sizeof(T), down, false,
                          areg(cpu, insn, kRcx));
  if (src.count == 0) return false;
  const Span dst = refill(cpu, insn, kEs, areg(cpu, insn, kRdi), sizeof(T), down, true, src.count);
  if (dst.count == 0) return false;
  const uint64_t n = dst.count, bytes = n * sizeof(T), back = (n - 1) * sizeof(T);
  uint8_t* const dlo = down ? dst.host - back : dst.host;
  const uint8_t* const slo = down ? src.host - back : src.host;
  // Element k reads what no earlier element wrote when the copy runs away
  // from the overlap (forward with the destination below the source,
  // backward with it above): then it is a memmove. Otherwise elements
  // re-read what earlier ones stored (the pattern repeats), element by element.
  if ((down ? dlo >= slo : dlo <= slo) || dlo >= slo + bytes || slo >= dlo + bytes) {
    std::memmove(dlo, slo, bytes);
  } else {
    const ptrdiff_t step = down ? -ptrdiff_t(sizeof(T)) : ptrdiff_t(sizeof(T));
    for (uint64_t k = 0; k < n; ++k) {
      T v;
      std::memcpy(&v, src.host + ptrdiff_t(k) * step, sizeof(T));
      std::memcpy(dst.host + ptrdiff_t(k) * step, &v, sizeof(T));
    }
  }
  commit(cpu, insn, sizeof(T), n, true);
  return true;
}

/// Up to a page of REP STOS iterations; false when none could run in bulk.
template <class T> bool bulk_stos(Cpu& cpu, const DecodedInsn& insn) {
  const bool down = cpu.s.rflags & kDf;
  const Span dst = refill(cpu, insn, kEs, areg(cpu, insn, kRdi), sizeof(T), down, true,
                          areg(cpu, insn, kRcx));
  if (dst.count == 0) return false;
  const uint64_t n = dst.count;
  uint8_t* const lo = down ? dst.host - (n - 1) * sizeof(T) : dst.host;
  const T v = read_gpr<T>(cpu.s, kRax);
  if constexpr (sizeof(T) == 1) {
    std::memset(lo, v, n);
  } else {
    // One element, then the filled part copied after itself, doubling.
    const uint64_t bytes = n * sizeof(T);
    std::memcpy(lo, &v, sizeof(T));
    for (uint64_t done = sizeof(T); done < bytes;) {
      const uint64_t part = std::min(done, bytes - done);
      std::memcpy(lo + done, lo, part);
      done += part;
    }
  }
  commit(cpu, insn, sizeof(T), n, false);
  return true;
}

/// REP MOVS/STOS: from the 386 on, runs iterations in bulk where `bulk`
/// can and one at a time through `step` where it cannot; yields between
/// runs as the element loop does between iterations. Nothing runs in bulk
/// while an event is due (a single-step trap, a data breakpoint hit), so
/// those keep the element loop's per-iteration timing.
template <class T, class Bulk, class Step>
void repeat_bulk(Cpu& cpu, const DecodedInsn& insn, Bulk bulk, Step step) {
  if (insn.rep == kRepNone || !cpu.model->has(isa::f386)) {
    repeat<T>(cpu, insn, step);
    return;
  }
  Iteration it(cpu, insn, sizeof(T));
  for (;;) {
    if (areg(cpu, insn, kRcx) == 0) return;
    if (must_yield(cpu) || !bulk()) {
      step(it);
      it.finish();
      it.count_down();
    }
    if (areg(cpu, insn, kRcx) == 0) return;
    if (must_yield(cpu)) {
      cpu.s.rip = cpu.insn_rip;
      return;
    }
  }
}

/// REPE repeats while the operands are equal, REPNE while they differ.
bool rep_continues(const DecodedInsn& insn, bool equal) {
  return insn.rep == kRepE ? equal : !equal;
}

template <class T> void movs(Cpu& cpu, const DecodedInsn& insn) {
  repeat_bulk<T>(cpu, insn, [&] { return bulk_movs<T>(cpu, insn); }, [&](Iteration& it) {
    const T v = it.load<T>(insn.seg, kRsi);
    it.store([&](uint64_t di) { cpu.write<T>(kEs, di, v); });
    return true;
  });
}

template <class T> void cmps(Cpu& cpu, const DecodedInsn& insn) {
  repeat<T>(cpu, insn, [&](Iteration& it) {
    const T a = it.load<T>(insn.seg, kRsi);
    const T b = it.load<T>(kEs, kRdi);
    set_lazy(cpu.s, CcOp::kSub, sizeof(T), T(a - b), b);
    return rep_continues(insn, a == b);
  });
}

template <class T> void scas(Cpu& cpu, const DecodedInsn& insn) {
  repeat<T>(cpu, insn, [&](Iteration& it) {
    const T a = read_gpr<T>(cpu.s, kRax);
    const T b = it.load<T>(kEs, kRdi);
    set_lazy(cpu.s, CcOp::kSub, sizeof(T), T(a - b), b);
    return rep_continues(insn, a == b);
  });
}

template <class T> void lods(Cpu& cpu, const DecodedInsn& insn) {
  repeat<T>(cpu, insn, [&](Iteration& it) {
    write_gpr<T>(cpu.s, kRax, it.load<T>(insn.seg, kRsi));
    return true;
  });
}

template <class T> void stos(Cpu& cpu, const DecodedInsn& insn) {
  repeat_bulk<T>(cpu, insn, [&] { return bulk_stos<T>(cpu, insn); }, [&](Iteration& it) {
    it.store([&](uint64_t di) { cpu.write<T>(kEs, di, read_gpr<T>(cpu.s, kRax)); });
    return true;
  });
}

template <class T> void ins(Cpu& cpu, const DecodedInsn& insn) {
  const auto port = uint16_t(cpu.s.gpr[kRdx]);
  check_io_permission(cpu, port, sizeof(T));
  repeat<T>(cpu, insn, [&](Iteration& it) {
    it.store([&](uint64_t di) {
      // The segment check comes before the port read so that a #GP does
      // not lose device data.
      // TODO(kestrel): probe the page as well once paging lands #3
      cpu.linear(kEs, di, sizeof(T), kSegWritable);
      cpu.write<T>(kEs, di, T(cpu.io.in(port, sizeof(T))));
    });
    return true;
  });
}

template <class T> void outs(Cpu& cpu, const DecodedInsn& insn) {
  const auto port = uint16_t(cpu.s.gpr[kRdx]);
  check_io_permission(cpu, port, sizeof(T));
  repeat<T>(cpu, insn, [&](Iteration& it) {
    cpu.io.out(port, it.load<T>(insn.seg, kRsi), sizeof(T));
    return true;
  });
}

/// Calls f(T{}) with T the element type of a v-sized string form.
template <class F> void with_v(const DecodedInsn& insn, F&& f) {
  switch (insn.osize) {
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}
/// Calls f(T{}) for a z-sized form (INS, OUTS): 16 or 32 bits.
template <class F> void with_z(const DecodedInsn& insn, F&& f) {
  if (insn.osize == 2) {
    f(uint16_t{});
  } else {
    f(uint32_t{});
  }
}

}  // namespace

void MOVSB_Yb_Xb(Cpu& cpu, const DecodedInsn& insn) { movs<uint8_t>(cpu, insn); }
void MOVSW_Yv_Xv(Cpu& cpu, const DecodedInsn& insn) {
  with_v(insn, [&](auto t) { movs<decltype(t)>(cpu, insn); });
}
void CMPSB_Xb_Yb(Cpu& cpu, const DecodedInsn& insn) { cmps<uint8_t>(cpu, insn); }
void CMPSW_Xv_Yv(Cpu& cpu, const DecodedInsn& insn) {
  with_v(insn, [&](auto t) { cmps<decltype(t)>(cpu, insn); });
}
void SCASB_AL_Yb(Cpu& cpu, const DecodedInsn& insn) { scas<uint8_t>(cpu, insn); }
void SCASW_rAX_Yv(Cpu& cpu, const DecodedInsn& insn) {
  with_v(insn, [&](auto t) { scas<decltype(t)>(cpu, insn); });
}
void LODSB_AL_Xb(Cpu& cpu, const DecodedInsn& insn) { lods<uint8_t>(cpu, insn); }
void LODSW_rAX_Xv(Cpu& cpu, const DecodedInsn& insn) {
  with_v(insn, [&](auto t) { lods<decltype(t)>(cpu, insn); });
}
void STOSB_Yb_AL(Cpu& cpu, const DecodedInsn& insn) { stos<uint8_t>(cpu, insn); }
void STOSW_Yv_rAX(Cpu& cpu, const DecodedInsn& insn) {
  with_v(insn, [&](auto t) { stos<decltype(t)>(cpu, insn); });
}
void INSB_Yb_DX(Cpu& cpu, const DecodedInsn& insn) { ins<uint8_t>(cpu, insn); }
void INSW_Yz_DX(Cpu& cpu, const DecodedInsn& insn) {
  with_z(insn, [&](auto t) { ins<decltype(t)>(cpu, insn); });
}
void OUTSB_DX_Xb(Cpu& cpu, const DecodedInsn& insn) { outs<uint8_t>(cpu, insn); }
void OUTSW_DX_Xz(Cpu& cpu, const DecodedInsn& insn) {
  with_z(insn, [&](auto t) { outs<decltype(t)>(cpu, insn); });
}

}  // namespace kestrel::cpu::exec
