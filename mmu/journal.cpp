// SPDX-License-Identifier: MIT
// The MMU's journal (Mmu::Journal): the RAM bytes and TLB entries a stretch
// of execution replaced, and undo(), which puts them back. Lockstep runs a
// block as generated code, undoes it, and runs it again in the interpreter.
#include <algorithm>

#include "mmu/mmu.h"

namespace kestrel::mmu {

void Mmu::set_journal(Journal* j) {
  journal_ = j;
  if (!j) return;
  // No write fast path while journaling: every store reaches write_phys.
  for (unsigned p = 0; p < kPrivCount; ++p) {
    for (TlbEntry& e : tlb_[p]) e.write_tag = kInvalidTag;
  }
}

void Mmu::journal_image() {
  std::copy(&tlb_[0][0], &tlb_[0][0] + kPrivCount * kTlbSize, &journal_->image->tlb[0][0]);
  std::copy(&meta_[0][0], &meta_[0][0] + kPrivCount * kTlbSize, &journal_->image->meta[0][0]);
  journal_->imaged = true;
}

void Mmu::journal_ram(uint64_t pa, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = (pa + i) & addr_mask_;
    if (const uint64_t o = ram_offset(a); o != kNoPhys) journal_->ram.push_back({a, ram_.get()[o]});
  }
}

void Mmu::undo(Journal& j) {
  Journal* const active = journal_;
  journal_ = nullptr;  // the undo itself is not recorded
  for (auto it = j.ram.rbegin(); it != j.ram.rend(); ++it) {
    note_code_write(it->pa, 1);
    ram_.get()[ram_offset(it->pa)] = it->old;
  }
  new_generation();
  exec_large_ = true;  // restored entries may include large code pages: stay conservative
  large_all_ = true;   // and large pages of any address, local entries anywhere
  for (auto& words : local_) std::fill(std::begin(words), std::end(words), ~uint64_t{0});
  if (j.imaged) {
    std::copy(&j.image->tlb[0][0], &j.image->tlb[0][0] + kPrivCount * kTlbSize, &tlb_[0][0]);
    std::copy(&j.image->meta[0][0], &j.image->meta[0][0] + kPrivCount * kTlbSize, &meta_[0][0]);
  }
  for (auto it = j.slots.rbegin(); it != j.slots.rend(); ++it) {
    tlb_[it->priv][it->index] = it->entry;
    meta_[it->priv][it->index] = it->meta;
  }
  j.clear();
  journal_ = active;
}

}  // namespace kestrel::mmu
